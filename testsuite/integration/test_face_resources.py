"""Options of counted resources and limits (issue 13), as in Slurm 22.05:
--tmp against the nodes' TmpDisk, -L against the cluster's Licenses (held
while running, recounted after a controller restart), --deadline (DEADLINE
when a pending job can no longer end in time), --priority (operators only;
0 holds) and --propagate (the submitting shell's rlimits in the job)."""

import os
import time

import pytest

from conftest import IS_ROOT, parse_records, wait_for, scaled


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=2, cpus=2, mem=2000,
                           append="KillWait=2\nLicenses=foo:2,bar\nOperators=sluiceop\n"
                                  "NodeName=n1 TmpDisk=10000\n"
                                  "PartitionName=p2 Nodes=n2\nQueueName=q2 Partitions=p2\n")


@pytest.fixture(autouse=True)
def clean(request, cluster):
    yield
    cluster.reset()


def test_tmp_picks_a_node_with_the_disk(cluster):
    assert cluster.node("n1")["TmpDisk"] == "10000", cluster.node("n1")
    assert cluster.node("n2")["TmpDisk"] == "0", cluster.node("n2")
    jid = cluster.submit("--tmp=5G", "-o", "/dev/null", "--wrap", "sleep 30")
    j = cluster.wait_state(jid, "RUNNING")
    assert j["NodeList"] == "n1" and j["MinTmpDiskNode"] == "5120M", j
    r = cluster.ok(cluster.bin("squeue"), "-h", "-j", str(jid), "-o", "%d|%N")
    assert r.out == "5G|n1\n", r
    r = cluster.ok(cluster.bin("squeue"), "-h", "-j", str(jid), "-O", "MinTmpDisk")
    assert r.out.strip() == "5G", r
    # A second one waits for n1 rather than taking n2, which lacks the disk.
    again = cluster.submit("--tmp=9000", "-c", "2", "-o", "/dev/null", "--wrap", "true")
    assert cluster.wait_state(again, "PENDING")["NodeList"] in ("", "(null)")
    r = cluster.run(cluster.bin("sbatch"), "--tmp=20G", "--wrap", "true")
    assert r.rc == 1 and "Requested node configuration is not available" in r.err, r
    assert "TmpDisk=10000" in r.err, r
    r = cluster.run(cluster.bin("sbatch"), "--tmp=lots", "--wrap", "true")
    assert r.rc != 0 and "--tmp" in r.err, r


def show_licenses(cluster):
    r = cluster.ok(cluster.bin("scontrol"), "show", "licenses")
    lines = r.out.splitlines()
    out = {}
    for name, counts in zip(lines[0::2], lines[1::2]):
        rec = dict(kv.split("=", 1) for kv in counts.split())
        out[name.split("=", 1)[1]] = (int(rec["Total"]), int(rec["Used"]), int(rec["Free"]))
    return out


def test_licenses_are_counted_out(cluster):
    assert show_licenses(cluster) == {"foo": (2, 0, 2), "bar": (1, 0, 1)}
    big = cluster.submit("-L", "foo:2", "-o", "/dev/null", "--wrap", "sleep 300")
    j = cluster.wait_state(big, "RUNNING")
    assert j["Licenses"] == "foo:2", j
    small = cluster.submit("-L", "foo,bar", "-o", "/dev/null", "--wrap", "true")
    wait_for(lambda: (cluster.job(small) or {}).get("Reason") == "Licenses", scaled(30),
             "job waiting for licenses")
    assert show_licenses(cluster) == {"foo": (2, 2, 0), "bar": (1, 0, 1)}
    r = cluster.ok(cluster.bin("squeue"), "-h", "-o", "%i %W %r", "-j", "%d,%d" % (big, small))
    assert sorted(r.out.splitlines()) == sorted(["%d foo:2 None" % big,
                                                 "%d foo:1,bar:1 Licenses" % small]), r
    # Recounted from the running jobs by a restarted controller.
    cluster.restart("controller")
    assert show_licenses(cluster)["foo"] == (2, 2, 0)
    wait_for(lambda: (cluster.job(small) or {}).get("Reason") == "Licenses", scaled(30),
             "job still waiting for licenses after the restart")
    cluster.ok(cluster.bin("scancel"), str(big))
    cluster.wait_state(small, "COMPLETED")
    assert show_licenses(cluster)["foo"] == (2, 0, 2)


@pytest.mark.parametrize("spec", ["nope", "foo:3", "foo:0", "foo:x"])
def test_bad_licenses_are_refused(cluster, spec):
    r = cluster.run(cluster.bin("sbatch"), "-L", spec, "--wrap", "true")
    assert r.rc == 1 and "Invalid license specification" in r.err, r


