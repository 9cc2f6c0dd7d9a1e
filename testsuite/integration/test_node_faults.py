"""Node faults and the node lease (issue 9; doc/design.md, "Leases"): a job
never runs twice at the same time and no attempt is lost.

- A silent node (its sluiced SIGSTOPped, as a hung node): its stepds stop
  their jobs when the node's lease runs out, and the controller starts a
  --requeue job's next attempt only after that; marker files written by the
  job prove that the old copy was gone before the new one started.  When
  the node comes back nothing changes the job's current attempt (never
  CANCELLED) and sacct -D lists every attempt.
- The same without --requeue ends NODE_FAIL; a two-node job losing its
  second node has its copy on the first node stopped before it is settled.
- A sluicestepd killed with SIGKILL: the job ends FAILED only once every
  process of it is gone.
- sluiced killed and started again within NodeTimeout: its jobs are
  adopted and finish normally; after NodeTimeout: they stopped themselves
  and are recorded as lost with the node.
- The controller killed and restarted: healthy jobs keep running.

Every test checks the exact end state, the attempts and that no process of
the job survives."""

import os
import signal

import pytest

from conftest import pid_gone, read_pidfile, wait_for
from modelutil import sacct_rows

# Short enough for fast tests: a silent node is DOWN after 10 s and its
# jobs' copies are surely gone KillWait + 4 s later.
FAST = """KillWait=2
NodeTimeout=10
HeartbeatInterval=1
"""
# Long enough that a daemon restarted at once is back well within it.
SLOW = """KillWait=2
NodeTimeout=60
HeartbeatInterval=2
"""

# Each attempt logs its start and end; attempt 0 records its pids (the
# shell, a child, and a child that left the session with setsid) and then
# waits for ever; every attempt first checks that no process of an earlier
# attempt is alive.
MARKER_JOB = r"""#!/bin/sh
a=$SLURM_RESTART_COUNT
echo "start $a $$ $SLURMD_NODENAME" >> runs.log
for f in pids.*; do
    [ -e "$f" ] || continue
    for p in $(cat "$f"); do
        if [ -e /proc/$p ] && ! grep -q '^State:[[:space:]]*Z' /proc/$p/status 2>/dev/null; then
            echo "overlap $a $f $p" >> runs.log
        fi
    done
done
if [ "$a" = 0 ] || [ -n "$HOLD_ALL" ]; then
    sleep 600 &
    child=$!
    setsid sleep 600 </dev/null >/dev/null 2>&1 &
    echo "$$ $child $!" > pids.$a.tmp && mv pids.$a.tmp pids.$a
    wait
fi
echo "end $a" >> runs.log
"""


@pytest.fixture(scope="module")
def fast(cluster_factory):
    return cluster_factory(nodes=2, cpus=2, mem=2000, append=FAST)


@pytest.fixture(scope="module")
def slow(cluster_factory):
    return cluster_factory(nodes=2, cpus=2, mem=2000, append=SLOW)


@pytest.fixture(autouse=True)
def clean(request):
    """Whatever a test leaves (a failed one included) is cancelled and its
    nodes resumed before the next."""
    yield
    for name in ("fast", "slow"):
        if name in request.fixturenames:
            request.getfixturevalue(name).reset()


class Stopped:
    """SIGSTOP a node's sluiced (a hung node); SIGCONT on exit, whatever happens."""

    def __init__(self, cluster, node):
        self.pid = cluster.pid(node)
        assert self.pid, node

    def __enter__(self):
        os.kill(self.pid, signal.SIGSTOP)
        return self

    def resume(self):
        if self.pid:
            os.kill(self.pid, signal.SIGCONT)
            self.pid = 0

    def __exit__(self, *exc):
        self.resume()


def runs(d):
    try:
        return open(os.path.join(d, "runs.log")).read().splitlines()
    except OSError:
        return []


def pids_of(d, attempt):
    path = os.path.join(d, "pids.%d" % attempt)
    wait_for(lambda: os.path.exists(path), 60, "attempt %d to record its pids" % attempt)
    return [int(p) for p in open(path).read().split()]


def all_gone(pids):
    return all(pid_gone(p) for p in pids)


def attempts(cluster, jid):
    rows = sacct_rows(cluster, jid, "JobID,State,NodeList", ["-X", "-D"])
    return [(r["State"], r["NodeList"]) for r in rows if r["JobID"] == str(jid)]


def submit_marker(cluster, name, *opts):
    d = cluster.mkdir(name)
    s = cluster.script(MARKER_JOB, cwd=d)
    jid = cluster.submit("-o", "out.txt", *(list(opts) + [s]), cwd=d)
    node = cluster.wait_state(jid, "RUNNING")["NodeList"]
    return jid, d, node


