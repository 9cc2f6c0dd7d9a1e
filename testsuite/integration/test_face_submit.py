"""Submission refusals that name what is wrong (issue 13): an unknown name in
a -p list is named; a job bigger than any node is told the node's limit."""

import pytest


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=2, cpus=4, mem=4000)


def refused(cluster, *args):
    r = cluster.run(cluster.bin("sbatch"), "-o", "/dev/null", *args, "--wrap", "true")
    assert r.rc == 1 and "sbatch: error:" in r.err, r
    return r.err


def test_unknown_partition_in_list_named(cluster):
    err = refused(cluster, "-p", "batch,nosuch")
    assert "Invalid partition name specified: nosuch" in err, err
    err = refused(cluster, "-p", "nosuch")
    assert "Invalid partition or queue name specified: nosuch" in err, err


def test_cpus_beyond_nodes_name_the_limit(cluster):
    err = refused(cluster, "-c", "8")
    assert "CPU count per node can not be satisfied: 8 CPUs per node needed (1 task(s) x 8 " \
           "CPUs per task), the nodes of partition batch have at most 4" in err, err
    err = refused(cluster, "-N", "1", "--ntasks-per-node=3", "-c", "2")
    assert "6 CPUs per node needed (3 task(s) x 2 CPUs per task)" in err and "at most 4" in err, err


def test_memory_beyond_nodes_names_the_limit(cluster):
    err = refused(cluster, "--mem=5000")
    assert "5000 MB per node needed, the nodes of partition batch have at most 4000 MB" in err, err


def test_node_count_beyond_partition(cluster):
    err = refused(cluster, "-N", "3")
    assert "3 node(s) with" in err and "partition batch has 2 such node(s)" in err, err
