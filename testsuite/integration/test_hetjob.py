"""Heterogeneous jobs end to end: "#SBATCH hetjob" and ":" components, all
started together on disjoint nodes or none, SLURM_*_HET_GROUP_k in the
script, srun --het-group, J+k in squeue and sacct, scancel of the whole,
the component limit and the options only the first component may take."""

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
    return cluster.mkdir("het", user=USER)


def sbatch(cluster, wd, *args):
    return cluster.run([cluster.bin("sbatch")] + list(args), user=USER, cwd=wd)


def submit(cluster, wd, *args):
    r = sbatch(cluster, wd, "--parsable", *args)
    assert r.rc == 0, r
    return int(r.out.strip())


def out_of(wd, jid, timeout=60):
    path = os.path.join(wd, "slurm-%d.out" % jid)
    wait_for(lambda: os.path.exists(path), timeout, "output of %d" % jid)
    with open(path) as f:
        return f.read()


ENV_SCRIPT = """#!/bin/sh
#SBATCH -N1 -n1 -J hetenv
#SBATCH hetjob
#SBATCH -N2 -n4 -c1
echo "SIZE=$SLURM_HET_SIZE JOB=$SLURM_JOB_ID"
echo "G0=$SLURM_JOB_ID_HET_GROUP_0 $SLURM_JOB_NODELIST_HET_GROUP_0 $SLURM_NNODES_HET_GROUP_0"
echo "G1=$SLURM_JOB_ID_HET_GROUP_1 $SLURM_JOB_NODELIST_HET_GROUP_1 $SLURM_NNODES_HET_GROUP_1 $SLURM_NTASKS_HET_GROUP_1"
srun --het-group=1 -l sh -c 'echo $SLURMD_NODENAME' | sort
srun sh -c 'echo $SLURMD_NODENAME'
"""


def test_script_components_env_and_het_group(cluster, wd):
    script = cluster.script(ENV_SCRIPT, user=USER, cwd=wd)
    jid = submit(cluster, wd, script)
    cluster.wait_state(jid, "COMPLETED", timeout=60)
    out = out_of(wd, jid)
    lines = out.splitlines()
    assert lines[0] == "SIZE=2 JOB=%d" % jid, out
    g0 = lines[1].split()
    g1 = lines[2].split()
    assert g0[0] == "G0=%d" % jid and g0[2] == "1", out
    assert g1[0] == "G1=%d" % (jid + 1) and g1[2:] == ["2", "4"], out
    n0 = g0[1]
    assert len(lines) == 8 and lines[7] == n0, out   # plain srun: component 0
    ranks = sorted(tuple(l.split(": ")) for l in lines[3:7])
    assert [r[0] for r in ranks] == ["0", "1", "2", "3"], out
    # Component 1's own nodes, disjoint from component 0's.
    assert {r[1] for r in ranks} == set(cluster.nodes) - {n0}, out


def squeue_rows(cluster, jid):
    r = cluster.run(cluster.bin("squeue"), "-h", "-j", str(jid), "-o", "%i %T %D")
    assert r.rc == 0, r
    return sorted(r.out.split("\n")[:-1])


def sacct_states(cluster, jid):
    r = cluster.run(cluster.bin("sacct"), "-X", "-P", "-n", "-j", str(jid),
                    "--format=JobID,State")
    assert r.rc == 0, r
    # "CANCELLED by 1001": the state's first word
    return sorted(l.split(" ")[0] for l in r.out.splitlines())


def test_command_line_components_display_and_scancel(cluster, wd):
    jid = submit(cluster, wd, "--wrap", "sleep 300", "-N1", ":", "-N2", "-n2")
    wait_for(lambda: squeue_rows(cluster, jid) == ["%d+0 RUNNING 1" % jid,
                                                   "%d+1 RUNNING 2" % jid],
             60, "both components running")
    # J+k names one component; J the whole het job.
    assert squeue_rows(cluster, "%d+1" % jid) == ["%d+1 RUNNING 2" % jid]
    cluster.ok(cluster.bin("scancel"), str(jid), user=USER)
    want = ["%d+0|CANCELLED" % jid, "%d+1|CANCELLED" % jid]
    wait_for(lambda: sacct_states(cluster, jid) == want, 60, "both components cancelled")
    cluster.wait_nodes_idle()


def test_all_components_start_together_or_wait(cluster, wd):
    blocker = submit(cluster, wd, "-N2", "--exclusive", "--wrap", "sleep 300")
    cluster.wait_state(blocker, "RUNNING")
    jid = submit(cluster, wd, "-N1", "--wrap", "true", ":", "-N2")
    # One node is free: component 0 would fit alone, but nothing starts.
    rec = cluster.wait_state(jid, "PENDING")
    assert rec.get("Reason") == "Resources", rec
    assert cluster.state(jid + 1) == "PENDING"
    # sched/builtin never overtakes: a small job behind it waits although a node is free,
    # so the het job cannot be starved by jobs that fit in what frees up.
    small = submit(cluster, wd, "-N1", "--wrap", "true")
    rec = cluster.wait_state(small, "PENDING")
    wait_for(lambda: (cluster.job(small) or {}).get("Reason") == "Priority", 30,
             "the small job waiting behind the het job")
    cluster.ok(cluster.bin("scancel"), str(blocker), user=USER)
    want = ["%d+0|COMPLETED" % jid, "%d+1|COMPLETED" % jid]
    wait_for(lambda: sacct_states(cluster, jid) == want, 60, "het job to start and end")
    cluster.wait_state(small, "COMPLETED")
    cluster.wait_nodes_idle()