def wait_node(cluster, node, state, timeout=120):
    wait_for(lambda: (cluster.node_states().get(node) or "").startswith(state), timeout,
             "node %s to be %s" % (node, state))


def other(cluster, node):
    return [n for n in cluster.nodes if n != node][0]


def test_silent_node_requeue_never_runs_twice(fast):
    """Bug 2: the old copy stops itself before the new attempt starts."""
    jid, d, node = submit_marker(fast, "silent-requeue", "--requeue")
    old = pids_of(d, 0)
    with Stopped(fast, node) as stopped:
        j = fast.wait_state(jid, "COMPLETED", timeout=180)
        assert j["Restarts"] == "1" and j["NodeList"] == other(fast, node), j
        # Stopped by its own stepd while sluiced was hung.
        assert all_gone(old), old
        stopped.resume()
    log = runs(d)
    assert log[0] == "start 0 %s %s" % (old[0], node), log
    assert log[1].startswith("start 1 ") and log[1].endswith(other(fast, node)), log
    assert log[2:] == ["end 1"], log                 # no overlap, attempt 0 never ended
    assert attempts(fast, jid) == [("NODE_FAIL", node), ("COMPLETED", other(fast, node))]
    # The node returns: nothing about the job changes.
    fast.wait_nodes_idle()
    j = fast.job(jid)
    assert j["JobState"] == "COMPLETED" and j["Restarts"] == "1", j
    assert attempts(fast, jid) == [("NODE_FAIL", node), ("COMPLETED", other(fast, node))]
    assert runs(d) == log


def test_silent_node_returns_requeue_not_cancelled(fast):
    """Bug 3: a --requeue job pinned to a node that went silent and came
    back reruns there (it is not CANCELLED), and both attempts are kept."""
    node = fast.nodes[0]
    jid, d, _ = submit_marker(fast, "return-requeue", "--requeue", "-w", node)
    old = pids_of(d, 0)
    with Stopped(fast, node) as stopped:
        wait_node(fast, node, "down")
        # Back as soon as it is declared DOWN: its copy may still be
        # stopping, and is reported by the node's registration.
        stopped.resume()
    j = fast.wait_state(jid, ("COMPLETED", "CANCELLED", "FAILED", "NODE_FAIL"), timeout=180)
    assert j["JobState"] == "COMPLETED" and j["Restarts"] == "1", j
    assert all_gone(old), old
    log = runs(d)
    assert log == ["start 0 %s %s" % (old[0], node), log[1], "end 1"], log
    assert log[1].startswith("start 1 ") and log[1].endswith(node), log
    assert attempts(fast, jid) == [("NODE_FAIL", node), ("COMPLETED", node)]


def test_silent_node_without_requeue_node_fail(fast):
    jid, d, node = submit_marker(fast, "silent-plain", "--no-requeue")
    old = pids_of(d, 0)
    with Stopped(fast, node):
        j = fast.wait_state(jid, ("NODE_FAIL", "COMPLETED", "CANCELLED", "FAILED"), timeout=180)
        assert j["JobState"] == "NODE_FAIL", j
        assert all_gone(old), old
    fast.wait_nodes_idle()
    assert fast.job(jid)["JobState"] == "NODE_FAIL"
    assert attempts(fast, jid) == [("NODE_FAIL", node)]
    assert runs(d) == ["start 0 %s %s" % (old[0], node)]


def test_lost_second_node_stops_copy_on_first(fast):
    """A two-node job losing the node that does not run its script: the
    copy on the first node is stopped before the job is settled."""
    d = fast.mkdir("two-nodes")
    s = fast.script(MARKER_JOB, cwd=d)
    jid = fast.submit("-N", "2", "--no-requeue", "-o", "out.txt", s, cwd=d)
    assert fast.wait_state(jid, "RUNNING")["NodeList"] == "n[1-2]"
    pids = pids_of(d, 0)
    with Stopped(fast, "n2"):
        j = fast.wait_state(jid, ("NODE_FAIL", "COMPLETED", "CANCELLED", "FAILED"), timeout=180)
        assert all_gone(pids), [p for p in pids if not pid_gone(p)]
        assert j["JobState"] == "NODE_FAIL", j
    fast.wait_nodes_idle()
    assert fast.job(jid)["JobState"] == "NODE_FAIL"
    assert attempts(fast, jid) == [("NODE_FAIL", "n[1-2]")]
    assert runs(d) == ["start 0 %s n1" % pids[0]]


