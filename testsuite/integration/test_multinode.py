"""Multi-node parallel jobs (issue 10, the AWS model): a job definition of
type multinode runs one process per node as steps of one allocation, the
main node's first; the job ends with the main node's process (the others
are stopped) and takes its state and exit code; a child's failure does not
end the job; each node gets AWS_BATCH_JOB_NODE_INDEX and friends; bad
definitions are refused with their reasons; scancel stops every node."""
import json
import os

import pytest

from conftest import IS_ROOT, pid_gone, read_pidfile, wait_for
from modelutil import fail_run, wait_done

pytestmark = pytest.mark.skipif(not IS_ROOT, reason="jobs run as another user: needs root")

USER = "sluicea"
NODE_ENV = ("AWS_BATCH_JOB_NODE_INDEX", "AWS_BATCH_JOB_MAIN_NODE_INDEX",
            "AWS_BATCH_JOB_NUM_NODES", "AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS",
            "AWS_BATCH_JOB_ID", "SLURMD_NODENAME", "ROLE", "EXTRA")
# Each node writes its variables to env.I (atomically), and its pid to pid.I.
REPORT = ("for v in %s; do eval \"echo $v=\\${$v-unset}\"; done > Ref::dir/env.$AWS_BATCH_JOB_NODE_INDEX.t"
          " && mv Ref::dir/env.$AWS_BATCH_JOB_NODE_INDEX.t Ref::dir/env.$AWS_BATCH_JOB_NODE_INDEX; "
          "echo $$ > Ref::dir/pid.$AWS_BATCH_JOB_NODE_INDEX; " % " ".join(NODE_ENV))
# The main waits for every node's report, then exits with Ref::code.
MAIN = REPORT + ("while [ $(ls Ref::dir | grep -c '^env\\.[0-9]*$') -lt $AWS_BATCH_JOB_NUM_NODES ]; "
                 "do sleep 0.1; done; exit Ref::code")
CHILD = REPORT + "exec sleep 300"


def container(script, role, vcpus="1"):
    return {"command": ["/bin/sh", "-c", script],
            "environment": [{"name": "ROLE", "value": role}],
            # 512 MB: the stepd enforces it now, and the ASan-built driver needs room.
            "resourceRequirements": [{"type": "VCPU", "value": vcpus},
                                     {"type": "MEMORY", "value": "512"}]}


def definition(name, num, main, ranges):
    return {"jobDefinitionName": name, "type": "multinode",
            "parameters": {"code": "0"},
            "nodeProperties": {"numNodes": num, "mainNode": main,
                               "nodeRangeProperties": [{"targetNodes": t, "container": c}
                                                       for t, c in ranges]}}


@pytest.fixture(scope="module")
def cluster(cluster_factory, users):
    return cluster_factory(nodes=4, cpus=2, append="KillWait=2\n")


def register(cluster, obj):
    d = cluster.mkdir("defs")
    path = os.path.join(d, obj.get("jobDefinitionName", "x") + ".json")
    with open(path, "w") as f:
        json.dump(obj, f)
    return cluster.run(cluster.bin("scontrol"), "register", "jobdefinition", "file=" + path)


@pytest.fixture(scope="module")
def defs(cluster):
    """mnp4: 4 nodes, main 0, ranges "1:2" and "3:"; mnp3: 3 nodes, main 2,
    ranges ":1" and "2"."""
    for obj in (definition("mnp4", 4, 0, [("0", container(MAIN, "main", "2")),
                                          ("1:2", container(CHILD, "a")),
                                          ("3:", container(CHILD, "b"))]),
                definition("mnp3", 3, 2, [(":1", container(CHILD, "kid")),
                                          ("2", container(MAIN, "boss"))])):
        r = register(cluster, obj)
        assert r.rc == 0, r


def submit(cluster, name, code=0, extra=()):
    d = cluster.mkdir("mnp", user=USER)
    jid = cluster.submit("--job-definition=" + name, "--param", "dir=" + d, "--param",
                         "code=%d" % code, "-o", os.path.join(d, "out.txt"), *extra,
                         user=USER, cwd=d)
    return jid, d


def node_env(d, i):
    with open(os.path.join(d, "env.%d" % i)) as f:
        return dict(line.split("=", 1) for line in f.read().splitlines())


def wait_envs(d, n):
    wait_for(lambda: all(os.path.exists(os.path.join(d, "env.%d" % i)) for i in range(n)),
             120, "every node's report in %s" % d)


