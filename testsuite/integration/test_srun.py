"""srun end to end (doc/protocol.md, "Job steps (srun, salloc)"): outside any
allocation (srun makes one and ends it) and inside sbatch; labels, the task
environment, exit codes, signals, stdin, --multi-prog, -K, bad input that
leaves the allocation intact, a step that waits for CPUs, Ctrl-C while the
allocation is pending, and the step rows of sacct.  test_srun_stream.py
checks srun's stream with a stand-in controller."""

import os
import re
import signal
import subprocess

import pytest

from conftest import BUILD, IS_ROOT, parse_pipe, scaled

pytestmark = pytest.mark.skipif(not IS_ROOT, reason="steps run as another user: needs root")

USER = "sluicea"


@pytest.fixture(scope="module")
def cluster(cluster_factory, users):
    return cluster_factory(nodes=3, cpus=4, append="KillWait=2\n")


@pytest.fixture(scope="module")
def wd(cluster):
    return cluster.mkdir("srun", user=USER)


def srun(cluster, wd, *args, **kw):
    kw.setdefault("timeout", 120)
    return cluster.run([cluster.bin("srun")] + list(args), user=USER, cwd=wd, **kw)


def batch(cluster, wd, body, *opts, env=None):
    """Run body as a batch script; return (job id, its output)."""
    out = os.path.join(wd, "out.%d.txt" % (len(os.listdir(wd)) + 1))
    path = cluster.script("#!/bin/sh\n" + body, user=USER, cwd=wd)
    jid = cluster.submit(*(list(opts) + ["-o", out, path]), user=USER, cwd=wd, env=env)
    cluster.wait_state(jid, ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT"), timeout=120)
    with open(out) as f:
        return jid, f.read()


def last_job(cluster):
    r = cluster.ok(cluster.bin("sacct"), "-X", "-n", "-P", "-o", "JobID,JobName,State,ExitCode")
    return r.out.strip().splitlines()[-1].split("|")


def test_outside_allocation_labels_sorted(cluster, wd):
    r = srun(cluster, wd, "-N2", "-n4", "-l", "sh", "-c", 'echo "$SLURMD_NODENAME"')
    assert r.rc == 0, r
    assert sorted(r.out.splitlines()) == ["0: n1", "1: n1", "2: n2", "3: n2"], r
    jid, name = last_job(cluster)[:2]
    assert name == "sh"
    rec = cluster.wait_state(int(jid), "COMPLETED", timeout=60)
    assert rec["ExitCode"] == "0:0", rec


ENV = ('echo "$SLURM_PROCID $SLURM_LOCALID $SLURM_NODEID $SLURM_NTASKS $SLURM_NNODES '
       '$SLURM_STEP_ID $SLURMD_NODENAME $SLURM_STEP_NODELIST $SLURM_JOB_ID"')


def test_task_environment(cluster, wd):
    r = srun(cluster, wd, "-N2", "-n3", "-l", "sh", "-c", ENV)
    assert r.rc == 0, r
    rows = sorted(l.split(": ", 1)[1].split() for l in r.out.splitlines())
    jid = rows[0][-1]
    assert rows == [["0", "0", "0", "3", "2", "0", "n1", "n[1-2]", jid],
                    ["1", "1", "0", "3", "2", "0", "n1", "n[1-2]", jid],
                    ["2", "0", "1", "3", "2", "0", "n2", "n[1-2]", jid]], r


def test_inside_sbatch(cluster, wd):
    jid, out = batch(cluster, wd, "srun -l sh -c '%s'\nsrun -n1 -l true\necho steps-done\n"
                     % ENV.replace("'", "'\\''"), "-N2", "-n4")
    lines = out.splitlines()
    assert lines[-1] == "steps-done", out
    ranks = sorted(l for l in lines if re.match(r"\d: ", l))
    assert [l.split()[1] for l in ranks] == ["0", "1", "2", "3"], out
    assert all(l.split()[6] == "0" and l.split()[-1] == str(jid) for l in ranks), out
    cluster.wait_state(jid, "COMPLETED", timeout=60)


def test_exit_code_is_the_highest(cluster, wd):
    r = srun(cluster, wd, "-N2", "-n3", "sh", "-c", "exit $((SLURM_PROCID + 1))")
    assert r.rc == 3, r
    assert "srun: error: n2: task 2: Exited with exit code 3" in r.err, r
    rec = cluster.wait_state(int(last_job(cluster)[0]), "FAILED", timeout=60)
    assert rec["ExitCode"] == "3:0", rec


def test_task_killed_by_signal(cluster, wd):
    r = srun(cluster, wd, "-n2", "-N1", "sh", "-c", '[ "$SLURM_PROCID" = 1 ] && kill -9 $$; :')
    assert r.rc == 128 + 9, r
    assert "srun: error: n1: task 1: Killed" in r.err, r


def test_stdin_goes_to_task_0(cluster, wd):
    r = srun(cluster, wd, "-n2", "-N2", "-l", "sh", "-c", 'read x; echo "got:$x"',
             input="hello\n")
    assert "0: got:hello" in r.out.splitlines(), r
    assert "1: got:hello" not in r.out, r


def test_multi_prog(cluster, wd):
    conf = cluster.script("0 echo zero\n1,2 sh -c 'echo task%t'\n", user=USER, cwd=wd)
    r = srun(cluster, wd, "-n3", "-N2", "-l", "--multi-prog", conf)
    assert r.rc == 0, r
    assert sorted(r.out.splitlines()) == ["0: zero", "1: task1", "2: task2"], r


def test_kill_on_bad_exit(cluster, wd):
    r = srun(cluster, wd, "-K", "-n2", "-N2", "sh", "-c",
             '[ "$SLURM_PROCID" = 1 ] && exit 6; exec sleep 300')
    assert r.rc in (6, 128 + 9), r
    assert "task 1: Exited with exit code 6" in r.err and "Terminating StepId=" in r.err, r


BAD = """srun --frobnicate true; echo "rc1=$?"
srun --mpi=unknown true; echo "rc2=$?"
srun -w n3 true; echo "rc3=$?"
srun -n99 true; echo "rc4=$?"
srun -n1 echo still-here; echo "rc5=$?"
"""


def test_bad_input_leaves_allocation_intact(cluster, wd):
    jid, out = batch(cluster, wd, BAD, "-N2", "-w", "n[1-2]")
    assert "srun: error: unrecognized option '--frobnicate'" in out, out
    assert "srun: error: Invalid MPI type 'unknown', --mpi=list for acceptable types" in out
    assert re.search(r"srun: error: Unable to create step for job %d: .+" % jid, out), out
    for i in (1, 2, 3, 4):
        assert "rc%d=1" % i in out, out
    assert "still-here\nrc5=0" in out, out
    cluster.wait_state(jid, "COMPLETED", timeout=60)


def test_step_waits_for_cpus(cluster, wd):
    body = ("srun -n2 sh -c 'sleep 3' &\n"
            "sleep 1\n"
            "srun -n1 echo second-step\n"
            "wait\n")
    jid, out = batch(cluster, wd, body, "-N1", "-n2")
    assert "second-step" in out, out
    if "temporarily disabled" in out:   # the first step still held the CPUs
        assert "srun: Job step creation temporarily disabled, retrying" in out, out
        assert "srun: Step created for StepId=%d." % jid in out, out


def test_sacct_lists_the_steps(cluster, wd):
    jid, out = batch(cluster, wd, "srun -n1 true\nsrun -n1 false\n", "-N1")
    r = cluster.ok(cluster.bin("sacct"), "-j", str(jid), "-P", "-o", "JobID,State,ExitCode")
    rows = {row["JobID"]: row for row in parse_pipe(r.out)}
    assert rows["%d.0" % jid]["State"] == "COMPLETED", rows
    assert rows["%d.1" % jid]["State"] == "FAILED" and rows["%d.1" % jid]["ExitCode"] == "1:0"


def test_ctrl_c_while_pending_cancels(cluster, wd):
    hold = cluster.submit("-N3", "--exclusive", "-o", "/dev/null", "--wrap", "sleep 300",
                          user=USER, cwd=wd)
    cluster.wait_state(hold, "RUNNING", timeout=60)
    env = dict(cluster.env)
    p = subprocess.Popen([cluster.bin("srun"), "-N1", "true"], cwd=wd, env=env,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        line = p.stderr.readline()
        m = re.match(r"srun: job (\d+) queued and waiting for resources", line)
        assert m, line
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=scaled(60))
    finally:
        if p.poll() is None:
            p.kill()
        cluster.run(cluster.bin("scancel"), str(hold))
    assert p.returncode != 0
    assert "srun: Job allocation %s has been revoked." % m.group(1) in err, err
    cluster.wait_state(int(m.group(1)), "CANCELLED", timeout=60)


def test_unsatisfiable_allocation(cluster, wd):
    r = srun(cluster, wd, "-N9", "true")
    assert r.rc == 1, r
    assert r.err.startswith("srun: error: Unable to allocate resources: "), r


def test_what_openmpi_passes_and_output_files(cluster, wd):
    body = ("srun --ntasks-per-node=1 --kill-on-bad-exit --cpu_bind=none --nodes=2 "
            "--nodelist=n[1-2] --ntasks=2 sh -c 'echo orted $SLURM_PROCID'\n"
            "srun --mpi=none --cpu-bind=none -N1 -n1 echo mpi-none\n"
            "srun -o 'f.%j.%s.%t' -n2 -N2 sh -c 'echo to-file $SLURM_PROCID'\n"
            "cat f.*\n")
    jid, out = batch(cluster, wd, body, "-N2", "-n2")
    lines = out.splitlines()
    assert sorted(lines[:2]) == ["orted 0", "orted 1"], out
    assert lines[2] == "mpi-none", out
    assert lines[3:] == ["to-file 0", "to-file 1"], out
    assert sorted(f for f in os.listdir(wd) if f.startswith("f.%d." % jid)) == \
        ["f.%d.2.0" % jid, "f.%d.2.1" % jid]


def test_input_file_and_export(cluster, wd):
    path = os.path.join(wd, "in.txt")
    with open(path, "w") as f:
        f.write("from-file\n")
    os.chmod(path, 0o644)
    r = srun(cluster, wd, "-n2", "-N2", "-l", "-i", "in.txt", "sh", "-c", 'read x; echo "$x"')
    assert r.rc == 0 and sorted(r.out.splitlines()) == ["0: from-file", "1: from-file"], r
    r = srun(cluster, wd, "-n1", "--export=NONE,ONLY=1", "sh", "-c",
             'echo "${ONLY}-${OTHER:-none}-${SLURM_PROCID}"', env={"OTHER": "x"})
    assert r.rc == 0 and r.out == "1-none-0\n", r
    r = srun(cluster, wd, "-n1", "--export=NONE", "hostname")   # found in srun's PATH
    assert r.rc == 0 and r.out.strip(), r
    r = srun(cluster, wd, "-n1", "-i", "no-such-file", "true")
    assert r.rc == 1 and "Invalid --input specification: 'no-such-file'" in r.err, r


def test_controller_restart_while_step_runs(cluster, wd):
    p = subprocess.Popen([cluster.bin("srun"), "-n1", "sh", "-c",
                          "echo started; sleep 5; echo finished"],
                         cwd=wd, env=cluster.env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, user=USER)
    try:
        assert p.stdout.readline() == "started\n"
        jid = int(last_job(cluster)[0])
        cluster.restart("controller")
        out, err = p.communicate(timeout=scaled(120))
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 0 and out == "finished\n", (out, err)
    cluster.wait_state(jid, "COMPLETED", timeout=60)
    r = cluster.ok(cluster.bin("sacct"), "-j", str(jid), "-P", "-o", "JobID,State,ExitCode")
    rows = {row["JobID"]: row for row in parse_pipe(r.out)}
    assert rows["%d.0" % jid]["State"] == "COMPLETED", rows


MPI_ENV = {"OMPI_MCA_btl": "self,tcp", "OMPI_MCA_btl_tcp_if_include": "lo"}


@pytest.fixture(scope="module")
def mpi_app(cluster, wd):
    """testsuite/mpi/mpi_app.c built with Debian's mpicc (testsuite/run installs it)."""
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "mpi",
                       "mpi_app.c")
    out = os.path.join(wd, "mpi_app")
    r = subprocess.run(["mpicc.openmpi", "-o", out, src], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    assert r.returncode == 0, r.stdout
    os.chmod(out, 0o755)
    return out


def test_mpi_through_srun_and_mpirun(cluster, wd, mpi_app):
    # The fence is exchanged through srun (the hub of the step's nodes).
    r = srun(cluster, wd, "--mpi=pmix", "-N2", "-n4", "-l", mpi_app, env=MPI_ENV)
    assert r.rc == 0, r
    assert len([l for l in r.out.splitlines() if "allreduce ok" in l]) == 4, r
    assert "ring ok" in r.out, r
    # MPI_Abort(7) on rank 1: the step ends everywhere with that status.
    r = srun(cluster, wd, "--mpi=pmix", "-N2", "-n4", mpi_app, "abort", "7", env=MPI_ENV)
    assert r.rc == 7, r
    assert "aborted the step with status 7" in r.err, r
    # mpirun inside sbatch starts its daemons with srun (OpenMPI's plm/slurm).
    jid, out = batch(cluster, wd, "mpirun %s\n" % mpi_app, "-N2", "-n4", env=MPI_ENV)
    assert len([l for l in out.splitlines() if "allreduce ok" in l]) == 4, out
    rec = cluster.wait_state(jid, "COMPLETED", timeout=60)
    assert rec["ExitCode"] == "0:0", rec
