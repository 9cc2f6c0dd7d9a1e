"""Advance reservations under sched/backfill, and their life as an operator
changes them (issue 13), as in Slurm 22.05: reserved nodes go to the
reservation's jobs only during its window, in what starts now and in what
backfill plans; scontrol update ReservationName= (StartTime, EndTime,
Duration, Nodes, Users, Flags), Flags MAINT, OVERLAP, IGNORE_JOBS, DAILY,
WEEKLY (Slurm's others refused by name), kept across a controller kill -9."""

import json
import os
import time

import pytest

from conftest import parse_records, wait_for, scaled


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=2, cpus=2, mem=2000,
                           append="KillWait=2\nSchedulerType=sched/backfill\n")


@pytest.fixture(autouse=True)
def clean(request, cluster):
    yield
    cluster.reset()
    for rec in show_resv(cluster):
        cluster.run(cluster.bin("scontrol"), "delete", "ReservationName=" + rec["ReservationName"])


def show_resv(cluster, name=None):
    r = cluster.ok(*[cluster.bin("scontrol"), "show", "reservation"] + ([name] if name else []))
    return parse_records(r.out) if "ReservationName=" in r.out else []


def epoch(text):
    return time.mktime(time.strptime(text, "%Y-%m-%dT%H:%M:%S"))


def scontrol(cluster, *args):
    return cluster.run(cluster.bin("scontrol"), *args)


def test_backfill_keeps_others_off_and_plans_around(cluster):
    cluster.ok(cluster.bin("scontrol"), "create", "res", "ReservationName=bf1", "StartTime=now",
               "Duration=30", "Nodes=n2", "Users=root")
    a = cluster.submit("-c", "2", "-t", "10", "-o", "/dev/null", "--wrap", "sleep 300")
    ja = cluster.wait_state(a, "RUNNING")
    assert ja["NodeList"] == "n1", ja
    # Another full-node job waits; backfill plans it on n1 when a ends, not on
    # the reserved n2 (which would hold off the reservation's own jobs).
    b = cluster.submit("-c", "2", "-t", "5", "-o", "/dev/null", "--wrap", "sleep 300")
    wait_for(lambda: (cluster.job(b) or {}).get("StartTime", "Unknown") not in ("Unknown", "N/A"),
             scaled(30), "an expected start for the waiting job")
    jb = cluster.job(b)
    assert jb["JobState"] == "PENDING" and epoch(jb["StartTime"]) >= epoch(ja["StartTime"]) + 540, jb
    # The reservation's job runs at once, and on its node.
    c = cluster.submit("--reservation=bf1", "-c", "2", "-t", "5", "-o", "/dev/null", "--wrap", "true")
    jc = cluster.wait_state(c, "COMPLETED")
    assert jc["NodeList"] == "n2" and jc["Reservation"] == "bf1", jc
    assert cluster.job(b)["JobState"] == "PENDING"
    # Gone: the waiting job takes n2.
    cluster.ok(cluster.bin("scontrol"), "delete", "ReservationName=bf1")
    assert cluster.wait_state(b, "RUNNING")["NodeList"] == "n2"


def test_backfill_window_start_and_end(cluster):
    cluster.ok(cluster.bin("scontrol"), "create", "res", "ReservationName=later",
               "StartTime=now+1hour", "Duration=1:00:00", "Nodes=n1,n2", "Users=root")
    (rec,) = show_resv(cluster)
    early = cluster.submit("--reservation=later", "-o", "/dev/null", "--wrap", "true")
    wait_for(lambda: (cluster.job(early) or {}).get("Reason") == "Reservation", scaled(30),
             "the reservation's job waiting for its start")
    # Its expected start is the window's.
    assert cluster.job(early)["StartTime"] == rec["StartTime"], (cluster.job(early), rec)
    # Ends before the window: runs.  Would run into it: planned for its end.
    short = cluster.submit("-t", "10", "-o", "/dev/null", "--wrap", "true")
    cluster.wait_state(short, "COMPLETED")
    long = cluster.submit("-t", "2:00:00", "-o", "/dev/null", "--wrap", "true")
    wait_for(lambda: (cluster.job(long) or {}).get("StartTime", "Unknown") not in ("Unknown", "N/A"),
             scaled(30), "an expected start for the long job")
    j = cluster.job(long)
    assert j["JobState"] == "PENDING", j
    # BackfillResolution (60 s) rounds the planned start up.
    assert 0 <= epoch(j["StartTime"]) - epoch(rec["EndTime"]) <= 120, (j["StartTime"], rec)
    # Moved to now: its job runs, within the window, on its nodes.
    cluster.ok(cluster.bin("scontrol"), "update", "ReservationName=later", "StartTime=now")
    je = cluster.wait_state(early, "COMPLETED")
    assert je["NodeList"] in ("n1", "n2"), je
    cluster.ok(cluster.bin("scontrol"), "delete", "reservation", "later")
    cluster.wait_state(long, "COMPLETED")


