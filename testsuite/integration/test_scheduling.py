"""The plugin scheduler (issue 4): sched/backfill starts a short job in the
gap before a reserved wide job without delaying it and does not start a long
one; after `scontrol reconfigure` to sched/builtin the same scenario does not
backfill; bad plugins are refused and the old config stays; with
priority/multifactor, sprio's figures follow the documented formula
(plugins/priority/multifactor/priority_multifactor.c, src/ctld/fairmath.c):

    priority = W_age*age + W_fairshare*fairshare + W_jobsize*jobsize
             + W_partition*queue - W_nice*nice        (rounded, at least 1)
    age = min(1, pending/PriorityMaxAge), jobsize = job CPUs/cluster CPUs,
    queue = queue priority/highest queue priority.

Scenario for backfill (2 nodes x 2 CPUs): R holds n1 (time limit 3 min),
W wants both nodes (reserved for when R's limit ends), S wants one node for
at most 1 min (fits before the reservation), L wants one node for 10 min
(would delay W)."""

import datetime
import os
import re

import pytest

from conftest import BUILD, wait_for
from modelutil import (config_value, fail_run, intervals, set_conf_key, timed_script,
                       wait_done)

APPEND = """KillWait=2
SchedulerType=sched/backfill
BackfillResolution=5
QueueName=hi Priority=4 Partitions=batch
QueueName=lo Priority=1 Partitions=batch
"""


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=2, cpus=2, mem=4000, append=APPEND)


@pytest.fixture(autouse=True)
def clean(cluster):
    yield
    cluster.reset()


def tool(cluster, name):
    """A command of the build (sprio and sshare may not be on the cluster's
    PATH list; never a system Slurm's)."""
    try:
        return cluster.bin(name)
    except AssertionError:
        p = os.path.join(BUILD, "src", "cmd", name, name)
        if not os.access(p, os.X_OK):
            pytest.fail("%s is not built (%s)" % (name, p))
        return p


def epoch(ts):
    return datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S").timestamp()


def reconfigure(cluster, **keys):
    for k, v in keys.items():
        set_conf_key(cluster, k, v)
    cluster.ok(cluster.bin("scontrol"), "reconfigure")
    for k, v in keys.items():
        assert config_value(cluster, k) == v, (k, config_value(cluster, k))


def hold_script(cluster, d):
    """Records its times, then waits for d/go."""
    return timed_script(cluster, d, body="while [ ! -f go ]; do sleep 0.2; done")


def expected_start(cluster, jid):
    r = cluster.ok(cluster.bin("squeue"), "--start", "-h", "-j", str(jid), "-o", "%S")
    v = r.out.strip()
    if re.match(r"^\d{4}-\d\d-\d\dT", v):
        return epoch(v)
    return None


