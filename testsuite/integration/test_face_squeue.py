"""squeue as Slurm 22.05's (issue 13): --me; a finished job is listed by
`squeue -j ID` only with -t naming its state (or all), so that the wait loop
`while [ -n "$(squeue -h -j $ID)" ]` ends; -t filters with or without -j;
the -o letters and -O names added here, and unknown ones refused by name."""

import json

import pytest

from conftest import IS_ROOT, REPORT_DATE, iterate_reports, wait_for


@pytest.fixture(scope="module")
def cluster(cluster_factory, users):
    return cluster_factory(nodes=2, cpus=4, append="KillWait=2\nLicenses=foo:2,bar\n")


def done(cluster, jid):
    """A job that finished."""
    cluster.wait_state(jid, ("COMPLETED", "FAILED"))
    return jid


def test_finished_job_listed_only_with_its_state(cluster):
    jid = done(cluster, cluster.submit("-o", "/dev/null", "--wrap", "true"))
    r = cluster.ok(cluster.bin("squeue"), "-h", "-j", str(jid))
    assert r.out == "", r
    for states in ("all", "CD", "COMPLETED", "cd,PD"):
        r = cluster.ok(cluster.bin("squeue"), "-h", "-j", str(jid), "-t", states, "-o", "%i %t")
        assert r.out == "%d CD\n" % jid, (states, r)
    r = cluster.ok(cluster.bin("squeue"), "-h", "-j", str(jid), "-t", "R,PD")
    assert r.out == "", r
    # --json selects the same way.
    r = cluster.ok(cluster.bin("squeue"), "--json", "-j", str(jid))
    assert '"jobs": []' in r.out, r


def test_finished_array_listed_task_by_task(cluster):
    """squeue -j ARRAYID -t all once every task ended lists each task, as
    Slurm does (it listed nothing: the array's own record stood alone)."""
    jid = cluster.submit("--array=1-3", "-o", "/dev/null", "--wrap", "true")
    cluster.wait_state(jid, "COMPLETED")
    r = cluster.ok(cluster.bin("squeue"), "-h", "-j", str(jid), "-t", "all", "-o", "%i %t")
    assert r.out == "".join("%d_%d CD\n" % (jid, t) for t in (1, 2, 3)), r
    r = cluster.ok(cluster.bin("squeue"), "-h", "-j", str(jid))
    assert r.out == "", r


def test_state_filter_with_ids_for_live_jobs(cluster):
    jid = cluster.submit("-H", "-o", "/dev/null", "--wrap", "true")
    try:
        r = cluster.ok(cluster.bin("squeue"), "-h", "-j", str(jid), "-t", "R", "-o", "%i")
        assert r.out == "", r
        r = cluster.ok(cluster.bin("squeue"), "-h", "-j", str(jid), "-t", "PD", "-o", "%i")
        assert r.out == "%d\n" % jid, r
    finally:
        cluster.run(cluster.bin("scancel"), str(jid))


def test_wait_loop_ends(cluster):
    """The loop scripts use to wait for a job."""
    jid = cluster.submit("-o", "/dev/null", "--wrap", "sleep 1")
    loop = 'while [ -n "$(%s -h -j %d)" ]; do sleep 0.2; done; echo over' % (
        cluster.bin("squeue"), jid)
    r = cluster.run("/bin/sh", "-c", loop, timeout=60)
    assert r.rc == 0 and r.out == "over\n", r


def test_unknown_ids(cluster):
    r = cluster.run(cluster.bin("squeue"), "-h", "-j", "987654")
    assert r.rc == 1 and "Invalid job id specified" in r.err and r.out == "", r
    # Several unknown ids list nothing, as Slurm (only slurm_load_job of one id fails).
    r = cluster.ok(cluster.bin("squeue"), "-h", "-j", "987654,987655")
    assert r.out == "", r


