"""The node side of job steps (doc/protocol.md, "Job steps"): sluiced's
step_launch and sluicestepd-step's I/O stream, with this test in the roles
of the controller (it forges the grant with munge, as root) and of srun (it
listens for the stream and speaks its frames).  Also: an alloc_only launch
record holds its allocation until the stepd is told to end."""

import json
import os
import pwd
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

import pytest

from conftest import BUILD, IS_ROOT, scaled, wait_for, pid_gone
from wire import frame, recv_frame

pytestmark = pytest.mark.skipif(not IS_ROOT, reason="steps run as another user: needs root")

HELLO, STDOUT, STDERR, STDIN, SIGNAL, TASK_EXIT, FENCE, FENCE_DONE, ABORT, NODE_DONE, ERROR = \
    range(1, 12)
ALL = 0xffffffff
KEY = "ab" * 32


@pytest.fixture(scope="module")
def cluster(cluster_factory, users):
    # A short lease, so that a silent node's steps stop within the tests.
    return cluster_factory(nodes=2, cpus=4, append="KillWait=2\nNodeTimeout=10\n"
                           "HeartbeatInterval=1\n")


def conf_ports(cluster):
    ports = {}
    with open(cluster.conf) as f:
        for line in f:
            m = re.match(r"NodeName=(\S+) .*Port=(\d+)", line)
            if m:
                ports[m.group(1)] = int(m.group(2))
    return ports


def munge_sock(cluster):
    return os.path.join(cluster.dir, "munge", "munge.socket")


def munge(cluster, payload=None, user=None):
    argv = ["munge", "-S", munge_sock(cluster)] + (["-s", payload] if payload else ["-n"])
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=30, user=user)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def grant(cluster, job_id, step_id, user="sluicea", nodes=("n1", "n2"), tpn=(2, 1),
          **extra):
    pw = pwd.getpwnam(user)
    g = {"job_id": job_id, "step_id": step_id, "uid": pw.pw_uid, "gid": pw.pw_gid,
         "user": user, "node_names": list(nodes), "tasks_per_node": list(tpn),
         "ntasks": sum(tpn), "cpus_per_task": 1, "mem_mb": 0, "mpi": "none", "time_limit": -1,
         "name": "step", "job_nodes": "n[1-2]", "job_num_nodes": 2,
         "job_cpus_per_node": "4(x2)", "partition": "batch", "account": "",
         "cluster": "devcluster", "job_name": "holder", "kill_wait": 2,
         "groups": [pw.pw_gid]}
    g.update(extra)
    return munge(cluster, json.dumps(g))


class Srun:
    """srun's listening socket and the streams the nodes open to it."""

    def __init__(self):
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(16)
        self.port = self.lsock.getsockname()[1]
        self.conns = {}

    def accept(self, n=1, timeout=None):
        self.lsock.settimeout(timeout or scaled(60))
        for _ in range(n):
            c, _ = self.lsock.accept()
            c.settimeout(timeout or scaled(60))
            typ, task, data = read_sframe(c)
            assert typ == HELLO, (typ, data)
            hello = json.loads(data)
            assert hello["io_key"] == KEY
            self.conns[hello["node"]] = (c, hello)
        return self.conns

    def close(self):
        for c, _ in self.conns.values():
            c.close()
        self.lsock.close()


def read_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def read_sframe(s):
    hdr = read_exact(s, 12)
    if hdr is None:
        return None, None, None
    n, typ, task = struct.unpack(">III", hdr)
    data = read_exact(s, n) if n else b""
    return typ, task, data


def send_sframe(s, typ, task, data=b""):
    s.sendall(struct.pack(">III", len(data), typ, task) + data)


def collect(s):
    """Every frame up to NODE_DONE: {"out": {rank: bytes}, "err": ..., "exit": {rank: obj},
    "errors": [(task, text)], "eof": set of (type, rank), "done": bool}."""
    res = {"out": {}, "err": {}, "exit": {}, "errors": [], "eof": set(), "done": False}
    while True:
        typ, task, data = read_sframe(s)
        if typ is None:
            return res
        if typ in (STDOUT, STDERR):
            key = "out" if typ == STDOUT else "err"
            if data:
                res[key][task] = res[key].get(task, b"") + data
            else:
                res["eof"].add((typ, task))
        elif typ == TASK_EXIT:
            res["exit"][task] = json.loads(data)
        elif typ == ERROR:
            res["errors"].append((task, data.decode()))
        elif typ == NODE_DONE:
            res["done"] = True
            return res


