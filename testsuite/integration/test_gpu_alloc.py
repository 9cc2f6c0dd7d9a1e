"""Which CPUs and GPUs the controller gives a job (issue 11, "Allocation in
the controller"; src/ctld/cpualloc.c, nodealloc.c).

Node n1 is configured with 2 sockets of 2 cores (1 thread each), n2 with one
socket of 2 cores of 2 threads.  `scontrol show job -d` prints each node's
CPU_IDs (logical ids: socket-major, core, thread); jobs must never share a
CPU, are packed by socket, whole cores with --hint=nomultithread, and keep
their CPUs across a controller restart.

The GPU tests at the end give n1 two GPUs with `Gres=gpu:h200:2`.  GPU requests on a cluster without GPUs are refused at
submit whatever the branch."""

import json
import os
import re

import pytest

from conftest import REPO, wait_for

APPEND = """KillWait=2
NodeName=n1 Sockets=2 CoresPerSocket=2 ThreadsPerCore=1
NodeName=n2 Sockets=1 CoresPerSocket=2 ThreadsPerCore=2
"""


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=2, cpus=4, mem=4000, append=APPEND)


@pytest.fixture(autouse=True)
def clean(cluster):
    yield
    cluster.reset()


def detail(cluster, jid):
    """{node: (cpu_ids, mem, gres)} from scontrol show job -d."""
    r = cluster.ok(cluster.bin("scontrol"), "-d", "show", "job", str(jid))
    out = {}
    for m in re.finditer(r"Nodes=(\S+) CPU_IDs=(\S*) Mem=(\d+)(?: GRES=(\S+))?", r.out):
        out[m.group(1)] = (m.group(2), int(m.group(3)), m.group(4))
    return out


def ids(expr):
    s = set()
    for part in expr.split(","):
        if part:
            a, _, b = part.partition("-")
            s.update(range(int(a), int(b or a) + 1))
    return s


def running(cluster, *args):
    jid = cluster.submit(*args)
    cluster.wait_state(jid, "RUNNING")
    return jid


SLEEP = "--wrap=sleep 300"


def test_two_jobs_disjoint_cpus(cluster):
    a = running(cluster, "-w", "n1", "-c1", SLEEP)
    b = running(cluster, "-w", "n1", "-c1", SLEEP)
    ca, cb = detail(cluster, a)["n1"][0], detail(cluster, b)["n1"][0]
    assert len(ids(ca)) == 1 and len(ids(cb)) == 1
    assert not ids(ca) & ids(cb), (ca, cb)


def test_packed_on_one_socket(cluster):
    """CPU 0 taken: a 2-CPU job fits on socket 1 alone (CPUs 2-3) rather
    than straddling both sockets (1-2)."""
    a = running(cluster, "-w", "n1", "-c1", SLEEP)
    assert detail(cluster, a)["n1"][0] == "0"
    b = running(cluster, "-w", "n1", "-c2", SLEEP)
    assert detail(cluster, b)["n1"][0] == "2-3"
    c = running(cluster, "-w", "n1", "-c1", SLEEP)
    assert detail(cluster, c)["n1"][0] == "1"
    # The node is full: a fourth job waits for resources.
    d = cluster.submit("-w", "n1", "-c1", SLEEP)
    wait_for(lambda: (cluster.job(d) or {}).get("Reason") == "Resources", 30,
             "job %d to wait for Resources" % d)


def test_cancel_frees_cpus(cluster):
    a = running(cluster, "-w", "n1", "-c2", SLEEP)
    assert detail(cluster, a)["n1"][0] == "0-1"
    b = running(cluster, "-w", "n1", "-c2", SLEEP)
    assert detail(cluster, b)["n1"][0] == "2-3"
    cluster.ok(cluster.bin("scancel"), str(a))
    c = running(cluster, "-w", "n1", "-c2", SLEEP)
    assert detail(cluster, c)["n1"][0] == "0-1"


def test_nomultithread_takes_whole_cores(cluster):
    """n2 has 2 threads per core: --hint=nomultithread -c1 holds a whole core
    (both threads, counted as 2 CPUs as Slurm does); a plain -c1 job then
    takes a thread of the other core."""
    a = running(cluster, "-w", "n2", "-c1", "--hint=nomultithread", SLEEP)
    assert detail(cluster, a)["n2"][0] == "0-1"
    assert cluster.job(a)["NumCPUs"] == "2"
    b = running(cluster, "-w", "n2", "-c1", SLEEP)
    assert detail(cluster, b)["n2"][0] == "2"
    # Core 1 is half used: a whole core is no longer free.
    c = cluster.submit("-w", "n2", "-c1", "--threads-per-core=1", SLEEP)
    wait_for(lambda: (cluster.job(c) or {}).get("Reason") == "Resources", 30,
             "job %d to wait for Resources" % c)