def test_deadline(cluster):
    r = cluster.run(cluster.bin("sbatch"), "--deadline=now+1hour", "-t", "2:00:00",
                    "--wrap", "true")
    assert r.rc == 1 and "Invalid time specified" in r.err, r
    r = cluster.run(cluster.bin("sbatch"), "--deadline=never", "--wrap", "true")
    assert r.rc != 0 and "--deadline" in r.err, r
    # Possible at submission (held), impossible a few seconds later.
    jid = cluster.submit("-H", "-t", "1", "--deadline=now+64seconds", "-o", "/dev/null",
                         "--wrap", "true")
    j = cluster.wait_state(jid, "DEADLINE", timeout=scaled(30))
    assert j["Reason"] == "DeadLine" and j["Deadline"] != "N/A", j
    r = cluster.ok(cluster.bin("squeue"), "-h", "-t", "DL", "-j", str(jid), "-o", "%T %t")
    assert r.out == "DEADLINE DL\n", r
    rec = cluster.wait_sacct(jid, lambda s: s == "DEADLINE")
    assert rec["State"] == "DEADLINE", rec
    # One that starts in time runs as any other.
    ok = cluster.submit("-t", "1", "--deadline=now+1hour", "-o", "/dev/null", "--wrap", "true")
    assert cluster.wait_state(ok, "COMPLETED")["Deadline"] != "N/A"


def hms(text):
    h, m, s = (int(x) for x in text.split(":"))
    return h * 3600 + m * 60 + s


def test_deadline_with_time_min(cluster):
    # As Slurm 22.05: with --time-min, a job whose limit would run past its
    # deadline starts with the whole minutes left before it.
    jid = cluster.submit("-t", "10", "--time-min=1", "--deadline=now+200seconds", "-o",
                         "/dev/null", "--wrap", "sleep 300")
    j = cluster.wait_state(jid, "RUNNING")
    assert j["TimeMin"] == "00:01:00", j
    assert 60 <= hms(j["TimeLimit"]) <= 180 and hms(j["TimeLimit"]) % 60 == 0, j
    end = time.mktime(time.strptime(j["StartTime"], "%Y-%m-%dT%H:%M:%S")) + hms(j["TimeLimit"])
    deadline = time.mktime(time.strptime(j["Deadline"], "%Y-%m-%dT%H:%M:%S"))
    assert end <= deadline, j
    # Without it, a limit past the deadline is refused at submission.
    r = cluster.run(cluster.bin("sbatch"), "-t", "10", "--deadline=now+200seconds", "--wrap", "true")
    assert r.rc == 1 and "Invalid time specified" in r.err, r
    r = cluster.run(cluster.bin("sbatch"), "-t", "5", "--time-min=10", "--wrap", "true")
    assert r.rc == 1 and "--time-min (10 min) is above the time limit (5 min)" in r.err, r
    # A limit that fits is kept; TimeMin shows, N/A without.
    ok = cluster.submit("-H", "-t", "5", "--time-min=2", "--deadline=now+1hour", "--wrap", "true")
    j = cluster.wait_state(ok, "PENDING")
    assert j["TimeMin"] == "00:02:00" and j["TimeLimit"] == "00:05:00", j
    assert cluster.job(jid)["JobState"] == "RUNNING"


def test_priority_set_by_an_operator(cluster):
    jid = cluster.submit("-H", "--priority=4242", "-o", "/dev/null", "--wrap", "true")
    j = cluster.wait_state(jid, "PENDING")
    assert j["Priority"] == "4242", j
    zero = cluster.submit("--priority=0", "-o", "/dev/null", "--wrap", "true")
    j = cluster.wait_state(zero, "PENDING")
    assert j["Priority"] == "0" and j["Reason"] == "JobHeldAdmin", j
    cluster.ok(cluster.bin("scontrol"), "release", str(zero))
    assert cluster.wait_state(zero, "COMPLETED")["Priority"] != "0"
    r = cluster.run(cluster.bin("sbatch"), "--priority=-3", "--wrap", "true")
    assert r.rc != 0 and "--priority" in r.err, r


def test_priority_refused_to_ordinary_users(cluster, users):
    d = cluster.mkdir("prio", user="sluicea")
    r = cluster.run(cluster.bin("sbatch"), "--priority=10", "--wrap", "true", user="sluicea",
                    cwd=d)
    assert r.rc == 1 and "Access/permission denied" in r.err, r
    jid = cluster.submit("--priority=10", "-H", "--wrap", "true", user="sluiceop", cwd=d)
    assert cluster.wait_state(jid, "PENDING")["Priority"] == "10"