@pytest.mark.skipif(not IS_ROOT, reason="needs root: jobs are submitted as two test users")
def test_me(cluster):
    a = cluster.submit("-H", "-o", "/dev/null", "--wrap", "true", cwd="/tmp", user="sluicea")
    b = cluster.submit("-H", "-o", "/dev/null", "--wrap", "true", cwd="/tmp", user="sluiceb")
    try:
        r = cluster.ok(cluster.bin("squeue"), "--me", "-h", "-o", "%i %u", user="sluicea")
        assert r.out == "%d sluicea\n" % a, r
        r = cluster.ok(cluster.bin("squeue"), "--me", "-h", "-o", "%i %u", user="sluiceb")
        assert r.out == "%d sluiceb\n" % b, r
        # scancel --me, as Slurm's: only the caller's jobs.
        cluster.ok(cluster.bin("scancel"), "--me", user="sluicea")
        assert cluster.wait_state(a, "CANCELLED") and cluster.job(b)["JobState"] == "PENDING"
    finally:
        cluster.run(cluster.bin("scancel"), str(a), str(b))


def test_fields(cluster):
    # No -C: features are enforced by the GPU work (issue 11); %f without one is "(null)".
    jid = cluster.submit("-H", "-o", "/dev/null", "-w", "n1", "-x", "n2",
                         "--mem-per-cpu=2000", "-c", "2", "--ntasks-per-node=1",
                         "--wrap", "true")
    try:
        r = cluster.ok(cluster.bin("squeue"), "-h", "-j", str(jid),
                       "-o", "%f|%n|%x|%O|%z|%m|%p|%Q")
        f, n, x, contig, sct, mem, prio, qprio = r.out.rstrip("\n").split("|")
        assert (f, n, x, contig, sct, mem) == ("(null)", "n1", "n2", "0", "*:*:*",
                                               "1.95G"), r
        assert 0.0 <= float(prio) <= 1.0 and len(prio) == 16, r
        assert float(prio) == pytest.approx(int(qprio) / 4294967295.0, abs=1e-12), r
        r = cluster.ok(cluster.bin("squeue"), "-j", str(jid), "-O",
                       "Feature,cpus-per-task,MinMemory,TimeLeft,Reason,ReqNodes,NTPerNode")
        head, row = r.out.splitlines()
        assert head.split() == ["FEATURES", "CPUS_PER_TASK", "MIN_MEMORY", "TIME_LEFT",
                                "REASON", "REQ_NODES", "TASKS_PER_NODE"], r
        assert row.split() == ["(null)", "2", "1.95G", "UNLIMITED", "JobHeldUser", "n1",
                               "1"], r
    finally:
        cluster.run(cluster.bin("scancel"), str(jid))


def test_unknown_fields_refused_by_name(cluster):
    r = cluster.run(cluster.bin("squeue"), "-O", "JobID,Nonsense")
    assert r.rc == 1 and "squeue: error: Invalid job format specification: Nonsense" in r.err, r
    # Slurm fields with no meaning here are refused too, not shown empty.
    for name in ("BurstBuffer", "SelectJobInfo", "WCKey"):
        r = cluster.run(cluster.bin("squeue"), "-O", name)
        assert r.rc == 1 and name in r.err, r
    r = cluster.run(cluster.bin("squeue"), "-o", "%i %w")
    assert r.rc == 1 and "%w" in r.err, r


def test_combined_short_options(cluster):
    r = cluster.ok(cluster.bin("squeue"), "-hl")
    assert not r.out.startswith("JOBID"), r
    r = cluster.run(cluster.bin("squeue"), "-hX")
    assert r.rc == 1 and "squeue: invalid option -- 'X'" in r.err, r
    r = cluster.run(cluster.bin("squeue"), "--frob")
    assert r.rc == 1 and "squeue: unrecognized option '--frob'" in r.err, r
    r = cluster.run(cluster.bin("squeue"), "-o")
    assert r.rc == 1 and "squeue: option requires an argument -- 'o'" in r.err, r


