"""sinfo as Slurm 22.05's (issue 13): -s (summary), -e (exact grouping;
without it CPUs and memory of grouped nodes show as "least+"), combined
short options (-Nel), -o %c %m %z %X %Y %Z %C %O %e, and --json in Slurm's
top-level shape."""

import json
import re

import pytest

from conftest import REPORT_DATE, iterate_reports


APPEND = """KillWait=2
NodeName=n3 CPUs=2 RealMemory=1000
"""


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    c = cluster_factory(nodes=3, cpus=4, mem=4000, append=APPEND)
    c.wait_nodes_idle()
    return c


def sinfo(cluster, *args):
    return cluster.ok(cluster.bin("sinfo"), *args).out


def test_summarize(cluster):
    out = sinfo(cluster, "-s")
    lines = out.splitlines()
    assert lines[0].split() == ["PARTITION", "AVAIL", "TIMELIMIT", "NODES(A/I/O/T)",
                                "NODELIST"], out
    part, avail, limit, aiot, nodes = lines[1].split()
    assert (avail, aiot, nodes) == ("up", "0/3/0/3", "n[1-3]"), out
    assert part.endswith("*") and len(lines) == 2, out
    # The header is the same width as Slurm's "%9P %.5a %.10l %.16F %N".
    assert lines[0] == "PARTITION AVAIL  TIMELIMIT   NODES(A/I/O/T) NODELIST", out


def test_min_plus_and_exact(cluster):
    out = sinfo(cluster, "-h", "-o", "%D %c %m %z %N")
    assert out == "3 2+ 1000+ 1:2+:1 n[1-3]\n", out
    out = sinfo(cluster, "-h", "-e", "-o", "%D %c %m %z %N")
    assert sorted(out.splitlines()) == ["1 2 1000 1:2:1 n3", "2 4 4000 1:4:1 n[1-2]"], out
    out = sinfo(cluster, "-h", "--exact", "-o", "%X %Y %Z %C")
    assert sorted(out.splitlines()) == ["1 2 1 0/2/0/2", "1 4 1 0/8/0/8"], out



def test_load_and_free_memory(cluster):
    """The nodes report the host's load average and available memory when they
    register and with each heartbeat: %O is a load (or a range of them over
    the line's nodes), %e MiB; -N shows each node's own."""
    out = sinfo(cluster, "-h", "-N", "-o", "%N %O %e")
    for line in out.splitlines():
        name, load, free = line.split()
        assert re.match(r"^\d+\.\d\d$", load), out
        assert int(free) > 0, out
    out = sinfo(cluster, "-h", "-o", "%O|%e")
    load, free = out.strip().split("|")
    assert re.match(r"^\d+\.\d\d(-\d+\.\d\d)?$", load), out
    assert re.match(r"^\d+(-\d+)?$", free), out
    doc = json.loads(sinfo(cluster, "--json"))
    assert all(isinstance(n["cpu_load"], int) and n["free_memory"] > 0 for n in doc["nodes"]), doc


def test_node_long_exact_combined(cluster):
    out = sinfo(cluster, "-Nel")
    lines = out.splitlines()
    # -l prints the date first, as Slurm.
    # Slurm 22.05's columns, so that scripts picking the Nth word agree.
    assert lines[1].split() == ["NODELIST", "NODES", "PARTITION", "STATE", "CPUS", "S:C:T",
                                "MEMORY", "TMP_DISK", "WEIGHT", "AVAIL_FE", "REASON"], out
    assert re.match(r"^\w{3} \w{3} \d\d \d\d:\d\d:\d\d \d{4}$", lines[0]), out
    assert len(lines) == 5 and len(lines[2].split()) == 11, out
    out = sinfo(cluster, "-l")
    assert out.splitlines()[1].split() == ["PARTITION", "AVAIL", "TIMELIMIT", "JOB_SIZE", "ROOT",
                                           "OVERSUBS", "GROUPS", "NODES", "STATE", "NODELIST"], out
    assert sinfo(cluster, "-Nel") .count("n3") == 1


def test_bad_options_named(cluster):
    r = cluster.run(cluster.bin("sinfo"), "-Nqel")
    assert r.rc == 1 and "sinfo: invalid option -- 'q'" in r.err, r
    assert "'sinfo'" not in r.err, r
    r = cluster.run(cluster.bin("sinfo"), "--nope")
    assert r.rc == 1 and "sinfo: unrecognized option '--nope'" in r.err, r
    r = cluster.run(cluster.bin("sinfo"), "-o", "%Q")
    assert r.rc == 1 and "%Q" in r.err, r
    r = cluster.run(cluster.bin("sinfo"), "-O", "Nodes,Frob")
    assert r.rc == 1 and "Invalid job format specification: Frob" in r.err, r


def test_format_names_as_slurm(cluster):
    """-O Partition marks the default with '*' (%P), PartitionName does not (%R)."""
    out = sinfo(cluster, "-h", "-O", "Partition,PartitionName")
    a, b = out.split()
    assert a == b + "*", out


