"""sacct --format fields the Slurm inventory found missing and Sluice keeps
(doc/slurm-compat.md, 'Every Slurm 22.05 item'): QOS, Constraints,
Reservation, from the job's own record; Group (by name) and Cluster."""

import grp
import json
import os
import time

import pytest


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=1, cpus=2, append="NodeName=n1 Features=fast\n")


def test_qos_constraints_reservation(cluster):
    done = cluster.submit("-o", "/dev/null", "--qos=gold", "--wrap", "true")
    held = cluster.submit("-H", "-o", "/dev/null", "-C", "fast", "--wrap", "true")
    cluster.wait_state(done, "COMPLETED")
    sacct = cluster.bin("sacct")
    r = cluster.ok(sacct, "-X", "-n", "-P", "-j", "%d,%d" % (done, held),
                   "--format=JobID,QOS,Constraints,Reservation")
    rows = sorted(l.split("|") for l in r.out.split())
    assert rows == sorted([[str(done), "gold", "", ""], [str(held), "", "fast", ""]]), r
    r = cluster.ok(sacct, "-X", "-j", str(done), "--format=QOS,Constraints,Reservation")
    assert r.out.split()[:3] == ["QOS", "Constraints", "Reservation"], r
    cluster.run(cluster.bin("scancel"), str(held))


def test_timelimit_raw(cluster):
    """Minutes, as Slurm; UNLIMITED without a limit (the partition has none)."""
    a = cluster.submit("-o", "/dev/null", "-t", "7", "--wrap", "true")
    b = cluster.submit("-o", "/dev/null", "--wrap", "true")
    cluster.wait_state(a, "COMPLETED")
    cluster.wait_state(b, "COMPLETED")
    r = cluster.ok(cluster.bin("sacct"), "-X", "-n", "-P", "-j", "%d,%d" % (a, b),
                   "--format=JobID,Timelimit,TimelimitRaw")
    assert sorted(r.out.split()) == sorted(["%d|00:07:00|7" % a, "%d|UNLIMITED|UNLIMITED" % b]), r


def test_group_and_cluster(cluster):
    jid = cluster.submit("-o", "/dev/null", "--wrap", "true")
    cluster.wait_state(jid, "COMPLETED")
    r = cluster.ok(cluster.bin("sacct"), "-X", "-n", "-P", "-j", str(jid),
                   "--format=Group,Cluster")
    name = cluster.ok(cluster.bin("sinfo"), "-h", "-O", "Cluster").out.split()[0]
    assert r.out.split() == ["%s|%s" % (grp.getgrgid(os.getgid()).gr_name, name)], r


def test_derived_exit_code(cluster):
    # The batch script ends 0, its step 3: ExitCode 0:0, DerivedExitCode 3:0
    # on the job row (blank on step rows), in text and in --json, -X or not.
    jid = cluster.submit("-o", "/dev/null", "--wrap", 'srun sh -c "exit 3"; exit 0')
    cluster.wait_state(jid, "COMPLETED")
    sacct = cluster.bin("sacct")
    r = cluster.ok(sacct, "-n", "-P", "-j", str(jid), "--format=JobID,ExitCode,DerivedExitCode")
    rows = [l.split("|") for l in r.out.split()]
    assert rows[0] == [str(jid), "0:0", "3:0"], r
    assert all(row[2] == "" for row in rows[1:]) and len(rows) == 3, r
    r = cluster.ok(sacct, "-X", "-n", "-P", "-j", str(jid), "--format=DerivedExitCode")
    assert r.out == "3:0\n", r
    for x in ([], ["-X"]):
        j = json.loads(cluster.ok(*[sacct, "--json", "-j", str(jid)] + x).out)["jobs"][0]
        assert j["derived_exit_code"] == {"return_code": 3, "status": "ERROR"}, (x, j)
        assert len(j["steps"]) == (0 if x else 2), (x, j["steps"])


def test_submit_line(cluster):
    # As Slurm: the submitting command line, its words joined by blanks.
    jid = cluster.submit("-J", "two words", "-o", "/dev/null", "--wrap", "true")
    cluster.wait_state(jid, "COMPLETED")
    r = cluster.ok(cluster.bin("sacct"), "-X", "-n", "-P", "-j", str(jid), "-o", "SubmitLine")
    assert r.out == "%s --parsable -J two words -o /dev/null --wrap true\n" % \
        cluster.bin("sbatch"), r


