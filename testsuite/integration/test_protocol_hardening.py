"""The wire protocol spoken maliciously or by mistake (issue 9, items 5-8):
every field of every request is type-checked before its handler runs (a
malformed job_cancel must cancel nothing), a connection that has not said
hello may not make the controller buffer much nor hold on for long, the
number of connections is bounded, a job whose launch message could exceed
the node channel's frame limit is refused at submit (it used to wedge its
node), and an error message holding invalid UTF-8 still gets sent."""

import json
import os
import socket
import struct
import subprocess

import pytest

from conftest import wait_for
from wire import frame

MAX_CONNS = 40
APPEND = """KillWait=2
PartitionName=batch MaxTime=60
MaxConnections=%d
""" % MAX_CONNS


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=2, cpus=4, mem=4000, append=APPEND)


@pytest.fixture(autouse=True)
def clean(cluster):
    yield
    cluster.reset()


# ---- speaking the protocol by hand

def ctld_port(cluster):
    with open(cluster.conf) as f:
        for line in f:
            if line.startswith("ControllerPort="):
                return int(line.split("=", 1)[1])
    raise AssertionError("no ControllerPort in " + cluster.conf)


def connect(cluster):
    s = socket.create_connection(("127.0.0.1", ctld_port(cluster)), timeout=60)
    s.settimeout(60)
    return s




def read_n(s, n):
    out = bytearray()
    while len(out) < n:
        try:
            chunk = s.recv(min(n - len(out), 1 << 20))
        except ConnectionResetError:
            return None
        if not chunk:
            return None
        out += chunk
    return bytes(out)


def reply(s):
    """The next frame as an object, or None at EOF."""
    hdr = read_n(s, 4)
    if hdr is None:
        return None
    body = read_n(s, struct.unpack(">I", hdr)[0])
    assert body is not None, "connection closed inside a frame"
    return json.loads(body)