def test_json(cluster):
    doc = json.loads(sinfo(cluster, "--json"))
    assert set(doc) >= {"meta", "errors", "nodes"} and doc["errors"] == [], doc
    assert doc["meta"]["Slurm"]["version"]["major"] == 22, doc["meta"]
    nodes = {n["name"]: n for n in doc["nodes"]}
    assert set(nodes) == {"n1", "n2", "n3"}, nodes
    n3 = nodes["n3"]
    assert (n3["cpus"], n3["real_memory"], n3["state"], n3["state_flags"]) == \
        (2, 1000, "idle", []), n3
    assert n3["idle_cpus"] == 2 and n3["alloc_cpus"] == 0 and n3["partitions"], n3
    assert "sluice" in n3 and n3["sluice"]["state"] == "IDLE", n3
    cluster.ok(cluster.bin("scontrol"), "update", "NodeName=n3", "State=DRAIN", "Reason=test")
    try:
        doc = json.loads(sinfo(cluster, "--json", "-n", "n3"))
        assert [n["name"] for n in doc["nodes"]] == ["n3"], doc
        n3 = doc["nodes"][0]
        assert n3["state"] == "idle" and n3["state_flags"] == ["DRAIN"], n3
        assert n3["reason"] == "test", n3
    finally:
        cluster.ok(cluster.bin("scontrol"), "update", "NodeName=n3", "State=RESUME")
    r = cluster.run(cluster.bin("sinfo"), "--json", "-o", "%N")
    assert r.rc == 1 and "--json cannot be combined" in r.err, r


def test_states_filter(cluster):
    # -t as Slurm: nodes in those states (compact or long names); a partition
    # none of whose nodes match keeps a line with 0 nodes.
    jid = cluster.submit("-w", "n1", "-c", "1", "-o", "/dev/null", "--wrap", "sleep 60")
    cluster.wait_state(jid, "RUNNING")
    try:
        assert sinfo(cluster, "-h", "-N", "-t", "mix", "-o", "%N").split() == ["n1"]
        assert sinfo(cluster, "-h", "-N", "-t", "idle", "-o", "%N").split() == ["n2", "n3"]
        assert sinfo(cluster, "-h", "-N", "-t", "IDLE,mixed", "-o", "%N").split() == \
            ["n1", "n2", "n3"]
        assert sinfo(cluster, "-h", "-t", "drain", "-o", "%D %N").split() == ["0"]
        # -r: responding nodes only; -d: those not responding (none here).
        assert sinfo(cluster, "-h", "-N", "-r", "-o", "%N").split() == ["n1", "n2", "n3"]
        assert sinfo(cluster, "-h", "-d", "-o", "%D").split() == ["0"]
    finally:
        cluster.run(cluster.bin("scancel"), str(jid))


def test_iterate(cluster):
    """-i N: the report again every N seconds, each under Slurm's time line
    and after a blank line."""
    lines = iterate_reports(cluster, [cluster.bin("sinfo"), "-i", "1", "-o", "%P %D"])
    dates = [i for i, l in enumerate(lines) if REPORT_DATE.match(l)]
    assert len(dates) == 2 and dates[0] == 0, lines
    assert lines[1] == "PARTITION NODES" and lines[dates[1] - 1] == "", lines
    assert lines[1:dates[1] - 1] == cluster.ok(cluster.bin("sinfo"), "-o", "%P %D").out.splitlines()
    lines = iterate_reports(cluster, [cluster.bin("sinfo"), "--iterate=1", "-o", "%D"])
    assert lines[1] == "NODES", lines
    for bad in ("0", "x", "-2"):
        r = cluster.run(cluster.bin("sinfo"), "-i", bad)
        assert r.rc == 1 and "invalid entry for --iterate=%s" % bad in r.err, r


def test_sort(cluster):
    """-S as squeue's (the -o letters, '-' descending, ties as they were),
    and '#P': the partitions as configured."""
    si = lambda *a: cluster.ok(*[cluster.bin("sinfo"), "-N", "-h", "-o", "%N %c"] + list(a)).out
    assert si("-S", "-N").split("\n")[:3] == ["n3 2", "n2 4", "n1 4"]
    assert si("--sort=N") == si("-S", "+N")
    assert si("-S", "c").split("\n")[:3] == ["n3 2", "n1 4", "n2 4"]
    assert si("-S", "-c,-N").split("\n")[:3] == ["n2 4", "n1 4", "n3 2"]
    assert si("-S", "#P,N") == si()
    for bad in ("%", "", "-"):
        r = cluster.run(cluster.bin("sinfo"), "-S", bad)
        assert r.rc == 1 and "Invalid sort specification" in r.err, r


def test_reservation_listing(cluster):
    """-T: Slurm's reservation listing, the name column as wide as the longest."""
    si = cluster.bin("sinfo")
    assert cluster.ok(si, "-T").out.split() == ["RESV_NAME", "STATE", "START_TIME", "END_TIME",
                                               "DURATION", "NODELIST"]
    cluster.ok(cluster.bin("scontrol"), "create", "reservation", "ReservationName=maintenance_window",
               "StartTime=now+1hour", "Duration=90", "Nodes=n1,n2", "Users=root",
               "Flags=IGNORE_JOBS")
    try:
        out = cluster.ok(si, "--reservation").out.splitlines()
        w = len("maintenance_window")
        assert out[0] == "%-*s  %8s  %19s  %19s  %11s  NODELIST" % (
            w, "RESV_NAME", "STATE", "START_TIME", "END_TIME", "DURATION"), out
        f = out[1].split()
        assert f[0] == "maintenance_window" and f[1] == "INACTIVE" and f[4] == "01:30:00", out
        assert f[5] == "n[1-2]" and re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$", f[2]), out
        assert cluster.ok(si, "-T", "-h").out == out[1] + "\n"
    finally:
        cluster.run(cluster.bin("scontrol"), "delete", "reservation", "maintenance_window")