def test_array_tasks_disjoint(cluster):
    arr = cluster.submit("-w", "n1", "-c2", "--array=0-1", SLEEP)
    tasks = ["%d_%d" % (arr, i) for i in (0, 1)]
    try:
        for t in tasks:
            cluster.wait_state(t, "RUNNING")
        got = sorted(detail(cluster, t)["n1"][0] for t in tasks)
        assert got == ["0-1", "2-3"], got
    finally:
        # cluster.reset() sees only plain job ids: end the tasks here.
        cluster.ok(cluster.bin("scancel"), str(arr))
        wait_for(lambda: all(cluster.state(t) not in ("RUNNING", "COMPLETING")
                             for t in tasks), 60, "array %d to end" % arr)


def test_requeue_frees_and_reallocates(cluster):
    """A requeued job gives its CPUs back (its record's allocation is gone)
    and gets them again when it starts anew: nothing leaks."""
    a = running(cluster, "-w", "n1", "-c4", "--requeue", SLEEP)
    assert detail(cluster, a)["n1"][0] == "0-3"
    cluster.ok(cluster.bin("scontrol"), "requeue", str(a))
    wait_for(lambda: (cluster.job(a) or {}).get("Restarts") == "1" and
             cluster.state(a) == "RUNNING", 60, "job %d to run again" % a)
    assert detail(cluster, a)["n1"][0] == "0-3"


def test_exclusive_takes_the_node(cluster):
    a = running(cluster, "-w", "n1", "--exclusive", SLEEP)
    assert detail(cluster, a)["n1"][0] == "0-3"
    assert detail(cluster, a)["n1"][1] == 4000


def test_restart_keeps_allocations(cluster):
    a = running(cluster, "-w", "n1", "-c1", SLEEP)
    b = running(cluster, "-w", "n1", "-c2", SLEEP)
    before = {a: detail(cluster, a)["n1"][0], b: detail(cluster, b)["n1"][0]}
    cluster.restart("controller")
    wait_for(cluster.ping, 60, "the controller to answer")
    for jid, cpus in before.items():
        assert detail(cluster, jid)["n1"][0] == cpus
    c = running(cluster, "-w", "n1", "-c1", SLEEP)
    got = ids(detail(cluster, c)["n1"][0])
    assert got == {1}, got     # the only CPU the reloaded jobs do not hold


def test_tres_display(cluster):
    a = running(cluster, "-w", "n1", "-c2", "--mem=1G", SLEEP)
    j = cluster.job(a)
    assert j["TRES"] == "cpu=2,mem=1G,node=1,billing=2", j
    r = cluster.ok(cluster.bin("squeue"), "-h", "-j", str(a), "-o", "%b")
    assert r.out.strip() == "N/A"
    assert detail(cluster, a)["n1"] == ("0-1", 1024, None)
    cluster.ok(cluster.bin("scancel"), str(a))
    rec = cluster.wait_sacct(a, lambda s: s.startswith("CANCELLED"))
    tres = cluster.sacct(a, fields="JobID,AllocTRES")["AllocTRES"]
    assert tres == "billing=2,cpu=2,mem=1G,node=1", (rec, tres)
    # A finished job still shows where it ran.
    assert detail(cluster, a)["n1"][0] == "0-1"


def test_gpu_requests_refused_without_gpus(cluster):
    r = cluster.run(cluster.bin("sbatch"), "--gres=gpu:1", SLEEP)
    assert r.rc != 0
    assert "Requested 1 GPUs per node, the most any node of partition batch has is 0" in r.err
    r = cluster.run(cluster.bin("sbatch"), "--gpus=a100:1", SLEEP)
    assert r.rc != 0
    assert "no node of partition batch has GPUs of type 'a100'" in r.err
    r = cluster.run(cluster.bin("sbatch"), "--cpus-per-gpu=2", SLEEP)
    assert r.rc != 0 and "--cpus-per-gpu needs GPUs" in r.err


