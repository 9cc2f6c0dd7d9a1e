"""Bad input gets a clear error and loses nothing: bad options and values,
impossible requests, bad scripts, output paths that cannot be opened, and
malformed protocol frames sent straight to the controller's port."""

import os
import socket
import struct
import subprocess

import pytest

from conftest import IS_ROOT, other_munged, wait_for
from wire import frame, recv_frame

APPEND = """KillWait=2
PartitionName=batch MaxTime=60
"""


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=2, cpus=4, mem=4000, append=APPEND)


@pytest.fixture(autouse=True)
def clean(request, cluster):
    """Each test starts with an empty queue and usable nodes."""
    yield
    cluster.reset()


def sbatch_refused(cluster, *args, cwd=None, words=()):
    """sbatch ARGS must fail with a message (naming each of words, case-
    insensitively) and must not create a job."""
    before = cluster.queue_ids()
    r = cluster.run([cluster.bin("sbatch")] + list(args), cwd=cwd)
    created = cluster.queue_ids() - before
    if created:   # do not let it block the jobs of the tests that follow
        cluster.run([cluster.bin("scancel")] + [str(j) for j in created])
    assert r.rc != 0, r
    assert r.err.strip(), "no error message: %r" % (r,)
    assert not r.out.strip().isdigit() and "Submitted batch job" not in r.out, r
    for w in words:
        assert w.lower() in r.err.lower(), "message does not mention %r: %r" % (w, r)
    assert created == set(), "jobs %s were created by %r" % (sorted(created), r)
    return r


def test_unknown_option(cluster):
    sbatch_refused(cluster, "--no-such-option", "--wrap", "true", words=["no-such-option"])


def test_unknown_sbatch_line_option(cluster):
    d = cluster.mkdir("badline")
    path = cluster.script("#!/bin/bash\n#SBATCH --frobnicate=3\ntrue\n", cwd=d)
    sbatch_refused(cluster, path, cwd=d, words=["frobnicate"])


@pytest.mark.parametrize("value", ["abc", "1:2:3:4", "-5", "5-", "1:99x"])
def test_bad_time(cluster, value):
    sbatch_refused(cluster, "-t", value, "--wrap", "true", words=["time"])


@pytest.mark.parametrize("value", ["12XB", "lots", "-1", "1.5.5G"])
def test_bad_mem(cluster, value):
    sbatch_refused(cluster, "--mem=" + value, "--wrap", "true", words=["mem"])


@pytest.mark.parametrize("opt", ["-N", "-n", "-c"])
def test_bad_count(cluster, opt):
    sbatch_refused(cluster, opt, "two", "--wrap", "true")


def test_unknown_partition(cluster):
    sbatch_refused(cluster, "-p", "nosuchpart", "--wrap", "true", words=["nosuchpart"])


def test_more_cpus_than_any_node(cluster):
    sbatch_refused(cluster, "-c", "64", "--wrap", "true")


def test_more_memory_than_any_node(cluster):
    sbatch_refused(cluster, "--mem=100G", "--wrap", "true")


def test_more_nodes_than_partition(cluster):
    sbatch_refused(cluster, "-N", "3", "--wrap", "true")


def test_unknown_nodelist(cluster):
    sbatch_refused(cluster, "-w", "n9", "--wrap", "true", words=["n9"])


def test_time_over_max_time(cluster):
    sbatch_refused(cluster, "-t", "2:00:00", "--wrap", "true", words=["time"])


def test_script_without_shebang(cluster):
    d = cluster.mkdir("noshebang")
    path = cluster.script("echo no interpreter line\n", cwd=d)
    sbatch_refused(cluster, path, cwd=d, words=["#!"])


def test_missing_script(cluster):
    d = cluster.mkdir("missing")
    sbatch_refused(cluster, os.path.join(d, "nope.sh"), cwd=d, words=["nope.sh"])


