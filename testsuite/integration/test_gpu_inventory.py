"""Node inventory (issue 11, "Hardware and configuration"): fake nodes load
real machines' hwloc XML (devcluster --topology), report their sockets,
cores and GPUs, and the controller shows and checks them against Gres=."""
import json
import os
import re
import subprocess

import pytest

from conftest import BUILD, IS_ROOT, REPO, scaled, wait_for
from test_bad_input import connect, hello, recv_reply
from wire import frame

DATA = os.path.join(REPO, "testsuite", "data", "hwloc")


def fixture(name):
    return os.path.join(DATA, name)


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    # n1 sierra (4 V100), n2 corona (8 MI50), n3 and n4 the hand-made 2-GPU
    # node; n4 is configured with more GPUs than it has.
    return cluster_factory(
        nodes=4,
        append="GresTypes=gpu\n"
               "NodeName=n3 Features=fast,big Weight=5\n"
               "NodeName=n4 Gres=gpu:4\n",
        extra_args=["--topology", "n1=" + fixture("sierra.xml"),
                    "--topology", "n2=" + fixture("corona.xml"),
                    "--topology", "n3=" + fixture("fake-2gpu.xml"),
                    "--topology", "n4=" + fixture("fake-2gpu.xml")])


def node_state(cluster, name):
    return cluster.node_states().get(name, "")


def test_fixture_layout_and_gres(cluster):
    cluster.wait_nodes_idle(["n1", "n2", "n3"])
    n1 = cluster.node("n1")
    assert n1["Gres"] == "gpu:v100:4", n1
    assert n1["GresUsed"] == "gpu:v100:0(IDX:N/A)", n1
    assert (n1["Sockets"], n1["CoresPerSocket"], n1["ThreadsPerCore"]) == ("2", "22", "4"), n1
    assert n1["CPUTot"] == "176", n1
    n2 = cluster.node("n2")
    assert n2["Gres"] == "gpu:mi50:8", n2
    assert (n2["Sockets"], n2["CoresPerSocket"], n2["ThreadsPerCore"]) == ("2", "24", "2"), n2
    n3 = cluster.node("n3")
    assert n3["Gres"] == "gpu:a100:2", n3
    assert (n3["Sockets"], n3["CoresPerSocket"], n3["ThreadsPerCore"]) == ("2", "2", "2"), n3


def test_features_and_weight_shown(cluster):
    n3 = cluster.node("n3")
    assert n3["AvailableFeatures"] == "fast,big", n3
    assert n3["ActiveFeatures"] == "fast,big", n3
    assert n3["Weight"] == "5", n3
    assert cluster.node("n1")["Weight"] == "1"
    assert cluster.node("n1")["AvailableFeatures"] == "(null)"
    r = cluster.ok(cluster.bin("sinfo"), "-h", "-N", "-o", "%N|%G|%f|%w")
    rows = dict((l.split("|")[0], l.split("|")[1:]) for l in r.out.splitlines())
    assert rows["n1"] == ["gpu:v100:4", "(null)", "1"], r.out
    assert rows["n3"] == ["gpu:a100:2", "fast,big", "5"], r.out


def test_show_node_json(cluster):
    r = cluster.ok(cluster.bin("scontrol"), "show", "node", "--json", "n3")
    (n3,) = json.loads(r.out)["nodes"]
    assert n3["name"] == "n3"
    assert (n3["gres"], n3["gres_used"], n3["sluice"]["gpus"]) == \
        ("gpu:a100:2", "gpu:a100:0(IDX:N/A)", 2)
    assert (n3["features"], n3["weight"]) == ("fast,big", 5)
    r = cluster.ok(cluster.bin("scontrol"), "show", "node", "--json")
    assert len(json.loads(r.out)["nodes"]) == 4
    r = cluster.ok(cluster.bin("scontrol"), "show", "node", "--yaml")
    assert r.out.startswith("---\n") and "\nnodes:\n" in r.out, r


def test_sluiced_logs_the_gpus(cluster):
    log = cluster.log("n1")
    assert re.search(r"node n1: 176 cpus \(2 sockets x 22 cores x 4 threads\), 4 gpus", log), log
    assert "gpu 3: nvidia v100 \"Tesla V100-SXM2-16GB\" bus 0035:04:00.0 minor 3, local cpus 88-175" \
        in log, log


