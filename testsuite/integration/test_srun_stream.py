"""srun against the real node side (sluiced, sluicestepd-step) with this test
playing the controller: a small server that answers srun's hello,
step_create (with a grant forged with munge as root, as test_step_launch.py
does), and step_complete, and records what srun asked.  It checks srun's own
work -- the step request, the parallel launch, the I/O stream (labels,
stdin routing, exits, signals, -K, -W, --multi-prog) and its report --
whether or not the controller's step operations exist yet.  test_srun.py
runs the same commands end to end through the real controller."""

import json
import os
import pwd
import re
import signal
import socket
import struct
import subprocess
import threading
import time

import pytest

from conftest import IS_ROOT, scaled, wait_for
from wire import frame, recv_frame

pytestmark = pytest.mark.skipif(not IS_ROOT, reason="steps run as another user: needs root")

USER = "sluicea"


class FakeCtld:
    """Answers srun as the controller would (doc/protocol.md, "Job steps").
    Step ids go on across instances: a node refuses a step id still running."""

    last_step = 0

    def __init__(self, cluster, job_id, eagain=0, refuse=None):
        self.cluster, self.job_id = cluster, job_id
        self.eagain, self.refuse = eagain, refuse
        self.calls = []
        self.ports = {}
        with open(cluster.conf) as f:
            for line in f:
                m = re.match(r"NodeName=(\S+) .*Port=(\d+)", line)
                if m:
                    self.ports[m.group(1)] = int(m.group(2))
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(16)
        self.port = self.lsock.getsockname()[1]
        self.conf = os.path.join(cluster.dir, "fake-%d.conf" % self.port)
        with open(cluster.conf) as f, open(self.conf, "w") as w:
            w.write(re.sub(r"ControllerPort=\d+", "ControllerPort=%d" % self.port, f.read()))
        os.chmod(self.conf, 0o644)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            threading.Thread(target=self.conn, args=(c,), daemon=True).start()

    def conn(self, c):
        with c:
            while True:
                msg = recv_frame(c)
                if msg is None:
                    return
                op, body = msg.get("op"), msg.get("body") or {}
                self.calls.append((op, body))
                reply = self.answer(op, body)
                if isinstance(reply, tuple):
                    c.sendall(frame({"id": msg["id"],
                                     "error": {"code": reply[0], "message": reply[1]}}))
                else:
                    c.sendall(frame({"id": msg["id"], "body": reply}))

    def answer(self, op, body):
        if op == "hello":
            return {"version": 1, "uid": 0, "gid": 0}
        if op == "step_complete":
            return {}
        if op != "step_create":
            return ("EINVAL", "the fake controller does not know %s" % op)
        if self.eagain > 0:
            self.eagain -= 1
            return ("EAGAIN", "Job step creation temporarily disabled, retrying")
        if self.refuse:
            return ("EINVAL", self.refuse)
        ntasks, nnodes = body["ntasks"], body.get("nnodes") or 1
        nodes = ["n%d" % (i + 1) for i in range(nnodes)]
        tpn = [ntasks // nnodes + (1 if i < ntasks % nnodes else 0) for i in range(nnodes)]
        FakeCtld.last_step += 1
        step = FakeCtld.last_step
        pw = pwd.getpwnam(USER)
        g = {"job_id": self.job_id, "step_id": step, "uid": pw.pw_uid, "gid": pw.pw_gid,
             "user": USER, "node_names": nodes, "tasks_per_node": tpn, "ntasks": ntasks,
             "cpus_per_task": 1, "mem_mb": 0, "mpi": body.get("mpi", "none"),
             "time_limit": -1, "name": body["name"], "job_nodes": "n[1-2]",
             "job_num_nodes": 2, "job_cpus_per_node": "4(x2)", "partition": "batch",
             "account": "", "cluster": "devcluster", "job_name": "holder", "kill_wait": 2,
             "groups": [pw.pw_gid]}
        sock = os.path.join(self.cluster.dir, "munge", "munge.socket")
        r = subprocess.run(["munge", "-S", sock, "-s", json.dumps(g)], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        return {"step_id": step, "nodes": "n[1-%d]" % nnodes, "node_names": nodes,
                "tasks_per_node": tpn, "ntasks": ntasks, "cred": r.stdout.strip(),
                "addrs": [{"name": n, "host": "127.0.0.1", "port": self.ports[n]}
                          for n in nodes]}

    def ops(self, op):
        return [b for o, b in self.calls if o == op]

    def close(self):
        # Wake the accept() with an error while the descriptor is still this
        # socket's, and wait for the thread: closing first let a thread about
        # to accept() take the next socket given that number (a later test's
        # stream listener) and steal its connections.
        try:
            self.lsock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.thread.join(timeout=30)
        self.lsock.close()


@pytest.fixture(scope="module")
def cluster(cluster_factory, users):
    return cluster_factory(nodes=2, cpus=4, append="KillWait=2\n")


@pytest.fixture(scope="module")
def job(cluster):
    d = cluster.mkdir("srun", user=USER)
    jid = cluster.submit("-N2", "-o", "/dev/null", "--wrap", "sleep 900", user=USER, cwd=d)
    cluster.wait_state(jid, "RUNNING", timeout=scaled(60))
    yield jid, d
    cluster.run(cluster.bin("scancel"), str(jid))


def srun(cluster, job, fake, *args, input=None, timeout=120):
    jid, d = job
    env = {"SLUICE_CONF": fake.conf, "SLURM_JOB_ID": str(jid), "SLURM_JOB_NUM_NODES": "2",
           "SLURM_JOB_NODELIST": "n[1-2]"}
    return cluster.run([cluster.bin("srun")] + list(args), cwd=d, env=env, input=input,
                       timeout=timeout)


@pytest.fixture
def fake(cluster, job):
    f = FakeCtld(cluster, job[0])
    yield f
    f.close()


def test_labels_and_request(cluster, job, fake):
    r = srun(cluster, job, fake, "-N2", "-n4", "-l", "sh", "-c",
             'echo "$SLURM_PROCID on $SLURMD_NODENAME"')
    assert r.rc == 0, r
    assert sorted(r.out.splitlines()) == ["0: 0 on n1", "1: 1 on n1", "2: 2 on n2",
                                          "3: 3 on n2"], r
    (req,) = fake.ops("step_create")
    assert req["job_id"] == job[0] and req["ntasks"] == 4 and req["nnodes"] == 2
    assert req["argv"][0] == "/usr/bin/sh" or req["argv"][0].endswith("/sh"), req
    (done,) = fake.ops("step_complete")
    # The nodes' usage (NODE_DONE), summed by srun: 4 tasks over n1 and n2.
    usage = done.pop("usage")
    assert usage["ntasks"] == 4 and usage["max_rss_node"] in ("n1", "n2"), usage
    assert done == {"job_id": job[0], "step_id": FakeCtld.last_step, "exit_code": 0,
                    "signal": 0, "state": "COMPLETED"}


def test_label_width_and_unlabelled(cluster, job, fake):
    r = srun(cluster, job, fake, "-n11", "-N2", "-l", "echo", "x")
    assert r.rc == 0, r
    assert " 0: x" in r.out.splitlines() and "10: x" in r.out.splitlines(), r
    r = srun(cluster, job, fake, "-n2", "-N1", "printf", "a\\nb\\n")
    assert r.rc == 0 and sorted(r.out.splitlines()) == ["a", "a", "b", "b"], r


def test_exit_codes_highest(cluster, job, fake):
    r = srun(cluster, job, fake, "-N2", "-n3", "sh", "-c", "exit $((SLURM_PROCID + 1))")
    assert r.rc == 3, r
    assert re.search(r"srun: error: n2: task 2: Exited with exit code 3", r.err), r
    assert fake.ops("step_complete")[0]["state"] == "FAILED"
    assert fake.ops("step_complete")[0]["exit_code"] == 3


def test_task_killed_by_signal(cluster, job, fake):
    r = srun(cluster, job, fake, "-n2", "-N1", "sh", "-c",
             '[ "$SLURM_PROCID" = 1 ] && kill -9 $$; exit 0')
    assert r.rc == 128 + 9, r
    assert "srun: error: n1: task 1: Killed" in r.err, r
    assert fake.ops("step_complete")[0]["signal"] == 9


def test_stdin_to_task0_and_all(cluster, job, fake):
    r = srun(cluster, job, fake, "-n2", "-N2", "-l", "sh", "-c", 'read x; echo "got $x"',
             input="hello\n")
    assert r.rc == 0 or "got hello" in r.out, r
    assert "0: got hello" in r.out.splitlines(), r
    assert "1: got hello" not in r.out, r
    r = srun(cluster, job, fake, "-n2", "-N2", "-l", "-i", "all", "sh", "-c",
             'read x; echo "got $x"', input="both\n")
    assert sorted(r.out.splitlines()) == ["0: got both", "1: got both"], r


def test_multi_prog(cluster, job, fake):
    conf = cluster.script("0 echo zero\n1-2 sh -c 'echo rank%t'\n", user=USER,
                          cwd=job[1], name="mp.conf")
    r = srun(cluster, job, fake, "-n3", "-N2", "-l", "--multi-prog", conf)
    assert r.rc == 0, r
    assert sorted(r.out.splitlines()) == ["0: zero", "1: rank1", "2: rank2"], r
    bad = cluster.script("0 echo zero\n", user=USER, cwd=job[1], name="mp-bad.conf")
    fake.calls.clear()
    r = srun(cluster, job, fake, "-n3", "-N2", "--multi-prog", bad)
    assert r.rc != 0 and "Missing task ID(s) in configuration file" in r.err, r
    assert "1-2" in r.err
    assert not fake.ops("step_create")


def test_kill_on_bad_exit(cluster, job, fake):
    r = srun(cluster, job, fake, "-K", "-n2", "-N2", "sh", "-c",
             '[ "$SLURM_PROCID" = 1 ] && exit 4; sleep 300')
    assert r.rc in (4, 128 + 9), r
    assert "task 1: Exited with exit code 4" in r.err and "Terminating StepId" in r.err, r


def test_wait_after_first_exit(cluster, job, fake):
    r = srun(cluster, job, fake, "-W", "1", "-n2", "-N1", "sh", "-c",
             '[ "$SLURM_PROCID" = 0 ] && exit 0; sleep 300')
    assert r.rc == 128 + 9, r
    assert "First task exited 1s ago" in r.err, r


def test_retry_when_step_busy(cluster, job):
    fake = FakeCtld(cluster, job[0], eagain=2)
    try:
        r = srun(cluster, job, fake, "-n1", "true")
    finally:
        fake.close()
    assert r.rc == 0, r
    assert r.err.count("srun: Job step creation temporarily disabled, retrying") == 1, r
    assert "srun: Step created for StepId=%d.%d" % (job[0], FakeCtld.last_step) in r.err, r


def test_refused_step(cluster, job):
    fake = FakeCtld(cluster, job[0], refuse="Requested node configuration is not available")
    try:
        r = srun(cluster, job, fake, "-n99", "true")
    finally:
        fake.close()
    assert r.rc == 1, r
    assert ("srun: error: Unable to create step for job %d: Requested node configuration is "
            "not available" % job[0]) in r.err, r


def test_signals_and_double_ctrl_c(cluster, job, fake):
    jid, d = job
    env = dict(cluster.env, SLUICE_CONF=fake.conf, SLURM_JOB_ID=str(jid),
               SLURM_JOB_NUM_NODES="2", SLURM_JOB_NODELIST="n[1-2]")
    p = subprocess.Popen([cluster.bin("srun"), "-n2", "-N2", "-l", "sh", "-c",
                          "trap 'echo usr1; exit 7' USR1; echo ready; "
                          "while :; do sleep 1; done"],
                         cwd=d, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        while len([l for l in lines if "ready" in l]) < 2:
            lines.append(p.stdout.readline())
        p.send_signal(signal.SIGUSR1)
        out, err = p.communicate(timeout=scaled(60))
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 7, (out, err)
    assert sorted(l for l in out.splitlines() if "usr1" in l) == ["0: usr1", "1: usr1"]
    fake.calls.clear()
    p = subprocess.Popen([cluster.bin("srun"), "-n1", "sh", "-c",
                          "echo ready; exec sleep 300"],
                         cwd=d, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline() == "ready\n"
        p.send_signal(signal.SIGINT)
        first = ""
        # Signals of one kind do not queue: the second goes once the first is
        # seen (again, if a loaded machine let a second pass between them).
        while "sending Ctrl-C" not in first:
            line = p.stderr.readline()
            assert line, first
            first += line
            if "one more within 1 sec" in line:
                p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=scaled(60))
        err = first + err
    finally:
        if p.poll() is None:
            p.kill()
    assert "srun: interrupt (one more within 1 sec to abort)" in err, err
    assert "srun: sending Ctrl-C to StepId=%d." % jid in err, err
    assert p.returncode != 0
    assert fake.ops("step_complete")[0]["state"] == "CANCELLED"


def test_failed_exits_grouped_per_node(cluster, job, fake):
    r = srun(cluster, job, fake, "-N2", "-n6", "sh", "-c", "exit 2")
    assert r.rc == 2, r
    seen = []
    for m in re.finditer(r"srun: error: (n\d): tasks? ([\d,-]+): Exited with exit code 2\n",
                         r.err):
        for part in m.group(2).split(","):
            lo, _, hi = part.partition("-")
            for t in range(int(lo), int(hi or lo) + 1):
                seen.append((m.group(1), t))
    # Each task said once, on its node's line (tasks that end together share one).
    assert sorted(seen) == [("n1", 0), ("n1", 1), ("n1", 2), ("n2", 3), ("n2", 4),
                            ("n2", 5)], r