def test_unreadable_script(cluster):
    d = cluster.mkdir("unreadable")
    sbatch_refused(cluster, d, cwd=d)          # a directory is not a script
    if not IS_ROOT:
        path = cluster.script("#!/bin/sh\ntrue\n", cwd=d, mode=0o000)
        sbatch_refused(cluster, path, cwd=d, words=[os.path.basename(path)])


def test_scontrol_unknown_job_and_node(cluster):
    r = cluster.run(cluster.bin("scontrol"), "show", "job", "424242")
    assert r.rc != 0 and "invalid job id" in r.err.lower(), r     # Slurm's words
    r = cluster.run(cluster.bin("scontrol"), "show", "node", "n99")
    assert r.rc != 0 and ("n99" in r.err or "invalid node name" in r.err.lower()), r
    r = cluster.run(cluster.bin("scontrol"), "update", "NodeName=n1", "State=BOGUS")
    assert r.rc != 0 and r.err.strip(), r
    r = cluster.run(cluster.bin("scontrol"), "frobnicate")
    assert r.rc != 0 and r.err.strip(), r


def test_unknown_options_of_other_commands(cluster):
    for cmd in ("squeue", "sinfo", "scancel", "sacct", "scontrol"):
        r = cluster.run(cluster.bin(cmd), "--no-such-option")
        assert r.rc != 0 and "no-such-option" in r.err, r


def test_controller_unreachable(cluster):
    conf = os.path.join(cluster.work, "unreachable.conf")
    with open(cluster.conf) as f:
        text = f.read()
    # A port nothing listens on (we bind it and do not listen).
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    try:
        lines = ["ControllerPort=%d" % port if l.startswith("ControllerPort=") else l
                 for l in text.splitlines()]
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        for argv in (["squeue"], ["sinfo"], ["sbatch", "--wrap", "true"], ["scancel", "1"],
                     ["sacct"], ["scontrol", "show", "job"]):
            r = cluster.run([cluster.bin(argv[0])] + argv[1:], env={"SLUICE_CONF": conf},
                            timeout=120)
            assert r.rc != 0 and r.err.strip(), r
        # scontrol ping reports on stdout, as Slurm's does, and fails.
        r = cluster.run(cluster.bin("scontrol"), "ping", env={"SLUICE_CONF": conf}, timeout=120)
        assert r.rc != 0 and "DOWN" in r.out + r.err, r
    finally:
        s.close()


def test_output_path_that_cannot_be_opened(cluster):
    d = cluster.mkdir("badout")
    jid = cluster.submit("-o", "/nonexistent-dir/sub/out.txt", "--wrap", "echo hi", cwd=d)
    j = cluster.wait_state(jid, ("FAILED", "COMPLETED", "CANCELLED", "NODE_FAIL"))
    assert j["JobState"] == "FAILED", j
    # The reason names the problem (the path or what failed about it).
    why = " ".join(j.get(k, "") for k in ("Reason", "Comment", "StateReason", "Error"))
    assert "/nonexistent-dir/sub/out.txt" in why or "output" in why.lower(), j
    st = cluster.status()
    assert all(x["alive"] for x in st["daemons"]), st
    # The node is still usable.
    ok = cluster.submit("-w", j["NodeList"], "--wrap", "echo fine", cwd=d)
    cluster.wait_state(ok, "COMPLETED")
    assert open(os.path.join(d, "slurm-%d.out" % ok)).read() == "fine\n"


# ---- the wire protocol, spoken badly on purpose

def ctld_addr(cluster):
    host, port = "127.0.0.1", None
    with open(cluster.conf) as f:
        for line in f:
            if line.startswith("ControllerPort="):
                port = int(line.split("=", 1)[1])
    return host, port








def connect(cluster):
    s = socket.create_connection(ctld_addr(cluster), timeout=30)
    s.settimeout(30)
    return s


