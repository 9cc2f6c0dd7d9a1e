"""contribs/devcluster itself: the generated config and --append overrides,
status/restart, down stopping everything (jobs included), and a cluster run
by an ordinary user."""

import json
import os
import pwd
import re
import subprocess
import sys
import tempfile

import pytest

from conftest import (BUILD, DEVCLUSTER, IS_ROOT, Cluster, pid_gone, read_pidfile, scaled,
                      wait_for)

APPEND = """KillWait=3
NodeName=n2 CPUs=2 RealMemory=1000
PartitionName=batch MaxTime=120
"""


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=2, cpus=4, mem=4000, append=APPEND)


def test_generated_config_and_overrides(cluster):
    text = open(cluster.conf).read()
    keys = [l.split("=", 1)[0] for l in text.splitlines() if l and not l.startswith("#")]
    assert keys.count("KillWait") == 1 and "KillWait=3" in text, text
    assert re.search(r"^NodeName=n2 .*CPUs=2 .*RealMemory=1000", text, re.M), text
    assert re.search(r"^NodeName=n1 .*CPUs=4 .*RealMemory=4000", text, re.M), text
    assert re.search(r"^PartitionName=batch .*MaxTime=120", text, re.M), text
    assert "127.0.0.1" in text and "localhost" not in text
    # What the nodes report matches what is configured: both idle, not drained.
    cluster.wait_nodes_idle()
    n2 = cluster.node("n2")
    assert n2["CPUTot"] == "2" and n2["RealMemory"] == "1000", n2


def test_status_and_restart(cluster):
    st = cluster.status()
    names = [x["name"] for x in st["daemons"]]
    assert names == ["munged", "controller", "n1", "n2"], st
    assert all(x["alive"] and x["pid"] > 0 for x in st["daemons"]), st
    r = subprocess.run([sys.executable, DEVCLUSTER, "status", "--dir", cluster.dir],
                       stdout=subprocess.PIPE, text=True, timeout=60)
    assert r.returncode == 0
    rows = [l.split() for l in r.stdout.splitlines()]
    assert [x[0] for x in rows] == names and all(x[2] == "alive" for x in rows), r.stdout

    os.kill(cluster.pid("n1"), 9)
    wait_for(lambda: not cluster.alive("n1"), 30, "n1 to die")
    r = subprocess.run([sys.executable, DEVCLUSTER, "status", "--dir", cluster.dir],
                       stdout=subprocess.PIPE, text=True, timeout=60)
    assert r.returncode != 0
    assert re.search(r"^n1\s+\S+\s+dead$", r.stdout, re.M), r.stdout
    cluster.restart("n1")
    assert cluster.alive("n1")
    cluster.wait_nodes_idle()
    d = cluster.mkdir("after")
    jid = cluster.submit("-w", "n1", "--wrap", "true", cwd=d)
    cluster.wait_state(jid, "COMPLETED")


def test_up_again_is_harmless(cluster):
    pids = {x["name"]: x["pid"] for x in cluster.status()["daemons"]}
    r = cluster.devcluster("up")
    assert r.rc == 0, r
    assert "export SLUICE_CONF=%s" % cluster.conf in r.out, r
    assert {x["name"]: x["pid"] for x in cluster.status()["daemons"]} == pids


def test_down_stops_everything_including_jobs(cluster_factory):
    c = cluster_factory(nodes=1, cpus=2, mem=1000)
    d = c.mkdir("down")
    jid = c.submit("--wrap", "echo $$ > job.pid; sleep 600", cwd=d)
    c.wait_state(jid, "RUNNING")
    job_pid = read_pidfile(os.path.join(d, "job.pid"))
    pids = [x["pid"] for x in c.status()["daemons"]]
    r = c.devcluster("down")
    assert r.rc == 0, r
    for p in pids + [job_pid]:
        assert pid_gone(p), "pid %d survived devcluster down" % p
    st = c.status()
    assert not any(x["alive"] for x in st["daemons"]), st


def test_node_with_less_hardware_than_configured_is_drained(cluster_factory):
    c = cluster_factory(nodes=2, cpus=4, mem=4000, extra_args=["--fake-hw", "n2:cpus=2,mem=4000"])
    wait_for(lambda: c.node_states().get("n2") == "drained", 60, "n2 drained")
    assert c.node_states().get("n1") == "idle"
    r = c.ok(c.bin("sinfo"), "-R", "-h", "-o", "%N|%E")
    reasons = dict(l.split("|", 1) for l in r.out.splitlines())
    assert reasons.get("n2", "").strip(), r          # says why
    assert "n1" not in reasons, r
    # Jobs avoid it.
    d = c.mkdir("hw")
    jid = c.submit("--wrap", "echo $SLURMD_NODENAME", cwd=d)
    c.wait_state(jid, "COMPLETED")
    assert open(os.path.join(d, "slurm-%d.out" % jid)).read() == "n1\n"