def steps(cluster, jid):
    out = cluster.ok(cluster.bin("sacct"), "-j", str(jid), "-n", "-P",
                     "-o", "JobID,JobName,State,ExitCode,NodeList", user=USER).out
    return [line.split("|") for line in out.split()]


def assert_all_gone(d, n):
    for i in range(n):
        pid = read_pidfile(os.path.join(d, "pid.%d" % i))
        wait_for(lambda: pid_gone(pid), 60, "node %d's process %d to end" % (i, pid))


def test_each_node_runs_its_range(cluster, defs):
    jid, d = submit(cluster, "mnp4")
    rec = wait_done(cluster, jid, timeout=180)
    assert rec["JobState"] == "COMPLETED", (rec, open(os.path.join(d, "out.txt")).read())
    assert rec["ExitCode"] == "0:0", rec
    out = open(os.path.join(d, "out.txt")).read()
    # The children still running when the main ends are stopped (srun says so).
    errors = [ln for ln in out.splitlines() if "error" in ln.lower()]
    assert all(ln.endswith("task 0: Terminated") for ln in errors), out
    assert "stopping the other nodes" in out, out
    envs = [node_env(d, i) for i in range(4)]
    assert [e["ROLE"] for e in envs] == ["main", "a", "a", "b"], envs
    assert [e["EXTRA"] for e in envs] == ["unset"] * 4, envs
    for i, e in enumerate(envs):
        assert e["AWS_BATCH_JOB_NODE_INDEX"] == str(i), e
        assert e["AWS_BATCH_JOB_MAIN_NODE_INDEX"] == "0", e
        assert e["AWS_BATCH_JOB_NUM_NODES"] == "4", e
        assert e["AWS_BATCH_JOB_ID"] == str(jid), e
        want = "unset" if i == 0 else "127.0.0.1"    # devcluster's NodeHostname
        assert e["AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS"] == want, e
    # One process per node, each node once.
    assert sorted(e["SLURMD_NODENAME"] for e in envs) == cluster.nodes, envs
    assert_all_gone(d, 4)
    # Each node's process is a step; the main's was started first.
    rows = steps(cluster, jid)
    names = {r[0]: r[1] for r in rows}
    assert names.get("%d.0" % jid) == "node-0", rows
    assert {"node-%d" % i for i in range(4)} <= set(names.values()), rows
    # The children, still sleeping when the main ended, were stopped.
    states = {r[1]: r[2] for r in rows}
    assert [states["node-%d" % i] for i in range(1, 4)] == ["CANCELLED"] * 3, rows


def test_main_exit_code_ends_job(cluster, defs):
    jid, d = submit(cluster, "mnp4", code=3)
    rec = wait_done(cluster, jid, timeout=180)
    assert rec["JobState"] == "FAILED", rec
    assert rec["ExitCode"] == "3:0", rec
    assert_all_gone(d, 4)        # the children, still sleeping, were stopped


def test_main_node_not_first(cluster, defs):
    # --export's variables reach every node, over the range's own.
    jid, d = submit(cluster, "mnp3", code=4, extra=["--export=ALL,EXTRA=yes,ROLE=forced"])
    rec = wait_done(cluster, jid, timeout=180)
    assert rec["JobState"] == "FAILED" and rec["ExitCode"] == "4:0", rec
    envs = [node_env(d, i) for i in range(3)]
    assert [e["ROLE"] for e in envs] == ["forced"] * 3, envs
    assert [e["EXTRA"] for e in envs] == ["yes"] * 3, envs
    for i, e in enumerate(envs):
        assert e["AWS_BATCH_JOB_MAIN_NODE_INDEX"] == "2", e
        assert e["AWS_BATCH_JOB_NUM_NODES"] == "3", e
        want = "unset" if i == 2 else "127.0.0.1"
        assert e["AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS"] == want, e
    assert_all_gone(d, 3)
    names = {r[0]: r[1] for r in steps(cluster, jid)}
    assert names.get("%d.0" % jid) == "node-2", names


