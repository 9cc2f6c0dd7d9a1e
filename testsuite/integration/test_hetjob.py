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
