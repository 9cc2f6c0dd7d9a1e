"""Testing modes (doc/design.md, "Testing modes"): MockExecution=yes runs jobs
as timers in sluiced, NodesPerDaemon=N lets one sluiced serve N nodes.  Both
are refused unless the daemon runs with SLUICE_TESTING_MODES=1
(devcluster --testing-modes)."""

import os
import subprocess
import sys
import tempfile

import pytest

from conftest import BUILD, DEVCLUSTER, Cluster, scaled, wait_for

MOCK = """MockExecution=yes
NodesPerDaemon=8
KillWait=2
"""


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    """8 nodes, all served by one sluiced, jobs mocked."""
    return cluster_factory(nodes=8, cpus=4, mem=4000, append=MOCK,
                           extra_args=["--testing-modes"])


@pytest.fixture(autouse=True)
def clean(request, cluster):
    yield
    cluster.reset()


def daemon_env():
    e = dict(os.environ)
    e.pop("SLUICE_TESTING_MODES", None)
    return e


def write_conf(d, extra):
    """A minimal config for starting one daemon by hand."""
    path = os.path.join(d, "sluice.conf")
    with open(path, "w") as f:
        f.write("ControllerHost=127.0.0.1\nControllerPort=1\n"
                "StateSaveLocation=%s/state\nSpoolDir=%s/spool/%%n\n"
                "NodeName=n1 NodeHostname=127.0.0.1 Port=2 CPUs=1\n"
                "PartitionName=batch Nodes=n1 Default=YES\n%s" % (d, d, extra))
    return path


@pytest.mark.parametrize("daemon", ["ctld", "noded"])
@pytest.mark.parametrize("extra,key", [("MockExecution=yes\n", "MockExecution"),
                                       ("NodesPerDaemon=4\n", "NodesPerDaemon")])
def test_refused_without_switch(daemon, extra, key):
    """Each daemon refuses each key, naming it and the switch, and exits 1."""
    with tempfile.TemporaryDirectory(prefix="sluice-it-tm-") as d:
        conf = write_conf(d, extra)
        argv = ([os.path.join(BUILD, "src", "ctld", "sluicectld"), "-D", "-f", conf]
                if daemon == "ctld" else
                [os.path.join(BUILD, "src", "noded", "sluiced"), "-D", "-f", conf, "-N", "n1"])
        env = daemon_env()
        env["SLUICE_FAKE_HW"] = "cpus=1,mem=1000"
        r = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=scaled(30), stdin=subprocess.DEVNULL)
        assert r.returncode != 0, r
        assert key in r.stderr and "testing mode" in r.stderr, r.stderr
        assert "SLUICE_TESTING_MODES=1" in r.stderr, r.stderr