def session(cluster, node, user=None):
    s = socket.create_connection(("127.0.0.1", conf_ports(cluster)[node]), timeout=scaled(30))
    s.sendall(frame({"op": "hello", "id": 0,
                     "body": {"version": 1, "cred": munge(cluster, user=user)}}))
    rep = recv_frame(s)
    assert rep and "error" not in rep, rep
    return s


def step_launch(cluster, node, cred, argv, srun, user=None, **fields):
    body = {"cred": cred, "node": node, "argv": argv, "cwd": fields.pop("cwd", "/tmp"),
            "io_host": "127.0.0.1", "io_port": srun.port, "io_key": KEY,
            "env": fields.pop("env", {"PATH": "/usr/bin:/bin", "FROM_SRUN": "yes"})}
    if "body_user" in fields:   # the body's own "user" (user= is the caller)
        fields["user"] = fields.pop("body_user")
    body.update(fields)
    s = session(cluster, node, user=user)
    try:
        s.sendall(frame({"op": "step_launch", "id": 1, "body": body}))
        rep = recv_frame(s)
    finally:
        s.close()
    assert rep is not None and rep.get("id") == 1, rep
    return rep


@pytest.fixture(scope="module")
def job(cluster):
    """A job of user sluicea running on both nodes (its batch stepd on n1)."""
    d = cluster.mkdir("steps", user="sluicea")
    jid = cluster.submit("-N2", "-o", "/dev/null", "--wrap", "sleep 600", user="sluicea", cwd=d)
    cluster.wait_state(jid, "RUNNING", timeout=scaled(60))
    yield jid, d
    cluster.run(cluster.bin("scancel"), str(jid))


_step = [0]


def next_step():
    _step[0] += 1
    return _step[0]


ENV_SCRIPT = ('echo "R=$SLURM_PROCID L=$SLURM_LOCALID N=$SLURM_NODEID T=$SLURM_NTASKS '
              'S=$SLURM_STEP_ID NL=$SLURM_STEP_NODELIST TPN=$SLURM_STEP_TASKS_PER_NODE '
              'H=$SLURMD_NODENAME G=$SLURM_GTIDS J=$SLURM_JOB_ID JNL=$SLURM_JOB_NODELIST '
              'M=$SLURM_MPI_TYPE F=$FROM_SRUN U=$(id -un)"; echo "to stderr $SLURM_PROCID" >&2; '
              'if [ "$SLURM_PROCID" = 0 ]; then read x; echo "IN=$x"; fi; exit $SLURM_PROCID')


def test_two_nodes_ranks_env_stdin_exits(cluster, job):
    jid, d = job
    step = next_step()
    srun = Srun()
    try:
        cred = grant(cluster, jid, step)
        for node in ("n1", "n2"):
            rep = step_launch(cluster, node, cred, ["sh", "-c", ENV_SCRIPT], srun, cwd=d)
            assert rep.get("body") == {}, rep
        conns = srun.accept(2)
        assert conns["n1"][1]["tasks"] == [0, 1] and conns["n1"][1]["node_id"] == 0
        assert conns["n2"][1]["tasks"] == [2] and conns["n2"][1]["node_id"] == 1
        send_sframe(conns["n1"][0], STDIN, 0, b"hello there\n")
        send_sframe(conns["n1"][0], STDIN, 0, b"")
        res = {n: collect(c) for n, (c, _) in conns.items()}
    finally:
        srun.close()
    out = {}
    for n, r in res.items():
        assert r["done"], (n, r)
        assert not r["errors"], r["errors"]
        out.update(r["out"])
        for rank, ex in r["exit"].items():
            assert ex == {"exit_code": rank, "signal": 0, "core": 0}, (rank, ex)
        assert {(STDOUT, k) for k in r["exit"]} <= r["eof"]
    assert sorted(out) == [0, 1, 2]
    for rank, text in out.items():
        line = text.decode().splitlines()[0]
        node = "n1" if rank < 2 else "n2"
        want = ("R=%d L=%d N=%d T=3 S=%d NL=n[1-2] TPN=2,1 H=%s G=%s J=%d JNL=n[1-2] M=none "
                "F=yes U=sluicea" % (rank, rank if rank < 2 else 0, 0 if rank < 2 else 1, step,
                                     node, "0,1" if rank < 2 else "2", jid))
        assert line == want
    assert out[0].decode().splitlines()[1] == "IN=hello there"
    assert res["n1"]["err"][1] == b"to stderr 1\n"


