"""The Slurm face's commands (issue 13): --version on every command,
scontrol show job's forms (-o and -dd anywhere, jobid, --json and --yaml in
Slurm 22.05's shape), scontrol update JobId= of the fields users may change
on a pending job (others refused by name), sstat, sbcast and sattach."""

import json
import os
import re

import pytest

from conftest import parse_kv, wait_for

COMMANDS = ("sbatch", "squeue", "sinfo", "scancel", "scontrol", "sacct", "sprio", "sshare",
            "srun", "salloc", "seff", "sstat", "sbcast", "sattach", "sacctmgr")


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=2, cpus=4, append="KillWait=2\nJobAcctGatherFrequency=1\n")


@pytest.fixture(scope="module")
def held(cluster):
    """A pending (held) job the update tests change."""
    jid = cluster.submit("-H", "-J", "held", "-o", "/dev/null", "--wrap", "true")
    yield jid
    cluster.run(cluster.bin("scancel"), str(jid))


def test_version_everywhere(cluster):
    for cmd in COMMANDS:
        for opt in ("--version", "-V"):
            r = cluster.run(cluster.bin(cmd), opt)
            # Tools read "slurm X.Y.Z" (Snakemake, cut -d' ' -f2).
            assert r.rc == 0 and re.fullmatch(r"slurm 22\.05\.\d+ \(sluice \d+\.\d+\.\d+\)\n",
                                              r.out), (cmd, opt, r)


def test_show_job_forms(cluster, held):
    sj = cluster.bin("scontrol")
    full = cluster.ok(sj, "show", "job", str(held)).out
    assert "JobId=%d " % held in full and "\n   " in full
    for argv in (("show", "job", "-o", str(held)), ("-o", "show", "job", str(held)),
                 ("show", "job", str(held), "-o"), ("show", "job", str(held), "--oneliner")):
        r = cluster.ok(sj, *argv)
        assert r.out.count("\n") == 1 and r.out.startswith("JobId=%d " % held), (argv, r)
    # Snakemake's fallback: show jobid -dd ID.
    r = cluster.ok(sj, "show", "jobid", "-dd", str(held))
    assert parse_kv(r.out)["JobState"] == "PENDING", r
    r = cluster.run(sj, "show", "job", str(held), "--bogus")
    assert r.rc == 1 and "unknown option '--bogus'" in r.err, r
    r = cluster.run(sj, "show", "job", str(held), "17")
    assert r.rc == 1 and "one name or id" in r.err, r


def test_show_job_json_and_yaml(cluster, held):
    sj = cluster.bin("scontrol")
    for argv in (("show", "job", str(held), "--json"), ("--json", "show", "job", str(held))):
        doc = json.loads(cluster.ok(sj, *argv).out)
        assert doc["meta"]["Slurm"]["release"].startswith("22.05"), doc["meta"]
        assert doc["errors"] == [], doc
        (j,) = doc["jobs"]
        assert (j["job_id"], j["job_state"], j["name"]) == (held, "PENDING", "held"), j
        assert j["user_name"] == cluster.ok("id", "-un").out.strip(), j
        # No -t, no partition limit: unlimited, which Slurm 22.05 prints as null.
        assert j["time_limit"] is None and "state" in j["sluice"], j
    r = cluster.ok(sj, "--yaml", "show", "job", str(held))
    assert r.out.startswith("---\n") and re.search(r"\njobs:\n  - ", r.out), r
    assert re.search(r"\n    job_id: %d\n" % held, r.out), r
    r = cluster.run(sj, "show", "config", "--json")
    assert r.rc == 1 and "show job, node and partition only" in r.err, r


