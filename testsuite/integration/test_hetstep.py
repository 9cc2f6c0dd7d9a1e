"""Heterogeneous steps: one srun over several components of a heterogeneous
job (srun --het-group=0,1; srun A : B inside an allocation or making its
own; salloc A : B), ranks numbered across the components, the step's
environment, the highest exit status, and bad input refused with the
allocation left as it was."""

import os
import re

import pytest

from conftest import IS_ROOT, wait_for

pytestmark = pytest.mark.skipif(not IS_ROOT, reason="jobs run as another user: needs root")

USER = "sluicea"


@pytest.fixture(scope="module")
def cluster(cluster_factory, users):
    return cluster_factory(nodes=3, cpus=4, append="KillWait=2\n")


@pytest.fixture(scope="module")
def wd(cluster):
    return cluster.mkdir("hetstep", user=USER)


def batch(cluster, wd, body, header="#SBATCH -N1 -n1\n#SBATCH hetjob\n#SBATCH -N2 -n2\n"):
    script = cluster.script("#!/bin/sh\n" + header + body, user=USER, cwd=wd)
    r = cluster.run([cluster.bin("sbatch"), "--parsable", script], user=USER, cwd=wd)
    assert r.rc == 0, r
    jid = int(r.out.strip())
    cluster.wait_state(jid, "COMPLETED", timeout=90)
    path = os.path.join(wd, "slurm-%d.out" % jid)
    wait_for(lambda: os.path.exists(path), 60, "output of %d" % jid)
    with open(path) as f:
        return jid, f.read()


ENV = ("sh -c 'echo R=$SLURM_PROCID N=$SLURM_NTASKS S=$SLURM_HET_SIZE "
       "T=$SLURM_STEP_NUM_TASKS J=$SLURM_JOB_ID G=$SLURM_GTIDS'")


def test_het_group_list_spans_components(cluster, wd):
    jid, out = batch(cluster, wd,
                     "srun --het-group=1 true\n"
                     "srun --het-group=0,1 -l %s | sort\n"
                     "srun --het-group=0-1 sh -c 'exit $SLURM_PROCID'; echo rc=$?\n"
                     "srun --het-group=0,1 true; echo rc=$?\n" % ENV)
    lines = out.splitlines()
    want = ["0: R=0 N=3 S=2 T=3 J=%d G=0" % jid,
            "1: R=1 N=3 S=2 T=3 J=%d G=1" % (jid + 1),
            "2: R=2 N=3 S=2 T=3 J=%d G=2" % (jid + 1)]
    assert lines[:3] == want, out
    # the highest exit status of all tasks; srun names the global rank
    assert "rc=2" in lines and "rc=0" in lines, out
    assert re.search(r"srun: error: \S+: task 2: Exited with exit code 2", out), out
    # each component's part of a het step has the same step id, as in Slurm
    rows = cluster.run(cluster.bin("sacct"), "-P", "-n", "-j", str(jid),
                       "--format=JobID").out.split()
    # (component 1 ran a step of its own first: the het steps are 1, 2 and 3)
    want = {"%d+1.0" % jid} | {"%d+%d.%d" % (jid, k, s) for k in (0, 1) for s in (1, 2, 3)}
    assert want <= set(rows) and "%d+0.0" % jid not in rows, rows


def test_colon_groups_inside_an_allocation(cluster, wd):
    jid, out = batch(cluster, wd,
                     "srun -l sh -c 'echo A $SLURM_PROCID' : -n2 sh -c 'echo B $SLURM_PROCID'"
                     " | sort\n"
                     "srun -n1 : -n1 sh -c 'echo C $SLURM_PROCID/$SLURM_NTASKS' | sort\n")
    assert out.splitlines() == ["0: A 0", "1: B 1", "2: B 2", "C 0/2", "C 1/2"], out


def test_bad_input_refused_and_allocation_intact(cluster, wd):
    jid, out = batch(cluster, wd,
                     "srun --het-group=0,2 true; echo rc=$?\n"
                     "srun true : true : true; echo rc=$?\n"
                     "srun true : -i 0 true; echo rc=$?\n"
                     "srun --het-group=0,x true; echo rc=$?\n"
                     "srun --het-group=1 true : true; echo rc=$?\n"
                     "srun --het-group=0,1 %s | wc -l\n" % ENV)
    assert "srun: error: --het-group=0,2: component 2 does not exist: the job has 2" in out, out
    assert "srun: error: the step has 3 groups of options (':') but the job has 2" in out, out
    assert "--input applies to the whole step" in out, out
    assert "--het-group=0,x: not a list of component numbers" in out, out
    assert "--het-group cannot be combined with ':'" in out, out
    assert out.count("rc=1") == 5, out
    assert out.splitlines()[-1].strip() == "3", out