def test_signal_frame_reaches_tasks(cluster, job):
    jid, d = job
    srun = Srun()
    try:
        step_launch(cluster, "n1", grant(cluster, jid, next_step(), nodes=("n1",), tpn=(2,)),
                    ["sleep", "300"], srun, cwd=d)
        c, _ = srun.accept(1)["n1"]
        send_sframe(c, SIGNAL, ALL, struct.pack(">I", signal.SIGUSR1))
        res = collect(c)
    finally:
        srun.close()
    assert res["done"]
    assert res["exit"] == {0: {"exit_code": 0, "signal": signal.SIGUSR1, "core": 0},
                           1: {"exit_code": 0, "signal": signal.SIGUSR1, "core": 0}}


def test_missing_command_is_an_error_frame(cluster, job):
    jid, d = job
    srun = Srun()
    try:
        step_launch(cluster, "n2", grant(cluster, jid, next_step(), nodes=("n2",), tpn=(1,)),
                    ["no-such-command-here"], srun, cwd=d)
        res = collect(srun.accept(1)["n2"][0])
    finally:
        srun.close()
    assert res["done"]
    assert res["errors"] == [(0, "execve(): no-such-command-here: No such file or directory")]
    assert res["exit"][0]["exit_code"] == 2


def test_multi_prog(cluster, job):
    jid, d = job
    text = "# comment\n0 echo zero %t\n1-2 echo 'rest of' %t %o\n"
    srun = Srun()
    try:
        step_launch(cluster, "n1", grant(cluster, jid, next_step(), nodes=("n1",), tpn=(3,)),
                    ["ignored"], srun, cwd=d, multi_prog=text)
        res = collect(srun.accept(1)["n1"][0])
    finally:
        srun.close()
    assert res["done"], res
    assert res["out"] == {0: b"zero 0\n", 1: b"rest of 1 0\n", 2: b"rest of 2 1\n"}


def test_output_files_by_pattern(cluster, job):
    jid, d = job
    step = next_step()
    srun = Srun()
    try:
        step_launch(cluster, "n1", grant(cluster, jid, step, nodes=("n1",), tpn=(2,)),
                    ["sh", "-c", "echo out $SLURM_PROCID; echo err $SLURM_PROCID >&2"], srun,
                    cwd=d, stdout="o-%j.%s.%t.txt", stderr="e-%J-%n-%N-%u.txt")
        res = collect(srun.accept(1)["n1"][0])
    finally:
        srun.close()
    assert res["done"] and res["out"] == {} and res["err"] == {}
    for t in (0, 1):
        with open(os.path.join(d, "o-%d.%d.%d.txt" % (jid, step, t))) as f:
            assert f.read() == "out %d\n" % t
        assert os.stat(os.path.join(d, "o-%d.%d.%d.txt" % (jid, step, t))).st_uid == \
            pwd.getpwnam("sluicea").pw_uid
    with open(os.path.join(d, "e-%d.%d-0-n1-sluicea.txt" % (jid, step))) as f:
        assert sorted(f.read().splitlines()) == ["err 0", "err 1"]


