"""Power saving with CloudType=cloud/local (issue 12; doc/guide-elastic.md):
State=CLOUD nodes start powered down, a job placed on them powers them up
(CONFIGURING, then RUNNING, then COMPLETED), idle nodes power down after
SuspendTime, `scontrol power up|down`, a node that does not boot within
ResumeTimeout goes DOWN and its job is requeued, a controller killed with
kill -9 during a resume starts nothing twice, and `devcluster down` leaves no
cloud/local instance running.  Every wait is for a condition."""

import json
import os
import re
import signal

import pytest

from conftest import BUILD, pid_gone, wait_for
from modelutil import sacct_rows

SLUICED = os.path.join(BUILD, "src", "noded", "sluiced")

BASE = """CloudType=cloud/local
CloudLocalSluiced=%s
SuspendTimeout=1
KillWait=2
NodeName=n[3-4] State=CLOUD
PartitionName=cloud Nodes=n[3-4] MaxTime=INFINITE State=UP
""" % SLUICED

# A boot long enough to see CONFIGURING; SuspendTime short enough for a
# fast test, and long enough that a node is not powered down between two
# steps of one test.
MAIN = BASE + """CloudLocalBootDelay=2
ResumeTimeout=60
SuspendTime=6
"""

# Every instance fails to boot; ResumeTimeout finds it.
FAILING = BASE + """CloudLocalFailRate=100
ResumeTimeout=3
SuspendTime=NONE
"""


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=4, cpus=2, mem=1000, append=MAIN)


def state(c, node):
    return c.node_states().get(node, "")


def squeue_row(c, jid):
    r = c.run(c.bin("squeue"), "-h", "-j", str(jid), "-o", "%t|%r|%N")
    return r.out.strip().split("|") if r.rc == 0 and r.out.strip() else None


def instance_pids(c):
    d = os.path.join(c.dir, "state", "cloud_local")
    out = {}
    for f in os.listdir(d) if os.path.isdir(d) else []:
        if f.endswith(".pid"):
            with open(os.path.join(d, f)) as fh:
                out[f[:-4]] = int(fh.read().split()[0])
    return out


def instance_starts(c, node):
    return len(re.findall(r"node %s: instance local-\d+ starting" % node, c.log("controller")))


def test_cloud_nodes_start_powered_down(cluster):
    s = cluster.node_states()
    assert s["n3"] == "idle~" and s["n4"] == "idle~", s
    assert s["n1"] == "idle", s
    n = cluster.node("n3")
    assert n["State"] == "IDLE+CLOUD+POWERED_DOWN", n
    # Only the controller's plugin starts cloud nodes: nothing runs for them.
    assert instance_pids(cluster) == {}


def test_job_powers_up_nodes_and_runs(cluster):
    jid = cluster.submit("-p", "cloud", "-N", "1", "-o", "/dev/null", "--wrap", "sleep 1")
    row = wait_for(lambda: (lambda r: r if r and r[0] == "CF" else None)(squeue_row(cluster, jid)),
                   30, "job %d CONFIGURING" % jid)
    node = row[2]
    assert row[1] == "NodesPoweringUp", row
    assert state(cluster, node) in ("allocated#", "mixed#"), cluster.node_states()
    shown = cluster.ok(cluster.bin("scontrol"), "show", "job", str(jid)).out
    assert "waiting for nodes %s to power up (since " % node in shown, shown
    cluster.wait_state(jid, ("RUNNING", "COMPLETED"), timeout=60)
    cluster.wait_state(jid, ("COMPLETED",), timeout=60)
    assert instance_starts(cluster, node) == 1


def test_idle_nodes_power_down_after_suspend_time(cluster):
    wait_for(lambda: state(cluster, "n3") == "idle~" and state(cluster, "n4") == "idle~", 60,
             "n3 and n4 powered down again")
    wait_for(lambda: instance_pids(cluster) == {}, 30, "their instances stopped")