def test_low_gpus_drains_and_fixing_the_config_undrains(cluster):
    def drained():
        n4 = cluster.node("n4")
        return n4 if "Low GPUs" in n4.get("Reason", "") else None
    n4 = wait_for(drained, scaled(30), "n4 drained for Low GPUs")
    assert n4["Reason"].startswith("Low GPUs: node reports 2 gpu, configured 4"), n4
    assert node_state(cluster, "n4").startswith("drain"), cluster.node_states()
    # The configured count stands (the missing two are stand-ins).
    assert n4["Gres"] == "gpu:a100:2,gpu:2", n4
    with open(cluster.conf) as f:
        text = f.read()
    fixed = re.sub(r"(NodeName=n4 .*)Gres=gpu:4", r"\1Gres=gpu:a100:2", text)
    assert fixed != text, text
    with open(cluster.conf, "w") as f:
        f.write(fixed)
    cluster.ok(cluster.bin("scontrol"), "reconfigure")
    wait_for(lambda: node_state(cluster, "n4") == "idle", scaled(30), "n4 undrained")
    assert cluster.node("n4")["Gres"] == "gpu:a100:2"


def test_autodetect_off_without_gres_offers_none(cluster_factory):
    c = cluster_factory(nodes=1, append="AutoDetect=off\n",
                        extra_args=["--topology", "n1=" + fixture("fake-2gpu.xml")])
    c.wait_nodes_idle(["n1"])
    n1 = c.node("n1")
    assert n1["Gres"] == "(null)", n1
    assert "GresUsed" not in n1, n1
    assert (n1["Sockets"], n1["CoresPerSocket"]) == ("2", "2"), n1


def test_gres_not_in_grestypes_refused_at_start(tmp_path):
    conf = tmp_path / "sluice.conf"
    conf.write_text("ClusterName=t\nStateSaveLocation=%s\n"
                    "NodeName=n1 Port=7001 CPUs=2\n"
                    "NodeName=n2 Port=7002 CPUs=2 Gres=gpu:a100:2\n"
                    "PartitionName=p Nodes=n[1-2] Default=YES\n" % tmp_path)
    ctld = os.path.join(BUILD, "src", "ctld", "sluicectld")
    r = subprocess.run([ctld, "-D", "-f", str(conf)], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=scaled(30))
    assert r.returncode != 0, r.stdout
    assert "%s:4: Gres=gpu...: 'gpu' is not in GresTypes" % conf in r.stdout, r.stdout


@pytest.mark.skipif(not IS_ROOT, reason="node_register needs a root credential")
def test_malformed_topology_drains_the_node(cluster_factory):
    """A node_register whose "topology" is malformed registers the node but
    drains it with the reason (naming the field), and the controller logs
    it with the node's name; a good one later lifts the drain."""
    c = cluster_factory(nodes=1, append="NodeName=spare1 NodeHostname=127.0.0.1 Port=29993 "
                                         "CPUs=2 RealMemory=100\n",
                        extra_args=["--no-wait"])
    c.wait_nodes_idle(["n1"])

    def register(topology):
        with connect(c) as s:
            hello(c, s)
            s.sendall(frame({"op": "node_register", "id": 1, "body": {
                "name": "spare1", "cpus": 2, "sockets": 1, "cores_per_socket": 2,
                "threads_per_core": 1, "memory_mb": 100, "running": [], "version": "0.1.0",
                "topology": topology}}))
            rep = recv_reply(s, 1)
            assert "error" not in rep, rep
            return c.node("spare1")

    good = {"sockets": 1, "cores_per_socket": 2, "threads_per_core": 1, "os_index": [0, 1],
            "gpus": [{"type": "h200", "vendor": "nvidia", "name": "NVIDIA H200",
                      "bus_id": "0000:00:06.0", "minor": 0, "cpus": "0-1"}]}
    bad = dict(good, os_index=[0, 1, 2])
    node = register(bad)
    assert node["Reason"].startswith('Bad topology: topology: "os_index" must list 2 CPUs'), node
    assert 'node spare1: node_register field "topology" refused' in c.log("controller")
    node = register(good)
    assert "Bad topology" not in node.get("Reason", ""), node
    assert node["Gres"] == "gpu:h200:1", node


def test_one_daemon_serving_nodes_of_different_topologies(cluster_factory):
    """NodesPerDaemon (a testing mode): one sluiced, each node its own file."""
    c = cluster_factory(nodes=2, extra_args=["--testing-modes",
                                             "--topology", "n1=" + fixture("sierra.xml"),
                                             "--topology", "n2=" + fixture("corona.xml")],
                        append="MockExecution=yes\nNodesPerDaemon=2\n")
    c.wait_nodes_idle(["n1", "n2"])
    assert c.node("n1")["Gres"] == "gpu:v100:4"
    assert c.node("n2")["Gres"] == "gpu:mi50:8"
    assert c.node("n2")["ThreadsPerCore"] == "2"