def test_closing_the_stream_kills_the_tasks(cluster, job):
    jid, d = job
    srun = Srun()
    step = next_step()
    try:
        step_launch(cluster, "n1", grant(cluster, jid, step, nodes=("n1",), tpn=(1,)),
                    ["sh", "-c", "echo PID=$$; sleep 300 & echo BG=$!; wait"], srun, cwd=d)
        c, _ = srun.accept(1)["n1"]
        got = b""
        while got.count(b"\n") < 2:
            typ, task, data = read_sframe(c)
            assert typ == STDOUT, (typ, data)
            got += data
    finally:
        srun.close()
    pids = [int(x.split("=")[1]) for x in got.decode().split()]
    for pid in pids:
        wait_for(lambda: pid_gone(pid), scaled(30), "task process %d killed" % pid)
    stepdir = os.path.join(cluster.dir, "spool", "n1", "job.%d.step.%d" % (jid, step))
    wait_for(lambda: not os.path.exists(stepdir), scaled(30), "step directory removed")


def refused(rep, text):
    assert "error" in rep, rep
    assert text in rep["error"]["message"], rep
    return rep["error"]


def test_bad_grants_are_refused(cluster, job):
    jid, d = job
    srun = Srun()
    try:
        refused(step_launch(cluster, "n1", "MUNGE:garbage:", ["true"], srun, cwd=d),
                "invalid step credential")
        # A credential without a payload, or one that is not a grant.
        refused(step_launch(cluster, "n1", munge(cluster), ["true"], srun, cwd=d),
                "invalid step credential")
        # Made by an ordinary user, not by the controller (SluiceUser or root).
        cred = munge(cluster, json.dumps({"job_id": jid}), user="sluiceb")
        refused(step_launch(cluster, "n1", cred, ["true"], srun, cwd=d), "not by the controller")
        # This node is not in the grant.
        cred = grant(cluster, jid, next_step(), nodes=("n2",), tpn=(1,))
        refused(step_launch(cluster, "n1", cred, ["true"], srun, cwd=d),
                "node n1 is not in the step's grant")
        # A grant of sluicea's, sent by sluiceb.
        cred = grant(cluster, jid, next_step(), nodes=("n1",), tpn=(1,))
        refused(step_launch(cluster, "n1", cred, ["true"], srun, cwd=d, user="sluiceb"),
                "not for uid")
        # A job that does not run here (n1 is its first node).
        cred = grant(cluster, 999999, 0, nodes=("n1",), tpn=(1,))
        refused(step_launch(cluster, "n1", cred, ["true"], srun, cwd=d),
                "job 999999 is not running on node n1")
        # A bad key.
        cred = grant(cluster, jid, next_step(), nodes=("n1",), tpn=(1,))
        refused(step_launch(cluster, "n1", cred, ["true"], srun, cwd=d, io_key="xyz"),
                "io_key")
    finally:
        srun.close()


def test_the_owner_may_launch(cluster, job):
    jid, d = job
    srun = Srun()
    try:
        cred = grant(cluster, jid, next_step(), nodes=("n2",), tpn=(1,))
        rep = step_launch(cluster, "n2", cred, ["true"], srun, cwd=d, user="sluicea")
        assert rep.get("body") == {}, rep
        res = collect(srun.accept(1)["n2"][0])
    finally:
        srun.close()
    assert res["done"] and res["exit"] == {0: {"exit_code": 0, "signal": 0, "core": 0}}


def test_the_body_cannot_override_the_grant(cluster, job):
    """The launch body is the caller's: a field of the grant's (uid, gid,
    user, groups) in it is refused, never merged into the record, or any
    user holding a grant of their own could run the step as root."""
    jid, d = job
    srun = Srun()
    try:
        cred = grant(cluster, jid, next_step(), nodes=("n2",), tpn=(1,))
        for field, value in (("uid", 0), ("gid", 0), ("body_user", "root"), ("groups", [0]),
                             ("gpus", []), ("cpu_ids", "0-3")):
            rep = step_launch(cluster, "n2", cred, ["true"], srun, cwd=d, user="sluicea",
                              **{field: value})
            name = "user" if field == "body_user" else field
            assert rep.get("error", {}).get("code") == "EINVAL", rep
            assert "unknown field '%s'" % name in rep["error"]["message"], rep
    finally:
        srun.close()


