"""Elastic partitions with CloudType=cloud/local (issue 12; doc/guide-elastic.md,
sluice.conf(5) "Elastic partitions"): a job on an empty partition powers up a
node of the type BEST_FIT picks and runs; MaxvCPUs holds extra jobs (reason
MaxvCPUsReached) until `scontrol update MaxvCPUs=` raises it; MinvCPUs keeps
a node running and scale-in follows ScaleDownDelay once it is lowered;
State=DISABLED places nothing new and survives a controller kill -9; a spot
partition refuses multi-node jobs.  Every wait is for a condition."""

import os
import random
import signal
import socket

import pytest

from conftest import BUILD, pid_gone, wait_for

SLUICED = os.path.join(BUILD, "src", "noded", "sluiced")
CATALOG = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "etc",
                                       "instance-types.json"))


def free_range(n):
    """n consecutive free loopback ports below the ephemeral range."""
    for _ in range(2000):
        base = random.randint(10000, 30000 - n)
        ok = True
        for p in range(base, base + n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                ok = False
            finally:
                s.close()
            if not ok:
                break
        if ok:
            return base
    raise AssertionError("no %d free consecutive ports" % n)


def conf():
    base = free_range(20)
    # BEST_FIT, MaxvCPUs=8: ela-[1-4] named c6i.large (2), ela-[5-6]
    # c6i.xlarge (4), ela-7 c6i.2xlarge (8), each resumed as the type its job
    # needs; spot: spot-[1-4] c6i.large; gpu: BEST_FIT_PROGRESSIVE, gpu-[1-3]
    # c6i.large, gpu-[4-5] c6i.xlarge, gpu-[6-7] g5.xlarge (a10g).
    return """CloudType=cloud/local
CloudLocalSluiced=%s
CloudLocalBootDelay=1
SuspendTimeout=1
ResumeTimeout=60
KillWait=2
InstanceTypeCatalog=%s
PartitionName=ela Elastic=YES MaxvCPUs=8 InstanceTypes=c6i.large,c6i.xlarge,c6i.2xlarge ScaleDownDelay=3 NodePort=%d MaxTime=INFINITE
PartitionName=spot Elastic=YES MaxvCPUs=8 InstanceTypes=c6i.large Purchasing=spot AllocationStrategy=SPOT_CAPACITY_OPTIMIZED NodePort=%d MaxTime=INFINITE
GresTypes=gpu
PartitionName=gpu Elastic=YES MaxvCPUs=6 InstanceTypes=c6i.large,c6i.xlarge,g5.xlarge AllocationStrategy=BEST_FIT_PROGRESSIVE ScaleDownDelay=3 NodePort=%d MaxTime=INFINITE
""" % (SLUICED, CATALOG, base, base + 7, base + 11)


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=1, cpus=2, mem=1000, append=conf())


def state(c, node):
    return c.node_states().get(node, "")


def part(c, name="ela"):
    recs = c.ok(c.bin("scontrol"), "-o", "show", "partition", name).out
    return dict(kv.split("=", 1) for kv in recs.split() if "=" in kv)


def reason(c, jid):
    r = c.run(c.bin("squeue"), "-h", "-j", str(jid), "-o", "%t|%r|%N")
    return r.out.strip().split("|") if r.rc == 0 and r.out.strip() else None


def update(c, *kv):
    return c.ok(c.bin("scontrol"), "update", "PartitionName=ela", *kv)


def all_down(c, prefix="ela-"):
    s = c.node_states()
    return all(v == "idle~" for k, v in s.items() if k.startswith(prefix))


def test_nodes_generated_powered_down(cluster):
    s = cluster.node_states()
    assert sorted(k for k in s if k.startswith("ela-")) == ["ela-%d" % i for i in range(1, 8)]
    assert all_down(cluster), s
    p = part(cluster)
    assert (p["Elastic"], p["MinvCPUs"], p["DesiredvCPUs"], p["MaxvCPUs"]) == \
        ("YES", "0", "0", "8"), p
    assert p["AllocationStrategy"] == "BEST_FIT", p
    out = cluster.ok(cluster.bin("sinfo"), "-h", "-p", "ela", "-O", "vCPUs").out
    assert out.split()[0] == "0/0/8", out


