"""The differential suite's machinery: a Side (one system), normalisation,
and the list of known differences.

A case is a function case(side) -> {item: observation}; it runs the same
command lines on each side and returns what it saw, normalised (job ids,
times, hostnames, paths replaced by placeholders), so the two dicts can be
compared item by item.  An item may differ only if known-differences.txt
names it (fnmatch patterns, "case | item | why").  Every comparison is also
appended to $COMPAT_RESULTS (JSON lines) when set, for doc/slurm-compat.md.
"""

import fnmatch
import json
import os
import re
import socket
import time

TERMINAL = ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL",
            "BOOT_FAIL", "DEADLINE", "PREEMPTED")
HOST = socket.gethostname().split(".")[0]


class Side:
    def __init__(self, name, run, work, env):
        self.name, self._run, self.env = name, run, env
        self.work = work
        self.ids = []       # job ids submitted, in order: normalised to JOB1, JOB2...
        self.dirs = 0

    def run(self, argv, cwd=None, **kw):
        return self._run(argv, cwd=cwd or self.work, **kw)

    def sh(self, cmdline, cwd=None, **kw):
        return self.run(["/bin/sh", "-c", cmdline], cwd=cwd, **kw)

    def mkdir(self, name):
        self.dirs += 1
        d = os.path.join(self.work, "%s-%d" % (name, self.dirs))
        os.makedirs(d, exist_ok=True)
        return d

    def script(self, d, name, body):
        path = os.path.join(d, name)
        with open(path, "w") as f:
            f.write(body)
        os.chmod(path, 0o755)
        return path

    def submit(self, args, cwd=None):
        """sbatch --parsable ARGS (a string); returns the id (str)."""
        r = self.sh("sbatch --parsable " + args, cwd=cwd)
        assert r.rc == 0, "%s: %r" % (self.name, r)
        jid = r.out.strip().split(";")[0]
        assert jid.isdigit(), "%s: sbatch --parsable printed %r" % (self.name, r.out)
        self.ids.append(jid)
        return jid

    def job_state(self, jid):
        r = self.run(["scontrol", "show", "job", jid])
        m = re.search(r"JobState=(\S+)", r.out)
        return m.group(1) if m else None

    def wait_done(self, jids, timeout=60):
        deadline = time.monotonic() + timeout
        for jid in ([jids] if isinstance(jids, str) else jids):
            while True:
                st = self.job_state(jid)
                if st in TERMINAL:
                    break
                assert time.monotonic() < deadline, \
                    "%s: job %s still %s after %ss" % (self.name, jid, st, timeout)
                time.sleep(0.1)

    def wait_file(self, path, timeout=30):
        deadline = time.monotonic() + timeout
        while not os.path.exists(path):
            assert time.monotonic() < deadline, "%s: no %s after %ss" % (self.name, path, timeout)
            time.sleep(0.1)

    def norm(self, text):
        """Placeholders for what differs by nature between two systems."""
        t = text
        for i, jid in sorted(enumerate(self.ids), key=lambda x: -len(x[1])):
            t = re.sub(r"(?<![\d])%s(?![\d])" % jid, "JOB%d" % (i + 1), t)
        t = t.replace(os.path.realpath(self.work), "WORK").replace(self.work, "WORK")
        t = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", "DATETIME", t)
        t = re.sub(r"\b(\d+-)?\d{1,2}:\d\d(:\d\d)?\b", "TIME", t)
        t = re.sub(r"\b%s\b" % re.escape(HOST), "HOST", t)
        t = t.replace("127.0.0.1", "HOST")
        return t


class KnownDifferences:
    """known-differences.txt: 'case | item | why' lines (case and item are
    fnmatch patterns); '#' comments and blank lines ignored."""

    def __init__(self, path):
        self.path = path
        self.entries = []
        with open(path) as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                parts = [p.strip() for p in line.split("|", 2)]
                if len(parts) != 3 or not all(parts):
                    raise ValueError("%s:%d: want 'case | item | why': %r" % (path, n, line))
                self.entries.append(tuple(parts) + (n,))
        self.used = set()

    def why(self, case, item):
        for c, i, why, n in self.entries:
            if fnmatch.fnmatchcase(case, c) and fnmatch.fnmatchcase(item, i):
                self.used.add(n)
                return why
        return None


def record(case, item, slurm, sluice, status, why=None):
    path = os.environ.get("COMPAT_RESULTS")
    if not path:
        return
    with open(path, "a") as f:
        f.write(json.dumps(dict(case=case, item=item, slurm=slurm, sluice=sluice,
                                status=status, why=why)) + "\n")


def compare(case, a, b, known):
    """a: Slurm's observations, b: Sluice's.  Fails with every unexpected
    difference listed; returns the number of items compared."""
    bad = []
    for item in sorted(set(a) | set(b)):
        va, vb = a.get(item, "<absent>"), b.get(item, "<absent>")
        if va == vb:
            record(case, item, va, vb, "same")
            continue
        why = known.why(case, item)
        record(case, item, va, vb, "differs" if why else "UNEXPECTED", why)
        if not why:
            bad.append("  %s:\n    slurm:  %r\n    sluice: %r" % (item, va, vb))
    assert not bad, ("%s: outputs differ (fix Sluice, or add 'case | item | why' to "
                     "testsuite/compat/known-differences.txt):\n%s" % (case, "\n".join(bad)))
    return len(set(a) | set(b))