def test_scontrol_power_up_and_down(cluster):
    r = cluster.run(cluster.bin("scontrol"), "power", "up", "n1")
    assert r.rc != 0 and "not State=CLOUD" in r.err, r
    r = cluster.run(cluster.bin("scontrol"), "power", "sideways", "n3")
    assert r.rc != 0 and "Usage" in r.err, r
    cluster.ok(cluster.bin("scontrol"), "power", "up", "n4")
    wait_for(lambda: state(cluster, "n4") == "idle", 60, "n4 powered up")
    assert "n4" in instance_pids(cluster)
    cluster.ok(cluster.bin("scontrol"), "power", "down", "n4")
    wait_for(lambda: state(cluster, "n4") == "idle~", 60, "n4 powered down")
    assert "n4" not in instance_pids(cluster)


def test_controller_kill9_during_resume_starts_nothing_twice(cluster):
    wait_for(lambda: state(cluster, "n3") == "idle~", 60, "n3 powered down")
    before = instance_starts(cluster, "n3")
    jid = cluster.submit("-p", "cloud", "-w", "n3", "-o", "/dev/null", "--wrap", "sleep 1")
    wait_for(lambda: instance_starts(cluster, "n3") == before + 1, 30, "n3's instance starting")
    assert (squeue_row(cluster, jid) or ["?"])[0] == "CF"
    pid = cluster.pid("controller")
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: pid_gone(pid), 30, "the controller to die")
    cluster.restart("controller")
    cluster.wait_state(jid, ("COMPLETED",), timeout=90)
    # The restarted controller found n3's instance (describe) and did not
    # start another one.
    assert instance_starts(cluster, "n3") == before + 1
    rows = sacct_rows(cluster, jid, extra=["-D"])
    assert [r["State"] for r in rows] == ["COMPLETED"], rows


def test_cancel_while_powering_up(cluster):
    wait_for(lambda: state(cluster, "n3") == "idle~", 60, "n3 powered down")
    jid = cluster.submit("-p", "cloud", "-w", "n3", "-o", "/dev/null", "--wrap", "sleep 1")
    wait_for(lambda: (squeue_row(cluster, jid) or ["?"])[0] == "CF", 30, "job %d CF" % jid)
    cluster.ok(cluster.bin("scancel"), str(jid))
    # Nothing runs yet: it ends at once, without waiting for the boot.
    cluster.wait_state(jid, ("CANCELLED",), timeout=30)
    wait_for(lambda: state(cluster, "n3") in ("idle", "idle%", "idle~"), 60, "n3 idle again")


def test_reconfigure_refuses_cloud_type_change(cluster):
    conf = os.path.join(cluster.dir, "sluice.conf")
    with open(conf) as f:
        text = f.read()
    try:
        with open(conf, "w") as f:
            f.write(text.replace("CloudLocalBootDelay=2", "CloudLocalBootDelay=3"))
        r = cluster.run(cluster.bin("scontrol"), "reconfigure")
        assert r.rc != 0 and "cannot change without a restart" in r.err, r
    finally:
        with open(conf, "w") as f:
            f.write(text)


def test_devcluster_down_stops_instances(cluster):
    cluster.ok(cluster.bin("scontrol"), "power", "up", "n4")
    wait_for(lambda: "n4" in instance_pids(cluster) and state(cluster, "n4") == "idle", 60,
             "n4 powered up")
    pids = list(instance_pids(cluster).values())
    r = cluster.devcluster("down")
    assert r.rc == 0, r
    assert all(pid_gone(p) for p in pids), pids
    r = cluster.devcluster("up", "--timeout", "120")   # the fixture's down expects a cluster
    assert r.rc == 0, r


# Every instance dies before its node registers; ResumeTimeout far away.
DYING = BASE + """CloudLocalFailRate=100
ResumeTimeout=600
SuspendTime=NONE
"""


