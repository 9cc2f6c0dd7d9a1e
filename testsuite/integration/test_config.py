"""Configuration: errors stop the daemons with file:line; scontrol reconfigure
applies a valid change and refuses an invalid one (the old config stays);
partition states DOWN and DRAIN from the config."""

import os
import re
import signal

import pytest

from conftest import wait_for


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=2, cpus=4, mem=4000, append="KillWait=2\n")


@pytest.fixture(autouse=True)
def clean(request, cluster):
    """Each test starts with an empty queue and usable nodes."""
    yield
    cluster.reset()


def read(path):
    with open(path) as f:
        return f.read()


def write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


@pytest.fixture
def conf(cluster):
    """The cluster's config text; whatever a test did to it is undone (and
    reconfigured) afterwards."""
    orig = read(cluster.conf)
    yield orig
    if read(cluster.conf) != orig:
        write(cluster.conf, orig)
        r = cluster.run(cluster.bin("scontrol"), "reconfigure")
        assert r.rc == 0, r


def reconfigure(cluster):
    r = cluster.run(cluster.bin("scontrol"), "reconfigure")
    assert r.rc == 0, r


def set_partition_state(cluster, text, state):
    lines = []
    for l in text.splitlines():
        if l.startswith("PartitionName=batch "):
            l = re.sub(r"\bState=\S+", "State=" + state, l)
        lines.append(l)
    write(cluster.conf, "\n".join(lines) + "\n")


def show_config(cluster):
    r = cluster.run(cluster.bin("scontrol"), "show", "config")
    assert r.rc == 0, r
    return r.out


def config_value(cluster, key):
    m = re.search(r"^%s\s*=\s*(\S+)" % key, show_config(cluster), re.M | re.I)
    return m.group(1) if m else None


def run_daemon_on(cluster, argv, path):
    """Start a daemon on a config that must be refused; it must exit (not
    hang) with a non-zero status and a file:line message."""
    r = cluster.run(argv + ["-D", "-f", path], timeout=60)
    assert r.rc != 0, r
    return r.out + r.err


@pytest.mark.parametrize("bad", ["NoSuchKey=1", "KillWait=abc", "NodeName=n1 Frobs=2",
                                 "PartitionName=p2 Nodes=n[1-2] State=SIDEWAYS"])
def test_bad_config_stops_controller_with_file_line(cluster, conf, bad):
    path = os.path.join(cluster.work, "bad.conf")
    lines = conf.splitlines() + [bad]
    write(path, "\n".join(lines) + "\n")
    msg = run_daemon_on(cluster, [cluster.bin("sluicectld")], path)
    assert "%s:%d" % (path, len(lines)) in msg or "bad.conf:%d" % len(lines) in msg, msg


def test_bad_included_file_named(cluster, conf):
    inc = os.path.join(cluster.work, "inc.conf")
    write(inc, "# included\nBogusKey=yes\n")
    path = os.path.join(cluster.work, "main.conf")
    write(path, conf + "Include inc.conf\n")
    msg = run_daemon_on(cluster, [cluster.bin("sluicectld")], path)
    assert "inc.conf:2" in msg, msg


def test_bad_config_stops_node_daemon(cluster, conf):
    path = os.path.join(cluster.work, "badnode.conf")
    lines = conf.splitlines() + ["NoSuchKey=1"]
    write(path, "\n".join(lines) + "\n")
    msg = run_daemon_on(cluster, [cluster.bin("sluiced"), "-N", "n1"], path)
    assert "badnode.conf:%d" % len(lines) in msg, msg


def test_reconfigure_applies_valid_change(cluster, conf):
    assert config_value(cluster, "KillWait") in ("2", "2sec")
    write(cluster.conf, conf + "KillWait=7\nPartitionName=extra Nodes=n2 MaxTime=30\n")
    reconfigure(cluster)
    wait_for(lambda: config_value(cluster, "KillWait") in ("7", "7sec"), 30, "KillWait=7")
    r = cluster.run(cluster.bin("scontrol"), "show", "partition", "extra")
    assert r.rc == 0 and "PartitionName=extra" in r.out, r
    d = cluster.mkdir("extra")
    jid = cluster.submit("-p", "extra", "--wrap", "echo $SLURM_JOB_PARTITION $SLURMD_NODENAME", cwd=d)
    cluster.wait_state(jid, "COMPLETED")
    assert read(os.path.join(d, "slurm-%d.out" % jid)) == "extra n2\n"


