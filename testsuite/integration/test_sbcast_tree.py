"""sbcast along the node daemons' tree (TreeWidth, as a step's launch): sbcast
sends each chunk to at most TreeWidth nodes (or -F), each of which writes it
and passes it on to the rest of its subtree; failures name their nodes."""

import os

import pytest

from conftest import wait_for


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=5, cpus=1, mem=1000, append="KillWait=2\nTreeWidth=2\n")


def run_sbcast(cluster, tmp_path, args, tag):
    out = tmp_path / ("%s.out" % tag)
    body = "#!/bin/sh\n%s %s && echo copied\n" % (cluster.bin("sbcast"), args)
    jid = cluster.submit("-N5", "-o", str(out), cluster.script(body, name="%s.sh" % tag))
    j = cluster.wait_state(jid, ("COMPLETED", "FAILED"))
    return j, out.read_text()


def test_sbcast_goes_along_the_tree(cluster, tmp_path):
    src = tmp_path / "payload.bin"
    data = os.urandom(5 << 20) + b"end"          # two chunks
    src.write_bytes(data)
    dest = tmp_path / "copy.bin"
    # The nodes share this file system: -f, as each node writes it.
    j, out = run_sbcast(cluster, tmp_path, "-f %s %s" % (src, dest), "tree")
    assert j["JobState"] == "COMPLETED" and out == "copied\n", (j, out)
    assert dest.read_bytes() == data
    # 5 nodes, width 2: sbcast reaches n1 and n4; n1 passes each chunk on to
    # n2 and n3, n4 to n5; the leaves pass nothing on.
    want = {"n1": 2, "n4": 1}
    for n in ("n1", "n2", "n3", "n4", "n5"):
        lines = [l for l in cluster.log(n).splitlines() if "file_bcast of %s" % dest in l]
        assert len(lines) == (2 if n in want else 0), (n, lines)
        assert all("node %s forwards it to %d subtree(s)" % (n, want[n]) in l for l in lines)
    # -F 5: sbcast sends to every node itself, nothing is forwarded.
    flat = tmp_path / "flat.bin"
    j, out = run_sbcast(cluster, tmp_path, "-f -F 5 %s %s" % (src, flat), "flat")
    assert j["JobState"] == "COMPLETED" and flat.read_bytes() == data, (j, out)
    assert not any("file_bcast of %s" % flat in cluster.log(n) for n in ("n1", "n4"))


def test_sbcast_failures_name_the_nodes(cluster, tmp_path):
    dest = tmp_path / "missing-dir" / "x"
    j, out = run_sbcast(cluster, tmp_path, "/etc/hostname %s" % dest, "fail")
    assert j["JobState"] == "FAILED", (j, out)
    for n in ("n1", "n2", "n3", "n4", "n5"):
        assert "node %s: %s: No such file or directory" % (n, dest) in out, out
    r = cluster.run(cluster.bin("sbcast"), "-F", "0", "-j", "1", "/etc/hostname", "/tmp/x")
    assert r.rc == 1 and "Invalid --fanout value: 0" in r.err, r
