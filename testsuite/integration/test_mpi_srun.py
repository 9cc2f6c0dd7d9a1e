"""MPI programs through the whole stack (issue 10): Debian's Open MPI over PMIx
and Debian's MPICH over PMI-1, launched by srun outside any allocation,
inside sbatch and inside salloc, and each one's mpirun inside sbatch (they
start their daemons with srun); MPI_Abort and a rank killed by a signal end
the step with their status.  The plugins are tested alone in
test_mpi_pmix_plugin.py and test_mpi_pmi1_plugin.py."""
import os
import pwd
import re
import shutil
import signal
import subprocess

import pytest

from conftest import IS_ROOT, REPO, scaled, user_env

pytestmark = pytest.mark.skipif(not IS_ROOT, reason="steps run as another user: needs root")

USER = "sluicea"
APP_SRC = os.path.join(REPO, "testsuite", "mpi", "mpi_app.c")
# Each MPI, the --mpi type it speaks, and its mpicc/mpirun.
MPIS = {"openmpi": ("pmix", "mpicc.openmpi"), "mpich": ("pmi1", "mpicc.mpich")}


@pytest.fixture(scope="module")
def cluster(cluster_factory, users):
    return cluster_factory(nodes=4, cpus=2, append="KillWait=2\n")


@pytest.fixture(scope="module")
def wd(cluster):
    return cluster.mkdir("mpi", user=USER)


@pytest.fixture(scope="module")
def apps(cluster, wd):
    """mpi_app compiled with each MPI, in the user's directory."""
    out = {}
    for mpi, (_, mpicc) in MPIS.items():
        assert shutil.which(mpicc), "%s is missing (testsuite/run installs it)" % mpicc
        path = os.path.join(wd, "mpi_app." + mpi)
        subprocess.run([mpicc, "-o", path, APP_SRC], check=True)
        os.chmod(path, 0o755)
        out[mpi] = path
    return out


def srun(cluster, wd, *args, timeout=180):
    return cluster.run([cluster.bin("srun")] + list(args), user=USER, cwd=wd, timeout=timeout)


def check_ranks(out, n):
    """Every rank ran the allreduce right and rank 0 closed the ring."""
    for r in range(n):
        assert re.search(r"^rank %d: allreduce ok" % r, out, re.M), out
        assert re.search(r"^rank %d: of %d on" % (r, n), out, re.M), out
    assert re.search(r"^rank 0: ring ok", out, re.M), out