def test_jobdef_gpu_maps_to_gpus_per_node(cluster):
    """A job definition's resourceRequirements GPU is --gpus-per-node: on
    nodes without GPUs the submission is refused naming the limit."""
    d = cluster.mkdir("defs")
    path = os.path.join(d, "gpu.json")
    with open(path, "w") as f:
        json.dump({"jobDefinitionName": "gpujob", "type": "container",
                   "containerProperties": {
                       "command": ["/bin/true"],
                       "resourceRequirements": [{"type": "GPU", "value": "2"}]}}, f)
    r = cluster.run(cluster.bin("scontrol"), "register", "jobdefinition", "file=" + path)
    assert r.rc == 0, r
    r = cluster.run(cluster.bin("sbatch"), "--job-definition=gpujob")
    assert r.rc != 0
    assert "Requested 2 GPUs per node, the most any node of partition batch has is 0" in r.err


@pytest.mark.usefixtures("users")
def test_steps_take_cpus_from_the_job(cluster):
    """step_create gives each step CPUs of the job's own on each node,
    disjoint from its other steps' unless it overlaps; the reply and the
    grant carry them (OS indexes: here the same as the logical ids)."""
    from test_steps_ctld import Session, unmunge
    udir = cluster.mkdir("steps", user="sluicea")
    s = Session(cluster)
    try:
        jid = s.ok("job_submit", {"alloc_only": True, "cwd": udir, "ntasks": 2,
                                  "nodelist": "n1"})["job_id"]
        assert "error" not in s.call("job_alloc_wait", {"job_id": jid})
        mine = ids(detail(cluster, jid)["n1"][0])
        assert len(mine) == 2
        a = s.ok("step_create", {"job_id": jid, "ntasks": 1, "argv": ["/bin/true"]})
        b = s.ok("step_create", {"job_id": jid, "ntasks": 1, "argv": ["/bin/true"]})
        ca, cb = ids(a["cpu_ids"][0]), ids(b["cpu_ids"][0])
        assert len(ca) == 1 and len(cb) == 1 and not ca & cb and ca | cb == mine, (a, b)
        assert a["gpus"] == [[]]
        o = s.ok("step_create", {"job_id": jid, "ntasks": 2, "overlap": True,
                                 "argv": ["/bin/true"]})
        assert ids(o["cpu_ids"][0]) == mine
        _, grant = unmunge(cluster, o["cred"])
        assert grant["cpu_ids"] == o["cpu_ids"] and grant["gpus"] == [[]]
        s.ok("job_complete", {"job_id": jid, "exit_code": 0})
    finally:
        s.close()


# ---- features, weights, MaxCPUsPerNode, --mem=0 ----

FEAT_APPEND = """KillWait=2
NodeName=n1 Features=a,ib Weight=10
NodeName=n2 Features=b Weight=1
NodeName=n3 Features=a Weight=5
PartitionName=cpu Nodes=n1 MaxCPUsPerNode=1
"""


@pytest.fixture(scope="module")
def feat_cluster(cluster_factory):
    return cluster_factory(nodes=3, cpus=2, mem=3000, append=FEAT_APPEND)


def node_of(c, *args):
    jid = running(c, *args)
    return jid, c.job(jid)["NodeList"]


def test_weight_orders_nodes(feat_cluster):
    c = feat_cluster
    try:
        got = [node_of(c, "-c1", SLEEP)[1] for _ in range(3)]
        assert got == ["n2", "n2", "n3"], got   # lowest Weight first, filled first
    finally:
        c.reset()


def test_constraint_selects_nodes(feat_cluster):
    c = feat_cluster
    try:
        assert node_of(c, "-C", "a", SLEEP)[1] == "n3"
        assert node_of(c, "-C", "a&ib", SLEEP)[1] == "n1"
        assert node_of(c, "-C", "b|ib", SLEEP)[1] == "n2"
        c.reset()
        assert node_of(c, "-N2", "-C", "[a|b]", SLEEP)[1] == "n[1,3]"
        # Only n1 has ib; once it is full a second job waits for it.
        c.reset()
        node_of(c, "-C", "ib", "-c2", SLEEP)
        w = c.submit("-C", "ib", SLEEP)
        wait_for(lambda: (c.job(w) or {}).get("Reason") == "Resources", 30,
                 "job %d to wait for Resources" % w)
    finally:
        c.reset()