def test_backfill_reserves_a_het_job_as_a_whole(cluster_factory, users):
    """sched/backfill: a het job that cannot start gets a reservation where all its
    components fit at once; a long job that would take a reserved node waits behind it
    (Priority), a short one that ends before the reservation backfills."""
    bf = cluster_factory(nodes=3, cpus=4, append="KillWait=2\nSchedulerType=sched/backfill\n")
    d = bf.mkdir("hetbf", user=USER)
    blocker = submit(bf, d, "-N2", "--exclusive", "-t", "5", "--wrap", "sleep 300")
    bf.wait_state(blocker, "RUNNING")
    het = submit(bf, d, "-N1", "-t", "10", "--wrap", "true", ":", "-N2", "-t", "10")
    bf.wait_state(het, "PENDING")
    wait_for(lambda: "reserved in" in (bf.job(het) or {}).get("Explanation", ""), 30,
             "the het job's reservation")
    # Whole nodes: on a shared node they would fit beside the reserved CPU.
    long_job = submit(bf, d, "-N1", "--exclusive", "-t", "30", "--wrap", "sleep 300")
    short_job = submit(bf, d, "-N1", "--exclusive", "-t", "1", "--wrap", "true")
    bf.wait_state(short_job, "COMPLETED")
    wait_for(lambda: (bf.job(long_job) or {}).get("Reason") == "Priority", 30,
             "the long job waiting behind the het job's reservation")
    assert bf.state(long_job) == "PENDING"
    bf.ok(bf.bin("scancel"), str(blocker), user=USER)
    want = ["%d+0|COMPLETED" % het, "%d+1|COMPLETED" % het]
    wait_for(lambda: sacct_states(bf, het) == want, 60, "the het job to start and end")
    bf.ok(bf.bin("scancel"), str(long_job), user=USER)


@pytest.mark.parametrize("args, script, msg", [
    (["-N1", ":", "-N1", ":", "-N1", ":", "-N1", ":", "-N1", ":", "-N1"], None,
     "at most 5 components (this one has 6)"),
    (["--array=1-2", "-N1", ":", "-N1"], None, "job arrays cannot be heterogeneous"),
    (["-N1", ":", "-N1", "--dependency=afterok:1"], None,
     "het component 1: dependency applies to the whole heterogeneous job"),
    (["-N1", ":", "--parsable", "-N1"], None, "component 1: parsable applies to the whole"),
    ([], "#!/bin/sh\n#SBATCH -N1\n#SBATCH hetjob\n#SBATCH -N1 --array=1-3\ntrue\n",
     "het component 1: array applies to the whole heterogeneous job"),
    (["-N1", ":", "-N9"], None, "het component 1"),
])
def test_refused_with_a_clear_message(cluster, wd, args, script, msg):
    if script:
        argv = args + [cluster.script(script, user=USER, cwd=wd)]
    else:
        argv = args + ["--wrap", "true"] if ":" not in args else \
            args[:1] + ["--wrap", "true"] + args[1:]
    r = sbatch(cluster, wd, *argv)
    assert r.rc != 0 and msg in r.err, r
    assert r.err.startswith("sbatch: error: "), r


def test_srun_het_group_errors(cluster, wd):
    script = cluster.script("#!/bin/sh\n#SBATCH -N1\n#SBATCH hetjob\n#SBATCH -N1\n"
                            "srun --het-group=2 true; echo rc=$?\n"
                            "srun --het-group=0,3 true; echo rc=$?\n", user=USER, cwd=wd)
    jid = submit(cluster, wd, script)
    cluster.wait_state(jid, "COMPLETED", timeout=60)
    out = out_of(wd, jid)
    assert "srun: error: --het-group=2: the job has 2 components (0 to 1)" in out, out
    assert "--het-group=0,3: component 3 does not exist" in out, out
    assert out.count("rc=1") == 2, out


def test_survives_controller_restart(cluster, wd):
    jid = submit(cluster, wd, "--wrap", "sleep 300", "-N1", ":", "-N1")
    running = ["%d+0 RUNNING 1" % jid, "%d+1 RUNNING 1" % jid]
    wait_for(lambda: squeue_rows(cluster, jid) == running, 60, "both running")
    cluster.restart("controller")
    wait_for(lambda: squeue_rows(cluster, jid) == running, 60, "both running after restart")
    cluster.ok(cluster.bin("scancel"), "%d+1" % jid, user=USER)   # a component: the whole
    want = ["%d+0|CANCELLED" % jid, "%d+1|CANCELLED" % jid]
    wait_for(lambda: sacct_states(cluster, jid) == want, 60, "both cancelled")
    cluster.wait_nodes_idle()
