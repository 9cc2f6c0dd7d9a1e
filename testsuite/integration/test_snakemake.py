"""Snakemake 7.x's built-in Slurm executor (`snakemake --slurm`, Debian's
snakemake) driving Sluice, with Sluice's commands first on PATH.

What the executor runs (snakemake/executors/slurm/slurm_submit.py, 7.21):
`sinfo -o %P` (the default partition, marked *), `sacct -nu USER -o
Account%20` (to guess an account), `sbatch -J ... -o ... --export=ALL -p P
-t T --mem M --cpus-per-task=N -D DIR --wrap=...` (the id is the last word
of its output), then per job `sacct -P -n --format=JobIdRaw,State -j ID`
with `scontrol show jobid -dd ID` as the fallback; inside the job, `srun -n1
--cpu-bind=q snakemake --slurm-jobstep ...`.  With `slurm_account` it first
checks the account with `sacctmgr -n -s list user USER format=account%20`
(Sluice's sacctmgr, first on PATH): see test_slurm_account*.

`--max-status-checks-per-second 1`: above 1, 7.21 forces 0.03/s (one
sacct per 33 s), and the test would wait minutes for nothing.
"""

import getpass
import os
import shutil

import pytest

from conftest import wait_for  # noqa: F401  (the harness's conventions)

SNAKEMAKE = shutil.which("snakemake", path="/usr/bin")

pytestmark = pytest.mark.skipif(SNAKEMAKE is None,
                                reason="snakemake not installed (apt-get install snakemake)")

FANOUT = """
SAMPLES = ["a", "b", "c", "d"]

rule all:
    input: "total.txt"

rule part:
    output: "part_{s}.txt"
    shell: "echo {wildcards.s} $SLURM_JOB_ID > {output}"

rule aggregate:
    input: expand("part_{s}.txt", s=SAMPLES)
    output: "total.txt"
    shell: "cat {input} > {output}"
"""

FAILING = """
rule all:
    input: "good.txt", "bad.txt"

rule good:
    output: "good.txt"
    shell: "echo ok > {output}"

rule bad:
    output: "bad.txt"
    shell: "echo failing on purpose >&2; exit 3"
"""


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=2, cpus=4, mem=4000)


def snakemake(cluster, snakefile, name, extra=(), timeout=120):
    d = cluster.mkdir(name)
    with open(os.path.join(d, "Snakefile"), "w") as f:
        f.write(snakefile)
    argv = [SNAKEMAKE, "--slurm", "--jobs", "5", "--max-status-checks-per-second", "1",
            "--latency-wait", "10", "--default-resources", "runtime=5", "mem_mb=100"] + \
        list(extra)
    # The executor reads $USER (KeyError without it).
    r = cluster.run(argv, cwd=d, env={"USER": getpass.getuser(), "HOME": d}, timeout=timeout)
    return d, r


def test_fanout_aggregate(cluster):
    d, r = snakemake(cluster, FANOUT, "fanout")
    assert r.rc == 0, r
    log = r.out + r.err
    assert "6 of 6 steps (100%) done" in log, r
    ids = set()
    for s in "abcd":
        with open(os.path.join(d, "part_%s.txt" % s)) as f:
            word, jid = f.read().split()
        assert word == s
        ids.add(jid)
    assert len(ids) == 4, "each part ran in a job of its own: %s" % ids
    with open(os.path.join(d, "total.txt")) as f:
        assert f.read().split()[::2] == list("abcd")
    # Every job Snakemake submitted ended COMPLETED in Sluice's accounting.
    for jid in ids:
        assert cluster.sacct(jid)["State"] == "COMPLETED"


def test_failing_rule_detected(cluster):
    d, r = snakemake(cluster, FAILING, "failing", extra=["--keep-going"])
    assert r.rc != 0, r
    log = r.out + r.err
    assert "SLURM status is: 'FAILED'" in log, r
    assert os.path.exists(os.path.join(d, "good.txt")), r
    assert not os.path.exists(os.path.join(d, "bad.txt")), r
    assert "1 of 3 steps" in log or "Exiting because a job execution failed" in log, r


def sacctmgr(cluster, *args):
    r = cluster.run([cluster.bin("sacctmgr"), "-Q"] + list(args))
    assert r.rc == 0, r


@pytest.fixture
def lab_account(cluster):
    """Account lab with the test's user in it; removed afterwards."""
    sacctmgr(cluster, "add", "account", "lab", "Description=snakemake tests")
    sacctmgr(cluster, "add", "account", "other")
    sacctmgr(cluster, "add", "user", getpass.getuser(), "account=other")
    sacctmgr(cluster, "add", "user", getpass.getuser(), "account=lab")
    yield "lab"
    sacctmgr(cluster, "delete", "user", getpass.getuser())
    sacctmgr(cluster, "delete", "account", "lab,other")


def test_slurm_account(cluster, lab_account):
    """slurm_account=lab, an account the user has: Snakemake checks it with
    sacctmgr, submits with -A lab, reads every job's status, and the jobs
    carry the account in sacct."""
    d, r = snakemake(cluster, FANOUT, "account", extra=["--default-resources", "runtime=5",
                                                        "mem_mb=100", "slurm_account=lab"])
    assert r.rc == 0, r
    log = r.out + r.err
    assert "6 of 6 steps (100%) done" in log, r
    assert "appears to be invalid" not in log, r
    for s in "abcd":
        with open(os.path.join(d, "part_%s.txt" % s)) as f:
            jid = f.read().split()[1]
        rec = cluster.sacct(jid, "JobID,State,Account")
        assert rec["State"] == "COMPLETED" and rec["Account"] == "lab", rec


def test_slurm_account_invalid(cluster, lab_account):
    """slurm_account=nolab, an account the user lacks: Snakemake's own error
    lists the accounts sacctmgr gave, and nothing is submitted."""
    before = cluster.queue_ids()
    d, r = snakemake(cluster, FANOUT, "badaccount", extra=["--default-resources", "runtime=5",
                                                           "mem_mb=100", "slurm_account=nolab"])
    log = r.out + r.err
    assert r.rc != 0, r
    assert "The given account nolab appears to be invalid. Available accounts:\nother, lab" \
        in log, r
    assert cluster.queue_ids() == before
    assert not os.path.exists(os.path.join(d, "part_a.txt"))