def test_constraint_refused_at_submit(feat_cluster):
    c = feat_cluster
    r = c.run(c.bin("sbatch"), "-C", "gpu", SLEEP)
    assert r.rc != 0
    assert "Invalid feature specification: no node of partition batch has the features " \
           "'gpu'" in r.err, r
    r = c.run(c.bin("sbatch"), "-C", "a&&b", SLEEP)
    assert r.rc != 0 and "Invalid feature specification 'a&&b'" in r.err, r


def test_max_cpus_per_node(feat_cluster):
    c = feat_cluster
    try:
        node_of(c, "-p", "cpu", "-c1", SLEEP)
        w = c.submit("-p", "cpu", "-c1", SLEEP)
        wait_for(lambda: (c.job(w) or {}).get("Reason") == "Resources", 30,
                 "job %d to wait for Resources" % w)
        # The node's other CPU is still free for the batch partition.
        assert node_of(c, "-w", "n1", "-c1", SLEEP)[1] == "n1"
        r = c.run(c.bin("sbatch"), "-p", "cpu", "-c2", SLEEP)
        assert r.rc != 0 and "partition cpu allows 1 (MaxCPUsPerNode)" in r.err, r
    finally:
        c.reset()


def test_mem_zero_takes_all_memory(feat_cluster):
    c = feat_cluster
    try:
        jid, node = node_of(c, "--mem=0", "-c1", SLEEP)
        assert detail(c, jid)[node][1] == 3000
        # Nothing else needing memory fits beside it.
        w = c.submit("-w", node, "--mem=10", SLEEP)
        wait_for(lambda: (c.job(w) or {}).get("Reason") == "Resources", 30,
                 "job %d to wait for Resources" % w)
    finally:
        c.reset()


# ---- GPUs: configured with Gres= and found on the (fake) node ----

GPU_APPEND = """KillWait=2
GresTypes=gpu
NodeName=n1 Sockets=2 CoresPerSocket=2 ThreadsPerCore=1 Gres=gpu:h200:2
"""


@pytest.fixture(scope="module")
def gpu_cluster(cluster_factory):
    # The fake node has the two GPUs its line configures (else it is drained
    # "Low GPUs"), one near each socket.
    return cluster_factory(nodes=1, cpus=4, mem=4000, append=GPU_APPEND,
                           extra_args=("--fake-hw", "n1:cpus=4,mem=4000,sockets=2,gpus=2,"
                                       "gputype=h200"))


def test_gpu_jobs_never_share(gpu_cluster):
    c = gpu_cluster
    a = running(c, "--gres=gpu:1", SLEEP)
    b = running(c, "--gpus-per-node=h200:1", SLEEP)
    ga, gb = detail(c, a)["n1"][2], detail(c, b)["n1"][2]
    assert re.fullmatch(r"gpu:h200:1\(IDX:\d\)", ga) and re.fullmatch(r"gpu:h200:1\(IDX:\d\)", gb)
    assert ga != gb
    d = c.submit("--gres=gpu:1", SLEEP)
    wait_for(lambda: (c.job(d) or {}).get("Reason") == "Resources", 30,
             "job %d to wait for Resources" % d)
    r = c.ok(c.bin("squeue"), "-h", "-j", str(a), "-o", "%b")
    assert r.out.strip() == "gres/gpu:1"
    assert c.job(a)["TRES"].endswith(",gres/gpu=1")
    c.ok(c.bin("scancel"), str(a))
    c.wait_state(d, "RUNNING")
    c.ok(c.bin("scancel"), str(b), str(d))
    tres = c.sacct(a, fields="JobID,AllocTRES")["AllocTRES"]
    assert "gres/gpu=1" in tres, tres


def test_gpu_limits_refused(gpu_cluster):
    c = gpu_cluster
    r = c.run(c.bin("sbatch"), "--gres=gpu:3", SLEEP)
    assert r.rc != 0
    assert "Requested 3 GPUs per node, the most any node of partition batch has is 2" in r.err
    r = c.run(c.bin("sbatch"), "--gres=gpu:a100:1", SLEEP)
    assert r.rc != 0 and "no node of partition batch has GPUs of type 'a100'" in r.err


def test_gpus_per_task_two_tasks(gpu_cluster):
    c = gpu_cluster
    a = running(c, "-n2", "--gpus-per-task=1", SLEEP)
    g = detail(c, a)["n1"][2]
    assert g == "gpu:h200:2(IDX:0-1)", g


