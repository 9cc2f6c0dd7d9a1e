"""Option parsing of every command (issue 13): short options combine
(-Nel, -nXP, -hl), and a wrong one is named by itself, never by the
program's name or a neighbouring argument (sinfo -Nel said "unrecognized
option 'sinfo'")."""

import pytest


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=1, cpus=2)


# A flag each command takes without an argument, to lead the group.
FLAG = {"squeue": "h", "sinfo": "h", "sacct": "n", "scancel": "v", "sprio": "h", "sshare": "h",
        "scontrol": "o"}


@pytest.mark.parametrize("cmd", sorted(FLAG))
def test_bad_letter_in_a_group_is_named(cluster, cmd):
    r = cluster.run(cluster.bin(cmd), "-%s9%s" % (FLAG[cmd], FLAG[cmd]))
    assert r.rc != 0, r
    assert ("%s: invalid option -- '9'" % cmd) in r.err, r
    assert "'%s'" % cmd not in r.err and "Try \"%s --help\"" % cmd in r.err, r


@pytest.mark.parametrize("cmd", sorted(FLAG))
def test_unknown_long_option_is_named(cluster, cmd):
    r = cluster.run(cluster.bin(cmd), "--definitely-not")
    assert r.rc != 0 and "%s: unrecognized option '--definitely-not'" % cmd in r.err, r


def test_missing_argument_is_named(cluster):
    r = cluster.run(cluster.bin("sacct"), "-n", "-S")
    assert r.rc == 1 and "sacct: option requires an argument -- 'S'" in r.err, r
    r = cluster.run(cluster.bin("squeue"), "--format")
    assert r.rc == 1 and "squeue: option '--format' requires an argument" in r.err, r


def test_groups_work(cluster):
    jid = cluster.submit("-o", "/dev/null", "--wrap", "true")
    cluster.wait_state(jid, "COMPLETED")
    r = cluster.ok(cluster.bin("sacct"), "-nXP", "-j", str(jid), "--format=JobID,State")
    assert r.out == "%d|COMPLETED\n" % jid, r
    r = cluster.ok(cluster.bin("sinfo"), "-hNl")
    assert r.out.split()[0] == "n1", r


# Options that only tune performance on Slurm: a script written for Slurm
# must run, with one warning line each, never rejected (issue 13).
NO_EFFECT = ["--ntasks-per-core=1", "--get-user-env", "--cpu-freq=high", "--switches=1",
             "-m cyclic", "--mem-bind=local", "--gpu-bind=closest", "--gres-flags=enforce-binding",
             "--sockets-per-node=1", "--cores-per-socket=2", "--ntasks-per-socket=1",
             "--wait-all-nodes=1", "--spread-job", "--use-min-nodes", "--ignore-pbs",
             "--prefer=fast", "--oversubscribe"]


def test_performance_options_run_with_one_warning(cluster):
    out = cluster.work + "/noeffect.out"
    body = "#!/bin/bash\n" + "".join("#SBATCH %s\n" % o for o in NO_EFFECT) + \
        "#SBATCH -Q\n#SBATCH -o %s\necho ran\n" % out
    r = cluster.run(cluster.bin("sbatch"), cluster.script(body))
    assert r.rc == 0, r
    # #SBATCH -Q does not hide the id (as Slurm: -Q counts on the command line only)
    jid = int(r.out.split()[-1])
    warned = [ln for ln in r.err.splitlines() if ln.startswith("sbatch: warning: --")]
    assert len(warned) == len(NO_EFFECT), r
    for o in NO_EFFECT:
        name = o.split("=")[0].split()[0]
        name = "--distribution" if name == "-m" else name
        assert any(ln.startswith("sbatch: warning: %s has no effect here: " % name)
                   for ln in warned), (o, r)
    cluster.wait_state(jid, "COMPLETED")
    assert open(out).read() == "ran\n"


def test_srun_oversubscribe_runs_with_one_warning(cluster):
    """-s/--oversubscribe: Slurm's partitions default to OverSubscribe=NO,
    where it has no effect either; Sluice's never share CPUs."""
    for opt in ("-s", "--oversubscribe"):
        r = cluster.run(cluster.bin("srun"), opt, "echo", "ran")
        assert r.rc == 0 and r.out == "ran\n", r
        assert [ln for ln in r.err.splitlines() if "warning" in ln] == [
            "srun: warning: --oversubscribe has no effect here: jobs never share CPUs "
            "(partitions are OverSubscribe=NO)"], r


