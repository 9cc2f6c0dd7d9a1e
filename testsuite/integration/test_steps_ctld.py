"""Job steps, the controller's side (doc/protocol.md, "Job steps"): allocations
without a script, job_alloc_wait, job_complete, step_create's placement and
grant, step_complete, the batch step, steps in sacct/squeue/scontrol/scancel,
and steps across a controller restart.  The operations are spoken over the
wire as the test user (as srun and salloc will)."""

import json
import os
import pwd
import signal
import socket
import subprocess

import pytest

from conftest import parse_kv, parse_pipe, scaled, wait_for
from wire import frame, recv_frame

pytestmark = pytest.mark.usefixtures("users")


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    c = cluster_factory(nodes=3, cpus=2, append="KillWait=2\n")
    c.udir = c.mkdir("a", user="sluicea")
    return c


def ctld_port(cluster):
    with open(cluster.conf) as f:
        for line in f:
            if line.startswith("ControllerPort="):
                return int(line.split("=", 1)[1])
    raise AssertionError("no ControllerPort in " + cluster.conf)


def munge_sock(cluster):
    return os.path.join(cluster.dir, "munge", "munge.socket")


class Session:
    """A connection to the controller as a user (munge credential of that uid)."""

    def __init__(self, cluster, user="sluicea"):
        cred = subprocess.run(["munge", "-n", "-S", munge_sock(cluster)], user=user,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=30)
        assert cred.returncode == 0, cred.stderr
        self.s = socket.create_connection(("127.0.0.1", ctld_port(cluster)), timeout=120)
        self.s.settimeout(120)
        self.s.sendall(frame({"op": "hello", "id": 0,
                              "body": {"version": 1, "cred": cred.stdout.strip()}}))
        rep = recv_frame(self.s)
        assert rep and "error" not in rep, rep
        self.rid = 0

    def send(self, op, body):
        self.rid += 1
        self.s.sendall(frame({"op": op, "id": self.rid, "body": body}))
        return self.rid

    def recv(self, rid):
        rep = recv_frame(self.s)
        assert rep is not None and rep.get("id") == rid, rep
        return rep

    def call(self, op, body):
        return self.recv(self.send(op, body))

    def ok(self, op, body):
        rep = self.call(op, body)
        assert "error" not in rep, (op, body, rep)
        return rep["body"]

    def close(self):
        self.s.close()


@pytest.fixture
def sess(cluster):
    s = Session(cluster)
    yield s
    s.close()


def alloc(cluster, sess, **spec):
    body = {"alloc_only": True, "cwd": cluster.udir, "name": "interactive"}
    body.update(spec)
    jid = sess.ok("job_submit", body)["job_id"]
    rep = sess.call("job_alloc_wait", {"job_id": jid})
    assert "error" not in rep, rep
    assert rep["body"]["job_id"] == jid
    return jid, rep["body"]


