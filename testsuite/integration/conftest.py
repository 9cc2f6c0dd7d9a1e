"""Integration test harness: real Sluice daemons on loopback via contribs/devcluster.

A test module asks for a private cluster with a module-scoped fixture:

    @pytest.fixture(scope="module")
    def cluster(cluster_factory):
        return cluster_factory(nodes=3, append="KillWait=2\\n")

and uses its helpers: cluster.run(...) (a command with SLUICE_CONF set),
cluster.submit(...) (sbatch --parsable, returns the id), cluster.job(id)
(scontrol show job parsed into a dict), cluster.sacct(id) (sacct -P parsed),
cluster.wait_state(id, ...), wait_for(predicate, timeout, what).

Binaries come from $SLUICE_BUILD (default: <repo>/build).  At teardown the
cluster is stopped by pid (devcluster down) and its daemon logs, and the
sanitizer log directory ($SLUICE_SANITIZER_LOG_DIR, set by testsuite/run for
the ASan build), are checked: any AddressSanitizer/UBSan/LeakSanitizer report
fails the module.

Rules the tests follow: only 127.0.0.1; wait for conditions with generous
deadlines (never fixed sleeps); never assert timings.
"""

import contextlib
import getpass
import grp
import json
import os
import pwd
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEVCLUSTER = os.path.join(REPO, "contribs", "devcluster")
BUILD = os.path.abspath(os.environ.get("SLUICE_BUILD") or os.path.join(REPO, "build"))
SANITIZER_LOG_DIR = os.environ.get("SLUICE_SANITIZER_LOG_DIR")
# Sanitized daemons are several times slower; deadlines grow with them.
SCALE = float(os.environ.get("SLUICE_TIMEOUT_SCALE") or
              (3 if ("asan" in os.path.basename(BUILD) or os.environ.get("ASAN_OPTIONS")) else 1))

SANITIZER_PATTERNS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                      "WARNING: AddressSanitizer", "ERROR: UndefinedBehaviorSanitizer")

IS_ROOT = os.geteuid() == 0
TEST_USERS = ("sluicea", "sluiceb", "sluiceop")


def scaled(t):
    return t * SCALE


class Result:
    def __init__(self, argv, rc, out, err):
        self.argv, self.rc, self.out, self.err = argv, rc, out, err

    def __repr__(self):
        return "<%s: rc=%s\n--- stdout:\n%s--- stderr:\n%s>" % (
            " ".join(shlex.quote(a) for a in self.argv), self.rc, self.out, self.err)

    @property
    def ok(self):
        return self.rc == 0


# The time line squeue and sinfo print above each report with -l or -i.
REPORT_DATE = re.compile(r"^\w{3} \w{3} [ 0-9]\d \d\d:\d\d:\d\d \d{4}$")


