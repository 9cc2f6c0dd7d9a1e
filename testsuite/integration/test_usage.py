"""Resource usage per job and per step (doc/design.md, "Usage accounting"):
the stepd's samples and rusage reach sacct's MaxRSS, TotalCPU, CPUTime...
for the batch step (ID.batch), an srun step (ID.0) and the job's own row
(TotalCPU summed over its steps, memory left to the steps as in Slurm);
JobAcctGatherFrequency samples catch what rusage cannot (the sum of
several processes); seff prints the efficiency lines.  Only lower bounds
are asserted: the machine may be slow and shared."""

import os
import re

import pytest

from conftest import IS_ROOT, parse_pipe

pytestmark = pytest.mark.skipif(not IS_ROOT, reason="jobs run as another user: needs root")

USER = "sluicea"
MB = 1024 * 1024

# ~1.2 s of CPU while 100 MB are resident (a bytes object is written, so
# its pages are really there, unlike a calloc'd bytearray).
BURN = """import time
b = b'x' * (100 << 20)
t = time.process_time()
while time.process_time() - t < 1.2:
    pass
"""

# 60 MB held for 4 s: two of these at once are 120 MB that no single
# process's rusage shows.
HOLD = """import time
b = b'x' * (60 << 20)
time.sleep(4)
"""

FIELDS = ("JobID,AllocCPUS,ElapsedRaw,TotalCPU,UserCPU,SystemCPU,CPUTime,CPUTimeRAW,"
          "MaxRSS,MaxRSSNode,MaxRSSTask,AveRSS,MaxVMSize,AveVMSize,AveCPU,MinCPU")


@pytest.fixture(scope="module")
def cluster(cluster_factory, users):
    return cluster_factory(nodes=2, cpus=2, append="KillWait=2\nJobAcctGatherFrequency=task=1\n")


@pytest.fixture(scope="module")
def wd(cluster):
    d = cluster.mkdir("usage", user=USER)
    for name, body in (("burn.py", BURN), ("hold.py", HOLD)):
        cluster.script(body, name=name, user=USER, cwd=d, mode=0o644)
    return d


def cpu_secs(s):
    """Slurm's [D-]HH:MM:SS, MM:SS.mmm or 00:MM:SS as seconds."""
    m = re.match(r"^(?:(\d+)-)?(\d+):(\d+):(\d+)$", s)
    if m:
        d, h, mi, sec = (int(x or 0) for x in m.groups())
        return ((d * 24 + h) * 60 + mi) * 60 + sec
    m = re.match(r"^(\d+):(\d+)\.(\d+)$", s)
    assert m, "not a Slurm CPU time: %r" % s
    return int(m.group(1)) * 60 + int(m.group(2)) + int(m.group(3)) / 1000.0


def mem_bytes(s):
    """Slurm's 1234K / 12M / 4096 (bytes) as bytes."""
    m = re.match(r"^(\d+(?:\.\d+)?)([KMGTP]?)$", s)
    assert m, "not a Slurm memory size: %r" % s
    return float(m.group(1)) * 1024 ** " KMGTP".index(m.group(2) or " ")


