"""salloc end to end: it waits for the allocation, runs the command (srun
inside uses the allocation) with the SLURM_* variables set, gives the
allocation back with the command's exit status, and tells the command when
the allocation is revoked (scancel, or its time limit, with Slurm's message)."""

import re
import signal
import subprocess

import pytest

from conftest import IS_ROOT, scaled

pytestmark = pytest.mark.skipif(not IS_ROOT, reason="steps run as another user: needs root")

USER = "sluicea"


@pytest.fixture(scope="module")
def cluster(cluster_factory, users):
    return cluster_factory(nodes=2, cpus=4, append="KillWait=2\n")


@pytest.fixture(scope="module")
def wd(cluster):
    return cluster.mkdir("salloc", user=USER)


def salloc(cluster, wd, *args, **kw):
    kw.setdefault("timeout", 120)
    return cluster.run([cluster.bin("salloc")] + list(args), user=USER, cwd=wd, **kw)


def test_salloc_runs_srun_inside(cluster, wd):
    r = salloc(cluster, wd, "-N2", "-n4", "sh", "-c",
               'srun -l hostname >/dev/null && srun -N2 -n4 -l sh -c \'echo $SLURMD_NODENAME\'; '
               'echo "JOB=$SLURM_JOB_ID NN=$SLURM_NNODES $SLURM_JOB_NUM_NODES '
               'NL=$SLURM_JOB_NODELIST P=$SLURM_JOB_PARTITION C=$SLURM_CLUSTER_NAME"')
    assert r.rc == 0, r
    m = re.search(r"salloc: Granted job allocation (\d+)", r.err)
    assert m and r.err.startswith("salloc: Pending job allocation %s\n" % m.group(1)), r
    jid = m.group(1)
    assert "salloc: Relinquishing job allocation %s" % jid in r.err, r
    lines = r.out.splitlines()
    assert sorted(lines[:4]) == ["0: n1", "1: n1", "2: n2", "3: n2"], r
    assert lines[4] == "JOB=%s NN=2 2 NL=n[1-2] P=batch C=devcluster" % jid, r
    cluster.wait_state(int(jid), "COMPLETED", timeout=60)


def test_environment_of_the_options(cluster, wd):
    r = salloc(cluster, wd, "-N1", "-n2", "-c", "2", "-J", "alloc-env", "sh", "-c",
               'echo "$SLURM_NTASKS $SLURM_CPUS_PER_TASK $SLURM_TASKS_PER_NODE '
               '$SLURM_JOB_NAME $SLURM_JOB_CPUS_PER_NODE"')
    assert r.rc == 0, r
    assert r.out.split() == ["2", "2", "2", "alloc-env", "4"], r


def test_exit_status_propagates(cluster, wd):
    r = salloc(cluster, wd, "-N1", "sh", "-c", "exit 7")
    assert r.rc == 7, r
    jid = int(re.search(r"Granted job allocation (\d+)", r.err).group(1))
    cluster.wait_state(jid, "FAILED", timeout=60)
    rec = cluster.job(jid)
    assert rec["ExitCode"] == "7:0", rec


def test_scancel_revokes_and_tells_the_command(cluster, wd):
    p = subprocess.Popen([cluster.bin("salloc"), "-N1", "sh", "-c",
                          'echo "id=$SLURM_JOB_ID"; exec sleep 300'],
                         cwd=wd, env=cluster.env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline()
        m = re.match(r"id=(\d+)", line)
        assert m, line
        cluster.ok(cluster.bin("scancel"), m.group(1))
        out, err = p.communicate(timeout=scaled(90))
    finally:
        if p.poll() is None:
            p.kill()
    assert "salloc: Job allocation %s has been revoked." % m.group(1) in err, err
    assert p.returncode == 128 + signal.SIGHUP, (p.returncode, err)
    assert "Relinquishing" not in err
    cluster.wait_state(int(m.group(1)), "CANCELLED", timeout=60)


def test_bad_option(cluster, wd):
    r = salloc(cluster, wd, "--label", "true")
    assert r.rc == 1 and "salloc: error: unrecognized option '--label'" in r.err, r


def test_time_limit_revokes_with_slurms_message(cluster, wd):
    # -t 0:02 is two seconds (MM:SS); the command would sleep far longer.
    r = salloc(cluster, wd, "-N1", "-t", "0:02", "sh", "-c",
               'echo "id=$SLURM_JOB_ID"; exec sleep 300', timeout=scaled(120))
    m = re.match(r"id=(\d+)", r.out)
    assert m, r
    jid = m.group(1)
    assert ("salloc: Job %s has exceeded its time limit and its allocation has been revoked."
            % jid) in r.err, r
    assert r.rc == 128 + signal.SIGHUP, r
    cluster.wait_state(int(jid), "TIMEOUT", timeout=60)
