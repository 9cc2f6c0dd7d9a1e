"""A step's launch along a tree (TreeWidth; doc/protocol.md, "srun <-> sluiced:
step_launch"): with TreeWidth=2, srun contacts at most two nodes and the
others get the launch forwarded by a node; every node's tasks run and speak
to srun directly; a node of the tree that cannot be reached is named in
srun's error, srun exits non-zero without hanging.  With the default width
(50) on a small cluster srun contacts every node itself, as before."""

import os
import re
import signal

import pytest

from conftest import IS_ROOT, pid_gone, scaled, wait_for

pytestmark = pytest.mark.skipif(not IS_ROOT, reason="steps run as another user: needs root")

USER = "sluicea"
NODES = 6
LAUNCH = re.compile(r"step_launch of StepId=(\d+)\.(\d+) for node (\S+) from "
                    r"(srun|node (\S+)) ")


@pytest.fixture(scope="module")
def cluster(cluster_factory, users):
    return cluster_factory(nodes=NODES, cpus=2, append="KillWait=2\nTreeWidth=2\n")


@pytest.fixture(scope="module")
def wd(cluster):
    return cluster.mkdir("tree", user=USER)


def srun(cluster, wd, *args, **kw):
    kw.setdefault("timeout", 180)
    return cluster.run([cluster.bin("srun")] + list(args), user=USER, cwd=wd, **kw)


def last_job_id(cluster):
    r = cluster.ok(cluster.bin("sacct"), "-X", "-n", "-P", "-o", "JobID")
    return int(r.out.strip().splitlines()[-1])


def launches(cluster, jid, nodes):
    """{node: sender} of job jid's launches, from each node's log ("srun" or
    the forwarding node's name)."""
    got = {}
    for n in nodes:
        for m in LAUNCH.finditer(cluster.log(n)):
            if int(m.group(1)) == jid:
                got[m.group(3)] = m.group(5) or "srun"
    return got


def node_names(count):
    return ["n%d" % i for i in range(1, count + 1)]


def test_step_over_all_nodes_runs_along_the_tree(cluster, wd):
    r = srun(cluster, wd, "-N%d" % NODES, "-n%d" % NODES, "-l", "sh", "-c",
             'echo "$SLURMD_NODENAME"')
    assert r.rc == 0, (r, cluster.log_tails())
    assert sorted(r.out.splitlines()) == sorted("%d: n%d" % (i, i + 1) for i in range(NODES)), r
    jid = last_job_id(cluster)
    names = node_names(NODES)
    got = {}
    wait_for(lambda: len(got.update(launches(cluster, jid, names)) or got) == NODES,
             scaled(30), "a launch log line on every node")
    from_srun = sorted(n for n, s in got.items() if s == "srun")
    # srun splits 6 nodes into 2 subtrees of 3 (n1-n3, n4-n6); their first
    # nodes forward to the other two, one each.
    assert from_srun == ["n1", "n4"], got
    assert got == {"n1": "srun", "n2": "n1", "n3": "n1", "n4": "srun", "n5": "n4",
                   "n6": "n4"}, got
    fwd = re.findall(r"node (n\d) forwards it to node (n\d)", cluster.log("n1"))
    assert ("n1", "n2") in fwd and ("n1", "n3") in fwd, cluster.log("n1")


def test_more_tasks_than_nodes(cluster, wd):
    r = srun(cluster, wd, "-N%d" % NODES, "-n%d" % (2 * NODES), "-l", "sh", "-c",
             'echo "$SLURM_PROCID $SLURMD_NODENAME"')
    assert r.rc == 0, r
    ranks = sorted(int(line.split(":")[0]) for line in r.out.splitlines())
    assert ranks == list(range(2 * NODES)), r