def limits_of(cluster, tag, prop, setup="ulimit -S -n 512; ulimit -S -c 4096", conf=None):
    out = os.path.join(cluster.dir, "limits-%s.out" % tag)
    script = cluster.script("#!/bin/bash\nulimit -n; ulimit -c\n"
                            "env | grep -c ^SLURM_RLIMIT_ || true\n", name="limits-%s.sh" % tag)
    args = [] if prop is None else ["--propagate" + ("=" + prop if prop else "")]
    # An ASan-built sbatch would set its own RLIMIT_CORE to 0 at start
    # (disable_coredump), and propagate that.
    asan = "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}disable_coredump=0 "
    cmd = "%s; %sexec %s --parsable %s -o %s %s" % (setup, asan, cluster.bin("sbatch"),
                                                   " ".join(args), out, script)
    r = cluster.run("bash", "-c", cmd, env={"SLUICE_CONF": conf} if conf else None)
    assert r.rc == 0, r
    jid = int(r.out.split(";")[0])
    assert cluster.wait_state(jid, ("COMPLETED", "FAILED"))["JobState"] == "COMPLETED"
    with open(out) as f:
        return f.read().split()


def test_propagate_limits(cluster):
    # The default, as Slurm's PropagateResourceLimits=ALL; the variables
    # that carried them are gone from the job's environment.
    assert limits_of(cluster, "default", None) == ["512", "4096", "0"]
    assert limits_of(cluster, "all", "") == ["512", "4096", "0"]
    nofile, core = limits_of(cluster, "core", "CORE")[:2]
    assert core == "4096" and nofile != "512", (nofile, core)
    nofile, core = limits_of(cluster, "none", "NONE")[:2]
    assert nofile != "512" and core != "4096", (nofile, core)
    r = cluster.run(cluster.bin("sbatch"), "--propagate=BOGUS", "--wrap", "true")
    assert r.rc != 0 and "Invalid --propagate specification: 'BOGUS'" in r.err, r


def conf_with(cluster, tag, extra):
    """The cluster's config plus extra lines, for the commands only (sbatch
    reads PropagateResourceLimits[Except] from its own config, as Slurm's)."""
    path = os.path.join(os.path.dirname(cluster.conf), "prop-%s.conf" % tag)
    with open(cluster.conf) as f, open(path, "w") as g:
        g.write(f.read() + "\n" + extra + "\n")
    return path


def test_propagate_conf_keys(cluster):
    only = conf_with(cluster, "only", "PropagateResourceLimits=CORE")
    nofile, core = limits_of(cluster, "conf-only", None, conf=only)[:2]
    assert core == "4096" and nofile != "512", (nofile, core)
    but = conf_with(cluster, "except", "PropagateResourceLimitsExcept=CORE")
    nofile, core = limits_of(cluster, "conf-except", None, conf=but)[:2]
    assert nofile == "512" and core != "4096", (nofile, core)
    # --propagate wins over the config.
    nofile, core = limits_of(cluster, "conf-opt", "CORE", conf=but)[:2]
    assert core == "4096" and nofile != "512", (nofile, core)
    bad = conf_with(cluster, "bad", "PropagateResourceLimits=CORE,BOGUS")
    r = cluster.run(cluster.bin("sbatch"), "--wrap", "true", env={"SLUICE_CONF": bad})
    assert r.rc != 0 and "Invalid PropagateResourceLimits specification: 'BOGUS'" in r.err, r
    both = conf_with(cluster, "both", "PropagateResourceLimits=CORE\n"
                                      "PropagateResourceLimitsExcept=AS")
    r = cluster.run(cluster.bin("sbatch"), "--wrap", "true", env={"SLUICE_CONF": both})
    assert r.rc != 0 and "exclusive" in r.err, r


def test_partition_and_queue_lists(cluster):
    r = cluster.run(cluster.bin("sbatch"), "-p", "q2,nosuch", "--wrap", "true")
    assert r.rc == 1 and "Invalid partition name specified: nosuch" in r.err, r
    busy = cluster.submit("-p", "q2", "-c", "2", "-o", "/dev/null", "--wrap", "sleep 300")
    assert cluster.wait_state(busy, "RUNNING")["NodeList"] == "n2"
    # The queue's partition is full: the job starts in the other one listed.
    jid = cluster.submit("-p", "q2,batch", "-c", "2", "-o", "/dev/null", "--wrap", "sleep 300")
    j = cluster.wait_state(jid, "RUNNING")
    assert j["Partition"] == "batch" and j["NodeList"] == "n1", j
    # Both full: it waits, for either.
    late = cluster.submit("-p", "batch,q2", "-c", "2", "-o", "/dev/null", "--wrap", "true")
    assert cluster.wait_state(late, "PENDING")["Partition"] == "batch,p2"
    cluster.ok(cluster.bin("scancel"), str(busy))
    j = cluster.wait_state(late, "COMPLETED")     # n2 is in both: the first listed wins
    assert j["Partition"] == "batch" and j["NodeList"] == "n2", j