def test_reconfigure_refuses_invalid_config(cluster, conf):
    d = cluster.mkdir("invalid")
    held = cluster.submit("-H", "--wrap", "echo survived", cwd=d)
    # The commands read the config too: they keep a good copy, so that the
    # refusal seen here is the controller's.
    client = os.path.join(cluster.work, "client.conf")
    write(client, conf)
    cluster.env["SLUICE_CONF"] = client
    try:
        lines = conf.splitlines() + ["KillWait=9", "NoSuchKey=1"]
        write(cluster.conf, "\n".join(lines) + "\n")
        r = cluster.run(cluster.bin("scontrol"), "reconfigure")
        assert r.rc != 0, r
        assert "sluice.conf:%d" % len(lines) in r.err, r
        # The old config stays in force and nothing was lost.
        assert cluster.alive("controller")
        assert config_value(cluster, "KillWait") in ("2", "2sec")
        j = cluster.job(held)
        assert j and j["JobState"] == "PENDING", j
        # SIGHUP with the same bad file: refused too, the controller lives on.
        os.kill(cluster.pid("controller"), signal.SIGHUP)
        wait_for(lambda: cluster.log("controller").count("sluice.conf:%d" % len(lines)) >= 2, 30,
                 "the controller to log the refused config (SIGHUP)")
        assert cluster.ping() and cluster.alive("controller")
        assert config_value(cluster, "KillWait") in ("2", "2sec")
    finally:
        cluster.env["SLUICE_CONF"] = cluster.conf
    write(cluster.conf, conf)
    reconfigure(cluster)
    cluster.ok(cluster.bin("scontrol"), "release", str(held))
    cluster.wait_state(held, "COMPLETED")
    assert read(os.path.join(d, "slurm-%d.out" % held)) == "survived\n"


def test_partition_down(cluster, conf):
    set_partition_state(cluster, conf, "DOWN")
    reconfigure(cluster)
    r = cluster.ok(cluster.bin("sinfo"), "-h", "-o", "%P %a")
    assert r.out.split() == ["batch*", "down"], r
    d = cluster.mkdir("down")
    jid = cluster.submit("--wrap", "echo ran", cwd=d)
    cluster.wait_state(jid, "PENDING")
    wait_for(lambda: cluster.job(jid)["Reason"] == "PartitionDown", 30, "reason PartitionDown")
    r = cluster.ok(cluster.bin("squeue"), "-h", "-j", str(jid), "-o", "%T %r")
    assert r.out.split() == ["PENDING", "PartitionDown"], r
    set_partition_state(cluster, conf, "UP")
    reconfigure(cluster)
    cluster.wait_state(jid, "COMPLETED")
    assert read(os.path.join(d, "slurm-%d.out" % jid)) == "ran\n"
    r = cluster.ok(cluster.bin("sinfo"), "-h", "-o", "%P %a")
    assert r.out.split() == ["batch*", "up"], r


def test_partition_drain(cluster, conf):
    d = cluster.mkdir("drain")
    queued = cluster.submit("-H", "--wrap", "echo queued-ran", cwd=d)
    set_partition_state(cluster, conf, "DRAIN")
    reconfigure(cluster)
    r = cluster.ok(cluster.bin("sinfo"), "-h", "-o", "%P %a")
    assert r.out.split() == ["batch*", "drain"], r
    # A draining partition takes no new jobs ...
    r = cluster.run(cluster.bin("sbatch"), "--wrap", "true", cwd=d)
    assert r.rc != 0 and r.err.strip(), r
    # ... but runs the ones it has.
    cluster.ok(cluster.bin("scontrol"), "release", str(queued))
    cluster.wait_state(queued, "COMPLETED")
    assert read(os.path.join(d, "slurm-%d.out" % queued)) == "queued-ran\n"
    set_partition_state(cluster, conf, "UP")
    reconfigure(cluster)
    ok = cluster.submit("--wrap", "true", cwd=d)
    cluster.wait_state(ok, "COMPLETED")


def test_controller_alive_at_end(cluster):
    assert all(x["alive"] for x in cluster.status()["daemons"])