def test_forward_refusals(cluster):
    """The node side's checks of a forwarded launch, with this test as srun
    (test_step_launch's helpers: it forges the grant with munge, as root)."""
    from test_step_launch import Srun, grant, step_launch
    srun_sock = Srun()
    fwd = [{"name": "n2", "host": "127.0.0.1", "port": 1}]
    try:
        # sluiceb presents sluicea's grant: n1 refuses and forwards nothing
        # (n2 would take it from n1, as root), naming n2 as not launched.
        cred = grant(cluster, 999999, 0, nodes=("n1", "n2"), tpn=(1, 1))
        rep = step_launch(cluster, "n1", cred, ["true"], srun_sock, user="sluiceb",
                          forward=fwd, tree_width=2)
        err = rep["error"]
        assert err["code"] == "EPERM", rep
        assert [f["node"] for f in err["failed"]] == ["n1", "n2"], rep
        assert "not for uid" in err["failed"][0]["error"], rep
        assert "went through node n1" in err["failed"][1]["error"], rep
        # A forward naming a node outside the grant is refused whole.
        rep = step_launch(cluster, "n1", cred, ["true"], srun_sock,
                          forward=[{"name": "n9", "host": "127.0.0.1", "port": 1}])
        assert rep["error"]["code"] == "EINVAL", rep
        assert "forward: node n9 is not one of the grant's other nodes" in \
            rep["error"]["message"], rep
        # The field table: forward is an array of objects, tree_width >= 1.
        rep = step_launch(cluster, "n1", cred, ["true"], srun_sock, forward=["n2"])
        assert rep["error"]["code"] == "EINVAL" and "forward" in rep["error"]["message"], rep
        rep = step_launch(cluster, "n1", cred, ["true"], srun_sock, forward=fwd, tree_width=0)
        assert rep["error"]["code"] == "EINVAL" and "tree_width" in rep["error"]["message"], rep
    finally:
        srun_sock.close()
    assert not re.search(r"StepId=999999\.0 for node n2 ", cluster.log("n2"))


def test_silent_forwarded_node_is_named(cluster, wd):
    """n2 gets its launch from n1 (not from srun): with its sluiced stopped
    (SIGSTOP: the controller still counts it up, so the job starts), n1 gives
    up on it after its forward timeout and its aggregated answer names it;
    srun reports it and exits non-zero."""
    pid = cluster.pid("n2")
    assert pid
    os.kill(pid, signal.SIGSTOP)
    try:
        r = srun(cluster, wd, "-N%d" % NODES, "-n%d" % NODES, "-l", "true", timeout=scaled(180))
    finally:
        os.kill(pid, signal.SIGCONT)
    assert r.rc != 0, r
    assert re.search(r"Task launch for StepId=\d+\.\d+ failed on node n2: ", r.err), r
    assert "Application launch failed" in r.err, r
    # Only n2 failed: its sibling n3 and the other subtree started.
    assert not re.search(r"failed on node n[13456]", r.err), r
    jid = last_job_id(cluster)
    got = launches(cluster, jid, [n for n in node_names(NODES) if n != "n2"])
    assert got.get("n3") == "n1" and got.get("n1") == "srun", got
    cluster.wait_nodes_idle(timeout=120)
    r = srun(cluster, wd, "-N%d" % NODES, "-l", "true")
    assert r.rc == 0, r


def test_default_width_contacts_every_node(cluster_factory, users, tmp_path):
    small = cluster_factory(nodes=3, cpus=2, append="KillWait=2\n")
    d = small.mkdir("wide", user=USER)
    r = small.run([small.bin("srun"), "-N3", "-l", "sh", "-c", 'echo "$SLURMD_NODENAME"'],
                  user=USER, cwd=d, timeout=180)
    assert r.rc == 0, r
    assert sorted(r.out.splitlines()) == ["0: n1", "1: n2", "2: n3"], r
    jid = last_job_id(small)
    got = {}
    wait_for(lambda: len(got.update(launches(small, jid, node_names(3))) or got) == 3,
             scaled(30), "a launch log line on every node")
    assert got == {"n1": "srun", "n2": "srun", "n3": "srun"}, got