def test_srun_colon_makes_its_own_het_job(cluster, wd):
    r = cluster.run([cluster.bin("srun"), "-N1", "-l", "sh", "-c",
                     "echo $SLURM_PROCID $SLURM_HET_SIZE $SLURM_NTASKS", ":", "-N2", "-n2",
                     "sh", "-c", "echo $SLURM_PROCID $SLURM_HET_SIZE; exit 3"],
                    user=USER, cwd=wd, timeout=90)
    assert r.rc == 3, r
    assert sorted(r.out.splitlines()) == ["0: 0 2 3", "1: 1 2", "2: 2 2"], r
    m = re.search(r"n\d: task (\d+): Exited with exit code 3", r.err)
    assert m, r
    rows = cluster.run(cluster.bin("sacct"), "-X", "-P", "-n", "-u", USER,
                       "--format=JobID").out.splitlines()
    last = max(int(l.split("+")[0]) for l in rows if "+" in l)
    # one job per component, each with its part of the step as step 0 (as Slurm's
    # J+0.0 and J+1.0), ended with the step's highest exit status
    want = ["%d+0|FAILED|3:0" % last, "%d+0.0|COMPLETED|0:0" % last,
            "%d+1|FAILED|3:0" % last, "%d+1.0|FAILED|3:0" % last]
    seen = []

    def ended():
        seen[:] = sorted(cluster.run(cluster.bin("sacct"), "-P", "-n", "-j", str(last),
                                     "--format=JobID,State,ExitCode").out.splitlines())
        return seen == sorted(want)
    try:
        wait_for(ended, 60, "het job ended with the step")
    except AssertionError:
        assert seen == sorted(want), r   # says what sacct shows
    cluster.wait_nodes_idle()


def test_colon_in_a_plain_allocation(cluster, wd):
    jid, out = batch(cluster, wd, "srun true : true; echo rc=$?\nsrun --het-group=0,1 true; "
                     "echo rc=$?\nsrun -n1 true; echo rc=$?\n", header="#SBATCH -N1\n")
    assert "srun: error: the step has 2 groups of options (':') but this job is not " \
        "heterogeneous" in out, out
    assert "srun: error: --het-group=0,1: this job is not heterogeneous" in out, out
    assert [l for l in out.splitlines() if l.startswith("rc=")] == ["rc=1", "rc=1", "rc=0"], out


def test_srun_colon_bad_input(cluster, wd):
    r = cluster.run([cluster.bin("srun")] + ["true", ":"] * 5 + ["true"], user=USER, cwd=wd)
    assert r.rc == 1 and "srun: error: too many heterogeneous components: at most 5" in r.err, r
    r = cluster.run([cluster.bin("srun"), "true", ":"], user=USER, cwd=wd)
    assert r.rc == 1 and "srun: error: an empty heterogeneous step group" in r.err, r
    r = cluster.run([cluster.bin("srun"), "--het-group=0,1", "true"], user=USER, cwd=wd)
    assert r.rc == 1 and "applies only inside a heterogeneous job allocation" in r.err, r
    r = cluster.run([cluster.bin("srun"), "true", ":", "--dependency=afterok:1", "true"],
                    user=USER, cwd=wd)
    assert r.rc == 1 and r.err.startswith("srun: error: ") and \
        "het component 1: dependency applies to the whole heterogeneous job" in r.err, r
    assert cluster.run(cluster.bin("squeue"), "-h", "-u", USER).out == ""


def test_salloc_colon(cluster, wd):
    r = cluster.run([cluster.bin("salloc"), "-N1", ":", "-N1", "sh", "-c",
                     "echo SIZE=$SLURM_HET_SIZE ID1=$SLURM_JOB_ID_HET_GROUP_1 ID=$SLURM_JOB_ID;"
                     " srun --het-group=0,1 -l sh -c 'echo $SLURM_PROCID $SLURM_JOB_ID' | sort"],
                    user=USER, cwd=wd, timeout=90)
    assert r.rc == 0, r
    m = re.search(r"salloc: Granted job allocation (\d+)", r.err)
    assert m, r
    jid = int(m.group(1))
    assert r.out.splitlines() == ["SIZE=2 ID1=%d ID=%d" % (jid + 1, jid),
                                  "0: 0 %d" % jid, "1: 1 %d" % (jid + 1)], r
    r = cluster.run([cluster.bin("salloc"), "-N1", ":", "-Q", "-N1", "true"], user=USER, cwd=wd)
    assert r.rc == 1 and "salloc: error: heterogeneous job component 1: quiet applies" in r.err, r


