"""The controller's job table past its first growth (1,024 active jobs):
lookups of absent ids sharing a bucket with the job that triggered the growth
must answer, and removing jobs must leave nothing dangling (issue 9: the
growth chained that job twice, a self-loop)."""

import json
import os
import socket
import struct
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import wait_for
from wire import frame

NJOBS = 1040     # past the first growth at 1,025 active jobs


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=1, cpus=2, mem=1000)


def sbatch_held(cluster, n):
    """n separate held jobs (not an array) from sbatch, 4 at a time."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda _: cluster.submit("-H", "-J", "big", "--wrap", "true"),
                             range(n)))




def read_frame(sock, buf):
    """(reply, rest of buf); reads more from sock as needed."""
    while len(buf) < 4 or len(buf) < 4 + struct.unpack(">I", buf[:4])[0]:
        chunk = sock.recv(1 << 16)
        assert chunk, "the controller closed the connection"
        buf += chunk
    n = struct.unpack(">I", buf[:4])[0]
    return json.loads(buf[4:4 + n]), buf[4 + n:]


def wire_held(cluster, n, window=64):
    """n separate held jobs sent as job_submit requests on one connection,
    window at a time (doc/protocol.md): what sbatch sends, without an
    exec per job, which under ASan costs far more than the controller's
    work."""
    port = None
    with open(cluster.conf) as f:
        for line in f:
            if line.startswith("ControllerPort="):
                port = int(line.split("=", 1)[1])
    cred = subprocess.run(["munge", "-n", "-S", os.path.join(cluster.dir, "munge", "munge.socket")],
                          stdout=subprocess.PIPE, text=True, check=True, timeout=30).stdout.strip()
    spec = {"script": "#!/bin/sh\ntrue\n", "cwd": cluster.work, "name": "big", "hold": True,
            "command": "wrap", "env": {"PATH": "/usr/bin:/bin"}}
    ids, buf = [], b""
    with socket.create_connection(("127.0.0.1", port), timeout=120) as s:
        s.sendall(frame({"op": "hello", "id": 0, "body": {"version": 1, "cred": cred}}))
        rep, buf = read_frame(s, buf)
        assert "error" not in rep, rep
        for first in range(0, n, window):
            count = min(window, n - first)
            s.sendall(b"".join(frame({"op": "job_submit", "id": first + k + 1, "body": spec})
                               for k in range(count)))
            for _ in range(count):
                rep, buf = read_frame(s, buf)
                assert "error" not in rep, rep
                ids.append(rep["body"]["job_id"])
    return ids


def submit_held(cluster, n):
    """n separate held jobs: a few through sbatch, the rest on the wire."""
    return sorted(sbatch_held(cluster, 8) + wire_held(cluster, n - 8))


def show_missing(cluster, jid):
    # A lookup that looped would hang here; the timeout turns that into a failure.
    r = cluster.run(cluster.bin("scontrol"), "show", "job", str(jid), timeout=30)
    assert r.rc != 0 and "Invalid job id" in r.err, r


def test_job_table_grows_and_shrinks(cluster):
    ids = sorted(cluster.queue_ids())
    ids = sorted(ids + submit_held(cluster, NJOBS))
    assert len(set(ids)) == len(ids) >= NJOBS
    assert len(cluster.queue_ids()) == len(ids)
    # The job whose arrival grew the table to 2,048 buckets, its neighbours,
    # and ids in the same buckets that do not exist.
    grew = ids[1020:1030]
    for jid in grew:
        show_missing(cluster, jid + 2048)
        show_missing(cluster, jid + 4096)
        assert cluster.job(jid)["JobState"] == "PENDING"
    # Removing them must unlink them everywhere (ASan: no use after free).
    cluster.ok(cluster.bin("scancel"), *[str(j) for j in grew])
    wait_for(lambda: not (set(grew) & cluster.queue_ids()), 60, "the cancelled jobs to leave")
    for jid in grew:
        rec = cluster.job(jid)    # from the database now, or gone
        assert rec is None or rec.get("JobState", "").startswith("CANCELLED"), rec
        show_missing(cluster, jid + 2048)
    r = cluster.ok(cluster.bin("sacct"), "-a", "-X", "-n", "-P", "-o", "JobID,State")
    states = dict(line.split("|")[:2] for line in r.out.splitlines() if "|" in line)
    assert all(states.get(str(j), "").startswith("CANCELLED") for j in grew), \
        {j: states.get(str(j)) for j in grew}
    assert sum(1 for s in states.values() if s == "PENDING") == len(ids) - len(grew)
    others = ids[:5] + ids[1015:1020] + ids[-5:]
    for jid in others:
        assert cluster.job(jid)["JobState"] == "PENDING"
    cluster.ok(cluster.bin("scontrol"), "ping")
    assert cluster.alive("controller")
    cluster.reset()
    assert cluster.queue_ids() == set()
    cluster.ok(cluster.bin("scontrol"), "ping")