def test_format_names_widths_and_suffixes(cluster):
    # As Slurm 22.05: -O columns are exactly their width (default 20), with
    # no blank between them; text after the width is the column's suffix.
    jid = cluster.submit("-H", "-J", "wname", "-o", "/dev/null", "--wrap", "true")
    sq = cluster.bin("squeue")
    r = cluster.ok(sq, "-h", "-j", str(jid), "-O", "JobID:10,State:8,Name")
    assert r.out == "%-10dPENDING %-20s\n" % (jid, "wname"), r
    r = cluster.ok(sq, "-h", "-j", str(jid), "-O", "JobID:|,State:.|,Name:3")
    assert r.out == "%d|PENDING|wna\n" % jid, r
    r = cluster.ok(cluster.bin("sinfo"), "-h", "-O", "NodeList:3,Nodes:.4|")
    assert r.out == "n[1   2|\n", r
    cluster.run(cluster.bin("scancel"), str(jid))


def test_recently_finished_listed_with_finished_states(cluster):
    # As Slurm (MinJobAge, 300 s): -t all or a finished state lists the jobs
    # that ended lately without naming them; plain squeue never does.
    ok = done(cluster, cluster.submit("-o", "/dev/null", "--wrap", "true"))
    bad = done(cluster, cluster.submit("-o", "/dev/null", "--wrap", "exit 3"))
    arr = cluster.submit("-a", "1-2", "-o", "/dev/null", "--wrap", "true")
    for t in (1, 2):
        cluster.wait_state("%d_%d" % (arr, t), "COMPLETED")
    sq = cluster.bin("squeue")
    rows = cluster.ok(sq, "-h", "-t", "all", "-o", "%i %t").out.split("\n")
    for want in ("%d CD" % ok, "%d F" % bad, "%d_1 CD" % arr, "%d_2 CD" % arr):
        assert want in rows, (want, rows)
    assert not any(r.startswith("%d " % arr) for r in rows), rows   # shown by its tasks
    r = cluster.ok(sq, "-h", "-t", "CD", "-o", "%i")
    assert str(ok) in r.out.split() and str(bad) not in r.out.split(), r
    r = cluster.ok(sq, "-h", "-t", "F", "-u", "nobody", "-o", "%i")
    assert r.out == "", r
    r = cluster.ok(sq, "-h", "-o", "%i")
    assert str(ok) not in r.out.split() and str(bad) not in r.out.split(), r


def test_reason_list_of_ended_jobs(cluster):
    # As Slurm's %R: a job that failed or ran out of time shows its reason,
    # one that completed its nodes.
    bad = done(cluster, cluster.submit("-o", "/dev/null", "--wrap", "exit 3"))
    late = cluster.submit("-t", "0:02", "-o", "/dev/null", "--wrap", "sleep 60")
    cluster.wait_state(late, "TIMEOUT", timeout=120)
    good = done(cluster, cluster.submit("-o", "/dev/null", "--wrap", "true"))
    r = cluster.ok(cluster.bin("squeue"), "-h", "-t", "all", "-j", "%d,%d,%d" % (bad, late, good),
                   "-o", "%i %R")
    rows = dict(l.split() for l in r.out.splitlines())
    assert rows[str(bad)] == "(NonZeroExitCode)" and rows[str(late)] == "(TimeLimit)", r
    assert not rows[str(good)].startswith("("), r


def test_nodelist_filter(cluster):
    a = cluster.submit("-w", "n1", "-o", "/dev/null", "--wrap", "sleep 60")
    b = cluster.submit("-w", "n2", "-o", "/dev/null", "--wrap", "sleep 60")
    try:
        for jid in (a, b):
            cluster.wait_state(jid, "RUNNING")
        sq = cluster.bin("squeue")
        r = cluster.ok(sq, "-h", "-w", "n2", "-j", "%d,%d" % (a, b), "-o", "%i")
        assert r.out.split() == [str(b)], r
        r = cluster.ok(sq, "-h", "--nodelist=n[1-2]", "-j", "%d,%d" % (a, b), "-o", "%i")
        assert sorted(r.out.split()) == sorted([str(a), str(b)]), r
        r = cluster.run(sq, "-w", "n[")
        assert r.rc == 1 and "Invalid node list" in r.err, r
    finally:
        cluster.run(cluster.bin("scancel"), str(a), str(b))