def test_missing_mpi_plugin_fails_the_node(cluster, job):
    jid, d = job
    srun = Srun()
    try:
        cred = grant(cluster, jid, next_step(), nodes=("n1",), tpn=(2,), mpi="nosuchmpi")
        step_launch(cluster, "n1", cred, ["true"], srun, cwd=d)
        res = collect(srun.accept(1)["n1"][0])
    finally:
        srun.close()
    assert res["done"]
    assert len(res["errors"]) == 1 and res["errors"][0][0] == ALL
    assert "MPI type 'nosuchmpi' is not available on node n1" in res["errors"][0][1]
    assert res["exit"] == {0: {"exit_code": 1, "signal": 0, "core": 0},
                           1: {"exit_code": 1, "signal": 0, "core": 0}}


def test_steps_end_with_their_job(cluster):
    """scancel: sluiced terminates the batch stepd on the job's first node
    and the job's steps there with it."""
    d = cluster.mkdir("cancel", user="sluicea")
    jid = cluster.submit("-o", "/dev/null", "--wrap", "sleep 600", user="sluicea", cwd=d)
    cluster.wait_state(jid, "RUNNING", timeout=scaled(60))
    node = cluster.job(jid)["NodeList"]
    srun = Srun()
    try:
        cred = grant(cluster, jid, 0, nodes=(node,), tpn=(1,), job_nodes=node)
        step_launch(cluster, node, cred, ["sleep", "300"], srun, cwd=d)
        c, _ = srun.accept(1)[node]
        assert cluster.run(cluster.bin("scancel"), str(jid)).rc == 0
        res = collect(c)
    finally:
        srun.close()
    assert res["done"]
    assert res["exit"][0]["signal"] == signal.SIGTERM


def run_fences(conns):
    """srun's side of an MPI step: join each fence of every node and answer
    FENCE_DONE; collect the rest as collect() does."""
    import select
    res = {n: {"out": {}, "err": {}, "exit": {}, "errors": [], "aborts": [], "done": False}
           for n in conns}
    fences = {}
    socks = {c: n for n, (c, _) in conns.items()}
    while not all(r["done"] for r in res.values()):
        ready, _, _ = select.select([c for c, n in socks.items() if not res[n]["done"]], [], [],
                                    scaled(120))
        assert ready, "no frame from the nodes for a long time"
        for c in ready:
            n = socks[c]
            typ, task, data = read_sframe(c)
            assert typ is not None, "node %s closed its stream before NODE_DONE" % n
            r = res[n]
            if typ in (STDOUT, STDERR) and data:
                key = "out" if typ == STDOUT else "err"
                r[key][task] = r[key].get(task, b"") + data
            elif typ == TASK_EXIT:
                r["exit"][task] = json.loads(data)
            elif typ == ERROR:
                r["errors"].append((task, data.decode()))
            elif typ == ABORT:
                # As srun: the whole step ends.
                r["aborts"].append((task, json.loads(data)))
                for cc, _ in conns.values():
                    try:
                        send_sframe(cc, SIGNAL, ALL, struct.pack(">I", signal.SIGKILL))
                    except OSError:
                        pass
            elif typ == NODE_DONE:
                r["done"] = True
            elif typ == FENCE:
                seq = data[:4]
                fences.setdefault(seq, {})[n] = data[4:]
                if len(fences[seq]) == len(conns):
                    blob = seq + b"".join(fences.pop(seq).values())
                    for cc, _ in conns.values():
                        send_sframe(cc, FENCE_DONE, 0, blob)
    return res


def pmix_plugin(cluster):
    with open(cluster.conf) as f:
        m = re.search(r"^PluginDir=(\S+)", f.read(), re.M)
    for d in (m.group(1).split(":") if m else []):
        if os.path.exists(os.path.join(d, "mpi_pmix.so")):
            return True
    return False


@pytest.fixture(scope="module")
def mpi_app(cluster):
    assert pmix_plugin(cluster), "no mpi/pmix plugin in PluginDir"
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "mpi",
                       "mpi_app.c")
    assert shutil.which("mpicc.openmpi"), "no mpicc.openmpi (testsuite/run installs openmpi-bin, libopenmpi-dev)"
    d = cluster.mkdir("mpi")
    exe = os.path.join(d, "mpi_app")
    r = subprocess.run(["mpicc.openmpi", "-o", exe, src], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=scaled(120))
    assert r.returncode == 0, r.stdout
    return exe