def test_backfill_short_job_in_gap_not_long_one(cluster):
    assert config_value(cluster, "SchedulerType") == "sched/backfill"
    d = cluster.mkdir("backfill")
    hold = hold_script(cluster, d)
    quick = timed_script(cluster, d, sleep=1)
    r = cluster.submit("-w", "n1", "-c", "2", "-t", "3", "-o", "/dev/null", hold, cwd=d)
    rj = cluster.wait_state(r, "RUNNING")
    w = cluster.submit("-N", "2", "-c", "2", "-t", "2", "-o", "/dev/null", quick, cwd=d)
    wj = cluster.wait_state(w, "PENDING")
    long_ = cluster.submit("-c", "2", "-t", "10", "-o", "/dev/null", quick, cwd=d)
    short = cluster.submit("-c", "2", "-t", "1", "-o", "/dev/null", quick, cwd=d)
    try:
        # S fits in the gap on n2: it runs while R still holds n1.
        assert wait_done(cluster, short, timeout=120)["JobState"] == "COMPLETED"
        assert cluster.state(r) == "RUNNING"
        # W keeps its reservation: expected at R's start + R's limit.
        r_start = epoch(rj["StartTime"])
        exp = wait_for(lambda: expected_start(cluster, w), 60, "an expected start for %d" % w)
        assert r_start + 180 - 1 <= exp <= r_start + 180 + 60, (r_start, exp)
        sj = cluster.job(w)
        assert sj["JobState"] == "PENDING", sj
        # L would delay W: it has not started (n2 has been free since S ended).
        lj = cluster.job(long_)
        assert lj["JobState"] == "PENDING", lj
        assert not os.path.exists(os.path.join(d, "times", str(long_)))
    finally:
        open(os.path.join(d, "go"), "w").close()
    for x in (r, w, long_):
        assert wait_done(cluster, x, timeout=120)["JobState"] == "COMPLETED"
    iv = intervals(d)
    assert iv[str(short)][0] < iv[str(r)][1], "S was not backfilled before R ended"
    assert iv[str(w)][0] >= iv[str(r)][1]
    assert iv[str(long_)][0] >= iv[str(w)][1], "L started before the wide job it would delay"
    # scontrol show job gave the same expected start (StartTime= of a pending job).
    assert sj["StartTime"] not in ("Unknown", "N/A") and epoch(sj["StartTime"]) == exp, \
        "squeue --start says %s, scontrol show job StartTime=%s" % (exp, sj["StartTime"])


def test_reconfigure_to_builtin_does_not_backfill(cluster):
    try:
        reconfigure(cluster, SchedulerType="sched/builtin")
        d = cluster.mkdir("builtin")
        hold = hold_script(cluster, d)
        quick = timed_script(cluster, d, sleep=1)
        r = cluster.submit("-w", "n1", "-c", "2", "-t", "3", "-o", "/dev/null", hold, cwd=d)
        cluster.wait_state(r, "RUNNING")
        w = cluster.submit("-N", "2", "-c", "2", "-t", "2", "-o", "/dev/null", quick, cwd=d)
        short = cluster.submit("-c", "2", "-t", "1", "-o", "/dev/null", quick, cwd=d)
        try:
            # The scheduler has looked at S and keeps it waiting behind W.
            j = wait_for(lambda: (lambda j: j if j["Reason"] in ("Priority", "Resources") else None)
                         (cluster.job(short)), 60, "S to get a pending reason")
            assert j["JobState"] == "PENDING", j
            # A job submitted later that cannot run either does not unblock it.
            assert cluster.job(w)["JobState"] == "PENDING"
            assert cluster.state(short) == "PENDING"
        finally:
            open(os.path.join(d, "go"), "w").close()
        for x in (r, w, short):
            assert wait_done(cluster, x, timeout=120)["JobState"] == "COMPLETED"
        iv = intervals(d)
        assert iv[str(short)][0] >= iv[str(w)][0], "sched/builtin started S before W"
        assert iv[str(short)][0] >= iv[str(r)][1]
    finally:
        reconfigure(cluster, SchedulerType="sched/backfill")


@pytest.mark.parametrize("key,value", [
    ("SchedulerType", "sched/nope"),
    ("PriorityType", "priority/nope"),
    ("BackfillResolution", "soon"),
])
def test_bad_plugin_refused_old_config_stays(cluster, key, value):
    before = config_value(cluster, key)
    with open(cluster.conf) as f:
        saved = f.read()
    # The commands read the file too: ask the controller through a good copy.
    good = os.path.join(cluster.dir, "good.conf")
    with open(good, "w") as f:
        f.write(saved)
    try:
        set_conf_key(cluster, key, value)
        r = fail_run(cluster, cluster.bin("scontrol"), "reconfigure", env={"SLUICE_CONF": good})
        assert value in r.err, r
        assert re.search(r"sluice\.conf:\d+", r.err), r
        r = cluster.ok(cluster.bin("scontrol"), "show", "config", env={"SLUICE_CONF": good})
        assert re.search(r"^\s*%s\s*=\s*%s\s*$" % (key, re.escape(before)), r.out, re.M | re.I), r
        # Still scheduling.
        jid = cluster.submit("-o", "/dev/null", "--wrap", "true", env={"SLUICE_CONF": good})
        with open(cluster.conf, "w") as f:
            f.write(saved)
        assert wait_done(cluster, jid)["JobState"] == "COMPLETED"
    finally:
        with open(cluster.conf, "w") as f:
            f.write(saved)
    cluster.ok(cluster.bin("scontrol"), "reconfigure")