def test_scontrol_show_job_het_fields(cluster, wd):
    r = cluster.run([cluster.bin("sbatch"), "--parsable", "-J", "hetshow", "--wrap", "sleep 300",
                     "-N1", ":", "-N1"], user=USER, cwd=wd)
    assert r.rc == 0, r
    jid = int(r.out.strip())
    try:
        cluster.wait_state(jid, "RUNNING")
        for k in (0, 1):
            out = cluster.ok(cluster.bin("scontrol"), "show", "job", str(jid + k)).out
            first = out.splitlines()[0]
            assert first == "JobId=%d HetJobId=%d HetJobOffset=%d JobName=hetshow" % (
                jid + k, jid, k), out
            assert out.splitlines()[1] == "   HetJobIdSet=%d-%d" % (jid, jid + 1), out
            assert out.splitlines()[2].startswith("   UserId="), out
        plain = cluster.ok(cluster.bin("scontrol"), "show", "job", str(jid), "-o").out
        assert "HetJobIdSet=%d-%d UserId=" % (jid, jid + 1) in plain, plain
    finally:
        cluster.ok(cluster.bin("scancel"), str(jid), user=USER)
    cluster.wait_nodes_idle()


@pytest.mark.parametrize("mpi, mpicc", [("pmix", "mpicc.openmpi"), ("pmi1", "mpicc.mpich")])
def test_mpi_program_spans_the_components(cluster, wd, mpi, mpicc):
    import shutil
    import subprocess
    from conftest import REPO
    assert shutil.which(mpicc), "%s is missing (testsuite/run installs it)" % mpicc
    app = os.path.join(wd, "mpi_app." + mpi)
    subprocess.run([mpicc, "-o", app, os.path.join(REPO, "testsuite", "mpi", "mpi_app.c")],
                   check=True)
    os.chmod(app, 0o755)
    # one MPI_COMM_WORLD over a 1-node and a 2-node component, MPMD style
    r = cluster.run([cluster.bin("srun"), "--mpi=" + mpi, "-N1", "-n1", app, ":",
                     "-N2", "-n2", app], user=USER, cwd=wd, timeout=180)
    assert r.rc == 0, r
    for k in range(3):
        assert re.search(r"^rank %d: allreduce ok" % k, r.out, re.M), r
        assert re.search(r"^rank %d: of 3 on" % k, r.out, re.M), r
    assert re.search(r"^rank 0: ring ok", r.out, re.M), r
    cluster.wait_nodes_idle()


def test_signal_to_srun_ends_every_component(cluster, wd):
    import subprocess
    from conftest import scaled
    p = subprocess.Popen([cluster.bin("srun"), "-N1", "sh", "-c", "echo up; exec sleep 300",
                          ":", "-N1", "sleep", "300"],
                         cwd=wd, env=cluster.env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, user=USER)
    try:
        assert p.stdout.readline() == "up\n"
        wait_for(lambda: len(cluster.run(cluster.bin("squeue"), "-h", "-s").out.split("\n")) > 2,
                 60, "both components' steps")
        p.terminate()   # SIGTERM to srun only: it passes it to each component's srun
        out, err = p.communicate(timeout=scaled(60))
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode != 0, (out, err)
    wait_for(lambda: cluster.run(cluster.bin("squeue"), "-h", "-u", USER).out == "", 60,
             "the het job gone")
    cluster.wait_nodes_idle()


def test_kill_on_bad_exit_ends_every_component(cluster, wd):
    # -K in the first group applies to all: component 0's failed task ends
    # component 1's step too, at once rather than when its sleep ends
    r = cluster.run([cluster.bin("srun"), "-K", "-N1", "sh", "-c", "exit 3", ":", "-N1",
                     "sleep", "300"], user=USER, cwd=wd, timeout=120)
    assert r.rc in (3, 128 + 9), r
    assert "task 0: Exited with exit code 3" in r.err, r
    assert re.search(r"Terminating StepId=\d+\.0: another component of the heterogeneous "
                     r"step ended it", r.err), r
    cluster.wait_nodes_idle()


@pytest.fixture(scope="module")
def mpich_app(wd):
    import shutil
    import subprocess
    from conftest import REPO
    assert shutil.which("mpicc.mpich"), "mpicc.mpich is missing (testsuite/run installs it)"
    app = os.path.join(wd, "mpi_app.abort")
    subprocess.run(["mpicc.mpich", "-o", app, os.path.join(REPO, "testsuite", "mpi",
                                                             "mpi_app.c")], check=True)
    os.chmod(app, 0o755)
    return app