def test_delimiter_noconvert_helpformat(cluster):
    jid = cluster.submit("-o", "/dev/null", "--wrap", "true")
    cluster.wait_state(jid, "COMPLETED")
    sacct = cluster.bin("sacct")
    r = cluster.ok(sacct, "-X", "-n", "-P", "--delimiter=^|^", "-j", str(jid), "-o", "JobID,State")
    assert r.out == "%d^|^COMPLETED\n" % jid, r
    r = cluster.ok(sacct, "-X", "-n", "-p", "--delimiter=,", "-j", str(jid), "-o", "JobID,State")
    assert r.out == "%d,COMPLETED,\n" % jid, r
    r = cluster.ok(sacct, "-n", "-P", "--noconvert", "-j", "%d.batch" % jid, "-o", "MaxRSS")
    assert r.out.strip() == "0" or r.out.strip().endswith("K"), r
    r = cluster.ok(sacct, "--helpformat")
    names = r.out.split()
    assert "JobID" in names and "DerivedExitCode" in names and "SubmitLine" in names, r


def test_long_fields(cluster):
    """-l: Slurm's long list, in its order; what Sluice does not gather
    (pages, disk, CPU frequency, energy, per-TRES usage) as Slurm prints it
    with none gathered: blank, the frequency requests Unknown, energy 0."""
    jid = cluster.submit("-o", "/dev/null", "--wrap", "true")
    cluster.wait_state(jid, "COMPLETED")
    sacct = cluster.bin("sacct")
    head = cluster.ok(sacct, "-l", "-P", "-X", "-j", str(jid)).out.splitlines()
    names = head[0].split("|")
    assert len(names) == 54 and names[:4] == ["JobID", "JobIDRaw", "JobName", "Partition"], head
    assert names[-1] == "TresUsageOutTot" and "ConsumedEnergy" in names, names
    row = dict(zip(names, head[1].split("|")))
    assert row["JobID"] == str(jid) and row["State"] == "COMPLETED", row
    assert row["ReqCPUFreqMin"] == row["ReqCPUFreqGov"] == "Unknown", row
    assert row["ConsumedEnergy"] == "0" and row["MaxDiskRead"] == row["AvePages"] == "", row
    r = cluster.ok(sacct, "--long", "-n", "-X", "-j", str(jid))
    assert r.out.split()[0] == str(jid), r
    assert cluster.ok(sacct, "-n", "-P", "-X", "-j", str(jid),
                      "-o", "TresUsageInMaxNode,ReqCPUFreqMax").out == "|Unknown\n"


def test_qos_filter(cluster):
    """-q: a job that named no --qos has Slurm's default, normal."""
    gold = cluster.submit("-o", "/dev/null", "--qos=gold", "--wrap", "true")
    plain = cluster.submit("-o", "/dev/null", "--wrap", "true")
    cluster.wait_state(gold, "COMPLETED")
    cluster.wait_state(plain, "COMPLETED")
    sacct = cluster.bin("sacct")
    ids = "%d,%d" % (gold, plain)
    for q, want in (("gold", [gold]), ("normal", [plain]), ("GOLD,normal", [gold, plain]),
                    ("silver", [])):
        for flag in ("-q", "--qos="):
            args = [flag + q] if flag.endswith("=") else [flag, q]
            r = cluster.ok(*[sacct, "-X", "-n", "-P", "-o", "JobID", "-j", ids] + args)
            assert sorted(r.out.split()) == sorted(str(j) for j in want), (q, r)


def test_truncate(cluster):
    """-T: a start before -S shows as -S, an end after -E (or none yet) as -E."""
    jid = cluster.submit("-o", "/dev/null", "--wrap", "sleep 300")
    cluster.wait_state(jid, "RUNNING")
    sacct = cluster.bin("sacct")
    start = cluster.ok(sacct, "-X", "-n", "-P", "-j", str(jid), "-o", "Start").out.strip()
    t0 = time.mktime(time.strptime(start, "%Y-%m-%dT%H:%M:%S"))
    lo = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(t0 + 1))
    hi = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(t0 + 100))
    base = [sacct, "-X", "-n", "-P", "-j", str(jid), "-S", lo, "-E", hi, "-o", "Start,End,Elapsed"]
    assert cluster.ok(*base).out.split("|")[:2] == [start, "Unknown"]
    r = cluster.ok(*base + ["-T"])
    assert r.out == "%s|%s|00:01:39\n" % (lo, hi), r
    assert cluster.ok(*base + ["--truncate"]).out == r.out
    cluster.run(cluster.bin("scancel"), str(jid))