@pytest.mark.parametrize("spec,append,says", [
    ("n9:cpus=2,mem=1000", "", "--fake-hw n9: no such node"),
    ("n2:cpus=2,mem=1000", "MockExecution=yes\nNodesPerDaemon=2\n",
     "n1 serves n2 and reports one set of hardware"),
])
def test_fake_hw_it_cannot_apply_is_refused(spec, append, says):
    """--fake-hw for an unknown node, or for a node that is not the first of
    its NodesPerDaemon group (whose sluiced reports the head's hardware), is
    an error, not silently ignored; nothing is left running."""
    with tempfile.TemporaryDirectory(prefix="sluice-it-dc-") as d:
        os.chmod(d, 0o755)
        app = os.path.join(d, "append.conf")
        with open(app, "w") as f:
            f.write(append)
        cdir = os.path.join(d, "c")
        env = dict(os.environ, SLUICE_BUILD=BUILD)
        r = subprocess.run([sys.executable, DEVCLUSTER, "up", "--dir", cdir, "--nodes", "2",
                            "--append", app, "--testing-modes", "--fake-hw", spec,
                            "--timeout", "20"], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=scaled(120),
                           stdin=subprocess.DEVNULL)
        st = subprocess.run([sys.executable, DEVCLUSTER, "status", "--json", "--dir", cdir],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            timeout=scaled(60))
        subprocess.run([sys.executable, DEVCLUSTER, "down", "--dir", cdir], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=scaled(60))
        assert r.returncode != 0, r.stdout + r.stderr
        assert says in r.stderr, r.stderr
        assert st.returncode == 0, st.stderr
        assert not any(x["alive"] for x in json.loads(st.stdout)["daemons"]), st.stdout


@pytest.mark.skipif(not IS_ROOT, reason="needs root to run devcluster as another user")
def test_cluster_of_an_ordinary_user(users):
    user = "sluicea"
    pw = pwd.getpwnam(user)
    d = tempfile.mkdtemp(prefix="sluice-it-user-", dir="/tmp")
    os.chown(d, pw.pw_uid, pw.pw_gid)
    env = dict(os.environ, SLUICE_BUILD=BUILD, HOME=pw.pw_dir, USER=user, LOGNAME=user)

    def dc(*args):
        r = subprocess.run([sys.executable, DEVCLUSTER] + list(args) + ["--dir", d], env=env,
                           user=pw.pw_uid, group=pw.pw_gid, extra_groups=[],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           stdin=subprocess.DEVNULL, timeout=scaled(300), cwd=d)
        return r
    r = dc("up", "--nodes", "2", "--cpus", "2", "--mem", "1000",
           "--timeout", str(int(scaled(90))))
    try:
        assert r.returncode == 0, r.stdout + r.stderr
        c = Cluster(d, 2)
        st = c.status()
        for x in st["daemons"]:
            assert os.stat("/proc/%d" % x["pid"]).st_uid == pw.pw_uid, x
        work = c.mkdir("w", user=user)
        jid = c.submit("--wrap", "id -un", user=user, cwd=work)
        j = c.wait_state(jid, ("COMPLETED", "FAILED"))
        assert j["JobState"] == "COMPLETED", j
        assert open(os.path.join(work, "slurm-%d.out" % jid)).read() == user + "\n"
        # Daemons that are not root run only their own user's jobs, and say so.
        other = c.mkdir("o", user="sluiceb")
        r2 = c.run(c.bin("sbatch"), "--parsable", "--wrap", "true", user="sluiceb", cwd=other)
        if r2.rc == 0:
            j = c.wait_state(int(r2.out.split(";")[0]), ("FAILED", "COMPLETED", "CANCELLED"))
            assert j["JobState"] == "FAILED", j
        else:
            assert r2.err.strip(), r2
        assert all(x["alive"] for x in c.status()["daemons"])
    finally:
        down = dc("down")
        logs = ""
        if r.returncode != 0 or down.returncode != 0:
            logs = json.dumps({"up": r.stderr[-3000:], "down": down.stderr[-3000:]})
        assert down.returncode == 0, down.stderr + logs
        bad = Cluster.sanitizer_reports(type("C", (), {"dir": d})())
        assert not bad, bad