def table(text):
    lines = [l for l in text.splitlines() if l.strip()]
    hdr = lines[0].split()
    return hdr, [l.split() for l in lines[1:]]


def test_sprio_follows_multifactor_formula(cluster):
    weights = dict(PriorityType="priority/multifactor", PriorityWeightAge="1000",
                   PriorityMaxAge="100000", PriorityWeightJobSize="1000",
                   PriorityWeightPartition="2000", PriorityWeightFairshare="0",
                   PriorityWeightNice="1")
    try:
        reconfigure(cluster, **weights)
        d = cluster.mkdir("sprio")
        hold = hold_script(cluster, d)
        b = cluster.submit("-N", "2", "-c", "2", "-o", "/dev/null", hold, cwd=d)
        cluster.wait_state(b, "RUNNING")
        jobs = {
            cluster.submit("-p", "hi", "-c", "1", "-o", "/dev/null", "--wrap", "true", cwd=d):
                (4, 1, 0),
            cluster.submit("-p", "lo", "-c", "2", "-o", "/dev/null", "--wrap", "true", cwd=d):
                (1, 2, 0),
            cluster.submit("-p", "lo", "-c", "1", "--nice=10", "-o", "/dev/null", "--wrap",
                           "true", cwd=d): (1, 1, 10),
        }
        try:
            sprio = tool(cluster, "sprio")
            hdr, rows = table(cluster.ok(sprio, "-n").out)
            norm = {int(r[0]): dict(zip(hdr, r)) for r in rows}
            hdr, rows = table(cluster.ok(sprio).out)
            wtd = {int(r[0]): dict(zip(hdr, r)) for r in rows}
            assert set(jobs) <= set(norm) and set(jobs) <= set(wtd), (norm, wtd)
            for jid, (qprio, cpus, nice) in jobs.items():
                n, w = norm[jid], wtd[jid]
                # Normalized factors.
                assert abs(float(n["JOBSIZE"]) - cpus / 4.0) < 1e-3, n
                assert abs(float(n["PARTITION"]) - qprio / 4.0) < 1e-3, n
                assert 0 <= float(n["AGE"]) <= 0.01, n        # pending seconds / 100000
                # Weighted: weight x factor.
                assert abs(float(w["JOBSIZE"]) - 1000 * cpus / 4.0) <= 1, w
                assert abs(float(w["PARTITION"]) - 2000 * qprio / 4.0) <= 1, w
                assert float(w["FAIRSHARE"]) == 0, w
                assert int(float(w["NICE"])) == nice, w
                total = (float(w["AGE"]) + float(w["FAIRSHARE"]) + float(w["JOBSIZE"])
                         + float(w["PARTITION"]) - 1 * nice)
                assert abs(int(w["PRIORITY"]) - total) <= 2, w
                # scontrol shows the same priority (age may have moved by a point).
                assert abs(int(cluster.job(jid)["Priority"]) - int(w["PRIORITY"])) <= 2
            # Higher priority first: hi's job, then lo's 2-CPU job, then the nice one.
            order = sorted(jobs, key=lambda x: -int(wtd[x]["PRIORITY"]))
            assert [jobs[x] for x in order] == [(4, 1, 0), (1, 2, 0), (1, 1, 10)], order
            wr = cluster.ok(sprio, "-w").out
            assert "1000" in wr and "2000" in wr, wr
        finally:
            open(os.path.join(d, "go"), "w").close()
        for jid in jobs:
            assert wait_done(cluster, jid)["JobState"] == "COMPLETED"
    finally:
        reconfigure(cluster, PriorityType="priority/basic")