def test_update_and_flags_survive_kill_9(cluster):
    r = cluster.ok(cluster.bin("scontrol"), "create", "res", "ReservationName=u",
                   "StartTime=now+1hour", "Duration=30", "Nodes=n1", "Users=root", "Flags=MAINT")
    assert r.out == "Reservation created: u\n", r
    (rec,) = show_resv(cluster)
    assert rec["Flags"] == "MAINT,SPEC_NODES" and rec["State"] == "INACTIVE", rec
    start = epoch(rec["StartTime"])
    # A new StartTime keeps the duration, as Slurm's.
    r = cluster.ok(cluster.bin("scontrol"), "update", "ReservationName=u", "StartTime=now+2hours")
    assert r.out == "Reservation updated.\n", r
    (rec,) = show_resv(cluster)
    assert epoch(rec["StartTime"]) >= start + 3500 and rec["Duration"] == "00:30:00", rec
    cluster.ok(cluster.bin("scontrol"), "update", "ReservationName=u", "Duration=45")
    (rec,) = show_resv(cluster)
    assert epoch(rec["EndTime"]) - epoch(rec["StartTime"]) == 45 * 60, rec
    # Flags= adds (as in Slurm), Flags-= removes, Flags+= adds.
    cluster.ok(cluster.bin("scontrol"), "update", "ReservationName=u", "Flags=DAILY")
    assert show_resv(cluster)[0]["Flags"] == "MAINT,DAILY,SPEC_NODES"
    cluster.ok(cluster.bin("scontrol"), "update", "ReservationName=u", "Flags-=MAINT")
    cluster.ok(cluster.bin("scontrol"), "update", "ReservationName=u", "Flags+=WEEKLY,OVERLAP")
    cluster.ok(cluster.bin("scontrol"), "update", "ReservationName=u", "Nodes=n1,n2",
               "Users=root,nobody")
    (rec,) = show_resv(cluster)
    assert rec["Flags"] == "OVERLAP,DAILY,WEEKLY,SPEC_NODES", rec
    assert rec["Nodes"] == "n1,n2" and rec["NodeCnt"] == "2" and rec["Users"] == "root,nobody"
    # Refused, by name, and nothing changes.
    for args, text in [(["Flags=FLEX"], "reservation flag FLEX is not supported"),
                       (["Flags=BOGUS"], "Error parsing flags BOGUS"),
                       (["Nodes=n9"], "Invalid node name specified: n9"),
                       (["EndTime=now"], "Invalid time specified"),
                       (["Colour=red"], "'Colour=red' is not supported"),
                       (["Users=+sluicea"], "give the whole list")]:
        r = scontrol(cluster, "update", "ReservationName=u", *args)
        assert r.rc == 1 and "Error updating the reservation" in r.err and text in r.err, r
    r = scontrol(cluster, "update", "ReservationName=nosuch", "Duration=5")
    assert r.rc == 1 and "Requested reservation is invalid" in r.err, r
    r = scontrol(cluster, "create", "res", "ReservationName=v", "StartTime=now", "Duration=5",
                 "Nodes=n2", "Users=root", "Flags=STATIC_ALLOC")
    assert r.rc == 1 and "STATIC_ALLOC is not supported" in r.err, r
    assert show_resv(cluster) == [rec]
    # Durable across a controller killed at once.
    pid = cluster.pid("controller")
    os.kill(pid, 9)
    wait_for(lambda: not cluster.alive("controller"), scaled(30), "the controller to die")
    cluster.restart("controller")
    (after,) = show_resv(cluster)
    assert after == rec, (after, rec)