def run_batch(cluster, wd, body, *opts):
    path = cluster.script("#!/bin/sh\n" + body, user=USER, cwd=wd)
    jid = cluster.submit(*(list(opts) + ["-o", os.path.join(wd, "out.%j"), path]), user=USER,
                         cwd=wd)
    cluster.wait_state(jid, ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT"), timeout=120)
    return jid


def rows(cluster, jid, fields=FIELDS):
    r = cluster.ok(cluster.bin("sacct"), "-j", str(jid), "-P", "-o", fields, user=USER)
    return {x["JobID"]: x for x in parse_pipe(r.out)}


def test_batch_step_and_job_row(cluster, wd):
    jid = run_batch(cluster, wd, "python3 burn.py\n")
    got = rows(cluster, jid)
    job, batch = got[str(jid)], got["%d.batch" % jid]
    for row in (job, batch):
        assert cpu_secs(row["TotalCPU"]) >= 0.8, row
        assert cpu_secs(row["UserCPU"]) + cpu_secs(row["SystemCPU"]) >= 0.8, row
        assert int(row["CPUTimeRAW"]) == int(row["ElapsedRaw"]) * int(row["AllocCPUS"]), row
        assert re.match(r"^\d\d:\d\d:\d\d$", row["CPUTime"]), row
    # Memory is the steps' (Slurm's job row leaves it empty).
    assert mem_bytes(batch["MaxRSS"]) >= 80 * MB, batch
    assert mem_bytes(batch["MaxVMSize"]) >= mem_bytes(batch["MaxRSS"]), batch
    assert batch["MaxRSSNode"] == "n1" and batch["MaxRSSTask"] == "0", batch
    assert 0 < mem_bytes(batch["AveRSS"]) <= mem_bytes(batch["MaxRSS"]), batch
    assert cpu_secs(batch["MinCPU"]) >= 0 and batch["AveCPU"], batch
    assert job["MaxRSS"] == "" and job["AveCPU"] == "" and job["MaxRSSNode"] == "", job
    # The job row's sums need the steps even with -X.
    r = cluster.ok(cluster.bin("sacct"), "-X", "-n", "-P", "-j", str(jid), "-o",
                   "JobID,TotalCPU", user=USER)
    assert r.out.split("|")[0] == str(jid) and cpu_secs(r.out.split("|")[1].strip()) >= 0.8, r


def test_srun_step_has_its_own_usage(cluster, wd):
    jid = run_batch(cluster, wd, "srun -n1 python3 burn.py\n")
    got = rows(cluster, jid)
    step = got["%d.0" % jid]
    assert cpu_secs(step["TotalCPU"]) >= 0.8, step
    assert mem_bytes(step["MaxRSS"]) >= 80 * MB, step
    assert step["MaxRSSNode"] == "n1" and step["MaxRSSTask"] == "0", step
    # The job's TotalCPU is its steps' sum: the srun step's and the batch shell's.
    assert cpu_secs(got[str(jid)]["TotalCPU"]) >= cpu_secs(step["TotalCPU"]), got
    assert got["%d.batch" % jid]["MaxRSS"] != "", got


def test_two_node_step_sums_its_nodes(cluster, wd):
    jid = run_batch(cluster, wd, "srun -N2 -n2 python3 burn.py\n", "-N2", "-n2")
    step = rows(cluster, jid)["%d.0" % jid]
    assert cpu_secs(step["TotalCPU"]) >= 1.6, step
    assert mem_bytes(step["MaxRSS"]) >= 80 * MB, step
    assert step["MaxRSSNode"] in ("n1", "n2") and step["MaxRSSTask"] in ("0", "1"), step


def test_samples_sum_processes(cluster, wd):
    """Two processes of 60 MB at once: only the 1 s samples see 120 MB; a
    peak in the middle, then 3 s of almost nothing, leaves AveRSS below it."""
    jid = run_batch(cluster, wd, "python3 hold.py & python3 hold.py & wait\nsleep 3\n")
    batch = rows(cluster, jid)["%d.batch" % jid]
    assert mem_bytes(batch["MaxRSS"]) >= 100 * MB, batch
    assert mem_bytes(batch["AveRSS"]) < mem_bytes(batch["MaxRSS"]), batch


def test_units(cluster, wd):
    jid = run_batch(cluster, wd, "python3 burn.py\n")
    r = cluster.ok(cluster.bin("sacct"), "-j", "%d.batch" % jid, "-n", "-P", "--units=M",
                   "-o", "MaxRSS", user=USER)
    assert re.match(r"^\d+(\.\d\d)?M$", r.out.strip()) and mem_bytes(r.out.strip()) >= 80 * MB, r
    r = cluster.run(cluster.bin("sacct"), "--units=X", "-j", str(jid), user=USER)
    assert r.rc != 0 and "--units" in r.err, r


def test_seff(cluster, wd):
    jid = run_batch(cluster, wd, "python3 burn.py\n", "--mem=1000M")
    r = cluster.ok(cluster.bin("seff"), str(jid), user=USER)
    lines = dict(l.split(": ", 1) for l in r.out.splitlines() if ": " in l)
    assert lines["Job ID"] == str(jid), r
    assert lines["User/Group"].startswith(USER + "/"), r
    assert lines["State"] == "COMPLETED (exit code 0)", r
    assert lines["Cores"] == "1" or lines["Cores per node"], r
    assert re.match(r"^\d\d:\d\d:\d\d$", lines["CPU Utilized"]), r
    assert re.match(r"^\d+\.\d\d% of \d\d:\d\d:\d\d core-walltime$", lines["CPU Efficiency"]), r
    assert re.match(r"^\d\d:\d\d:\d\d$", lines["Job Wall-clock time"]), r
    m = re.match(r"^(\d+\.\d\d) MB$", lines["Memory Utilized"])
    assert m and float(m.group(1)) >= 80, r
    assert re.match(r"^\d+\.\d\d% of 1000\.00 MB \(1000\.00 MB/node\)$",
                    lines["Memory Efficiency"]), r
    assert "WARNING" not in r.out, r


def test_seff_unknown_job(cluster):
    r = cluster.run(cluster.bin("seff"), "999999", user=USER)
    assert r.rc != 0 and "Job not found" in r.err, r
    r = cluster.run(cluster.bin("seff"), user=USER)
    assert r.rc != 0 and "Usage: seff" in r.err, r


def test_seff_running_job_says_not_final(cluster, wd):
    path = cluster.script("#!/bin/sh\nsleep 60\n", user=USER, cwd=wd)
    jid = cluster.submit("-o", "/dev/null", path, user=USER, cwd=wd)
    try:
        cluster.wait_state(jid, "RUNNING", timeout=60)
        r = cluster.ok(cluster.bin("seff"), str(jid), user=USER)
        assert "State: RUNNING" in r.out and "WARNING: Efficiency statistics" in r.out, r
    finally:
        cluster.run(cluster.bin("scancel"), str(jid))


def test_usage_survives_restarts(cluster, wd):
    """The batch step's usage travels in status.json (kept by a restarted
    sluiced) and is stored with the step (kept by a restarted controller)."""
    path = cluster.script("#!/bin/sh\npython3 burn.py\nsleep 4\n", user=USER, cwd=wd)
    jid = cluster.submit("-o", "/dev/null", path, user=USER, cwd=wd)
    cluster.wait_state(jid, "RUNNING", timeout=60)
    cluster.restart("n1")
    cluster.restart("controller")
    cluster.wait_state(jid, "COMPLETED", timeout=120)
    cluster.restart("controller")
    batch = rows(cluster, jid)["%d.batch" % jid]
    assert cpu_secs(batch["TotalCPU"]) >= 0.8 and mem_bytes(batch["MaxRSS"]) >= 80 * MB, batch
