"""scontrol ping says UP or DOWN only when it knows: a controller that
refuses the command's credential (another munge key) is up, and a
credential that cannot be made (no munged at the configured socket) says
nothing about the controller; each says why instead of DOWN."""

import os
import socket

import pytest

from conftest import other_munged


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=1)


def conf_with(cluster, name, **keys):
    """A copy of the cluster's config with keys replaced."""
    lines = [l for l in open(cluster.conf).read().splitlines()
             if l.split("=", 1)[0] not in keys]
    path = os.path.join(cluster.dir, name)
    with open(path, "w") as f:
        f.write("\n".join(lines + ["%s=%s" % kv for kv in keys.items()]) + "\n")
    return path


def ping(cluster, conf=None):
    return cluster.run([cluster.bin("scontrol"), "ping"],
                       env={"SLUICE_CONF": conf} if conf else None)


def test_up(cluster):
    r = ping(cluster)
    assert r.rc == 0 and r.out.strip().endswith(" is UP") and not r.err, r


@pytest.fixture
def other_key_socket(cluster):
    """The socket of a munged with a key of its own (its credentials are refused)."""
    with other_munged(os.path.join(cluster.dir, "munge-other")) as sock:
        yield sock


def test_credential_refused(cluster, other_key_socket):
    r = ping(cluster, conf_with(cluster, "other-key.conf", AuthInfo="socket=" + other_key_socket))
    assert r.rc != 0, r
    assert "DOWN" not in r.out, r
    assert "is UP but refused this command's credential" in r.out, r
    assert "authentication refused" in r.err, r


def test_no_credential(cluster):
    r = ping(cluster, conf_with(cluster, "no-munged.conf",
                               AuthInfo="socket=" + os.path.join(cluster.dir, "nonexistent.sock")))
    assert r.rc != 0, r
    assert "DOWN" not in r.out and "no credential could be made" in r.out, r
    assert "nonexistent.sock" in r.err or "munge" in r.err.lower(), r


def test_down(cluster):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()          # nothing listens there now
    r = ping(cluster, conf_with(cluster, "no-ctld.conf", ControllerPort=port))
    assert r.rc != 0 and "is DOWN" in r.out and "cannot connect" in r.err, r