def test_instance_dead_before_registering_is_found_by_describe(cluster_factory):
    """An instance that ends before its sluiced registers (in a 1,000-node
    burst: its port taken) is found by the periodic describe (every 15 s),
    not left powering up until ResumeTimeout."""
    c = cluster_factory(nodes=4, cpus=2, mem=1000, append=DYING)
    r = c.run(c.bin("scontrol"), "power", "up", "n3")
    assert r.rc == 0, r
    wait_for(lambda: state(c, "n3").startswith("down"), 90, "n3 DOWN: its instance ended")
    reason = c.node("n3")["Reason"]
    assert reason.startswith("instance lost: its instance ended before the node registered"), reason
    assert "ResumeTimeout" not in reason
    assert state(c, "n4").endswith("~"), c.node_states()   # untouched, still powered down


NICED = BASE + """CloudLocalNice=7
ResumeTimeout=120
SuspendTime=NONE
"""


def proc_stat(pid):
    """(ppid, session, nice) from /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[1]), int(fields[3]), int(fields[16])


def test_instances_share_one_niced_session(cluster_factory):
    """cloud/local starts every instance from one launcher in a session of
    its own (plugins/cloud/local/launcher.h): all instances share that
    session, whose scheduling group (autogroup) and nice value are
    CloudLocalNice, so a burst of booting instances takes only the
    machine's spare CPU.  A launcher killed behind the controller's back is
    replaced at the next resume."""
    c = cluster_factory(nodes=4, cpus=2, mem=1000, append=NICED)
    c.ok(c.bin("scontrol"), "power", "up", "n[3-4]")
    wait_for(lambda: state(c, "n3") == "idle" and state(c, "n4") == "idle", 90, "n3, n4 up")
    pids = instance_pids(c)
    stats = {n: proc_stat(p) for n, p in pids.items()}
    launcher = stats["n3"][0]
    ctld_session = proc_stat(c.pid("controller"))[1]
    for n, (ppid, sid, nice) in stats.items():
        assert ppid == launcher and sid == launcher, (n, stats, launcher)
        assert nice == 7, (n, stats)
    assert launcher != c.pid("controller") and ctld_session != launcher
    with open("/proc/%d/cmdline" % launcher, "rb") as f:
        assert b"sluice-instances" in f.read()
    ag = "/proc/%d/autogroup" % pids["n3"]
    if os.path.exists(ag):    # kernels with autogroup
        with open(ag) as f:
            assert f.read().split()[-1] == "7", ag
    # The launcher killed: the next instance gets a new one.
    c.ok(c.bin("scontrol"), "power", "down", "n4")
    wait_for(lambda: state(c, "n4") == "idle~", 60, "n4 powered down")
    os.kill(launcher, signal.SIGKILL)
    wait_for(lambda: pid_gone(launcher), 30, "the launcher to die")
    assert state(c, "n3") == "idle"          # its instance outlives the launcher
    c.ok(c.bin("scontrol"), "power", "up", "n4")
    wait_for(lambda: state(c, "n4") == "idle", 90, "n4 up again")
    ppid, sid, nice = proc_stat(instance_pids(c)["n4"])
    assert ppid == sid and ppid != launcher and nice == 7, (ppid, sid, nice)


def test_resume_timeout_downs_node_and_requeues_job(cluster_factory):
    c = cluster_factory(nodes=4, cpus=2, mem=1000, append=FAILING)
    jid = c.submit("-p", "cloud", "-N", "1", "-o", "/dev/null", "--wrap", "true")
    wait_for(lambda: c.node_states().get("n3", "").startswith("down") or
             c.node_states().get("n4", "").startswith("down"), 60, "a node DOWN after ResumeTimeout")
    downed = [n for n in ("n3", "n4") if c.node_states()[n].startswith("down")][0]
    # The periodic describe may find the dead instance first.
    assert c.node(downed)["Reason"].startswith(("ResumeTimeout reached", "instance lost")), \
        c.node(downed)
    # The job went back to the queue (a new attempt), never failed for it.
    wait_for(lambda: c.job(jid).get("Restarts", "0") != "0", 30, "job %d requeued" % jid)
    assert c.state(jid) in ("PENDING", "CONFIGURING"), c.job(jid)
    rows = sacct_rows(c, jid, extra=["-D"])
    assert rows[0]["State"] == "NODE_FAIL", rows
    # Both nodes fail in turn: the job waits, still pending.
    wait_for(lambda: all(c.node_states()[n].startswith("down") for n in ("n3", "n4")), 60,
             "both cloud nodes DOWN")
    wait_for(lambda: c.state(jid) == "PENDING", 30, "job %d pending" % jid)
    c.run(c.bin("scancel"), str(jid))


# ---- cloud/script: Slurm's ResumeProgram / SuspendProgram.
RESUME_SH = """#!/bin/sh
d=%(dir)s
echo "$1" >> $d/resumed
cp "$SLURM_RESUME_FILE" $d/resume.json
for n in $(%(scontrol)s show hostnames "$1"); do
  SLUICE_FAKE_HW=cpus=2,mem=1000 %(sluiced)s -D -f "$SLUICE_CONF" -N $n >> $d/$n.log 2>&1 </dev/null &
  echo $! > $d/$n.pid