def stepd_pid(cluster, node, jid):
    return read_pidfile(os.path.join(cluster.dir, "spool", node, "job.%d" % jid, "stepd.pid"))


def test_stepd_killed_fails_job_after_its_processes(fast):
    """Bug 4: the job ends FAILED only once its processes (the one that
    left the session too) are gone."""
    jid, d, node = submit_marker(fast, "stepd-kill")
    pids = pids_of(d, 0)
    os.kill(stepd_pid(fast, node, jid), signal.SIGKILL)
    j = fast.wait_state(jid, ("FAILED", "COMPLETED", "CANCELLED", "NODE_FAIL"), timeout=60)
    # Reported only after the kill: nothing may be left at this point.
    assert all_gone(pids), [p for p in pids if not pid_gone(p)]
    assert j["JobState"] == "FAILED", j
    assert "supervisor died" in j["Reason"].replace("_", " "), j   # scontrol: spaces as _ (Slurm)
    assert attempts(fast, jid) == [("FAILED", node)]
    assert runs(d) == ["start 0 %s %s" % (pids[0], node)]
    # Its CPUs are free again: a job needing the whole node runs there.
    ok = fast.submit("-w", node, "-c", "2", "--wrap", "true", cwd=d)
    assert fast.wait_state(ok, ("COMPLETED", "FAILED"))["JobState"] == "COMPLETED"


def test_noded_killed_restarted_within_timeout_adopts(slow):
    d = slow.mkdir("adopt")
    node = slow.nodes[1]
    jid = slow.submit("-w", node, "-o", "out.txt", "--wrap",
                      "echo start >> runs.log; while [ ! -f go ]; do sleep 0.2; done; echo done",
                      cwd=d)
    slow.wait_state(jid, "RUNNING")
    wait_for(lambda: runs(d) == ["start"], 30, "the job to start")
    os.kill(slow.pid(node), signal.SIGKILL)
    wait_for(lambda: not slow.alive(node), 30, "sluiced %s to die" % node)
    slow.restart(node)
    open(os.path.join(d, "go"), "w").close()
    j = slow.wait_state(jid, ("COMPLETED", "FAILED", "NODE_FAIL", "CANCELLED"))
    assert j["JobState"] == "COMPLETED" and j["Restarts"] == "0", j
    assert runs(d) == ["start"]
    assert open(os.path.join(d, "out.txt")).read() == "done\n"
    assert attempts(slow, jid) == [("COMPLETED", node)]


def test_noded_killed_past_timeout_jobs_stop_themselves(fast):
    jid, d, node = submit_marker(fast, "noded-dead", "--no-requeue")
    pids = pids_of(d, 0)
    os.kill(fast.pid(node), signal.SIGKILL)
    wait_for(lambda: not fast.alive(node), 30, "sluiced %s to die" % node)
    try:
        # No sluiced at all: the stepd stops its job at the end of the lease.
        wait_for(lambda: all_gone(pids), 120, "the job's processes to stop")
        j = fast.wait_state(jid, ("NODE_FAIL", "COMPLETED", "CANCELLED", "FAILED"), timeout=120)
        assert j["JobState"] == "NODE_FAIL", j
    finally:
        fast.restart(node)
    fast.wait_nodes_idle()
    assert fast.job(jid)["JobState"] == "NODE_FAIL"
    assert attempts(fast, jid) == [("NODE_FAIL", node)]
    assert runs(d) == ["start 0 %s %s" % (pids[0], node)]


def test_controller_restart_keeps_jobs(slow):
    """A controller killed and restarted within the lease is no node
    silence: the job runs on and completes, once."""
    d = slow.mkdir("ctld-restart")
    jid = slow.submit("--requeue", "-o", "out.txt", "--wrap",
                      "echo start >> runs.log; while [ ! -f go ]; do sleep 0.2; done; echo done",
                      cwd=d)
    slow.wait_state(jid, "RUNNING")
    wait_for(lambda: runs(d) == ["start"], 30, "the job to start")
    os.kill(slow.pid("controller"), signal.SIGKILL)
    wait_for(lambda: not slow.alive("controller"), 30, "the controller to die")
    slow.restart("controller")
    wait_for(slow.ping, 120, "the restarted controller to answer")
    open(os.path.join(d, "go"), "w").close()
    j = slow.wait_state(jid, ("COMPLETED", "FAILED", "NODE_FAIL", "CANCELLED"))
    assert j["JobState"] == "COMPLETED" and j["Restarts"] == "0", j
    assert runs(d) == ["start"]
    assert attempts(slow, jid) == [("COMPLETED", j["NodeList"])]