def unmunge(cluster, cred):
    r = subprocess.run(["unmunge", "-S", munge_sock(cluster)], input=cred,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    head, _, payload = r.stdout.partition("\n\n")
    return head, json.loads(payload)


def sacct_rows(cluster, jid, fields):
    """sacct -P (steps included) for one job: {JobID: row}."""
    r = cluster.ok("sacct", "-P", "-j", str(jid), "--format=" + fields, user="sluicea")
    return {x["JobID"]: x for x in parse_pipe(r.out)}


def end_alloc(sess, jid, code=0):
    sess.ok("job_complete", {"job_id": jid, "exit_code": code})


def test_alloc_wait_and_grant(cluster, sess):
    jid, a = alloc(cluster, sess, nodes_min=2, ntasks=4)
    assert a["num_nodes"] == 2 and a["cpus_per_node"] == "2(x2)", a
    assert cluster.job(jid)["JobState"] == "RUNNING"
    st = sess.ok("step_create", {"job_id": jid, "ntasks": 3, "argv": ["/bin/hostname"],
                                 "mpi": "pmix"})
    assert st["step_id"] == 0 and st["tasks_per_node"] == [2, 1], st
    assert st["ntasks"] == 3 and len(st["node_names"]) == 2
    assert [x["name"] for x in st["addrs"]] == st["node_names"]
    assert all(x["host"] and x["port"] > 0 for x in st["addrs"]), st["addrs"]
    head, p = unmunge(cluster, st["cred"])
    assert "STATUS:" in head and "Success" in head, head
    assert p["job_id"] == jid and p["step_id"] == 0 and p["user"] == "sluicea", p
    assert p["node_names"] == st["node_names"] and p["tasks_per_node"] == [2, 1]
    assert p["ntasks"] == 3 and p["cpus_per_task"] == 1 and p["mpi"] == "pmix"
    assert p["name"] == "hostname" and p["job_cpus_per_node"] == "2(x2)"
    assert p["job_num_nodes"] == 2 and p["job_name"] == "interactive"
    assert isinstance(p["groups"], list) and p["gid"] in p["groups"]
    for k in ("uid", "gid", "mem_mb", "time_limit", "job_nodes", "partition", "account",
              "cluster", "kill_wait"):
        assert k in p, k
    # Busy: one CPU is left, two are asked for.
    rep = sess.call("step_create", {"job_id": jid, "ntasks": 2})
    assert rep["error"]["code"] == "EAGAIN", rep
    assert rep["error"]["message"] == "Job step creation temporarily disabled, retrying"
    # Overlap ignores the CPUs other steps hold.
    st1 = sess.ok("step_create", {"job_id": jid, "ntasks": 4, "overlap": True})
    assert st1["step_id"] == 1 and st1["tasks_per_node"] == [2, 2]
    one = sess.ok("step_create", {"job_id": jid, "ntasks": 1})
    assert one["step_id"] == 2
    sess.ok("step_complete", {"job_id": jid, "step_id": 0, "exit_code": 0})
    sess.ok("step_complete", {"job_id": jid, "step_id": 1, "exit_code": 3})
    sess.ok("step_complete", {"job_id": jid, "step_id": 2, "signal": 9})
    st3 = sess.ok("step_create", {"job_id": jid, "ntasks": 4})   # all free again
    assert st3["step_id"] == 3 and st3["tasks_per_node"] == [2, 2]
    sess.ok("step_complete", {"job_id": jid, "step_id": 3})
    steps = {s["step_id"]: s for s in sess.ok("step_show", {"job_id": jid})["steps"]}
    assert steps[0]["state"] == "COMPLETED" and steps[1]["state"] == "FAILED"
    assert steps[1]["exit_code"] == 3 and steps[2]["exit_signal"] == 9
    assert steps[0]["ntasks"] == 3 and steps[0]["tasks_per_node"] == "2,1"
    assert steps[0]["name"] == "hostname" and steps[0]["id"] == "%d.0" % jid
    assert "batch" not in steps
    end_alloc(sess, jid)
    cluster.wait_state(jid, ("COMPLETED",))


def test_step_einval(cluster, sess):
    jid, _ = alloc(cluster, sess, nodes_min=2, ntasks=4)
    never = "Requested node configuration is not available"
    for body in ({"ntasks": 5}, {"nnodes": 3}, {"cpus_per_task": 3},
                 {"nodelist": "n3"}, {"ntasks": 2, "ntasks_per_node": 1, "nnodes": 1},
                 {"nodelist": "n[1-2]", "exclude": "n1"}):
        body["job_id"] = jid
        rep = sess.call("step_create", body)
        assert rep.get("error", {}).get("code") == "EINVAL", (body, rep)
        assert rep["error"]["message"].startswith(never), (body, rep)
    rep = sess.call("step_create", {"job_id": jid, "ntasks": "2"})
    assert rep["error"]["code"] == "EINVAL" and "ntasks" in rep["error"]["message"]
    rep = sess.call("step_create", {"job_id": jid, "bogus": 1})
    assert rep["error"]["code"] == "EINVAL" and "bogus" in rep["error"]["message"]
    rep = sess.call("step_create", {"job_id": 999999})
    assert rep["error"]["code"] == "ENOENT"
    # -w names where, -x where not; -N2 -n3 gives the first node one more.
    st = sess.ok("step_create", {"job_id": jid, "ntasks": 3, "nnodes": 2})
    assert st["tasks_per_node"] == [2, 1]
    sess.ok("step_complete", {"job_id": jid, "step_id": st["step_id"]})
    a = cluster.job(jid)["NodeList"]
    second = sess.ok("step_create", {"job_id": jid, "exclude": "n1", "ntasks": 1})
    assert second["node_names"] != ["n1"] and second["ntasks"] == 1, (a, second)
    # Another user may not make steps in it.
    other = Session(cluster, "sluiceb")
    try:
        rep = other.call("step_create", {"job_id": jid})
        assert rep["error"]["code"] == "EPERM", rep
        rep = other.call("job_alloc_wait", {"job_id": jid})
        assert rep["error"]["code"] == "EPERM", rep
    finally:
        other.close()
    end_alloc(sess, jid, 2)
    cluster.wait_state(jid, ("FAILED",))
    j = cluster.job(jid)
    assert j["ExitCode"] == "2:0", j
    rows = sacct_rows(cluster, jid, "JobID,State,ExitCode")
    assert rows[str(jid)]["State"] == "FAILED"
    # The step still running when the allocation ended is CANCELLED.
    assert rows["%d.%d" % (jid, second["step_id"])]["State"] == "CANCELLED", rows


def test_alloc_only_refusals(cluster, sess):
    rep = sess.call("job_submit", {"alloc_only": True, "cwd": cluster.udir,
                                   "script": "#!/bin/sh\ntrue\n"})
    assert rep["error"]["code"] == "EINVAL" and "alloc_only" in rep["error"]["message"]
    rep = sess.call("job_submit", {"alloc_only": "yes", "cwd": cluster.udir})
    assert rep["error"]["code"] == "EINVAL" and "alloc_only" in rep["error"]["message"]
    rep = sess.call("job_alloc_wait", {"job_id": 999999})
    assert rep["error"]["code"] == "ENOENT"
    # A batch job cannot be ended by job_complete.
    jid = cluster.submit("--wrap", "sleep 300", user="sluicea", cwd=cluster.udir)
    rep = sess.call("job_complete", {"job_id": jid})
    assert rep["error"]["code"] == "EINVAL" and "batch" in rep["error"]["message"], rep
    cluster.ok("scancel", str(jid), user="sluicea")


def test_alloc_wait_deferred_and_revoked(cluster, sess):
    # The cluster's 6 CPUs are taken: the allocation waits.
    big, _ = alloc(cluster, sess, nodes_min=3, ntasks=6)
    jid = sess.ok("job_submit", {"alloc_only": True, "cwd": cluster.udir, "ntasks": 2})["job_id"]
    rid = sess.send("job_alloc_wait", {"job_id": jid})
    other = Session(cluster)
    try:
        end_alloc(other, big)
    finally:
        other.close()
    rep = sess.recv(rid)
    assert "error" not in rep and rep["body"]["job_id"] == jid, rep
    end_alloc(sess, jid)
    # An allocation cancelled while waiting: the wait gets an error.
    big, _ = alloc(cluster, sess, nodes_min=3, ntasks=6)
    jid = sess.ok("job_submit", {"alloc_only": True, "cwd": cluster.udir, "ntasks": 2})["job_id"]
    rid = sess.send("job_alloc_wait", {"job_id": jid})
    cluster.ok("scancel", str(jid), user="sluicea")
    rep = sess.recv(rid)
    assert rep["error"]["code"] == "EINVAL" and "revoked" in rep["error"]["message"], rep
    end_alloc(sess, big)
    cluster.wait_state(big, ("COMPLETED",))


def test_commands_show_steps(cluster, sess):
    jid, _ = alloc(cluster, sess, nodes_min=2, name="ialloc")
    st = sess.ok("step_create", {"job_id": jid, "ntasks": 2, "name": "work"})
    sid = "%d.%d" % (jid, st["step_id"])
    r = cluster.ok("squeue", "-s", user="sluicea")
    lines = r.out.splitlines()
    assert lines[0].split() == ["STEPID", "NAME", "PARTITION", "USER", "TIME", "NODELIST"]
    row = [l.split() for l in lines[1:] if l.split()[0] == sid]
    assert row and row[0][1] == "work" and row[0][3] == "sluicea", r.out
    r = cluster.ok("squeue", "--steps=%s" % sid, "-h", "-o", "%i %j %N", user="sluicea")
    assert r.out.split()[:2] == [sid, "work"], r.out
    r = cluster.ok("scontrol", "show", "step", sid, user="sluicea")
    kv = parse_kv(r.out)
    assert kv["StepId"] == sid and kv["State"] == "RUNNING" and kv["Tasks"] == "2", r.out
    assert kv["UserId"] == str(pwd.getpwnam("sluicea").pw_uid), r.out
    r = cluster.ok("scontrol", "show", "step", user="sluicea")
    assert "StepId=" + sid in r.out
    r = cluster.run("scontrol", "show", "step", "%d.77" % jid, user="sluicea")
    assert r.rc != 0 and "not found" in r.err, r
    # scancel ID.S: pushed to the step's nodes; recorded when srun says so.
    cluster.ok("scancel", sid, user="sluicea")
    r = cluster.run("scancel", "%d.77" % jid, user="sluicea")
    assert r.rc != 0 and "Invalid job step id" in r.err, r
    sess.ok("step_complete", {"job_id": jid, "step_id": st["step_id"], "state": "CANCELLED",
                              "signal": 15})
    r = cluster.ok("squeue", "-s", "-h", user="sluicea")
    assert sid not in r.out
    end_alloc(sess, jid)
    cluster.wait_state(jid, ("COMPLETED",))
    r = cluster.ok("sacct", "-j", str(jid), "-P", "--format=JobID,JobName,State,ExitCode,NTasks,"
                   "NNodes,NodeList,Elapsed", user="sluicea")
    rows = [l.split("|") for l in r.out.splitlines()[1:]]
    assert [x[0] for x in rows] == [str(jid), sid], r.out
    assert rows[1][1:5] == ["work", "CANCELLED", "0:15", "2"], r.out
    r = cluster.ok("sacct", "-j", sid, "-P", "-n", "--format=JobID,JobName", user="sluicea")
    assert r.out.split() == [sid + "|work"], r.out
    r = cluster.run("sacct", "-j", "%d.x" % jid, user="sluicea")
    assert r.rc != 0 and "Invalid job step id" in r.err, r
    r = cluster.ok("sacct", "-X", "-j", str(jid), "-P", "-n", "--format=JobID", user="sluicea")
    assert r.out.split() == [str(jid)], r.out
    r = cluster.ok("sacct", "--allocations", "-j", str(jid), "-P", "-n", "--format=JobID",
                   user="sluicea")
    assert r.out.split() == [str(jid)], r.out


def test_batch_step_in_sacct(cluster):
    jid = cluster.submit("--wrap", "exit 3", user="sluicea", cwd=cluster.udir)
    cluster.wait_state(jid, ("FAILED",))
    rows = sacct_rows(cluster, jid, "JobID,JobName,State,ExitCode,NTasks")
    assert rows["%d.batch" % jid]["JobName"] == "batch", rows
    assert rows["%d.batch" % jid]["State"] == "FAILED"
    assert rows["%d.batch" % jid]["ExitCode"] == "3:0"
    assert rows["%d.batch" % jid]["NTasks"] == "1"
    jid = cluster.submit("--wrap", "true", user="sluicea", cwd=cluster.udir)
    cluster.wait_state(jid, ("COMPLETED",))
    r = cluster.ok("sacct", "-j", str(jid), "-P", "-n", "--format=JobID,State", user="sluicea")
    assert r.out.split() == ["%d|COMPLETED" % jid, "%d.batch|COMPLETED" % jid], r.out


def test_step_whose_srun_died_ends_as_its_nodes_said(cluster):
    """srun records its step; killed after the step's tasks were told to
    end (as Open MPI's mpirun returns before the srun of its daemons, and the
    script's end kills it), the step is still COMPLETED when the nodes said
    its tasks all ended with 0.  One whose tasks ended otherwise stays
    CANCELLED with the job."""
    d = cluster.mkdir("srundied", user="sluicea")
    body = ("srun -N2 -n2 sh -c 'while [ ! -e go ]; do sleep 0.1; done; exit $((SLURM_PROCID * $1))' _ %s &\n"
            "echo $! > srun.pid\n"
            "while [ ! -e done ]; do sleep 0.1; done\n")
    for code, state in ((0, "COMPLETED"), (3, "CANCELLED")):
        for f in ("go", "done", "srun.pid"):
            if os.path.exists(os.path.join(d, f)):
                os.unlink(os.path.join(d, f))
        path = cluster.script("#!/bin/sh\n" + body % code, user="sluicea", cwd=d)
        jid = cluster.submit("-N2", "-n2", "-o", "/dev/null", path, user="sluicea", cwd=d)
        cluster.wait_state(jid, ("RUNNING",), timeout=scaled(60))
        wait_for(lambda: sacct_rows(cluster, jid, "JobID,State").get("%d.0" % jid, {}).get(
            "State") == "RUNNING", scaled(60), "step %d.0 running" % jid)
        nodes = sorted(set(cluster.job(jid)["NodeList"].replace("n[", "").replace("]", "")
                           .replace("-", ",").split(",")))
        logs = {n: cluster.log("n" + n) for n in nodes}
        # srun, stopped, hears nothing of the tasks' end; killed once both
        # stepds are gone, it never records the step.
        with open(os.path.join(d, "srun.pid")) as f:
            srun_pid = int(f.read())
        os.kill(srun_pid, signal.SIGSTOP)
        open(os.path.join(d, "go"), "w").close()
        line = "step %d.0: ended (sluicestepd-step exit " % jid
        wait_for(lambda: all(line in cluster.log("n" + n)[len(logs[n]):] for n in nodes),
                 scaled(60), "both nodes' stepds of %d.0 to end" % jid)
        os.kill(srun_pid, signal.SIGKILL)
        open(os.path.join(d, "done"), "w").close()
        cluster.wait_state(jid, ("COMPLETED",), timeout=scaled(60))
        rows = sacct_rows(cluster, jid, "JobID,State,ExitCode")
        assert rows["%d.0" % jid]["State"] == state, rows


def test_step_survives_controller_restart(cluster, sess):
    jid, _ = alloc(cluster, sess)
    st = sess.ok("step_create", {"job_id": jid, "ntasks": 1, "name": "long"})
    sess.close()
    cluster.restart("controller")
    s2 = Session(cluster)
    try:
        steps = s2.ok("step_list", {"job_ids": [jid]})["steps"]
        assert [(s["step_id"], s["state"]) for s in steps] == [(st["step_id"], "RUNNING")]
        # Its CPUs are still held after the restart.
        rep = s2.call("step_create", {"job_id": jid, "ntasks": 2})
        assert rep["error"]["code"] in ("EAGAIN", "EINVAL"), rep
        s2.ok("step_complete", {"job_id": jid, "step_id": st["step_id"]})
        steps = s2.ok("step_list", {"job_ids": [jid], "all": True})["steps"]
        assert [s["state"] for s in steps] == ["COMPLETED"]
        nxt = s2.ok("step_create", {"job_id": jid, "ntasks": 1})
        assert nxt["step_id"] == st["step_id"] + 1
        end_alloc(s2, jid)
    finally:
        s2.close()
    cluster.wait_state(jid, ("COMPLETED",))


def test_running_batch_step(cluster, sess):
    jid = cluster.submit("--wrap", "sleep 300", user="sluicea", cwd=cluster.udir)
    cluster.wait_state(jid, ("RUNNING",))
    sid = "%d.batch" % jid

    def shown():
        r = cluster.run("squeue", "-s", "-h", "-o", "%i %j %A", user="sluicea")
        return r.rc == 0 and (sid + " batch 1") in r.out
    wait_for(shown, 60, "the batch step in squeue -s")
    kv = parse_kv(cluster.ok("scontrol", "show", "step", sid, user="sluicea").out)
    assert kv["State"] == "RUNNING" and kv["Name"] == "batch", kv
    # A batch job's allocation takes steps too (srun inside sbatch).
    st = sess.ok("step_create", {"job_id": jid, "ntasks": 1})
    assert st["step_id"] == 0
    cluster.ok("scancel", str(jid), user="sluicea")
    cluster.wait_state(jid, ("CANCELLED",))
    rows = sacct_rows(cluster, jid, "JobID,State")
    assert rows[sid]["State"] == "CANCELLED" and rows["%d.0" % jid]["State"] == "CANCELLED", rows
