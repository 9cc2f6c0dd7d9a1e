"""Binding on the real 2-CPU machine (TaskPlugin=task/affinity, the default): jobs are
bound to the CPUs the controller gives them ("cpu_ids" in the launch record), read back
from /proc/self/status inside the job; --cpu-bind=verbose prints Slurm's line; and
without task/cgroup a job over its --mem is killed by the stepd's polling and ends
OUT_OF_MEMORY."""

import json
import os

import pytest

from conftest import scaled, wait_for

@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=1, cpus=2, mem=2000, append="KillWait=2\n")


def allowed_list(path):
    for line in open(path).read().splitlines():
        if line.startswith("Cpus_allowed_list:"):
            return line.split(":", 1)[1].strip()
    return None


def allowed_list_or_none(path):
    try:
        return allowed_list(path)
    except OSError:
        return None


def cpus_of(text):
    out = set()
    for part in text.split(","):
        a, _, b = part.partition("-")
        out.update(range(int(a), int(b or a) + 1))
    return out


def launch_record(cluster, jid):
    path = os.path.join(cluster.dir, "spool", "n1", "job.%s" % jid, "launch.json")
    wait_for(lambda: os.path.exists(path), scaled(30), "launch record of job %s" % jid)
    return json.load(open(path))


def hold_job(cluster, tag, *opts):
    """A job that copies its /proc/self/status and waits for a mark file."""
    mark = os.path.join(cluster.dir, tag + ".go")
    out = os.path.join(cluster.dir, tag + ".status")
    jid = cluster.submit("-c1", "-o", os.path.join(cluster.dir, tag + ".out"), *opts, "--wrap",
                         "cat /proc/self/status > %s; while [ ! -e %s ]; do sleep 0.2; done"
                         % (out, mark))
    return jid, mark, out


def test_two_jobs_get_disjoint_cpus(cluster):
    a, mark_a, out_a = hold_job(cluster, "a")
    b, mark_b, out_b = hold_job(cluster, "b")
    try:
        cluster.wait_state(a, ("RUNNING",))
        cluster.wait_state(b, ("RUNNING",))
        assert "cpu_ids" in launch_record(cluster, a)
        wait_for(lambda: allowed_list_or_none(out_a) and allowed_list_or_none(out_b),
                 scaled(30), "both jobs' /proc/self/status")
        ca, cb = cpus_of(allowed_list(out_a)), cpus_of(allowed_list(out_b))
        assert ca and cb and not (ca & cb), (ca, cb)
    finally:
        open(mark_a, "w").close()
        open(mark_b, "w").close()
        cluster.wait_state(a, ("COMPLETED",))
        cluster.wait_state(b, ("COMPLETED",))


def test_verbose_line(cluster):
    jid, mark, out = hold_job(cluster, "v", "--cpu-bind=verbose")
    try:
        cluster.wait_state(jid, ("RUNNING",))
        rec = launch_record(cluster, jid)
        assert "cpu_ids" in rec, rec
        assert rec.get("cpu_bind_verbose") is True, rec
    finally:
        open(mark, "w").close()
        cluster.wait_state(jid, ("COMPLETED",))
    text = open(os.path.join(cluster.dir, "v.out")).read()
    assert "cpu-bind=MASK - n1, task  0  0 [" in text, text
    assert "]: mask 0x" in text, text


def test_memory_polled_without_cgroup(cluster):
    assert "no task/cgroup (TaskPlugin=task/affinity)" in cluster.log("n1")
    jid = cluster.submit("-c1", "--mem=64M", "--wrap",
                         "python3 -c 'import time; b = bytearray(200 * 1024 * 1024); "
                         "[b.__setitem__(i, 1) for i in range(0, len(b), 4096)]; "
                         "time.sleep(60)'")
    cluster.wait_state(jid, ("OUT_OF_MEMORY",), timeout=scaled(120))
    rec = cluster.sacct(jid, fields="JobID,State,ExitCode")
    assert rec["State"] == "OUT_OF_MEMORY" and rec["ExitCode"] == "0:125", rec
    assert "over its memory limit of 64 MiB: killing it (OUT_OF_MEMORY)" in cluster.log("n1")
