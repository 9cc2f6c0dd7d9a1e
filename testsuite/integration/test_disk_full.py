"""The controller's disk fills up (StateSaveLocation on a small tmpfs): the
commit that cannot be written stops the controller (it never answers for a
change that is not durable), every job it acknowledged before is there after
space is freed and it is started again, and it goes on numbering and running
jobs.  Needs root (mount); skipped otherwise."""

import os
import subprocess
import tempfile

import pytest

from conftest import IS_ROOT, wait_for


@pytest.fixture(scope="module")
def small_disk():
    if not IS_ROOT:
        pytest.skip("needs root to mount a tmpfs")
    d = tempfile.mkdtemp(prefix="sluice-it-fulldisk-", dir="/tmp")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", d],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        os.rmdir(d)
        pytest.skip("cannot mount a tmpfs here: %s" % r.stdout.strip())
    yield d
    subprocess.run(["umount", "-l", d])
    os.rmdir(d)


@pytest.fixture(scope="module")
def cluster(small_disk, cluster_factory):
    # Requested after small_disk: the cluster is stopped before the unmount.
    state = os.path.join(small_disk, "state")
    return cluster_factory(nodes=1, cpus=2, mem=2000,
                           append="KillWait=2\nStateSaveLocation=%s\n" % state)


def fill(path):
    """Write path until the file system is full.  Unbuffered: a buffered
    file would raise ENOSPC again when it is closed with bytes left over."""
    block = b"\0" * 65536
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        while True:
            os.write(fd, block)
    except OSError:
        pass
    finally:
        os.close(fd)


def test_disk_full_stops_the_controller_and_loses_nothing(cluster, small_disk):
    sbatch = cluster.bin("sbatch")
    acked = [cluster.submit("-H", "-J", "before", "--wrap", "true") for _ in range(10)]
    filler = os.path.join(small_disk, "filler")
    fill(filler)
    # Submissions go on until one cannot be committed.
    refused = None
    for i in range(5000):
        r = cluster.run(sbatch, "--parsable", "-H", "-J", "full%d" % i, "--wrap", "true")
        if r.rc != 0:
            refused = r
            break
        acked.append(int(r.out.split(";")[0]))
    assert refused is not None, "5000 submissions fitted on a full disk"
    wait_for(lambda: not cluster.alive("controller"), 60, "the controller to stop")
    log = cluster.log("controller")
    assert "database error" in log, log[-3000:]

    os.unlink(filler)
    cluster.restart("controller")
    wait_for(cluster.ping, 120, "the restarted controller to answer")
    known = cluster.queue_ids()
    missing = set(acked) - known
    assert not missing, "acknowledged before the disk filled, lost: %s" % sorted(missing)[:20]
    j = cluster.job(acked[-1])
    assert j["JobState"] == "PENDING" and j["Reason"] == "JobHeldUser", j

    new = cluster.submit("--wrap", "true")
    assert new > max(acked), (new, max(acked))
    cluster.wait_state(new, "COMPLETED")
    cluster.ok(cluster.bin("scancel"), *[str(x) for x in sorted(known)])
    wait_for(lambda: not cluster.queue_ids(), 60, "the queue to empty")
