"""A short NodeTimeout keeps healthy nodes up: HeartbeatInterval, when not
set, follows it (NodeTimeout/3, as Slurm pings every SlurmdTimeout/3); with
the former fixed 30 s every node went DOWN after 10 s."""

import datetime
import os

from conftest import parse_records, wait_for

import pytest


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=2, append="NodeTimeout=10\n")


def seconds(stamp):
    return datetime.datetime.fromisoformat(stamp).timestamp()


def test_nodes_stay_up_with_a_short_node_timeout(cluster):
    r = cluster.ok(cluster.bin("scontrol"), "show", "config")
    assert "HeartbeatInterval" in r.out and "= 3" in r.out.split("HeartbeatInterval", 1)[1] \
        .splitlines()[0], r.out

    def heard_long_enough():
        r = cluster.ok(cluster.bin("scontrol"), "show", "node")
        recs = parse_records(r.out)
        for n in recs:     # never DOWN on the way (NodeTimeout has passed twice by the end)
            assert n["State"].split("+")[0] in ("IDLE", "ALLOCATED", "MIXED"), n
        return all(seconds(n["LastSeenTime"]) - seconds(n["BootTime"]) >= 25 for n in recs)
    wait_for(heard_long_enough, 120, "the nodes to be heard from 25 s after they registered")
    assert set(cluster.node_states().values()) == {"idle"}


def test_reconfigure_below_the_registered_heartbeat_is_refused(cluster_factory):
    """Nodes learn their heartbeat when they register: a reconfigure to a
    NodeTimeout not above it would mark them all DOWN, so it is refused and
    the old configuration stays."""
    c = cluster_factory(nodes=1)           # NodeTimeout 300: heartbeat 30
    text = open(c.conf).read()
    with open(c.conf, "a") as f:
        f.write("NodeTimeout=20\n")
    r = c.run(c.bin("scontrol"), "reconfigure")
    assert r.rc != 0 and "NodeTimeout=20" in r.err and "30 s heartbeat" in r.err, r
    r = c.ok(c.bin("scontrol"), "show", "config")
    assert [l for l in r.out.splitlines() if l.startswith("NodeTimeout")][0].split("=")[1] \
        .strip() == "300", r.out
    with open(c.conf, "w") as f:
        f.write(text + "NodeTimeout=120\n")   # above 30: taken
    c.ok(c.bin("scontrol"), "reconfigure")
    assert set(c.node_states().values()) == {"idle"}


def test_node_timeout_zero_means_never(cluster_factory):
    """NodeTimeout=0 is Slurm's "never": no node is set DOWN for silence
    (the timer used to fire at once, downing every node), and so the nodes
    hold no lease that could stop their jobs (the lease file says forever)."""
    c = cluster_factory(nodes=1, append="NodeTimeout=0\n")
    jid = c.submit("--wrap", "sleep 2")
    c.wait_sacct(jid, lambda s: s == "COMPLETED", timeout=120)
    with open(os.path.join(c.dir, "spool", c.nodes[0], "lease")) as f:
        assert int(f.read().split()[0]) == 2 ** 63 - 1
    assert set(c.node_states().values()) == {"idle"}, c.node_states()
    r = c.ok(c.bin("scontrol"), "show", "node")
    assert "Not responding" not in r.out, r.out