def test_steps_see_their_gpus(gpu_cluster):
    """What a job's tasks see: srun outside an allocation with a GPU gets
    it in CUDA_VISIBLE_DEVICES; one without GPUs on this GPU node sees an
    empty list; steps inside a batch job get the job's GPUs on their node
    even when the script's own CUDA_VISIBLE_DEVICES is dropped."""
    c = gpu_cluster
    c.reset()   # the jobs of the tests before hold the GPUs
    show = 'echo "CVD=[${CUDA_VISIBLE_DEVICES-unset}] SG=[${SLURM_STEP_GPUS-unset}]"'
    r = c.ok(c.bin("srun"), "--gpus-per-node=1", "-c2", "sh", "-c", show, timeout=120)
    assert re.fullmatch(r"CVD=\[[01]\] SG=\[[01]\]\n", r.out), r
    r = c.ok(c.bin("srun"), "-n1", "sh", "-c", show, timeout=120)
    assert r.out == "CVD=[] SG=[unset]\n", r
    out = os.path.join(c.dir, "steps-gpus.out")
    jid = c.submit("-n2", "-c1", "--gres=gpu:h200:2", "-o", out, "--wrap",
                   "env -u CUDA_VISIBLE_DEVICES %s -n2 -l sh -c '%s'"
                   % (c.bin("srun"), show.replace("'", "'\\''")))
    c.wait_state(jid, "COMPLETED", timeout=120)
    lines = sorted(open(out).read().splitlines())
    assert lines == ["0: CVD=[0,1] SG=[0,1]", "1: CVD=[0,1] SG=[0,1]"], lines


def test_steps_take_gpus_of_their_own(gpu_cluster):
    """Inside a 2-GPU job: --gpus-per-task=1 gives each task its own GPU
    (Slurm's implied --gpu-bind=per_task:1); a step with --gpus=1 sees one;
    two such steps running together get different GPUs; a step without GPU
    options sees all of the job's; asking more than the job holds is refused
    at once with the job's count."""
    c = gpu_cluster
    c.reset()
    show = 'echo "$SLURM_PROCID CVD=[${CUDA_VISIBLE_DEVICES-unset}]"'
    out = os.path.join(c.dir, "step-own-gpus.out")
    srun = c.bin("srun")
    script = "\n".join([
        "#!/bin/sh",
        "%s -n2 --gpus-per-task=1 -l sh -c '%s' | sort" % (srun, show),
        "%s -n1 --gpus=1 sh -c 'echo one CVD=[$CUDA_VISIBLE_DEVICES]'" % srun,
        "%s -n1 sh -c 'echo all CVD=[$CUDA_VISIBLE_DEVICES]'" % srun,
        # two steps of one GPU each, together: they must not share
        "%s -n1 -c1 --gpus=1 sh -c 'echo pair $CUDA_VISIBLE_DEVICES; sleep 2' &" % srun,
        "%s -n1 -c1 --gpus=1 sh -c 'echo pair $CUDA_VISIBLE_DEVICES; sleep 2' &" % srun,
        "wait",
        "%s -n1 --gpus=3 true 2>&1; echo rc=$?" % srun,
    ]) + "\n"
    path = os.path.join(c.dir, "step-own-gpus.sh")
    with open(path, "w") as f:
        f.write(script)
    jid = c.submit("-n2", "-c2", "--gres=gpu:h200:2", "-o", out, path)
    c.wait_state(jid, "COMPLETED", timeout=180)
    lines = open(out).read().splitlines()
    per_task = [l for l in lines if re.match(r"^[01]: ", l)]
    assert len(per_task) == 2, lines
    cvd = {l.split()[0]: l.split()[2] for l in per_task}
    assert sorted(cvd.values()) == ["CVD=[0]", "CVD=[1]"], lines
    assert len([l for l in lines if re.fullmatch(r"one CVD=\[[01]\]", l)]) == 1, lines
    assert "all CVD=[0,1]" in lines, lines
    pair = sorted(l for l in lines if l.startswith("pair "))
    assert pair == ["pair 0", "pair 1"], lines
    bad = [l for l in lines if "gres" in l]
    assert bad and "holds 2" in bad[0], lines
    assert "rc=1" in lines, lines
    # outside an allocation: the new job holds the GPUs, each task its own
    r = c.ok(srun, "-n2", "-c1", "--gpus-per-task=1", "-l", "sh", "-c", show, timeout=120)
    got = sorted(l.split()[2] for l in r.out.splitlines())
    assert got == ["CVD=[0]", "CVD=[1]"], r