def test_devcluster_refused_without_switch():
    """devcluster up without --testing-modes: the controller refuses."""
    with tempfile.TemporaryDirectory(prefix="sluice-it-tm-") as d:
        os.chmod(d, 0o755)    # munged wants its socket's directory reachable
        app = os.path.join(d, "append.conf")
        with open(app, "w") as f:
            f.write(MOCK)
        cdir = os.path.join(d, "c")
        env = daemon_env()
        env["SLUICE_BUILD"] = BUILD
        r = subprocess.run([sys.executable, DEVCLUSTER, "up", "--dir", cdir, "--nodes", "2",
                            "--append", app, "--timeout", "20"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=scaled(120), stdin=subprocess.DEVNULL)
        subprocess.run([sys.executable, DEVCLUSTER, "down", "--dir", cdir], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=scaled(60))
        assert r.returncode != 0, r
        # devcluster prints the logs' tails when a daemon exits.
        assert "MockExecution=yes is a testing mode" in r.stderr, r.stderr


def test_warning_first(cluster):
    """The daemons' logs say loudly that they run in a testing mode."""
    for name in ("controller", "n1"):
        log = cluster.log(name)
        assert "MockExecution is enabled: jobs are NOT run; for benchmarks only" in log, log
    assert "NodesPerDaemon=8 is enabled" in cluster.log("n1")


def test_one_daemon_serves_all_nodes(cluster):
    names = [d["name"] for d in cluster.status()["daemons"]]
    assert names.count("n1") == 1 and not any(n in names for n in cluster.nodes[1:]), names
    states = cluster.node_states()
    assert all(states.get(n) == "idle" for n in cluster.nodes), states
    assert "registered 8 nodes (n1 to n8)" in cluster.log("n1")


def test_mock_job_completes_without_running(cluster):
    marker = os.path.join(cluster.work, "ran-%d" % os.getpid())
    jid = cluster.submit("--wrap", "touch %s" % marker)
    rec = cluster.wait_state(jid, "COMPLETED")
    assert rec["ExitCode"] == "0:0", rec
    assert not os.path.exists(marker)
    assert not os.path.exists(os.path.join(cluster.work, "slurm-%d.out" % jid))


def test_mock_sleep_lasts(cluster):
    jid = cluster.submit("--wrap", "sleep 3")
    cluster.wait_state(jid, "RUNNING")
    rec = cluster.wait_state(jid, "COMPLETED", timeout=30)
    assert rec["RunTime"] in ("00:00:02", "00:00:03", "00:00:04"), rec


def test_mock_cancel(cluster):
    jid = cluster.submit("--wrap", "sleep 1000")
    cluster.wait_state(jid, "RUNNING")
    cluster.ok(cluster.bin("scancel"), str(jid))
    cluster.wait_state(jid, "CANCELLED", timeout=30)


def test_mock_time_limit(cluster):
    """A sleep longer than the limit ends TIMEOUT at the limit."""
    jid = cluster.submit("-t", "0:2", "--wrap", "sleep 1000")
    cluster.wait_state(jid, "TIMEOUT", timeout=scaled(30))


def test_mock_warning_signal(cluster):
    """--signal: the warning ends a mock sleep as the signal would end sleep(1);
    a signal that sleep ignores leaves it to its time limit."""
    jid = cluster.submit("-t", "0:30", "--signal=USR1@28", "--wrap", "sleep 1000")
    cluster.wait_state(jid, ("FAILED",), timeout=scaled(20))
    assert cluster.job(jid)["ExitCode"] == "0:10", cluster.job(jid)
    jid = cluster.submit("-t", "0:4", "--signal=CONT@2", "--wrap", "sleep 1000")
    cluster.wait_state(jid, "TIMEOUT", timeout=scaled(30))
    assert "warning signal 18" in cluster.log("n1"), "the CONT warning was not given"


def test_jobs_land_on_every_node(cluster):
    """Eight exclusive jobs: one on each node the one daemon serves."""
    jids = [cluster.submit("--exclusive", "--wrap", "sleep 60") for _ in range(8)]
    for j in jids:
        cluster.wait_state(j, "RUNNING")
    nodes = {cluster.job(j)["NodeList"] for j in jids}
    assert nodes == set(cluster.nodes), nodes
    wide = cluster.submit("-N", "8", "--wrap", "true")
    assert cluster.job(wide)["JobState"] == "PENDING"
    cluster.ok(cluster.bin("scancel"), *[str(j) for j in jids])
    cluster.wait_state(wide, "COMPLETED", timeout=scaled(60))
    assert cluster.job(wide)["NodeList"] == "n[1-8]"


def test_daemon_death_downs_every_node(cluster_factory):
    """The shared connection drops: all its nodes take the NodeTimeout path,
    and return when the daemon is started again."""
    c = cluster_factory(nodes=3, cpus=2, mem=2000, extra_args=["--testing-modes"],
                        append="MockExecution=yes\nNodesPerDaemon=3\nNodeTimeout=3\n"
                               "HeartbeatInterval=1\n")
    jid = c.submit("--wrap", "sleep 1000")
    c.wait_state(jid, "RUNNING")
    pid = c.pid("n1")
    os.kill(pid, 9)
    wait_for(lambda: all(c.node_states().get(n, "").startswith("down") for n in c.nodes),
             scaled(30), "every node down")
    rec = c.wait_state(jid, "NODE_FAIL", timeout=scaled(30))
    assert rec["JobState"] == "NODE_FAIL"
    c.restart("n1")
    c.wait_nodes_idle(timeout=scaled(30))
