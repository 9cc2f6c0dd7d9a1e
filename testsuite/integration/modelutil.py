"""Helpers for the job-model and scheduling tests (arrays, dependencies,
retries, job definitions, queues, scheduling, fair share).

The tests prove ordering and concurrency from the jobs' own records: a job
made with timed_script() appends `date +%s.%N` to its own file when it starts
and again when it ends, so a file of two lines is one run (and four lines are
two runs, which is how the restart tests see that nothing ran twice)."""

import os
import re

from conftest import parse_records, wait_for

TERMINAL = ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY",
            "DEADLINE", "PREEMPTED", "BOOT_FAIL")


def timed_script(cluster, d, body="", sleep=0, shell="/bin/sh", name=None):
    """A job script that records its start and end time in
    d/times/<key> where key is "<array id>_<task>" for an array task and the
    job id otherwise.  body runs between the two records (after `sleep`).
    $KEY holds the key, $T the times directory."""
    tdir = os.path.join(d, "times")
    os.makedirs(tdir, exist_ok=True)
    text = """#!%s
if [ -n "$SLURM_ARRAY_TASK_ID" ]; then KEY=${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}; else KEY=$SLURM_JOB_ID; fi
T=%s
date +%%s.%%N >> "$T/$KEY"
%s
%s
rc=$?
date +%%s.%%N >> "$T/$KEY"
exit $rc
""" % (shell, tdir, "sleep %s" % sleep if sleep else "", body)
    return cluster.script(text, cwd=d, name=name)


def read_times(d):
    """{key: [t0, t1, ...]} from d/times (floats, in file order)."""
    tdir = os.path.join(d, "times")
    out = {}
    if not os.path.isdir(tdir):
        return out
    for name in os.listdir(tdir):
        with open(os.path.join(tdir, name)) as f:
            out[name] = [float(x) for x in f.read().split()]
    return out


def intervals(d):
    """{key: (start, end)} for keys that ran exactly once to the end.
    Asserts that no key ran more than once."""
    out = {}
    for k, ts in read_times(d).items():
        assert len(ts) <= 2, "%s ran more than once: %r" % (k, ts)
        if len(ts) == 2:
            out[k] = (ts[0], ts[1])
    return out


def max_concurrency(ivals):
    """Most intervals open at one moment.  An end and a start at the same
    instant do not overlap."""
    ev = []
    for s, e in ivals:
        ev.append((s, 1))
        ev.append((e, -1))
    ev.sort(key=lambda x: (x[0], x[1]))
    cur = best = 0
    for _, dlt in ev:
        cur += dlt
        best = max(best, cur)
    return best


def key_task(key):
    """'12_7' -> 7"""
    return int(key.split("_", 1)[1])


def wait_done(cluster, jid, timeout=120):
    """Wait for a job (or an array's own record) to reach a terminal state."""
    return cluster.wait_state(jid, TERMINAL, timeout=timeout)


def fail_run(cluster, *args, **kw):
    """Run a command that must fail (non-zero exit, message on stderr)."""
    r = cluster.run(*args, **kw)
    assert r.rc != 0, "expected failure: %r" % (r,)
    assert r.err.strip(), "no message on stderr: %r" % (r,)
    return r


def sbatch_fail(cluster, *args, cwd=None):
    return fail_run(cluster, [cluster.bin("sbatch")] + list(args), cwd=cwd)


def scontrol(cluster, *args, **kw):
    return cluster.run([cluster.bin("scontrol")] + list(args), **kw)


def squeue(cluster, *args):
    r = cluster.run([cluster.bin("squeue")] + list(args))
    assert r.rc == 0, r
    return r.out


def sacct_rows(cluster, jid, fields="JobID,State,ExitCode", extra=()):
    """sacct -X -P -j JID rows (all of them: tasks, attempts with -D in extra; no
    step rows)."""
    from conftest import parse_pipe
    r = cluster.run([cluster.bin("sacct"), "-X", "-P", "-j", str(jid), "--format=" + fields]
                    + list(extra))
    assert r.rc == 0, r
    return parse_pipe(r.out)


def show(cluster, kind, name=None, all_=False):
    """scontrol show KIND [NAME] parsed into a list of records ([] on error)."""
    argv = [cluster.bin("scontrol")] + (["-a"] if all_ else []) + ["show", kind]
    if name is not None:
        argv.append(str(name))
    r = cluster.run(argv)
    if r.rc != 0:
        return []
    return parse_records(r.out)


def array_tasks(summary):
    """'PENDING:2,RUNNING:3' -> {'PENDING': 2, 'RUNNING': 3}"""
    out = {}
    for item in (summary or "").split(","):
        if ":" in item:
            k, v = item.split(":", 1)
            out[k.strip()] = int(v)
    return out


def set_conf_key(cluster, key, value):
    """Replace (or add) a global Key=value line in the cluster's config."""
    with open(cluster.conf) as f:
        lines = f.read().splitlines()
    pat = re.compile(r"^\s*%s\s*=" % re.escape(key), re.I)
    lines = [l for l in lines if not pat.match(l)]
    # Global keys must come before NodeName/PartitionName lines? Put it first
    # after the comment header to be safe.
    i = 0
    while i < len(lines) and lines[i].startswith("#"):
        i += 1
    if value is not None:
        lines.insert(i, "%s=%s" % (key, value))
    with open(cluster.conf, "w") as f:
        f.write("\n".join(lines) + "\n")


def config_value(cluster, key):
    r = cluster.run(cluster.bin("scontrol"), "show", "config")
    assert r.rc == 0, r
    for line in r.out.splitlines():
        m = re.match(r"^\s*(\S+)\s*=\s*(.*?)\s*$", line)
        if m and m.group(1).lower() == key.lower():
            return m.group(2)
    return None


def have_cmd(cluster, name):
    try:
        cluster.bin(name)
        return True
    except AssertionError:
        return False


def wait_file_lines(path, n, timeout=60):
    def pred():
        try:
            with open(path) as f:
                return len(f.read().splitlines()) >= n
        except OSError:
            return False
    return wait_for(pred, timeout, "%s to have %d lines" % (path, n))


def expand_idx(text):
    """'1,3,5-7' / '0-12:4' / '2-9%2' -> sorted list of ints."""
    text = (text or "").strip().strip("[]").split("%")[0]
    out = []
    for part in filter(None, text.split(",")):
        step = 1
        if ":" in part:
            part, s = part.split(":", 1)
            step = int(s)
        if "-" in part:
            a, b = part.split("-", 1)
            out += list(range(int(a), int(b) + 1, step))
        else:
            out.append(int(part))
    return sorted(out)