def test_update_pending_fields(cluster, held):
    sj = cluster.bin("scontrol")
    cluster.ok(sj, "update", "JobId=%d" % held, "NumNodes=2", "NumTasks=4", "MinMemoryNode=100",
               "Comment=hello world", "Nice=5", "Name=renamed", "CPUsPerTask=1")
    j = cluster.job(held)
    assert (j["NumNodes"], j["NumTasks"], j["MinMemoryNode"]) == ("2", "4", "100M"), j
    assert (j["Comment"], j["Nice"], j["JobName"]) == ("hello world", "5", "renamed"), j
    cluster.ok(sj, "update", "JobId=%d" % held, "MinMemoryCPU=50", "Comment=")
    j = cluster.job(held)
    assert (j["MinMemoryCPU"], j.get("Comment", "")) == ("50M", ""), j
    cluster.ok(sj, "update", "JobId=%d" % held, "NumNodes=1", "ExcNodeList=n1", "OverSubscribe=NO",
               "Requeue=1", "MailType=END", "MailUser=someone")
    j = cluster.job(held)
    assert (j["ExcNodeList"], j["OverSubscribe"], j["Requeue"]) == ("n1", "NO", "1"), j
    assert (j["MailType"], j["MailUser"]) == ("END", "someone"), j
    r = cluster.run(sj, "update", "JobId=%d" % held, "MailUser=-oops")
    assert r.rc == 1 and "Invalid MailUser" in r.err, r
    cluster.ok(sj, "update", "JobId=%d" % held, "ExcNodeList=", "OverSubscribe=YES")
    j = cluster.job(held)
    assert (j["ExcNodeList"], j["OverSubscribe"]) == ("(null)", "OK"), j
    # Limits of the partition still hold, as at submit.
    r = cluster.run(sj, "update", "JobId=%d" % held, "NumNodes=3")
    assert r.rc == 1 and "node" in r.err.lower(), r
    r = cluster.run(sj, "update", "JobId=%d" % held, "Features=nosuch&&")
    assert r.rc == 1, r
    # Users may not lower nice below zero.
    if os.getuid() != 0:
        r = cluster.run(sj, "update", "JobId=%d" % held, "Nice=-5")
        assert r.rc == 1 and "administrator" in r.err, r
    # Slurm keys Sluice does not change: refused by name, with why.
    r = cluster.run(sj, "update", "JobId=%d" % held, "QOS=high")
    assert r.rc == 1 and "Update of QOS is not supported by Sluice" in r.err, r
    r = cluster.run(sj, "update", "JobId=%d" % held, "Frobnicate=1")
    assert r.rc == 1 and "not supported: Frobnicate=1" in r.err, r
    # Slurm's aliases: EligibleTime (StartTime), NodeList (ReqNodeList),
    # Shared=0|1 (OverSubscribe).
    cluster.ok(sj, "update", "JobId=%d" % held, "EligibleTime=now+1hour", "NodeList=n1",
               "Shared=0")
    j = cluster.job(held)
    assert (j["ReqNodeList"], j["OverSubscribe"]) == ("n1", "NO"), j
    assert j["StartTime"] not in ("Unknown", "N/A"), j
    cluster.ok(sj, "update", "JobId=%d" % held, "NodeList=", "Shared=1", "StartTime=now")
    r = cluster.run(sj, "update", "JobId=%d" % held, "MinTmpDiskNode=10")
    assert r.rc == 1 and "Update of MinTmpDiskNode is not supported by Sluice" in r.err, r


def test_update_running_job_resources_refused(cluster):
    jid = cluster.submit("-o", "/dev/null", "--wrap", "sleep 30")
    try:
        cluster.wait_state(jid, ("RUNNING",))
        r = cluster.run(cluster.bin("scontrol"), "update", "JobId=%d" % jid, "NumTasks=2")
        assert r.rc == 1 and "no longer pending" in r.err, r
        cluster.ok(cluster.bin("scontrol"), "update", "JobId=%d" % jid, "Comment=late")
        assert cluster.job(jid)["Comment"] == "late"
    finally:
        cluster.run(cluster.bin("scancel"), str(jid))


def kib(text):
    """Slurm's sizes ("41000K", "40M", "0") in KiB."""
    scale = {"K": 1, "M": 1024, "G": 1024 ** 2, "T": 1024 ** 3}
    if text[-1:] in scale:
        return float(text[:-1]) * scale[text[-1]]
    return float(text) / 1024


def step_running(cluster, jid, step):
    def pred():
        r = cluster.run(cluster.bin("scontrol"), "show", "step", "%d.%s" % (jid, step))
        return r.rc == 0 and "State=RUNNING" in r.out
    wait_for(pred, what="step %d.%s running" % (jid, step))


def test_sstat_live_usage(cluster):
    # A step that holds ~40 MB and burns CPU; sstat must see both while it runs.
    body = ("#!/bin/sh\nsrun -n2 python3 -c 'import time; b = bytearray(40 << 20); "
            "t = time.time()\nwhile time.time() - t < 30: pass'\n")
    jid = cluster.submit("-n2", "-o", "/dev/null", cluster.script(body))
    try:
        step_running(cluster, jid, "0")
        ss = cluster.bin("sstat")

        def sampled():
            r = cluster.run(ss, "-n", "-P", "-j", "%d.0" % jid, "-o", "JobID,NTasks,MaxRSS,AveCPU")
            if r.rc != 0:
                return None
            f = r.out.strip().split("|")
            # A sample taken while python starts sees ~8 MB; samples come every second.
            return f if len(f) == 4 and f[2] not in ("", "0") and kib(f[2]) > 30000 else None
        f = wait_for(sampled, what="a usage sample with the ~40 MB")
        assert f[0] == "%d.0" % jid and f[1] == "2", f
        # Default fields: Slurm's header, one row per running numbered step.
        r = cluster.ok(ss, "-j", str(jid))
        lines = r.out.splitlines()
        assert lines[0].split()[:4] == ["JobID", "MaxVMSize", "MaxVMSizeNode", "MaxVMSizeTask"], r
        assert len(lines) == 3 and lines[2].split()[0] == "%d.0" % jid, r
        # -a adds the batch step; -p ends every field with '|'.
        r = cluster.ok(ss, "-a", "-n", "-p", "-o", "JobID", "-j", str(jid))
        assert sorted(r.out.split()) == sorted(["%d.0|" % jid, "%d.batch|" % jid]), r
        r = cluster.run(ss, "-o", "Bogus", "-j", str(jid))
        assert r.rc == 1 and "Bogus" in r.err, r
    finally:
        cluster.run(cluster.bin("scancel"), str(jid))
    r = cluster.run(cluster.bin("sstat"), "-j", "%d.7" % jid)
    assert r.rc == 1 and r.err, r