def test_mpi_abort_ends_every_component(cluster, wd, mpich_app):
    app = mpich_app
    # rank 1 (component 1) calls MPI_Abort(5); rank 0 (component 0) waits in a
    # barrier that never passes: its step ends with the abort's status too
    r = cluster.run([cluster.bin("srun"), "--mpi=pmi1", "-N1", "-n1", app, "abort", "5", ":",
                     "-N1", "-n1", app, "abort", "5"], user=USER, cwd=wd, timeout=120)
    assert r.rc == 5, r
    assert "rank 1: calling MPI_Abort(5)" in r.out, r
    assert "aborted the step with status 5" in r.err, r
    rows = cluster.run(cluster.bin("sacct"), "-X", "-P", "-n", "-u", USER,
                       "--format=JobID").out.splitlines()
    last = max(int(l.split("+")[0]) for l in rows if "+" in l)
    seen = []

    def ended():
        seen[:] = cluster.run(cluster.bin("sacct"), "-P", "-n", "-j", str(last),
                              "--format=JobID,State,ExitCode").out.splitlines()
        return {"%d+0.0|FAILED|5:0" % last, "%d+1.0|FAILED|5:0" % last} <= set(seen)
    try:
        wait_for(ended, 60, "both components' steps ended with the abort's status")
    except AssertionError:
        assert ended(), (seen, r)
    cluster.wait_nodes_idle()


def test_input_all_and_a_global_rank(cluster, wd):
    # -i all: every component's tasks read srun's stdin (each its own copy);
    # -i N: the task of global rank N, whichever component holds it
    jid, out = batch(cluster, wd,
                     "printf 'hi\\nthere\\n' | srun -l -i all cat : -n2 cat | sort\n"
                     "echo two | srun -l -i 2 sh -c 'cat; echo end' : -n2 sh -c 'cat; echo end'"
                     " | sort\n"
                     "echo one | srun -l --het-group=0,1 -i 1 sh -c 'cat; echo end' | sort\n")
    want = sorted("%d: %s" % (k, w) for k in range(3) for w in ("hi", "there"))
    want += ["0: end", "1: end", "2: end", "2: two"]
    want += ["0: end", "1: end", "1: one", "2: end"]
    assert out.splitlines() == want, out


def test_multi_prog_names_the_step_ranks(cluster, wd):
    # the file's ranks are the whole step's, over the components; %t too
    conf = os.path.join(wd, "mp.conf")
    with open(conf, "w") as f:
        f.write("0 echo zero %t\n1-2 sh -c 'echo rest %t $SLURM_PROCID'\n")
    short = os.path.join(wd, "mp_short.conf")
    with open(short, "w") as f:
        f.write("0-1 true\n")
    jid, out = batch(cluster, wd,
                     "srun -l --multi-prog %s : -n2 | sort\n"
                     "srun -l --het-group=0,1 --multi-prog %s | sort\n"
                     "srun --multi-prog %s : -n2; echo rc=$?\n"
                     "srun true : --multi-prog -n2 %s; echo rc=$?\n"
                     "srun -n1 true; echo rc=$?\n" % (conf, conf, short, conf))
    lines = out.splitlines()
    want = ["0: zero 0", "1: rest 1 1", "2: rest 2 2"]
    assert lines[:6] == want + want, out
    assert "Missing task ID(s) in configuration file %s: 2" % short in out, out
    assert "heterogeneous step group 1: --multi-prog applies to the whole step" in out, out
    assert [l for l in lines if l.startswith("rc=")] == ["rc=1", "rc=1", "rc=0"], out


def test_mpi_rank_killed_by_a_signal_ends_every_component(cluster, wd, mpich_app):
    import signal
    # rank 1 (component 1) dies of SIGSEGV; rank 0 (component 0) waits in a
    # barrier: the whole step ends, as a plain step's does
    r = cluster.run([cluster.bin("srun"), "--mpi=pmi1", "-N1", "-n1", mpich_app, "kill",
                     str(int(signal.SIGSEGV)), ":", "-N1", "-n1", mpich_app, "kill",
                     str(int(signal.SIGSEGV))], user=USER, cwd=wd, timeout=120)
    assert r.rc == 128 + signal.SIGSEGV, r
    assert re.search(r"task 1: (Segmentation fault|Killed|.*signal)", r.err), r
    assert "another component of the heterogeneous step ended it" in r.err, r
    cluster.wait_nodes_idle()