def test_job_powers_up_cheapest_fitting_type(cluster):
    # 3 CPUs: c6i.large (2) is too small, c6i.xlarge the cheapest that fits.
    jid = cluster.submit("-p", "ela", "-c", "3", "-o", "/dev/null", "--wrap", "true")
    cluster.wait_state(jid, ("COMPLETED",), timeout=60)
    node = cluster.sacct(jid, "JobID,NodeList")["NodeList"]
    # The type is chosen at resume: the first powered-down name, as c6i.xlarge.
    assert node == "ela-1", node
    n = cluster.node(node)
    assert n["AvailableFeatures"] == "c6i.xlarge" and n["CPUTot"] == "4", n
    # Scale-in: idle ScaleDownDelay (3 s), then powered down.
    wait_for(lambda: all_down(cluster), 60, "the node powered down after ScaleDownDelay")
    assert part(cluster)["DesiredvCPUs"] == "0"


def test_max_vcpus_held_then_raised(cluster):
    jobs = [cluster.submit("-p", "ela", "-c", "4", "-o", "/dev/null", "--wrap", "sleep 300")
            for _ in range(3)]
    try:
        # Two c6i.xlarge make 8 vCPUs; the third would need another node.
        wait_for(lambda: (reason(cluster, jobs[2]) or ["", ""])[1] == "MaxvCPUsReached", 30,
                 "the third job waiting for MaxvCPUs")
        for j in jobs[:2]:
            cluster.wait_state(j, ("RUNNING",), timeout=60)
        assert part(cluster)["DesiredvCPUs"] == "8"
        r = cluster.run(cluster.bin("scontrol"), "update", "PartitionName=ela", "MaxvCPUs=100")
        assert r.rc != 0 and "more than the 24 vCPUs" in r.err, r
        r = cluster.run(cluster.bin("scontrol"), "update", "PartitionName=ela", "MinvCPUs=9")
        assert r.rc != 0 and "exceeds MaxvCPUs" in r.err, r
        update(cluster, "MaxvCPUs=16")     # room for the c6i.2xlarge
        cluster.wait_state(jobs[2], ("RUNNING",), timeout=60)
        third = reason(cluster, jobs[2])[2]
        assert cluster.node(third)["AvailableFeatures"] == "c6i.xlarge", third
        assert part(cluster)["DesiredvCPUs"] == "12"
    finally:
        cluster.run(cluster.bin("scancel"), *map(str, jobs))
        update(cluster, "MaxvCPUs=8")
    wait_for(lambda: all_down(cluster), 60, "every node powered down again")


def test_min_vcpus_kept_running_then_scaled_in(cluster):
    update(cluster, "MinvCPUs=2")
    wait_for(lambda: state(cluster, "ela-1") == "idle", 60, "ela-1 (c6i.large) up for MinvCPUs")
    assert part(cluster)["DesiredvCPUs"] == "2"
    # Idle past ScaleDownDelay, it stays: the log says when it would go.
    jid = cluster.submit("-p", "ela", "-c", "1", "-o", "/dev/null", "--wrap", "sleep 4")
    cluster.wait_state(jid, ("COMPLETED",), timeout=60)
    assert reason(cluster, jid) is None
    assert state(cluster, "ela-1") == "idle" and part(cluster)["DesiredvCPUs"] == "2"
    update(cluster, "MinvCPUs=0")
    wait_for(lambda: state(cluster, "ela-1") == "idle~", 60, "ela-1 scaled in")


def test_disabled_survives_kill9(cluster):
    update(cluster, "State=DISABLED")
    jid = cluster.submit("-p", "ela", "-o", "/dev/null", "--wrap", "true")
    try:
        wait_for(lambda: (reason(cluster, jid) or ["", ""])[1] == "PartitionDisabled", 30,
                 "the job waiting on a DISABLED partition")
        assert part(cluster)["State"] == "DISABLED"
        pid = cluster.pid("controller")
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: pid_gone(pid), 30, "the controller to die")
        cluster.restart("controller")
        assert part(cluster)["State"] == "DISABLED"
        assert (reason(cluster, jid) or ["", ""])[1] in ("PartitionDisabled", "None")
        update(cluster, "State=ENABLED")
        cluster.wait_state(jid, ("COMPLETED",), timeout=60)
    finally:
        cluster.run(cluster.bin("scancel"), str(jid))
        update(cluster, "State=ENABLED")