def test_sbcast_copies_to_the_job_nodes(cluster, tmp_path):
    src = tmp_path / "payload.bin"
    data = os.urandom(5 << 20) + b"end"          # more than one chunk
    src.write_bytes(data)
    os.chmod(src, 0o750)
    os.utime(src, (1_000_000_000, 1_000_000_000))
    dest = tmp_path / "copy.bin"
    # The nodes of a devcluster share this file system: -f, as each node writes it.
    body = "#!/bin/sh\n%s -f -p %s %s && echo copied\n" % (cluster.bin("sbcast"), src, dest)
    out = tmp_path / "out.txt"
    jid = cluster.submit("-N2", "-o", str(out), cluster.script(body))
    j = cluster.wait_state(jid, ("COMPLETED", "FAILED"))
    assert j["JobState"] == "COMPLETED", (j, out.read_text())
    assert out.read_text() == "copied\n"
    assert dest.read_bytes() == data
    st = os.stat(dest)
    assert (st.st_mode & 0o7777, int(st.st_mtime)) == (0o750, 1_000_000_000), st
    # Without -f an existing file is kept and named.
    body = "#!/bin/sh\n%s %s %s\n" % (cluster.bin("sbcast"), src, dest)
    jid = cluster.submit("-o", str(out), cluster.script(body))
    cluster.wait_state(jid, ("COMPLETED", "FAILED"))
    assert "File exists" in out.read_text(), out.read_text()


def test_sbcast_needs_a_job(cluster, tmp_path):
    env = dict(os.environ)
    env.pop("SLURM_JOB_ID", None)
    r = cluster.run(cluster.bin("sbcast"), "/etc/hostname", str(tmp_path / "x"), env=env)
    assert r.rc == 1 and "Need a job id to run this command." in r.err, r
    r = cluster.run(cluster.bin("sbcast"), "/etc/hostname", env=env)
    assert r.rc == 1 and "Need two file names, have 1 names" in r.err, r
    r = cluster.run(cluster.bin("sbcast"), "-j", "987654", "/etc/hostname", str(tmp_path / "x"))
    assert r.rc == 1 and "Invalid job id" in r.err, r


def test_sattach_refused(cluster):
    r = cluster.run(cluster.bin("sattach"), "12.0")
    assert r.rc == 1 and "not supported by Sluice" in r.err, r


def test_squeue_fields_added_and_refused(cluster, held):
    sq = cluster.bin("squeue")
    r = cluster.ok(sq, "-h", "-j", str(held), "-o", "%i|%v|%g|%H|%I|%J")
    grp = cluster.ok("id", "-gn").out.strip()
    assert r.out == "%d|(null)|%s|*|*|*\n" % (held, grp), r
    r = cluster.ok(sq, "-h", "-j", str(held), "-O", "JobID:8,Queue:8,Reservation:14,BatchFlag:3")
    assert r.out.split() == [str(held), "batch", "(null)", "1"], r
    for argv, name in ((("-o", "%.10w"), "%w (WCKey)"), (("-O", "BurstBuffer:9"), "BurstBuffer"),
                       (("-O", "wckey"), "(WCKey)")):
        r = cluster.run(sq, *argv)
        assert r.rc == 1 and "%s is not supported by Sluice" % name in r.err, (argv, r)
    r = cluster.run(sq, "-o", "%i %+")
    assert r.rc == 1 and "Invalid" in r.err, r


def test_sinfo_fields_added(cluster):
    r = cluster.ok(cluster.bin("sinfo"), "-h", "-N", "-n", "n1", "-o", "%N|%B|%g|%h|%M|%o|%p|%r")
    assert r.out.splitlines()[0] == "n1|UNLIMITED|all|NO|OFF|127.0.0.1|1|no", r
    r = cluster.ok(cluster.bin("sinfo"), "-h", "-o", "%V %v")
    assert re.fullmatch(r"\S+ \d+\.\d+\.\d+", r.out.splitlines()[0]), r