done
"""
SUSPEND_SH = """#!/bin/sh
d=%(dir)s
echo "$1" >> $d/suspended
for n in $(%(scontrol)s show hostnames "$1"); do
  [ -f $d/$n.pid ] && kill $(cat $d/$n.pid)
  rm -f $d/$n.pid
done
"""


def test_cloud_script_programs(cluster_factory, tmp_path):
    d = str(tmp_path)
    os.chmod(d, 0o755)
    subst = {"dir": d, "scontrol": os.path.join(BUILD, "src", "cmd", "scontrol", "scontrol"),
             "sluiced": SLUICED}
    for name, text in (("resume.sh", RESUME_SH), ("suspend.sh", SUSPEND_SH)):
        with open(os.path.join(d, name), "w") as f:
            f.write(text % subst)
        os.chmod(os.path.join(d, name), 0o755)
    conf = BASE.replace("CloudType=cloud/local", "CloudType=cloud/script") + \
        "ResumeProgram=%s/resume.sh\nSuspendProgram=%s/suspend.sh\nResumeTimeout=30\n" % (d, d)
    c = cluster_factory(nodes=4, cpus=2, mem=1000, append=conf)
    try:
        assert c.node_states()["n3"] == "idle~"
        jid = c.submit("-p", "cloud", "-w", "n3", "-o", "/dev/null", "--wrap", "true")
        c.wait_state(jid, ("COMPLETED",), timeout=60)
        with open(os.path.join(d, "resumed")) as f:
            assert f.read().split() == ["n3"]
        with open(os.path.join(d, "resume.json")) as f:
            doc = json.load(f)
        assert doc["all_nodes_resume"] == "n3", doc
        assert [(j["job_id"], j["nodes_resume"], j["partition"]) for j in doc["jobs"]] == \
            [(jid, "n3", "cloud")], doc
        pid = int(open(os.path.join(d, "n3.pid")).read())
        c.ok(c.bin("scontrol"), "power", "down", "n3")
        wait_for(lambda: c.node_states()["n3"] == "idle~", 60, "n3 powered down")
        with open(os.path.join(d, "suspended")) as f:
            assert f.read().split() == ["n3"]
        wait_for(lambda: pid_gone(pid), 30, "n3's sluiced stopped by SuspendProgram")
    finally:
        for f in os.listdir(d):
            if f.endswith(".pid"):
                try:
                    os.kill(int(open(os.path.join(d, f)).read()), signal.SIGKILL)
                except (OSError, ValueError):
                    pass