def test_mpi_fences_through_the_stream(cluster, job, mpi_app):
    """mpi/pmix in the step's stepd of two nodes, the test joining their
    fences as srun does: 4 ranks wire up, allreduce and ring give the right
    answers."""
    jid, d = job
    srun = Srun()
    try:
        cred = grant(cluster, jid, next_step(), tpn=(2, 2), mpi="pmix")
        env = {"PATH": "/usr/bin:/bin", "OMPI_MCA_btl_tcp_if_include": "lo"}
        for node in ("n1", "n2"):
            rep = step_launch(cluster, node, cred, [mpi_app], srun, cwd=d, env=env)
            assert rep.get("body") == {}, rep
        res = run_fences(srun.accept(2))
    finally:
        srun.close()
    out = b"".join(v for r in res.values() for v in r["out"].values()).decode()
    assert "rank 0: ring ok" in out, (out, res)
    assert out.count("allreduce ok") == 4, out
    for r in res.values():
        assert all(ex == {"exit_code": 0, "signal": 0, "core": 0} for ex in r["exit"].values())


def test_mpi_rank_killed_by_a_signal_aborts(cluster, job, mpi_app):
    """A rank killed by a signal: its node says ABORT (128 + the signal),
    srun (here the test) kills the step everywhere, nothing hangs."""
    jid, d = job
    srun = Srun()
    try:
        cred = grant(cluster, jid, next_step(), tpn=(2, 2), mpi="pmix")
        env = {"PATH": "/usr/bin:/bin", "OMPI_MCA_btl_tcp_if_include": "lo"}
        for node in ("n1", "n2"):
            step_launch(cluster, node, cred, [mpi_app, "kill", "9"], srun, cwd=d, env=env)
        res = run_fences(srun.accept(2))
    finally:
        srun.close()
    assert res["n1"]["aborts"] == [(1, {"status": 137,
                                        "message": "task 1 was killed by signal 9"})], res
    assert res["n1"]["exit"][1]["signal"] == signal.SIGKILL
    assert len(res["n1"]["exit"]) + len(res["n2"]["exit"]) == 4


def test_restarted_sluiced_adopts_its_steps(cluster):
    """A step keeps running across a restart of its node's sluiced, and the
    new sluiced still ends it with its job."""
    d = cluster.mkdir("adopt", user="sluicea")
    jid = cluster.submit("-o", "/dev/null", "--wrap", "sleep 600", user="sluicea", cwd=d)
    cluster.wait_state(jid, "RUNNING", timeout=scaled(60))
    node = cluster.job(jid)["NodeList"]
    srun = Srun()
    try:
        cred = grant(cluster, jid, 0, nodes=(node,), tpn=(1,), job_nodes=node)
        step_launch(cluster, node, cred, ["sh", "-c", "echo up; exec sleep 300"], srun, cwd=d)
        c, _ = srun.accept(1)[node]
        assert read_sframe(c)[2] == b"up\n"
        cluster.restart(node)
        wait_for(lambda: "step %d.0: sluicestepd-step" % jid in cluster.log(node).split(
            "starting")[-1], scaled(60), "the restarted sluiced to adopt the step")
        assert cluster.run(cluster.bin("scancel"), str(jid)).rc == 0
        res = collect(c)
    finally:
        srun.close()
    assert res["done"] and res["exit"][0]["signal"] == signal.SIGTERM


def test_silent_node_steps_stop_at_the_lease_end(cluster, job):
    """A hung sluiced renews no lease: the step's stepd reads the lease file
    itself and stops its tasks.  Last of the cluster's tests: the job's node
    goes DOWN."""
    jid, d = job
    srun = Srun()
    pid = cluster.pid("n2")
    try:
        cred = grant(cluster, jid, next_step(), nodes=("n2",), tpn=(1,))
        step_launch(cluster, "n2", cred, ["sleep", "300"], srun, cwd=d)
        c, _ = srun.accept(1)["n2"]
        os.kill(pid, signal.SIGSTOP)
        try:
            c.settimeout(scaled(60))
            res = collect(c)
        finally:
            os.kill(pid, signal.SIGCONT)
    finally:
        srun.close()
    assert res["done"] and res["exit"][0]["signal"] == signal.SIGTERM