def test_spot_refuses_multinode(cluster):
    r = cluster.run(cluster.bin("sbatch"), "-p", "spot", "-N", "2", "--wrap", "true")
    assert r.rc != 0 and "Multi-node jobs are not supported on spot capacity" in r.err, r
    r = cluster.run(cluster.bin("scontrol"), "update", "PartitionName=batch", "MaxvCPUs=4")
    assert r.rc != 0 and "not Elastic=YES" in r.err, r


def test_power_up_respects_max_vcpus(cluster):
    wait_for(lambda: all_down(cluster), 60, "every node powered down first")
    # ela-[5-7] are 4 + 4 + 8 = 16 vCPUs, over MaxvCPUs=8 (BEST_FIT: never).
    r = cluster.run(cluster.bin("scontrol"), "power", "up", "ela-[5-7]")
    assert r.rc != 0 and "over its MaxvCPUs=8" in r.err and "partition ela" in r.err, r
    assert all_down(cluster), cluster.node_states()
    # Within the limit it is done.
    cluster.ok(cluster.bin("scontrol"), "power", "up", "ela-5")
    wait_for(lambda: state(cluster, "ela-5") == "idle", 60, "ela-5 powered up")
    # 4 running + 8 more would pass 8.
    r = cluster.run(cluster.bin("scontrol"), "power", "up", "ela-7")
    assert r.rc != 0 and "from 4 to 12 vCPUs" in r.err, r
    # Exactly MaxvCPUs is allowed: two c6i.large (powered down, each is its
    # name's type again, whatever it last ran as).
    cluster.ok(cluster.bin("scontrol"), "power", "up", "ela-[1-2]")
    wait_for(lambda: state(cluster, "ela-1") == "idle" and state(cluster, "ela-2") == "idle",
             60, "ela-[1-2] powered up")
    assert part(cluster)["DesiredvCPUs"] == "8"
    wait_for(lambda: all_down(cluster), 60, "ela-5 scaled in after ScaleDownDelay")


def test_type_chosen_at_resume_survives_kill9(cluster):
    wait_for(lambda: all_down(cluster), 60, "every node powered down first")
    jid = cluster.submit("-p", "ela", "-c", "5", "-o", "/dev/null", "--wrap", "sleep 300")
    try:
        cluster.wait_state(jid, ("RUNNING",), timeout=60)
        node = reason(cluster, jid)[2]
        n = cluster.node(node)
        assert (n["AvailableFeatures"], n["CPUTot"]) == ("c6i.2xlarge", "8"), n
        pid = cluster.pid("controller")
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: pid_gone(pid), 30, "the controller to die")
        cluster.restart("controller")
        n = cluster.node(node)
        assert (n["AvailableFeatures"], n["CPUTot"]) == ("c6i.2xlarge", "8"), n
        assert part(cluster)["DesiredvCPUs"] == "8"
        cluster.wait_state(jid, ("RUNNING",), timeout=60)   # CF until the node is back
    finally:
        cluster.run(cluster.bin("scancel"), str(jid))
    wait_for(lambda: all_down(cluster), 60, "the node scaled in")


def test_gpu_job_gets_gpu_type_progressive(cluster):
    jid = cluster.submit("-p", "gpu", "--gres=gpu:1", "-o", "/dev/null", "--wrap", "true")
    cluster.wait_state(jid, ("COMPLETED",), timeout=60)
    node = cluster.sacct(jid, "JobID,NodeList")["NodeList"]
    n = cluster.node(node)
    assert n["AvailableFeatures"] == "g5.xlarge" and n["CPUTot"] == "4", n
    assert "gpu:a10g:1" in n.get("Gres", ""), n
    # A CPU job on the same partition is the cheapest type again.
    wait_for(lambda: all_down(cluster, "gpu-"), 60, "the GPU node scaled in")
    jid = cluster.submit("-p", "gpu", "-c", "2", "-o", "/dev/null", "--wrap", "true")
    cluster.wait_state(jid, ("COMPLETED",), timeout=60)
    node = cluster.sacct(jid, "JobID,NodeList")["NodeList"]
    assert cluster.node(node)["AvailableFeatures"] == "c6i.large", node
    wait_for(lambda: all_down(cluster, "gpu-"), 60, "scaled in")