def show_resv(cluster):
    r = cluster.ok(cluster.bin("scontrol"), "show", "reservation")
    return parse_records(r.out) if "ReservationName=" in r.out else []


def test_reservation(cluster, users):
    assert cluster.ok(cluster.bin("scontrol"), "show", "res").out == \
        "No reservations in the system\n"
    r = cluster.ok(cluster.bin("scontrol"), "create", "reservation", "ReservationName=r1",
                   "StartTime=now", "Duration=10", "Nodes=n2", "Users=root,sluicea")
    assert r.out == "Reservation created: r1\n", r
    (rec,) = show_resv(cluster)
    assert rec["ReservationName"] == "r1" and rec["Nodes"] == "n2" and rec["State"] == "ACTIVE"
    assert rec["Users"] == "root,sluicea" and rec["Duration"] == "00:10:00", rec
    r = cluster.run(cluster.bin("scontrol"), "create", "res", "ReservationName=r2",
                    "StartTime=now", "Duration=5", "Nodes=n2", "Users=root")
    assert r.rc == 1 and "Requested reservation overlaps with another reservation" in r.err, r
    r = cluster.run(cluster.bin("scontrol"), "create", "res", "ReservationName=r1",
                    "StartTime=now", "Duration=5", "Nodes=n1", "Users=root")
    assert r.rc == 1 and "Duplicate reservation name" in r.err, r
    # Others keep off n2: two 2-CPU jobs, one runs on n1, the other waits.
    a = cluster.submit("-c", "2", "-o", "/dev/null", "--wrap", "sleep 300")
    b = cluster.submit("-c", "2", "-o", "/dev/null", "--wrap", "sleep 300")
    assert cluster.wait_state(a, "RUNNING")["NodeList"] == "n1"
    assert cluster.wait_state(b, "PENDING")["NodeList"] in ("", "(null)")
    # The reservation's own jobs run there, and only there.
    d = cluster.mkdir("resv", user="sluicea")
    out = os.path.join(d, "in.out")
    mine = cluster.submit("--reservation=r1", "-c", "2", "-o", out, "--wrap",
                          "echo $SLURM_JOB_RESERVATION", user="sluicea", cwd=d)
    j = cluster.wait_state(mine, "COMPLETED")
    assert j["NodeList"] == "n2" and j["Reservation"] == "r1", j
    assert open(out).read() == "r1\n"
    r = cluster.run(cluster.bin("sbatch"), "--reservation=r1", "--wrap", "true",
                    user="sluiceb", cwd=d)
    assert r.rc == 1 and "Access denied to requested reservation" in r.err, r
    r = cluster.run(cluster.bin("sbatch"), "--reservation=nosuch", "--wrap", "true")
    assert r.rc == 1 and "Requested reservation is invalid" in r.err, r
    r = cluster.run(cluster.bin("scontrol"), "delete", "ReservationName=r1", user="sluicea")
    assert r.rc == 1 and "Access/permission denied" in r.err, r
    # Durable across a controller restart.
    cluster.restart("controller")
    assert [x["ReservationName"] for x in show_resv(cluster)] == ["r1"]
    cluster.ok(cluster.bin("scontrol"), "delete", "ReservationName=r1")
    assert cluster.wait_state(b, "RUNNING")["NodeList"] == "n2"
    assert show_resv(cluster) == []


def test_future_reservation_waits(cluster):
    cluster.ok(cluster.bin("scontrol"), "create", "reservation", "ReservationName=later",
               "StartTime=now+1hour", "Duration=1:00:00", "Nodes=n1,n2", "Users=root")
    assert show_resv(cluster)[0]["State"] == "INACTIVE"
    early = cluster.submit("--reservation=later", "-o", "/dev/null", "--wrap", "true")
    wait_for(lambda: (cluster.job(early) or {}).get("Reason") == "Reservation", scaled(30),
             "reservation job waiting for the start")
    # A job that ends before the reservation starts may still use its nodes;
    # one that could run into it may not.
    short = cluster.submit("-t", "10", "-o", "/dev/null", "--wrap", "true")
    cluster.wait_state(short, "COMPLETED")
    long = cluster.submit("-t", "2:00:00", "-o", "/dev/null", "--wrap", "true")
    assert cluster.wait_state(long, "PENDING")["NodeList"] in ("", "(null)")
    cluster.ok(cluster.bin("scontrol"), "delete", "reservation", "later")
    cluster.wait_state(long, "COMPLETED")