# ---- alloc_only, the stepd by itself

STEPD = os.path.join(BUILD, "src", "stepd", "sluicestepd")


def test_alloc_only_holds_until_terminated():
    root = tempfile.mkdtemp(prefix="sluice-alloc-")
    try:
        jobdir = os.path.join(root, "job.5")
        os.makedirs(jobdir)
        pw = pwd.getpwnam("sluicea")
        rec = {"job_id": 5, "uid": pw.pw_uid, "gid": pw.pw_gid, "user": "sluicea",
               "groups": [pw.pw_gid], "cwd": "/", "alloc_only": True, "kill_wait": 1,
               "node_name": "n1", "nodes": "n1", "time_limit": -1}
        with open(os.path.join(jobdir, "launch.json"), "w") as f:
            json.dump(rec, f)
        p = subprocess.Popen([STEPD, jobdir], stdin=subprocess.DEVNULL)
        try:
            wait_for(lambda: os.path.exists(os.path.join(jobdir, "job.pid")), scaled(30),
                     "the holder started")
            with open(os.path.join(jobdir, "job.pid")) as f:
                holder = int(f.read())

            def holder_is_user():
                with open("/proc/%d/status" % holder) as f:
                    return re.search(r"^Uid:\s+%d\b" % pw.pw_uid, f.read(), re.M)
            # The holder becomes the user after the stepd has written its pid.
            wait_for(holder_is_user, scaled(30), "the holder running as sluicea")
            assert p.poll() is None and not os.path.exists(os.path.join(jobdir, "script"))
            p.send_signal(signal.SIGTERM)
            assert p.wait(timeout=scaled(30)) == 0
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        with open(os.path.join(jobdir, "status.json")) as f:
            st = json.load(f)
        assert st["cancelled"] and st["exit_signal"] == signal.SIGTERM and not st.get("failure")
        assert pid_gone(holder)
    finally:
        subprocess.run(["rm", "-rf", root])


def test_alloc_only_time_limit():
    root = tempfile.mkdtemp(prefix="sluice-alloc-")
    try:
        jobdir = os.path.join(root, "job.6")
        os.makedirs(jobdir)
        rec = {"job_id": 6, "uid": 0, "gid": 0, "user": "root", "groups": [0], "cwd": "/",
               "alloc_only": True, "kill_wait": 1, "time_limit": 1}
        with open(os.path.join(jobdir, "launch.json"), "w") as f:
            json.dump(rec, f)
        r = subprocess.run([STEPD, jobdir], stdin=subprocess.DEVNULL, timeout=scaled(60))
        assert r.returncode == 0
        with open(os.path.join(jobdir, "status.json")) as f:
            st = json.load(f)
        assert st["timed_out"] and not st["cancelled"]
    finally:
        subprocess.run(["rm", "-rf", root])


def test_alloc_only_holder_goes_with_its_stepd():
    root = tempfile.mkdtemp(prefix="sluice-alloc-")
    try:
        jobdir = os.path.join(root, "job.7")
        os.makedirs(jobdir)
        rec = {"job_id": 7, "uid": 0, "gid": 0, "user": "root", "groups": [0], "cwd": "/",
               "alloc_only": True, "kill_wait": 1}
        with open(os.path.join(jobdir, "launch.json"), "w") as f:
            json.dump(rec, f)
        p = subprocess.Popen([STEPD, jobdir], stdin=subprocess.DEVNULL)
        try:
            wait_for(lambda: os.path.exists(os.path.join(jobdir, "job.pid")), scaled(30),
                     "the holder started")
            with open(os.path.join(jobdir, "job.pid")) as f:
                holder = int(f.read())
        finally:
            p.kill()
            p.wait()
        wait_for(lambda: pid_gone(holder), scaled(30), "the holder gone with its stepd")
    finally:
        subprocess.run(["rm", "-rf", root])
