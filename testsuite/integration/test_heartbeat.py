"""A short NodeTimeout keeps healthy nodes up: HeartbeatInterval, when not
set, follows it (NodeTimeout/3, as Slurm pings every SlurmdTimeout/3); with
the former fixed 30 s every node went DOWN after 10 s."""

import datetime

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