def credential(cluster):
    r = subprocess.run(["munge", "-n", "-S", os.path.join(cluster.dir, "munge", "munge.socket")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def session(cluster):
    s = connect(cluster)
    s.sendall(frame({"op": "hello", "id": 0, "body": {"version": 1, "cred": credential(cluster)}}))
    rep = reply(s)
    assert rep and "error" not in rep, rep
    return s


def call(s, op, body, rid=1):
    s.sendall(frame({"op": op, "id": rid, "body": body}))
    rep = reply(s)
    assert rep is not None and rep.get("id") == rid, rep
    return rep


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for pid %d" % pid)


def held_jobs(cluster, n=2):
    return [cluster.submit("-H", "--wrap", "true") for _ in range(n)]


def assert_still_pending(cluster, jids):
    for j in jids:
        assert cluster.state(j) == "PENDING", (j, cluster.job(j))


# ---- item 6: strict field types; a malformed cancel cancels nothing

MALFORMED_SELECTIONS = [
    {"job_ids": "1,2"},
    {"job_ids": 7},
    {"job_ids": {}},
    {"job_ids": True},
    {"job_ids": None},
    {"job_ids": [1.5]},
    {"job_ids": [[1]]},
    {"job_id": 5},                       # misspelt: not a filter, not ignored
    {"job_ids": []},                     # no ids and no filter
    {"signal": 9},                       # a signal selects nothing
    {"mode": "terminate"},
    {"states": "PENDING"},
    {"user": 0},
    {"signal": "KILL", "job_ids": [1]},
    {"signal": 1000, "job_ids": [1]},
]


@pytest.mark.parametrize("op", ["job_cancel", "job_hold", "job_release"])
def test_malformed_selection_changes_nothing(cluster, op):
    jids = held_jobs(cluster)      # held: what a cancel, a hold or a release would change
    with session(cluster) as s:
        for i, body in enumerate(MALFORMED_SELECTIONS):
            if op != "job_cancel" and ("signal" in body or "mode" in body):
                continue
            rep = call(s, op, body, rid=100 + i)
            assert "error" in rep, (op, body, rep)
            assert rep["error"]["code"] == "EINVAL", (op, body, rep)
            assert rep["error"]["message"], rep
    assert_still_pending(cluster, jids)
    for j in jids:
        assert cluster.job(j)["Reason"] == "JobHeldUser", cluster.job(j)


def test_type_error_names_field_and_type(cluster):
    with session(cluster) as s:
        rep = call(s, "job_cancel", {"job_ids": "1,2"})
        msg = rep["error"]["message"]
        assert "job_ids" in msg and "array" in msg and "string" in msg, rep
        rep = call(s, "job_list", {"users": "root"})
        assert "users" in rep["error"]["message"] and "array of strings" in \
            rep["error"]["message"], rep
        rep = call(s, "job_show", {"job_id": [1]})
        assert "job_id" in rep["error"]["message"], rep
        rep = call(s, "job_list", {"no_such_field": 1})
        assert "unknown field 'no_such_field'" in rep["error"]["message"], rep
        rep = call(s, "node_update", {"nodes": "n1"})
        assert "missing field 'state'" in rep["error"]["message"], rep
        rep = call(s, "job_update", {"job_id": 1, "time_limit": "10"})
        assert "time_limit" in rep["error"]["message"], rep
        rep = call(s, "acct_query", {"duplicates": 1})
        assert "duplicates" in rep["error"]["message"] and "boolean" in \
            rep["error"]["message"], rep
        rep = call(s, "job_submit", {"script": "#!/bin/sh\ntrue\n", "cwd": "/tmp",
                                     "argv": "a b"})
        assert "argv" in rep["error"]["message"], rep
        # Well-formed requests still work on the same connection.
        rep = call(s, "job_list", {"users": ["root"], "states": ["PENDING"]})
        assert "body" in rep, rep


def test_wellformed_cancel_still_works(cluster):
    jids = held_jobs(cluster, 3)
    with session(cluster) as s:
        rep = call(s, "job_cancel", {"job_ids": [jids[0], str(jids[1])]})
        assert sorted(rep["body"]["done"]) == sorted(jids[:2]), rep
    cluster.wait_sacct(jids[0], lambda st: st.startswith("CANCELLED"))
    assert cluster.state(jids[2]) == "PENDING"


# ---- item 7: budget before hello, connection limit

def test_unauthenticated_big_frames_do_not_grow_memory(cluster):
    pid = cluster.pid("controller")
    before = rss_kb(pid)
    socks, chunk = [], b"x" * (1 << 20)
    for _ in range(8):
        s = connect(cluster)
        socks.append(s)
        s.sendall(struct.pack(">I", 60 << 20))
        sent = 0
        try:
            while sent < 60 << 20:       # refused long before 60 MiB go through
                s.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass
        assert sent < 60 << 20, "the controller took a 60 MiB frame before hello"
    grown = rss_kb(pid) - before
    for s in socks:
        s.close()
    print("controller RSS %d KiB before, grew by %d KiB" % (before, grown))
    assert grown < 40 * 1024, "controller RSS grew by %d KiB" % grown
    assert cluster.ping()


def test_frame_over_hello_budget_is_refused(cluster):
    with connect(cluster) as s:
        s.sendall(struct.pack(">I", 1 << 20) + b"{")
        rep = reply(s)
        assert rep and rep["error"]["code"] == "EPROTO", rep
        assert "hello" in rep["error"]["message"], rep
        assert reply(s) is None
    assert cluster.ping()


def test_silent_connection_is_closed(cluster):
    with connect(cluster) as s:
        s.settimeout(120)     # a generous bound on the 10 s deadline: a hang fails here
        rep = reply(s)        # the deadline's error, then EOF
        if rep is not None:
            assert "error" in rep and "hello" in rep["error"]["message"], rep
            assert reply(s) is None
    assert cluster.ping()


def test_connection_limit(cluster):
    """Beyond MaxConnections a connection gets EAGAIN and is closed; the ones
    held open without a hello are closed at their deadline."""
    socks = [connect(cluster) for _ in range(MAX_CONNS + 5)]
    try:
        # Opened within the hello deadline: the two nodes and these fill it.
        r = cluster.run(cluster.bin("squeue"))
        assert r.rc != 0 and "MaxConnections" in r.err, r
        codes = []
        for s in socks:
            rep = reply(s)        # the refusal now, or the deadline's error later
            codes.append(rep["error"]["code"] if rep else None)
        refused = [c for c in codes if c == "EAGAIN"]
        assert len(refused) >= 5, codes
        assert set(codes) <= {"EAGAIN", "EPROTO", None}, codes
    finally:
        for s in socks:
            s.close()
    wait_for(cluster.ping, 60, "the controller to answer again")
    assert all(x["alive"] for x in cluster.status()["daemons"])


# ---- item 5: a launch can never exceed the node channel's frame limit

@pytest.mark.parametrize("size", [20 << 20, (64 << 20) - 400])
def test_huge_script_refused_and_node_still_works(cluster, size):
    head = b'{"op":"job_submit","id":5,"body":{"cwd":"/tmp","name":"big","nodelist":"n1",' \
           b'"script":"#!/bin/sh\\n# '
    tail = b'\\ntrue\\n"}}'
    pad = size - len(head) - len(tail)
    data = head + b"x" * pad + tail
    json.loads(data)      # well-formed
    with session(cluster) as s:
        s.sendall(struct.pack(">I", len(data)) + data)
        rep = reply(s)
    assert "error" in rep, {k: v for k, v in rep.items() if k != "body"}
    assert "limit" in rep["error"]["message"], rep
    assert not cluster.queue_ids()
    ok = cluster.submit("-w", "n1", "--wrap", "true")
    cluster.wait_state(ok, "COMPLETED")


# ---- item 8: an error message with invalid UTF-8 is still sent

def test_reconfigure_with_invalid_utf8_line(cluster):
    """The controller's file gets a line with invalid UTF-8; scontrol reads a
    clean copy (it would refuse the bad line itself), so the refusal must
    come from the controller, in a reply it could encode."""
    with open(cluster.conf, "rb") as f:
        orig = f.read()
    clean = os.path.join(cluster.work, "clean.conf")
    with open(clean, "wb") as f:
        f.write(orig)
    try:
        with open(cluster.conf, "ab") as f:
            f.write(b"Bogus\xff\xfeKey=1\n")
        r = cluster.run(cluster.bin("scontrol"), "reconfigure", env={"SLUICE_CONF": clean},
                        timeout=60)
        assert r.rc != 0 and "Bogus" in r.err and "\\xFF" in r.err, r
    finally:
        with open(cluster.conf, "wb") as f:
            f.write(orig)
    cluster.ok(cluster.bin("scontrol"), "reconfigure")
    assert cluster.ping()


def test_hellos_checked_off_the_loop(cluster):
    """The controller checks hellos' credentials on threads (auth_pool.c):
    requests sent right behind a hello, before its answer, wait for it and
    are answered in order; a bad credential is refused on its own
    connection; the others, and ones opened meanwhile, are served."""
    socks = []
    for k in range(20):
        s = connect(cluster)
        socks.append(s)
        cred = credential(cluster) if k % 5 else "not-a-credential-%d" % k
        s.sendall(frame({"op": "hello", "id": 0, "body": {"version": 1, "cred": cred}})
                  + frame({"op": "ping", "id": 1, "body": {}})
                  + frame({"op": "job_list", "id": 2, "body": {}}))
    for k, s in enumerate(socks):
        first = reply(s)
        if k % 5 == 0:
            assert first and first["error"]["code"] == "EPERM", first
            assert reply(s) is None, "a refused hello's requests were served"
        else:
            assert first and first.get("id") == 0 and "error" not in first, first
            assert [reply(s).get("id") for _ in range(2)] == [1, 2]
        s.close()
    assert cluster.ping()