def credential(cluster):
    sock = os.path.join(cluster.dir, "munge", "munge.socket")
    r = subprocess.run(["munge", "-n", "-S", sock], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def hello(cluster, s):
    s.sendall(frame({"op": "hello", "id": 0, "body": {"version": 1, "cred": credential(cluster)}}))
    rep = recv_frame(s)
    assert rep and "error" not in rep and rep["body"]["version"] == 1, rep
    assert rep["body"]["uid"] == os.getuid(), rep
    return rep


def expect_error_then_close(s, codes=None):
    """An error reply (optional) and then EOF; never a hang."""
    rep = recv_frame(s)
    if rep is not None:
        assert "error" in rep, rep
        if codes:
            assert rep["error"]["code"] in codes, rep
        assert rep["error"].get("message"), rep
        while rep is not None:     # the server closes the connection
            rep = recv_frame(s)
            assert rep is None or "error" in rep, rep


def still_answers(cluster):
    r = cluster.run(cluster.bin("scontrol"), "ping")
    assert r.rc == 0, r
    assert cluster.alive("controller")


def test_frame_garbage_json(cluster):
    with connect(cluster) as s:
        s.sendall(frame(b"this is { not json"))
        expect_error_then_close(s, ("EPROTO", "EINVAL"))
    still_answers(cluster)


def test_frame_oversized(cluster):
    with connect(cluster) as s:
        s.sendall(struct.pack(">I", 0xFFFFFFF0) + b"{" * 1000)
        expect_error_then_close(s, ("EPROTO", "EINVAL"))
    still_answers(cluster)


def test_frame_truncated_then_closed(cluster):
    with connect(cluster) as s:
        s.sendall(struct.pack(">I", 1000) + b'{"op": "hel')
    with connect(cluster) as s:
        s.sendall(b"\x00\x00")
    still_answers(cluster)


def test_request_before_hello(cluster):
    with connect(cluster) as s:
        s.sendall(frame({"op": "job_list", "id": 3, "body": {}}))
        expect_error_then_close(s, ("EPERM",))
    still_answers(cluster)


def test_bad_credential(cluster):
    with connect(cluster) as s:
        s.sendall(frame({"op": "hello", "id": 0, "body": {"version": 1, "cred": "MUNGE:forged:"}}))
        expect_error_then_close(s, ("EPERM",))
    still_answers(cluster)


def test_bad_requests_after_hello(cluster):
    with connect(cluster) as s:
        hello(cluster, s)
        cases = [
            ({"op": "no_such_op", "id": 11, "body": {}}, 11),
            ({"id": 12, "body": {}}, 12),                          # missing op
            ({"op": "job_show", "id": 13, "body": {}}, 13),        # missing field
            ({"op": "job_show", "id": 14, "body": {"job_id": "x"}}, 14),
            ({"op": "job_submit", "id": 15, "body": {"script": "no shebang", "cwd": "/tmp"}}, 15),
            # Found by fuzzing: a job definition named by a non-string crashed the controller.
            ({"op": "job_submit", "id": 16, "body": {"job_definition": 5, "cwd": "/tmp"}}, 16),
        ]
        for req, rid in cases:
            s.sendall(frame(req))
            rep = recv_frame(s)
            assert rep is not None, "connection closed after %r" % req
            assert rep.get("id") == rid and "error" in rep, (req, rep)
            assert rep["error"]["code"] in ("EINVAL", "ENOENT", "EPROTO"), (req, rep)
            assert rep["error"]["message"], rep
        s.sendall(frame([1, 2, 3]))                                # not an object
        rep = recv_frame(s)
        assert rep is None or "error" in rep, rep
    with connect(cluster) as s:
        hello(cluster, s)
        s.sendall(frame({"op": "ping", "id": 21, "body": {}}))
        rep = recv_frame(s)
        assert rep["id"] == 21 and rep["body"]["cluster"] == "devcluster", rep
    still_answers(cluster)


def test_many_connections_dropped(cluster):
    socks = [connect(cluster) for _ in range(50)]
    for s in socks:
        s.close()
    wait_for(lambda: cluster.ping(), 30, "the controller to answer")
    still_answers(cluster)


def test_daemons_survived(cluster):
    st = cluster.status()
    assert all(x["alive"] for x in st["daemons"]), st
    cluster.wait_nodes_idle()


def test_aws_cancel_versus_terminate(cluster):
    """The operations layer's AWS distinction: "cancel" only stops jobs that
    have not started (and refuses a running one); "terminate" stops any."""
    running = cluster.submit("--wrap", "sleep 300")
    held = cluster.submit("-H", "--wrap", "true")
    cluster.wait_state(running, ("RUNNING",))
    with connect(cluster) as s:
        hello(cluster, s)
        s.sendall(frame({"op": "job_cancel", "id": 1,
                         "body": {"job_ids": [running, held], "mode": "cancel"}}))
        rep = recv_frame(s)
        assert rep["body"]["done"] == [held], rep
        assert [e["job_id"] for e in rep["body"]["errors"]] == [running], rep
        assert "not yet started" in rep["body"]["errors"][0]["message"], rep
        assert cluster.state(running) == "RUNNING"
        s.sendall(frame({"op": "job_cancel", "id": 2,
                         "body": {"job_ids": [running], "mode": "terminate"}}))
        rep = recv_frame(s)
        assert rep["body"]["done"] == [running] and not rep["body"]["errors"], rep
    cluster.wait_sacct(running, lambda st: st.startswith("CANCELLED"))
    cluster.wait_sacct(held, lambda st: st.startswith("CANCELLED"))


def test_command_with_a_refused_credential(cluster):
    """Commands send their hello with their first request (client_open_deferred):
    a credential the controller refuses (made with another munge key) must
    still be reported as such, with a non-zero exit, and change nothing."""
    with other_munged(os.path.join(cluster.dir, "munge2")) as sock:
        conf = open(cluster.env["SLUICE_CONF"]).read()
        other = os.path.join(cluster.dir, "other.conf")
        with open(other, "w") as f:
            f.write("\n".join(l for l in conf.splitlines() if not l.startswith("AuthInfo"))
                    + "\nAuthInfo=socket=%s\n" % sock)
        before = cluster.queue_ids()
        for cmd in (["sbatch", "--wrap=true"], ["squeue"], ["scancel", "999999"]):
            r = cluster.run(cmd, env={"SLUICE_CONF": other})
            assert r.rc != 0, r
            assert "authentication refused" in r.err and "controller" in r.err, r
        assert cluster.queue_ids() == before
    still_answers(cluster)


def recv_reply(s, rid):
    """The reply to request rid, skipping the controller's pushes."""
    while True:
        rep = recv_frame(s)
        assert rep is not None, "connection closed before the reply to %d" % rid
        if "op" not in rep and rep.get("id") == rid:
            return rep


@pytest.mark.skipif(not IS_ROOT, reason="node_register needs a root credential")
def test_second_node_on_one_connection_refused(cluster_factory):
    """Without NodesPerDaemon > 1 (a testing mode), a connection that has
    registered one node may not register another: EPERM, naming the key."""
    # The spare nodes have no sluiced: devcluster must not wait for them.
    c = cluster_factory(nodes=1, append="NodeName=spare[1-2] NodeHostname=127.0.0.1 "
                                         "Port=[29991-29992] CPUs=1 RealMemory=100\n",
                        extra_args=["--no-wait"])
    c.wait_nodes_idle(["n1"])

    def register(s, rid, name):
        s.sendall(frame({"op": "node_register", "id": rid, "body": {
            "name": name, "cpus": 1, "sockets": 1, "cores_per_socket": 1,
            "threads_per_core": 1, "memory_mb": 100, "running": [], "version": "0.1.0"}}))
        return recv_reply(s, rid)

    with connect(c) as s:
        hello(c, s)
        rep = register(s, 1, "spare1")
        assert "error" not in rep, rep
        rep = register(s, 2, "spare2")
        assert rep.get("error", {}).get("code") == "EPERM", rep
        assert "NodesPerDaemon" in rep["error"]["message"], rep
        assert "spare1" in rep["error"]["message"], rep
    still_answers(c)
    assert c.ok(c.bin("squeue")).rc == 0