def iterate_reports(cluster, argv, reports=2, timeout=60):
    """Run a command that repeats its report (squeue/sinfo -i) until the
    time line of report number `reports` is read, then stop it (by its pid);
    return the lines read."""
    p = subprocess.Popen(argv, env=dict(cluster.env), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    killer = threading.Timer(scaled(timeout), p.kill)
    killer.start()
    lines = []
    try:
        while sum(1 for l in lines if REPORT_DATE.match(l)) < reports:
            line = p.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
    finally:
        killer.cancel()
        p.kill()
        p.wait()
    return lines


def wait_for(pred, timeout=60, what="condition", interval=0.2):
    """Poll pred() until it returns something true; return that value.
    Fails the test (with the last value seen) after timeout seconds (scaled
    for sanitizer builds)."""
    deadline = time.monotonic() + scaled(timeout)
    last = None
    while True:
        last = pred()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError("gave up after %ss waiting for %s (last: %r)"
                                 % (scaled(timeout), what, last))
        time.sleep(interval)

@contextlib.contextmanager
def other_munged(directory):
    """A second munged with a key of its own, so that the cluster refuses its
    credentials; yields its socket's path.  directory (made afresh, removed
    after) must not be under tmp_path: munged wants every directory above its
    socket searchable by all."""
    shutil.rmtree(directory, ignore_errors=True)
    os.mkdir(directory)
    os.chmod(directory, 0o755)
    key = os.path.join(directory, "munge.key")
    with open("/dev/urandom", "rb") as r, \
            open(os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400), "wb") as w:
        w.write(r.read(128))
    sock = os.path.join(directory, "munge.socket")
    munged = next(p for p in ("/usr/sbin/munged", "/sbin/munged") if os.path.exists(p))
    proc = subprocess.Popen([munged, "--foreground", "--socket=" + sock, "--key-file=" + key,
                             "--pid-file=" + os.path.join(directory, "munged.pid"),
                             "--log-file=" + os.path.join(directory, "munged.log"),
                             "--seed-file=" + os.path.join(directory, "munged.seed")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: os.path.exists(sock) or proc.poll() is not None, 30, "a second munged")
        assert proc.poll() is None, "the second munged exited"
        yield sock
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(directory, ignore_errors=True)



def parse_kv(text):
    """scontrol's Key=Value records: values may contain blanks (Reason=a b),
    so a value runs to the next ' Key=' token."""
    d = {}
    matches = list(re.finditer(r"(?:^|(?<=\s))([A-Za-z][A-Za-z0-9_:/.\[\]-]*)=", text))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        d.setdefault(m.group(1), text[m.end():end].strip())
    return d


def parse_records(text):
    """Several scontrol records separated by blank lines."""
    recs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        if block.strip():
            recs.append(parse_kv(block))
    return recs


def parse_pipe(text):
    """sacct -P / sinfo-like '|' output with a header line -> list of dicts."""
    lines = [l for l in text.splitlines() if l.strip()]
    if not lines:
        return []
    hdr = lines[0].split("|")
    return [dict(zip(hdr, l.split("|"))) for l in lines[1:]]


def user_env(name):
    pw = pwd.getpwnam(name)
    return {"HOME": pw.pw_dir, "USER": name, "LOGNAME": name, "SHELL": "/bin/sh"}


def make_users():
    """The test users (root only); created if missing."""
    for u in TEST_USERS:
        try:
            pwd.getpwnam(u)
        except KeyError:
            r = subprocess.run(["useradd", "-M", "-U", "-d", "/nonexistent", "-s", "/bin/sh", u],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            assert r.returncode == 0, "useradd %s: %s" % (u, r.stdout)
    return TEST_USERS


class Cluster:
    def __init__(self, d, nodes):
        self.dir = d
        self.conf = os.path.join(d, "sluice.conf")
        self.nodes = ["n%d" % i for i in range(1, nodes + 1)]
        self.work = os.path.join(d, "work")
        os.makedirs(self.work, exist_ok=True)
        os.chmod(self.work, 0o755)
        st = self.status()
        self.path_dirs = st["bins"]["path_dirs"]
        self.env = dict(os.environ)
        self.env["SLUICE_CONF"] = self.conf
        self.env["PATH"] = ":".join(self.path_dirs + [os.environ.get("PATH", "/usr/bin:/bin")])
        for k in list(self.env):
            if k.startswith(("SBATCH_", "SLURM_", "SQUEUE_", "SINFO_", "SACCT_")):
                del self.env[k]
        self._n = 0

    # ---- processes
    def bin(self, name):
        for d in self.path_dirs:
            p = os.path.join(d, name)
            if os.access(p, os.X_OK):
                return p
        raise AssertionError("no %s in %s" % (name, self.path_dirs))

    def run(self, *args, user=None, cwd=None, env=None, input=None, timeout=60):
        """Run a command (a list, or one string split like a shell would) with
        SLUICE_CONF pointing at this cluster.  Never raises on failure: look
        at .rc/.out/.err."""
        argv = list(args[0]) if len(args) == 1 and isinstance(args[0], (list, tuple)) else \
            (shlex.split(args[0]) if len(args) == 1 else list(args))
        e = dict(self.env)
        kw = {}
        if user and user != getpass.getuser():
            pw = pwd.getpwnam(user)
            e.update(user_env(user))
            kw = dict(user=pw.pw_uid, group=pw.pw_gid,
                      extra_groups=[g.gr_gid for g in grp.getgrall() if user in g.gr_mem])
        if env:
            e.update(env)
        try:
            p = subprocess.run(argv, cwd=cwd or self.work, env=e, input=input,
                               stdin=None if input is not None else subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               timeout=scaled(timeout), **kw)
        except subprocess.TimeoutExpired as ex:
            raise AssertionError("%s did not finish within %ss (stdout %r, stderr %r)"
                                 % (argv, scaled(timeout), ex.stdout, ex.stderr))
        r = Result(argv, p.returncode, p.stdout, p.stderr)
        for pat in SANITIZER_PATTERNS:
            assert pat not in r.err, "sanitizer report from %s" % (r,)
        return r

    def ok(self, *args, **kw):
        """run() that must succeed."""
        r = self.run(*args, **kw)
        assert r.rc == 0, r
        return r

    # ---- files
    def script(self, body, name=None, user=None, mode=0o755, cwd=None):
        """Write a job script (in cwd, default the work dir); return its path."""
        self._n += 1
        path = os.path.join(cwd or self.work, name or "job%d.sh" % self._n)
        with open(path, "w") as f:
            f.write(body)
        os.chmod(path, mode)
        if user:
            pw = pwd.getpwnam(user)
            os.chown(path, pw.pw_uid, pw.pw_gid)
        return path

    def mkdir(self, name, user=None):
        """A fresh directory under the work dir (owned by user if given)."""
        path = tempfile.mkdtemp(prefix=name + "-", dir=self.work)
        os.chmod(path, 0o755)
        if user:
            pw = pwd.getpwnam(user)
            os.chown(path, pw.pw_uid, pw.pw_gid)
        return path

    # ---- jobs
    def submit(self, *args, user=None, cwd=None, env=None):
        """sbatch --parsable ARGS; returns the job id (int).  ARGS: argv
        items, or one string split like a shell would."""
        items = shlex.split(args[0]) if len(args) == 1 else list(args)
        argv = [self.bin("sbatch"), "--parsable"] + items
        r = self.run(argv, user=user, cwd=cwd, env=env)
        assert r.rc == 0, r
        m = re.match(r"^(\d+)(;\S+)?\s*$", r.out)
        assert m, "sbatch --parsable printed %r" % r.out
        return int(m.group(1))

    def job(self, jid, user=None):
        """scontrol show job JID as a dict (None if the command fails)."""
        r = self.run(self.bin("scontrol"), "show", "job", str(jid), user=user)
        if r.rc != 0:
            return None
        recs = parse_records(r.out)
        return recs[0] if recs else None

    def state(self, jid):
        j = self.job(jid)
        return j.get("JobState") if j else None

    def wait_state(self, jid, states, timeout=60):
        """Wait until the job's JobState is one of states; return the record."""
        if isinstance(states, str):
            states = (states,)
        last = {}

        def pred():
            j = self.job(jid)
            last["j"] = j
            return j if j and j.get("JobState") in states else None
        try:
            return wait_for(pred, timeout, "job %s to be %s" % (jid, "|".join(states)))
        except AssertionError:
            raise AssertionError("job %s never became %s; last record: %r\nsqueue:\n%s" %
                                 (jid, "|".join(states), last.get("j"),
                                  self.run(self.bin("squeue")).out))

    def sacct(self, jid, fields="JobID,JobName,User,Partition,State,ExitCode,NodeList,AllocCPUS"):
        """sacct -X -P for one job: its record (dict) or None."""
        r = self.run(self.bin("sacct"), "-X", "-P", "-j", str(jid), "--format=" + fields)
        assert r.rc == 0, r
        recs = [x for x in parse_pipe(r.out) if x.get("JobID") == str(jid)]
        return recs[0] if recs else None

    def wait_sacct(self, jid, pred_state, timeout=60):
        def pred():
            rec = self.sacct(jid)
            return rec if rec and pred_state(rec.get("State", "")) else None
        return wait_for(pred, timeout, "sacct record of job %s" % jid)

    def queue_ids(self, user=None):
        r = self.ok(self.bin("squeue"), "-h", "-o", "%i")
        return {int(x) for x in r.out.split() if x.isdigit()}

    def reset(self):
        """Cancel every active job and resume nodes left drained or down, so
        that one failed test does not fail the ones after it."""
        ids = self.queue_ids()
        if ids:
            self.run([self.bin("scancel")] + [str(i) for i in sorted(ids)])
            wait_for(lambda: not self.queue_ids(), 60, "the queue to empty")
        for n, st in self.node_states().items():
            if st.startswith(("drain", "down")) and self.alive(n):
                self.run(self.bin("scontrol"), "update", "NodeName=" + n, "State=RESUME")

    # ---- nodes
    def node_states(self):
        r = self.run(self.bin("sinfo"), "-h", "-N", "-o", "%N %T")
        if r.rc != 0:
            return {}
        return dict(l.split(None, 1) for l in r.out.splitlines() if len(l.split()) >= 2)

    def node(self, name):
        r = self.run(self.bin("scontrol"), "show", "node", name)
        assert r.rc == 0, r
        return parse_records(r.out)[0]

    def wait_nodes_idle(self, nodes=None, timeout=60):
        nodes = nodes or self.nodes
        return wait_for(lambda: (lambda s: s if all(s.get(n) == "idle" for n in nodes) else None)
                        (self.node_states()), timeout, "nodes %s idle" % nodes)

    # ---- daemons
    def devcluster(self, *args, timeout=180):
        r = subprocess.run([sys.executable, DEVCLUSTER] + list(args) + ["--dir", self.dir],
                           env=self.dc_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=scaled(timeout), stdin=subprocess.DEVNULL)
        return Result(["devcluster"] + list(args), r.returncode, r.stdout, r.stderr)

    @staticmethod
    def dc_env():
        e = dict(os.environ)
        e["SLUICE_BUILD"] = BUILD
        return e

    def status(self):
        r = subprocess.run([sys.executable, DEVCLUSTER, "status", "--json", "--dir", self.dir],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def pid(self, name):
        for d in self.status()["daemons"]:
            if d["name"] == name:
                return d["pid"] if d["alive"] else 0
        raise KeyError(name)

    def alive(self, name):
        return self.pid(name) != 0

    def restart(self, name, timeout=120):
        r = self.devcluster("restart", name, "--timeout", str(int(scaled(timeout))))
        assert r.rc == 0, r
        return r

    def ping(self):
        return self.run(self.bin("scontrol"), "ping").rc == 0

    def log(self, name):
        try:
            with open(os.path.join(self.dir, "log", name + ".log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_tails(self, n=40):
        out = []
        logdir = os.path.join(self.dir, "log")
        for name in sorted(os.listdir(logdir)) if os.path.isdir(logdir) else []:
            with open(os.path.join(logdir, name), errors="replace") as f:
                lines = f.readlines()[-n:]
            out.append("==== %s ====\n%s" % (name, "".join(lines)))
        return "\n".join(out)

    def sanitizer_reports(self):
        bad = []
        logdir = os.path.join(self.dir, "log")
        for name in sorted(os.listdir(logdir)) if os.path.isdir(logdir) else []:
            with open(os.path.join(logdir, name), errors="replace") as f:
                text = f.read()
            for pat in SANITIZER_PATTERNS:
                i = text.find(pat)
                if i >= 0:
                    bad.append("%s: %s" % (name, text[max(0, i - 200):i + 3000]))
                    break
        return bad


def pid_gone(pid):
    """True if pid no longer runs (a zombie counts as gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return True
    return stat[stat.rfind(")") + 2:].split()[0] in ("Z", "X")


def read_pidfile(path, timeout=60):
    """Wait for a job to write its pid to path; return it."""
    def pred():
        try:
            with open(path) as f:
                s = f.read().strip()
            return int(s) if s else None
        except (OSError, ValueError):
            return None
    return wait_for(pred, timeout, "pid file %s" % path)


_seen_sanitizer_files = set()

# LeakSanitizer itself failing at a process's exit ("Tracer caught signal
# 11 ... LeakSanitizer has encountered a fatal error": its stop-the-world
# tracer crashed, as it can when the process is being killed meanwhile) is
# no finding: nothing was checked.  Said on stderr, not counted; any real
# report (a leak, an ASan or UBSan error) still fails.  One cause was ours
# and is gone: a library with dynamic TLS in the stepd (hwloc's OpenCL
# plugin, loaded by libpmix) whose block LSan mis-sized (mpi_pmix.c,
# pmixp_hwloc_quiet); LSAN_OPTIONS=verbosity=2 shows such guesses as
# "__tls_get_addr: glibc >=2.19 suspected".
LSAN_TOOL_FAILURE = "LeakSanitizer has encountered a fatal error"


def lsan_tool_failure_only(text):
    return LSAN_TOOL_FAILURE in text and not any(
        p in text for p in ("detected memory leaks", "ERROR: AddressSanitizer",
                            "runtime error:"))


def new_sanitizer_files():
    if not SANITIZER_LOG_DIR or not os.path.isdir(SANITIZER_LOG_DIR):
        return []
    out = []
    for name in sorted(os.listdir(SANITIZER_LOG_DIR)):
        if name in _seen_sanitizer_files:
            continue
        _seen_sanitizer_files.add(name)
        with open(os.path.join(SANITIZER_LOG_DIR, name), errors="replace") as f:
            text = f.read()
        if lsan_tool_failure_only(text):
            sys.stderr.write("note: LeakSanitizer could not check one exit (%s): %s\n"
                             % (name, text.strip().splitlines()[0]))
            continue
        out.append("%s:\n%s" % (name, text[:4000]))
    return out


@pytest.fixture(scope="session")
def build_ok():
    ctld = os.path.join(BUILD, "src", "ctld", "sluicectld")
    if not os.access(ctld, os.X_OK):
        pytest.fail("no %s: build Sluice first (testsuite/run does)" % ctld, pytrace=False)
    return BUILD


@pytest.fixture(scope="module")
def cluster_factory(build_ok, request):
    """cluster_factory(nodes=2, cpus=4, mem=4000, append="...") -> Cluster,
    stopped (and its logs checked for sanitizer reports) when the module ends."""
    made = []

    def make(nodes=2, cpus=4, mem=4000, append=None, extra_args=()):
        d = tempfile.mkdtemp(prefix="sluice-it-%s-" % request.module.__name__.split(".")[-1],
                             dir="/tmp")
        os.chmod(d, 0o755)
        args = ["up", "--dir", d, "--nodes", str(nodes), "--cpus", str(cpus), "--mem", str(mem),
                "--timeout", str(int(scaled(90)))] + list(extra_args)
        if append:
            path = os.path.join(d, "append.conf")
            with open(path, "w") as f:
                f.write(append)
            args += ["--append", path]
        r = subprocess.run([sys.executable, DEVCLUSTER] + args, env=Cluster.dc_env(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           stdin=subprocess.DEVNULL, timeout=scaled(300))
        if r.returncode != 0:
            subprocess.run([sys.executable, DEVCLUSTER, "down", "--dir", d], env=Cluster.dc_env(),
                           stdin=subprocess.DEVNULL, timeout=scaled(120))
            pytest.fail("devcluster up failed (rc %d):\n%s\n%s" % (r.returncode, r.stdout, r.stderr),
                        pytrace=False)
        assert "export SLUICE_CONF=%s" % os.path.join(d, "sluice.conf") in r.stdout, r.stdout
        c = Cluster(d, nodes)
        made.append(c)
        return c

    yield make

    problems = []
    for c in made:
        r = subprocess.run([sys.executable, DEVCLUSTER, "down", "--dir", c.dir], env=Cluster.dc_env(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           stdin=subprocess.DEVNULL, timeout=scaled(180))
        if r.returncode != 0:
            problems.append("devcluster down %s failed: %s%s" % (c.dir, r.stdout, r.stderr))
        problems += ["sanitizer report in %s/log/%s" % (c.dir, b) for b in c.sanitizer_reports()]
    problems += ["sanitizer report file %s/%s" % (SANITIZER_LOG_DIR, b)
                 for b in new_sanitizer_files()]
    failed = getattr(request.module, "_sluice_failed", False)
    for c in made:
        if problems or failed or os.environ.get("SLUICE_KEEP"):
            print("\nkept cluster directory %s" % c.dir)
        else:
            shutil.rmtree(c.dir, ignore_errors=True)
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


@pytest.fixture(scope="session")
def users():
    """Test users sluicea, sluiceb, sluiceop (root only: skipped otherwise)."""
    if not IS_ROOT:
        print("\nSKIP: the tests of jobs run as other users need root (to create users and "
              "run daemons that switch to them)")
        pytest.skip("needs root: jobs as ordinary users and permission checks")
    return make_users()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, attach the cluster's log tails to the report and remember
    that the module failed (its cluster directory is then kept)."""
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        item.module._sluice_failed = True
        for v in getattr(item, "funcargs", {}).values():
            if isinstance(v, Cluster):
                try:
                    rep.sections.append(("sluice daemon logs (%s)" % v.dir, v.log_tails()))
                except Exception as ex:  # the report must not fail
                    rep.sections.append(("sluice daemon logs", "unreadable: %s" % ex))
                break