def test_child_failure_does_not_end_job(cluster, defs):
    # The child reports and fails; the main waits for that process to be
    # gone, then writes main.done and exits 0.
    main = REPORT + ("while [ ! -e Ref::dir/pid.1 ]; do sleep 0.1; done; "
                     "while kill -0 $(cat Ref::dir/pid.1) 2>/dev/null; do sleep 0.1; done; "
                     "touch Ref::dir/main.done")
    obj = definition("mnpfail", 2, 0, [("0", container(main, "main")),
                                       ("1", container(REPORT + "exit 5", "bad"))])
    assert register(cluster, obj).rc == 0
    jid, d = submit(cluster, "mnpfail")
    rec = wait_done(cluster, jid, timeout=180)
    assert rec["JobState"] == "COMPLETED" and rec["ExitCode"] == "0:0", rec
    assert os.path.exists(os.path.join(d, "main.done"))
    rows = steps(cluster, jid)
    assert any(r[1] == "node-1" and r[2] == "FAILED" and r[3] == "5:0" for r in rows), rows
    out = open(os.path.join(d, "out.txt")).read()
    assert "node 1" in out and "exited with 5" in out, out


def test_scancel_stops_every_node(cluster, defs):
    obj = definition("mnpsleep", 3, 1, [("0:", container(CHILD, "all"))])
    assert register(cluster, obj).rc == 0
    jid, d = submit(cluster, "mnpsleep")
    wait_envs(d, 3)
    cluster.ok(cluster.bin("scancel"), str(jid), user=USER)
    rec = wait_done(cluster, jid, timeout=120)
    assert rec["JobState"] == "CANCELLED", rec
    assert_all_gone(d, 3)


def main_only(**np):
    obj = definition("badmnp", 2, 0, [("0:1", container("true", "x"))])
    obj["nodeProperties"].update(np)
    return obj


BAD = [
    (main_only(numNodes=0), "numNodes must be a whole number of at least 1"),
    (main_only(mainNode=2), "mainNode must be a node index from 0 to 1"),
    (main_only(nodeRangeProperties=[]), "nodeRangeProperties must be a non-empty list"),
    (main_only(numNodes=6, nodeRangeProperties=[{"targetNodes": str(i), "container":
                                                 container("true", "x")} for i in range(6)]),
     "has 6 ranges: at most 5"),
    (main_only(numNodes=3, nodeRangeProperties=[{"targetNodes": "0:1", "container":
                                                 container("true", "x")},
                                                {"targetNodes": "1:", "container":
                                                 container("true", "x")}]),
     "node 1 is in more than one"),
    (main_only(numNodes=3), "node 2 is in none of nodeRangeProperties"),
    (main_only(nodeRangeProperties=[{"targetNodes": "a:b", "container": container("t", "x")}]),
     "targetNodes 'a:b' is not a range"),
    (main_only(nodeRangeProperties=[{"targetNodes": "1:0", "container": container("t", "x")}]),
     "ends before it starts"),
    (main_only(nodeRangeProperties=[{"targetNodes": "0:1", "container": {"command": []}}]),
     "nodeRangeProperties[0].container.command must be a non-empty list"),
    (main_only(nodeRangeProperties=[{"targetNodes": "0:1", "container":
                                     {"command": ["true"], "image": "busybox"}}]),
     "container images are not supported"),
    ({"jobDefinitionName": "badmnp", "type": "multinode"}, "needs nodeProperties"),
]


@pytest.mark.parametrize("obj,msg", BAD, ids=[m.split()[0] + str(i) for i, (_, m) in
                                             enumerate(BAD)])
def test_bad_definitions_refused(cluster, obj, msg):
    r = fail_run(cluster, cluster.bin("scontrol"), "register", "jobdefinition",
                 "file=" + write_tmp(cluster, obj))
    assert msg in r.err, r


def write_tmp(cluster, obj):
    d = cluster.mkdir("bad")
    path = os.path.join(d, "def.json")
    with open(path, "w") as f:
        json.dump(obj, f)
    return path


def test_submit_refusals(cluster, defs):
    big = definition("mnp5", 5, 0, [("0:", container("true", "x"))])
    assert register(cluster, big).rc == 0
    d = cluster.mkdir("refuse", user=USER)
    cases = [(["--job-definition=mnp5"], "Requested node configuration is not available"),
             (["--job-definition=mnp4", "--array=0-1"], "array jobs of multinode"),
             (["--job-definition=mnp4", "-N", "2"], "asks for 4 nodes"),
             (["--job-definition=mnp4", "-n", "8"], "one process per node"),
             (["--job-definition=mnp4", "/bin/true"], "runs each node range's own command")]
    for args, msg in cases:
        r = fail_run(cluster, [cluster.bin("sbatch")] + args + ["--param", "dir=" + d],
                     user=USER, cwd=d)
        assert msg in r.err, (args, r)