def test_mincpus_is_a_per_node_cpu_floor(cluster):
    """--mincpus N: at least N CPUs held on each node (as Slurm's), so a
    one-task job holds N; more than any node has is refused at submit."""
    out = cluster.work + "/mincpus.out"
    jid = cluster.submit("-n", "1", "--mincpus=2", "-o", out, "--wrap",
                         "echo $SLURM_CPUS_ON_NODE; srun --mincpus=2 true || echo refused")
    cluster.wait_state(jid, "COMPLETED")
    assert open(out).read().splitlines()[0] == "2"
    assert open(out).read().splitlines()[-1] == "refused"
    r = cluster.ok(cluster.bin("sacct"), "-nXP", "-j", str(jid), "-o", "AllocCPUS")
    assert r.out == "2\n", r
    r = cluster.run(cluster.bin("srun"), "--mincpus", "2", "sh", "-c", "echo $SLURM_JOB_ID")
    assert r.rc == 0, r
    r = cluster.ok(cluster.bin("sacct"), "-nXP", "-j", r.out.strip(), "-o", "AllocCPUS")
    assert r.out == "2\n", r
    r = cluster.run(cluster.bin("sbatch"), "--mincpus=3", "--wrap", "true")
    assert r.rc == 1 and "--mincpus=3, the nodes of partition" in r.err, r
    for bad in ("--mincpus=x", "--mincpus=-1"):
        r = cluster.run(cluster.bin("srun"), bad, "true")
        assert r.rc == 1 and "Invalid --mincpus" in r.err, r


def test_quiet_hides_the_job_id_and_warnings(cluster):
    r = cluster.run(cluster.bin("sbatch"), "-Q", "--cpu-freq=high", "-o", "/dev/null",
                    "--wrap", "true")
    assert r.rc == 0 and r.out == "" and r.err == "", r
    r = cluster.run(cluster.bin("sbatch"), "--quiet", "--parsable", "-o", "/dev/null",
                    "--wrap", "true")
    assert r.rc == 0 and r.out == "", r


def test_batch_distribution_reaches_the_steps(cluster):
    out = cluster.work + "/dist.out"
    jid = cluster.submit("-m", "block:cyclic", "-o", out, "--wrap", "echo $SLURM_DISTRIBUTION")
    cluster.wait_state(jid, "COMPLETED")
    assert open(out).read() == "block:cyclic\n"


@pytest.mark.parametrize("bad", ["--switches=x", "--ntasks-per-core=many", "-m bogus"])
def test_no_effect_options_still_check_their_values(cluster, bad):
    r = cluster.run([cluster.bin("sbatch")] + bad.split() + ["--wrap", "true"])
    assert r.rc == 1 and "sbatch: error: Invalid --" in r.err, r


def test_srun_jobid_runs_a_step_in_a_running_job(cluster):
    jid = cluster.submit("-o", "/dev/null", "--wrap", "sleep 120")
    cluster.wait_state(jid, "RUNNING")
    r = cluster.run(cluster.bin("srun"), "--jobid=%d" % jid, "sh", "-c", "echo $SLURM_JOB_ID")
    assert r.rc == 0 and r.out == "%d\n" % jid, r
    cluster.ok(cluster.bin("scancel"), str(jid))
    cluster.wait_state(jid, "CANCELLED")
    r = cluster.run(cluster.bin("srun"), "--jobid=%d" % jid, "true")
    assert r.rc == 1 and "Job is not running" in r.err, r
    r = cluster.run(cluster.bin("srun"), "--jobid=nope", "true")
    assert r.rc == 1 and "Invalid --jobid specification: 'nope'" in r.err, r


def test_verbose_and_node_filters_accepted(cluster):
    # Options Slurm scripts pass that only change chatter: accepted.
    for argv in (["scontrol", "-v", "show", "partition"], ["sacct", "-v", "-X", "-n"],
                 ["sbatch", "-v", "-o", "/dev/null", "--wrap", "true"]):
        r = cluster.run([cluster.bin(argv[0])] + argv[1:])
        assert r.rc == 0, (argv, r)
