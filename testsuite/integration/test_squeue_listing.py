"""squeue's listing (issue 5): squeue asks job_list for exactly the keys its
format reads, as a columnar reply ("columns"/"rows", doc/protocol.md).  The
output must be the same, byte for byte, as when the controller sends job
records instead (SLUICE_JOB_LIST=records, the reply older controllers give)
for a varied queue: running jobs, held and waiting ones with different
pending reasons, arrays folded and with -r (partly started, throttled),
every -o letter and -O name, --start, -l, the filters, and a job name with
quotes, commas, a backslash, a tab and UTF-8."""

import json

import pytest

from conftest import wait_for

ODD_NAME = 'odd "name", back\\slash\ttab caf\u00e9 \u20ac|x'

LETTERS = "iAFKjuUGaPqvyTtrRMlLDCcmNYSVeZQokEhfnxOzpB"
NAMES = ("JobArrayID JobID ArrayJobID ArrayTaskID Name UserName UserID GroupID Account "
         "Partition QOS Queue Share SchedPriority Nice ReasonDetail StateCompact State Reason "
         "ReasonList TimeUsed TimeLimit TimeLeft NumNodes NumCPUs NumTasks MinCpus MinMemory "
         "NodeList SchedNodes StartTime SubmitTime EndTime WorkDir Priority Command Comment "
         "Dependency OverSubscribe ExitCode STDOUT STDERR STDIN EligibleTime cpus-per-task "
         "NTPerNode MaxNodes Feature ReqNodes ExcNodes Contiguous SCT Requeue RestartCnt "
         "BatchHost PriorityLong").split()


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=2, cpus=4, append="KillWait=2\n")


@pytest.fixture(scope="module")
def queue(cluster):
    """A queue with something of every kind; cancelled at the end."""
    d = cluster.mkdir("listing")
    ids = {}
    sub = lambda key, *a: ids.__setitem__(key, cluster.submit(*a, cwd=d))
    sub("odd", "-J", ODD_NAME, "-o", "/dev/null", "--comment", "a, \"comment\"",
        "--wrap", "exec sleep 300")
    sub("arr", "--array=0-7%2", "-o", "/dev/null", "--wrap", "exec sleep 300")
    sub("held", "-H", "-J", "held", "-t", "5", "--mem=100", "-o", "/dev/null", "--wrap", "true")
    sub("harr", "-H", "--array=1,3,5-9:2", "-o", "/dev/null", "--wrap", "true")
    sub("big", "-n", "8", "-o", "/dev/null", "--wrap", "true")      # waits for resources
    sub("behind", "-n", "1", "-o", "/dev/null", "--wrap", "true")
    sub("dep", "-d", "afterok:%d" % ids["held"], "-o", "/dev/null", "--wrap", "true")
    sub("begin", "--begin=now+3600", "-o", "/dev/null", "--wrap", "true")
    wait_for(lambda: cluster.run(cluster.bin("squeue"), "-h", "-t", "R", "-o", "%i").out.count("\n")
             >= 3, what="three jobs running")
    yield ids
    cluster.run(cluster.bin("scancel"), *[str(v) for v in ids.values()])


def both(cluster, *args):
    """squeue ARGS through the columnar reply and through records."""
    a = cluster.run(cluster.bin("squeue"), *args)
    b = cluster.run(cluster.bin("squeue"), *args, env={"SLUICE_JOB_LIST": "records"})
    return a, b


def same_output(cluster, *args):
    # TIME columns and -l's date header tick: a second boundary between the two runs retries.
    for _ in range(5):
        a, b = both(cluster, *args)
        assert a.rc == b.rc, (a, b)
        if a.out == b.out and a.err == b.err:
            return a
    assert a.out == b.out, (args, a.out, b.out)
    assert a.err == b.err, (args, a.err, b.err)


@pytest.mark.parametrize("args", [
    (),
    ("-l",),
    ("-r",),
    ("--start",),
    ("-r", "--start"),
    ("-h", "-o", "%all".replace("all", " %".join(LETTERS))),
    ("-r", "-o", "|".join("%" + c for c in LETTERS)),
    ("-o", "%.5i %-30j %20R %10T %.3D"),
    ("-O", ",".join(NAMES)),
    ("-r", "-O", ",".join(n + ":12" for n in NAMES)),
    ("-t", "PD",),
    ("-t", "R", "-o", "%i %j"),
    ("-t", "all",),
    ("-p", "batch",),
    ("-n", "held,wrap",),
    ("-n", ODD_NAME, "-o", "%j|%k"),
])
def test_same_as_records(cluster, queue, args):
    same_output(cluster, *args)


def test_same_as_records_by_id(cluster, queue):
    for key in ("arr", "harr", "odd", "big"):
        same_output(cluster, "-j", str(queue[key]))
        same_output(cluster, "-r", "-j", str(queue[key]), "-o", "%i %K %F %A %T %r")
    same_output(cluster, "-j", "%d_5" % queue["harr"])
    r = same_output(cluster, "-j", "99999")
    assert r.rc != 0 and "Invalid job id" in r.err, r


def test_odd_name_intact(cluster, queue):
    out = same_output(cluster, "-h", "-j", str(queue["odd"]), "-o", "%j|%k|%T").out
    assert out == "%s|a, \"comment\"|RUNNING\n" % ODD_NAME, out
    js = json.loads(cluster.run(cluster.bin("squeue"), "--json", "-j", str(queue["odd"])).out)
    assert js["jobs"][0]["name"] == ODD_NAME


def test_folded_and_expanded(cluster, queue):
    """The shapes the comparison relies on are really there."""
    harr = queue["harr"]
    lines = same_output(cluster, "-h", "-j", str(harr), "-o", "%i %r").out.splitlines()
    assert lines == ["%d_[1,3,5,7,9] JobHeldUser" % harr], lines
    lines = same_output(cluster, "-h", "-r", "-j", str(harr), "-o", "%i").out.split()
    assert lines == ["%d_%d" % (harr, t) for t in (1, 3, 5, 7, 9)], lines
    out = same_output(cluster, "-h", "-j", str(queue["arr"]), "-o", "%i %T").out
    assert "_[2-7%2] PENDING" in out and "_0 RUNNING" in out, out
    reasons = same_output(cluster, "-h", "-t", "PD", "-o", "%r").out.split()
    for r in ("JobHeldUser", "Dependency", "BeginTime"):
        assert r in reasons, reasons


def test_empty_queue_listing(cluster_factory):
    c = cluster_factory(nodes=1, cpus=2)
    for args in ((), ("-h",), ("-r", "-l"), ("--start",)):
        # -l's header carries the time: same_output retries across a second boundary.
        assert same_output(c, *args).rc == 0
    assert c.run(c.bin("squeue"), "-h").out == ""