def batch(cluster, wd, body, *opts):
    out = os.path.join(wd, "out.%d.txt" % len(os.listdir(wd)))
    path = cluster.script("#!/bin/sh\n" + body, user=USER, cwd=wd)
    jid = cluster.submit(*(list(opts) + ["-o", out, path]), user=USER, cwd=wd)
    rec = cluster.wait_state(jid, ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT"), timeout=240)
    with open(out) as f:
        return jid, rec, f.read()


@pytest.mark.parametrize("mpi", sorted(MPIS))
def test_srun_outside_allocation(cluster, wd, apps, mpi):
    r = srun(cluster, wd, "--mpi=" + MPIS[mpi][0], "-N4", "-n8", apps[mpi])
    assert r.rc == 0, r
    check_ranks(r.out, 8)


@pytest.mark.parametrize("mpi", sorted(MPIS))
def test_srun_inside_sbatch(cluster, wd, apps, mpi):
    jid, rec, out = batch(cluster, wd, "srun --mpi=%s %s\n" % (MPIS[mpi][0], apps[mpi]),
                          "-N4", "-n8")
    assert rec["JobState"] == "COMPLETED", (rec, out)
    check_ranks(out, 8)
    steps = cluster.ok(cluster.bin("sacct"), "-j", str(jid), "-n", "-P",
                       "-o", "JobID,State,ExitCode", user=USER).out.split()
    assert "%s.0|COMPLETED|0:0" % jid in steps, steps


@pytest.mark.parametrize("mpi", sorted(MPIS))
def test_srun_inside_salloc(cluster, wd, apps, mpi):
    r = cluster.run([cluster.bin("salloc"), "-N4", "-n8", cluster.bin("srun"),
                     "--mpi=" + MPIS[mpi][0], apps[mpi]], user=USER, cwd=wd, timeout=180)
    assert r.rc == 0, r
    check_ranks(r.out, 8)
    assert "Granted job allocation" in r.err, r


# Each MPI's mpirun and the daemon it starts on every node with srun.
MPIRUNS = {"openmpi": ("mpirun.openmpi", "orted"), "mpich": ("mpirun.mpich", "hydra_pmi_proxy")}


@pytest.mark.parametrize("mpi", sorted(MPIS))
def test_mpirun_inside_sbatch(cluster, wd, apps, mpi):
    # mpirun finds the allocation in SLURM_* and starts its daemons with
    # `srun ... DAEMON`: the srun of this cluster comes first on PATH.
    mpirun, daemon = MPIRUNS[mpi]
    # Open MPI's mpirun returns as soon as its daemons have closed their
    # connections, before they have exited and before the srun that started
    # them has recorded the step; a script ending right then kills that srun
    # and the daemons still there, and the step ends CANCELLED with the job
    # (in Slurm too; the slower ASan build lost this race).  So the script
    # waits for the step to end before it does.
    wait = ("i=0; while [ $i -lt 1200 ] && squeue -h -s -j $SLURM_JOB_ID -o %i | "
            "grep -qx \"$SLURM_JOB_ID.0\"; do sleep 0.1; i=$((i + 1)); done\n")
    jid, rec, out = batch(cluster, wd, "%s %s\n%s" % (mpirun, apps[mpi], wait), "-N2", "-n4")
    assert rec["JobState"] == "COMPLETED", (rec, out)
    check_ranks(out, 4)
    steps = cluster.ok(cluster.bin("sacct"), "-j", str(jid), "-n", "-P",
                       "-o", "JobID,JobName,State", user=USER).out.split()
    assert "%s.0|%s|COMPLETED" % (jid, daemon) in steps, steps


@pytest.mark.parametrize("mpi", sorted(MPIS))
def test_mpi_abort_ends_the_step(cluster, wd, apps, mpi):
    jid, rec, out = batch(cluster, wd, "srun --mpi=%s %s abort 5\necho srun=$?\n" %
                          (MPIS[mpi][0], apps[mpi]), "-N2", "-n4")
    assert "rank 1: calling MPI_Abort(5)" in out, out
    assert "srun=5" in out, out
    rows = cluster.ok(cluster.bin("sacct"), "-j", str(jid), "-n", "-P",
                      "-o", "JobID,State,ExitCode", user=USER).out.split()
    assert "%s.0|FAILED|5:0" % jid in rows, (rows, out)


def test_rank_killed_by_a_signal_ends_the_step(cluster, wd, apps):
    r = srun(cluster, wd, "--mpi=pmix", "-N2", "-n4", apps["openmpi"], "kill",
             str(int(signal.SIGSEGV)))
    assert r.rc == 128 + signal.SIGSEGV, r
    assert re.search(r"task 1: (Segmentation fault|Killed|.*signal)", r.err), r


def step_stepd_pids(cluster, node):
    """The pids of the sluicestepd-step processes serving node."""
    where = os.path.join(cluster.dir, "spool", node) + "/"
    pids = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % p, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if (len(argv) > 1 and argv[0].endswith(b"sluicestepd-step") and
                argv[1].decode(errors="replace").startswith(where)):
            pids.append(int(p))
    return pids


def test_node_lost_mid_step_ends_the_step(cluster, wd, apps):
    """A node's stepd dies while the ranks run: srun says which node failed,
    kills the others (they could never finish an MPI program) and the step
    is recorded NODE_FAIL."""
    pw = pwd.getpwnam(USER)
    env = dict(cluster.env)
    env.update(user_env(USER))
    p = subprocess.Popen([cluster.bin("srun"), "--mpi=pmix", "-N2", "-n2", apps["openmpi"],
                          "sleep", "300"], cwd=wd, env=env, user=pw.pw_uid, group=pw.pw_gid,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        seen = 0
        while seen < 2:
            line = p.stdout.readline()
            assert line, "srun ended early: %s" % p.stderr.read()
            seen += "allreduce ok" in line
        # The ranks are in their sleep: the second node's stepd dies.
        node = [n for n in ("n1", "n2", "n3", "n4") if step_stepd_pids(cluster, n)][-1]
        for pid in step_stepd_pids(cluster, node):
            os.kill(pid, signal.SIGKILL)
        out, err = p.communicate(timeout=scaled(120))
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    assert p.returncode != 0, (p.returncode, err)
    assert "srun: error: Node failure on %s" % node in err, err
    jid = int(cluster.ok(cluster.bin("sacct"), "-n", "-X", "-P", "-o", "JobID",
                         user=USER).out.split()[-1])
    rows = cluster.ok(cluster.bin("sacct"), "-j", str(jid), "-n", "-P",
                      "-o", "JobID,State", user=USER).out.split()
    assert "%d.0|NODE_FAIL" % jid in rows, rows
