"""sacct -S/-E in every form Slurm's parse_time reads (issue 13): now-1hour,
now-3days, now+1day, today, midnight, noon, teatime, YYYY-MM-DD[THH:MM[:SS]],
MMDD[YY], MM/DD[/YY], HH:MM[:SS]; a bad one refused naming it.  The forms
themselves are checked to the second in testsuite/unit/test_parse.c; here
they select a job that ended a moment ago, or not."""

import time

import pytest


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=1, cpus=2)


@pytest.fixture(scope="module")
def job(cluster):
    jid = cluster.submit("-o", "/dev/null", "--wrap", "true")
    cluster.wait_state(jid, "COMPLETED")
    return jid


def listed(cluster, jid, *window):
    r = cluster.ok(cluster.bin("sacct"), "-X", "-n", "-P", "--format=JobID", *window)
    return str(jid) in r.out.split()


def test_relative_and_words(cluster, job):
    lt = time.localtime()
    if lt.tm_hour == 23 and lt.tm_min >= 58:
        pytest.skip("too close to midnight: 'today' would change while the test runs")
    assert listed(cluster, job, "-S", "now-1hour")
    assert listed(cluster, job, "-S", "now-3days", "-E", "now+1day")
    assert listed(cluster, job, "-S", "today")
    assert listed(cluster, job, "-S", "midnight")
    assert listed(cluster, job, "-S", "today", "-E", "tomorrow")
    assert not listed(cluster, job, "-S", "now+1day")
    assert not listed(cluster, job, "-S", "now-3days", "-E", "now-2days")


def test_dates(cluster, job):
    lt = time.localtime()
    if lt.tm_hour == 23 and lt.tm_min >= 58:
        pytest.skip("too close to midnight: the date would change while the test runs")
    day = time.strftime("%Y-%m-%d")
    for form in (day, day + "T00:00", day + "T00:00:00", time.strftime("%m%d"),
                 time.strftime("%m%d%y"), time.strftime("%m/%d"), time.strftime("%m/%d/%y"),
                 "00:00", "00:00:00"):
        assert listed(cluster, job, "-S", form), form
    tomorrow = time.strftime("%Y-%m-%d", time.localtime(time.time() + 86400))
    assert not listed(cluster, job, "-S", tomorrow)
    assert listed(cluster, job, "-S", "2000-01-01", "-E", tomorrow)


@pytest.mark.parametrize("bad", ["yesterday", "now+5parsecs", "13/45", "25:00", "2024-02-30"])
def test_bad_forms_named(cluster, bad):
    r = cluster.run(cluster.bin("sacct"), "-S", bad)
    assert r.rc == 1 and ("'%s' is not a valid" % bad) in r.err, r


def test_name_selects_jobs_by_name(cluster, job):
    """--name=a,b lists the jobs of those names only (Slurm's --name)."""
    other = cluster.submit("-J", "sacct-named", "-o", "/dev/null", "--wrap", "true")
    cluster.wait_state(other, "COMPLETED")
    r = cluster.ok(cluster.bin("sacct"), "-X", "-n", "-P", "--format=JobID,JobName",
                   "--name=sacct-named,nosuch")
    assert r.out.split() == ["%s|sacct-named" % other], r
    r = cluster.ok(cluster.bin("sacct"), "-X", "-n", "-P", "--format=JobID", "--name=nosuch")
    assert r.out.strip() == "", r
