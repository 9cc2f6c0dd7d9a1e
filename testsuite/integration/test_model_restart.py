"""The controller killed with kill -9 (twice) in the middle of a throttled
array with a dependency chain (aftercorr array, then a job after all of it):
after each restart everything goes on, all of it completes, nothing runs
twice (every task's times file has exactly one start and one end), the
ordering still holds, and the throttle was never exceeded."""

import os

import pytest

from conftest import wait_for
from modelutil import (array_tasks, intervals, max_concurrency, read_times, timed_script,
                       wait_done)

N = 16


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=2, cpus=4, mem=4000, append="KillWait=2\n")


def kill_controller(cluster):
    pid = cluster.pid("controller")
    assert pid, "the controller is not running"
    os.kill(pid, 9)
    wait_for(lambda: not cluster.alive("controller"), 30, "the controller to die")


def test_controller_killed_mid_array_and_chain(cluster):
    d = cluster.mkdir("chain")
    s = timed_script(cluster, d, sleep=0.5)
    a = cluster.submit("--array=0-%d%%3" % (N - 1), "-o", "/dev/null", s, cwd=d)
    b = cluster.submit("--array=0-%d" % (N - 1), "-d", "aftercorr:%d" % a, "-o", "/dev/null", s,
                       cwd=d)
    c = cluster.submit("-d", "afterok:%d" % b, "-o", "/dev/null", s, cwd=d)
    e = cluster.submit("-d", "afterok:%d" % c, "--array=0-2", "-o", "/dev/null", s, cwd=d)

    def done_of(prefix):
        return sum(1 for k, ts in read_times(d).items() if k.startswith(prefix) and len(ts) >= 2)

    # First kill: some of A done, the rest still to come.
    wait_for(lambda: done_of("%d_" % a) >= 3, 120, "3 tasks of A to end")
    kill_controller(cluster)
    # Tasks already running go on and end while the controller is away.
    cluster.restart("controller")
    # Second kill: in the middle of B.
    wait_for(lambda: done_of("%d_" % b) >= 3, 180, "3 tasks of B to end")
    kill_controller(cluster)
    cluster.restart("controller")

    for x in (a, b):
        j = wait_done(cluster, x, timeout=300)
        assert j["JobState"] == "COMPLETED", j
        assert array_tasks(j["ArrayTasks"]) == {"COMPLETED": N}, j
    assert wait_done(cluster, c, timeout=120)["JobState"] == "COMPLETED"
    j = wait_done(cluster, e, timeout=120)
    assert j["JobState"] == "COMPLETED", j

    # Nothing ran twice, nothing is missing.
    times = read_times(d)
    twice = {k: v for k, v in times.items() if len(v) != 2}
    assert not twice, "ran more than once (or did not finish): %r" % twice
    want = {"%d_%d" % (a, i) for i in range(N)} | {"%d_%d" % (b, i) for i in range(N)} | \
        {str(c)} | {"%d_%d" % (e, i) for i in range(3)}
    assert set(times) == want, sorted(set(times) ^ want)

    iv = intervals(d)
    for i in range(N):
        assert iv["%d_%d" % (b, i)][0] >= iv["%d_%d" % (a, i)][1], i
    assert iv[str(c)][0] >= max(iv["%d_%d" % (b, i)][1] for i in range(N))
    assert all(iv["%d_%d" % (e, i)][0] >= iv[str(c)][1] for i in range(3))
    conc = max_concurrency([iv["%d_%d" % (a, i)] for i in range(N)])
    assert conc <= 3, "A's throttle of 3 exceeded across restarts: %d" % conc

    # sacct knows every task once, each completed.
    r = cluster.ok(cluster.bin("sacct"), "-X", "-P", "-n", "-j", "%d,%d" % (a, b),
                   "--format=JobID,State")
    rows = [l.split("|") for l in r.out.splitlines() if l.strip()]
    ids = [x[0] for x in rows]
    assert len(ids) == len(set(ids)) == 2 * N, rows
    assert all(x[1] == "COMPLETED" for x in rows), rows