def test_ignore_jobs_and_overlap(cluster):
    a = cluster.submit("-c", "2", "-t", "10", "-o", "/dev/null", "--wrap", "sleep 300")
    node = cluster.wait_state(a, "RUNNING")["NodeList"]
    base = ["create", "res", "StartTime=now", "Duration=10", "Nodes=" + node, "Users=root"]
    r = scontrol(cluster, *base + ["ReservationName=x"])
    assert r.rc == 1 and "Requested nodes are busy: job %d" % a in r.err, r
    cluster.ok(cluster.bin("scontrol"), *base + ["ReservationName=x", "Flags=IGNORE_JOBS"])
    r = scontrol(cluster, *base + ["ReservationName=y", "Flags=IGNORE_JOBS"])
    assert r.rc == 1 and "Requested reservation overlaps with another reservation" in r.err, r
    cluster.ok(cluster.bin("scontrol"), *base + ["ReservationName=y", "Flags=IGNORE_JOBS,OVERLAP"])
    assert sorted(x["ReservationName"] for x in show_resv(cluster)) == ["x", "y"]
    assert cluster.job(a)["JobState"] == "RUNNING"


def test_daily_moves_on_at_its_end(cluster):
    cluster.ok(cluster.bin("scontrol"), "create", "res", "ReservationName=d", "StartTime=now",
               "EndTime=now+4seconds", "Nodes=n1", "Users=root", "Flags=DAILY")
    (rec,) = show_resv(cluster)
    wait_for(lambda: (show_resv(cluster) or [{}])[0].get("State") == "INACTIVE", scaled(30),
             "the daily reservation to move to tomorrow")
    (moved,) = show_resv(cluster)
    assert epoch(moved["StartTime"]) - epoch(rec["StartTime"]) == 86400, (moved, rec)
    assert moved["Flags"] == "DAILY,SPEC_NODES"


def test_maint_reservation_is_the_pending_reason(cluster):
    # As Slurm 22.05: a job held off by a maintenance reservation on its
    # nodes says so, now or when the maintenance starts within its limit.
    cluster.ok(cluster.bin("scontrol"), "create", "res", "ReservationName=mt", "StartTime=now",
               "Duration=30", "Nodes=n1,n2", "Users=root", "Flags=MAINT")
    a = cluster.submit("-t", "5", "-o", "/dev/null", "--wrap", "true")
    why = "ReqNodeNotAvail, Reserved for maintenance"
    wait_for(lambda: cluster.run(cluster.bin("squeue"), "-h", "-j", str(a), "-o", "%r").out.strip()
             == why, scaled(30), "the maintenance reason")
    assert cluster.job(a)["Reason"] == why.replace(" ", "_")
    rec = json.loads(cluster.ok(cluster.bin("squeue"), "--json", "-j", str(a)).out)["jobs"][0]
    assert (rec["state_reason"], rec["state_description"]) == ("ReqNodeNotAvail", why), rec
    cluster.ok(cluster.bin("scontrol"), "update", "ReservationName=mt", "StartTime=now+1hour",
               "Duration=30")
    b = cluster.submit("-t", "90", "-o", "/dev/null", "--wrap", "true")
    wait_for(lambda: cluster.run(cluster.bin("squeue"), "-h", "-j", str(b), "-o", "%r").out.strip()
             == why, scaled(30), "the maintenance reason of a job that would overlap it")
    cluster.wait_state(a, "COMPLETED")   # a fits before the maintenance
    cluster.ok(cluster.bin("scontrol"), "delete", "ReservationName=mt")
    cluster.wait_state(b, ("RUNNING", "COMPLETED"))