def test_sort(cluster):
    # -S as Slurm: format letters, '-' descending, numbers in values by value.
    ids = [cluster.submit("-H", "-J", name, "-t", limit, "-o", "/dev/null", "--wrap", "true")
           for name, limit in (("zeta", "5"), ("alpha", "30"), ("mid", "10"))]
    sq = cluster.bin("squeue")
    sel = ",".join(map(str, ids))
    try:
        r = cluster.ok(sq, "-h", "-j", sel, "-S", "j", "-o", "%j")
        assert r.out.split() == ["alpha", "mid", "zeta"], r
        r = cluster.ok(sq, "-h", "-j", sel, "-S", "-l", "-o", "%j")
        assert r.out.split() == ["alpha", "mid", "zeta"], r
        r = cluster.ok(sq, "-h", "-j", sel, "--sort=+l,-i", "-o", "%j")
        assert r.out.split() == ["zeta", "mid", "alpha"], r
        r = cluster.ok(sq, "-h", "-j", sel, "-S", "-i", "-o", "%i")
        assert r.out.split() == [str(i) for i in reversed(ids)], r
        r = cluster.run(sq, "-S", "%")
        assert r.rc == 1 and "Invalid sort specification" in r.err, r
    finally:
        cluster.run(cluster.bin("scancel"), *map(str, ids))


def test_iterate(cluster):
    """-i N: the report again every N seconds, each under Slurm's time line
    and after a blank line."""
    jid = cluster.submit("-o", "/dev/null", "--wrap", "sleep 300")
    argv = [cluster.bin("squeue"), "-j", str(jid), "-o", "%i"]
    for it in (["-i", "1"], ["--iterate=1"]):
        lines = iterate_reports(cluster, argv + it)
        dates = [i for i, l in enumerate(lines) if REPORT_DATE.match(l)]
        assert dates == [0, 4] and lines[1:4] == ["JOBID", str(jid), ""], lines
    for bad in ("0", "x"):
        r = cluster.run(cluster.bin("squeue"), "-i", bad)
        assert r.rc == 1 and "invalid entry for --iterate=%s" % bad in r.err, r
    cluster.run(cluster.bin("scancel"), str(jid))


def test_qos_reservation_licenses_filters(cluster):
    """-q (a job without --qos has Slurm's default, normal), -R, -L."""
    cluster.ok(cluster.bin("scontrol"), "create", "reservation", "ReservationName=sqr",
               "StartTime=now+1hour", "Duration=10", "Nodes=n1", "Users=root",
               "Flags=IGNORE_JOBS")
    sub = lambda *a: cluster.submit("-H", "-o", "/dev/null", *(a + ("--wrap", "true")))
    gold, plain, resv, lic = sub("--qos=gold"), sub(), sub("--reservation=sqr"), sub("-L", "foo:2")
    ids = ",".join(str(j) for j in (gold, plain, resv, lic))
    sq = lambda *a: sorted(int(x) for x in cluster.ok(
        *[cluster.bin("squeue"), "-h", "-o", "%i", "-j", ids] + list(a)).out.split())
    try:
        assert sq("-q", "gold") == [gold]
        assert sq("--qos=GOLD,normal") == sorted([gold, plain, resv, lic])
        assert sq("-q", "silver") == []
        assert sq("-R", "sqr") == sq("--reservation=sqr") == [resv]
        assert sq("-R", "other") == []
        assert sq("-L", "foo") == sq("--licenses=bar,foo") == [lic]
        assert sq("-L", "bar") == []
        j = json.loads(cluster.ok(cluster.bin("squeue"), "--json", "-q", "gold", "-j", ids).out)
        assert [x["job_id"] for x in j["jobs"]] == [gold], j
    finally:
        cluster.run(cluster.bin("scancel"), *ids.split(","))
        cluster.run(cluster.bin("scontrol"), "delete", "reservation", "sqr")
