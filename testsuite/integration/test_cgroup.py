"""task/cgroup on this host's cgroup v1 (root): a cgroup per job that limits its memory
(OUT_OF_MEMORY, neighbours untouched), tracks its processes (a daemonised grandchild dies
with scancel), goes away with the job; and a TaskPlugin=task/cgroup that cannot work is
refused at sluiced's start with the reason."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

import pytest

from conftest import DEVCLUSTER, IS_ROOT, Cluster, scaled, wait_for, pid_gone

V1_MEMORY = "/sys/fs/cgroup/memory/tasks"


def v1_writable():
    if not IS_ROOT:
        return "task/cgroup needs root to create cgroups (not root here)"
    if not os.path.exists(V1_MEMORY):
        return "no cgroup v1 memory hierarchy at /sys/fs/cgroup/memory on this host"
    return None


pytestmark = pytest.mark.skipif(v1_writable() is not None, reason=v1_writable() or "")

CONF = ("TaskPlugin=task/affinity,task/cgroup\nConstrainRAMSpace=yes\nConstrainCores=yes\n"
        "KillWait=2\n")


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=1, cpus=2, mem=2000, append=CONF)


def job_cgroups(jid):
    """Every directory named job_<jid> under the v1 hierarchies."""
    found = []
    for ctrl in ("freezer", "memory", "cpuset"):
        for root, dirs, _ in os.walk("/sys/fs/cgroup/" + ctrl):
            if "job_%s" % jid in dirs:
                found.append(os.path.join(root, "job_%s" % jid))
    return found


def test_mode_logged(cluster):
    log = cluster.log("n1")
    assert "task/cgroup: node n1: cgroup v1" in log, log[-3000:]


def kernel_at_least(major, minor):
    m = re.match(r"(\d+)\.(\d+)", os.uname().release)
    return bool(m) and (int(m.group(1)), int(m.group(2))) >= (major, minor)


@pytest.mark.skipif(not kernel_at_least(6, 0),
                    reason="favordynmods needs Linux 6.0 or later (this kernel: %s)" %
                    os.uname().release)
def test_cgroup_joins_made_cheap(cluster):
    """CgroupFavorDynMods=yes (default): some cgroup file system has favordynmods once the
    node is up (sluiced mounted the named hierarchy, or found one that has it), so a job's
    first write to cgroup.procs does not wait for an RCU grace period."""
    def favoured():
        with open("/proc/mounts") as f:
            return [ln for ln in f if ln.split()[2] in ("cgroup", "cgroup2") and
                    "favordynmods" in ln.split()[3].split(",")]
    found = favoured()
    assert found, "no cgroup mount with favordynmods; sluiced said: %s" % [
        ln for ln in cluster.log("n1").splitlines() if "FavorDynMods" in ln]
    # A job still joins its cgroups and runs.
    jid = cluster.submit("-c1", "--wrap", "cat /proc/self/cgroup")
    cluster.wait_state(jid, ("COMPLETED",))


def test_usage_from_the_cgroup(cluster):
    """MaxRSS of a job is the peak memory charged to its cgroup (what --mem counts), exact
    rather than sampled: 96 MiB written to /dev/shm (shared memory, charged to the job,
    in no process's RSS) and gone well before the first 30 s sample."""
    shm = "/dev/shm/sluice-it-usage-%d" % os.getpid()
    jid = cluster.submit("-c1", "--mem=400M", "--wrap",
                         "dd if=/dev/zero of=%s bs=1M count=96 status=none; rm -f %s" %
                         (shm, shm))
    cluster.wait_state(jid, ("COMPLETED",))
    out = cluster.ok(cluster.bin("sacct"), "-j", str(jid), "-n", "-P", "--units=K",
                     "-o", "JobID,MaxRSS").out
    rows = dict(ln.split("|", 1) for ln in out.split("\n") if "|" in ln)
    batch = rows.get("%s.batch" % jid, "")
    assert batch.endswith("K"), rows
    assert float(batch[:-1]) >= 96 * 1024, rows


def test_oom_ends_job_and_neighbour_completes(cluster):
    mark = os.path.join(cluster.dir, "neighbour.mark")
    neighbour = cluster.submit("-c1", "--mem=64M", "--wrap",
                               "while [ ! -e %s ]; do sleep 0.2; done; echo done" % mark)
    cluster.wait_state(neighbour, ("RUNNING",))
    hog = cluster.submit("-c1", "--mem=64M", "--wrap",
                         "python3 -c 'b = bytearray(200 * 1024 * 1024); "
                         "[b.__setitem__(i, 1) for i in range(0, len(b), 4096)]'")
    cluster.wait_state(hog, ("OUT_OF_MEMORY",), timeout=scaled(120))
    assert cluster.state(neighbour) == "RUNNING"
    rec = cluster.sacct(hog, fields="JobID,State,ExitCode")
    assert rec["State"] == "OUT_OF_MEMORY", rec
    assert rec["ExitCode"] == "0:125", rec
    open(mark, "w").close()
    cluster.wait_state(neighbour, ("COMPLETED",))
    wait_for(lambda: not job_cgroups(hog) and not job_cgroups(neighbour), scaled(30),
             "the jobs' cgroups removed")


def test_daemonised_grandchild_killed_by_scancel(cluster):
    pidfile = os.path.join(cluster.dir, "daemon.pid")
    # setsid + double fork: the grandchild leaves the job's session and process group.
    jid = cluster.submit("-c1", "--wrap",
                         "python3 -c '\nimport os,time\nif os.fork()==0:\n os.setsid()\n"
                         " if os.fork()==0:\n  open(\"%s\",\"w\").write(str(os.getpid()))\n"
                         "  time.sleep(3600)\n os._exit(0)\nos.wait()\n'; sleep 3600" % pidfile)
    cluster.wait_state(jid, ("RUNNING",))
    wait_for(lambda: os.path.exists(pidfile) and open(pidfile).read().strip(), scaled(30),
             "the daemon's pid file")
    daemon = int(open(pidfile).read())
    cgs = job_cgroups(jid)
    assert cgs, "job %s has no cgroup" % jid
    procs = open(os.path.join(cgs[0], "cgroup.procs")).read()
    assert str(daemon) in procs.split(), procs
    cluster.ok(cluster.bin("scancel"), str(jid))
    cluster.wait_state(jid, ("CANCELLED",))
    wait_for(lambda: pid_gone(daemon), scaled(30), "the daemonised grandchild gone")
    wait_for(lambda: not job_cgroups(jid), scaled(30), "the job's cgroup removed")


def test_cgroup_refused_when_mountpoint_absent():
    """sluiced exits non-zero at start, its log saying why (devcluster up then fails)."""
    d = tempfile.mkdtemp(prefix="sluice-it-cgroup-refused-", dir="/tmp")
    os.chmod(d, 0o755)
    conf = os.path.join(d, "append.conf")
    with open(conf, "w") as f:
        f.write("TaskPlugin=task/cgroup\nCgroupMountpoint=%s/nowhere\n" % d)
    r = subprocess.run([sys.executable, DEVCLUSTER, "up", "--dir", d, "--nodes", "1",
                        "--cpus", "2", "--append", conf, "--timeout", str(int(scaled(15)))],
                       env=Cluster.dc_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, stdin=subprocess.DEVNULL, timeout=scaled(120))
    try:
        assert r.returncode != 0, r.stdout + r.stderr
        assert ("TaskPlugin=task/cgroup cannot work on node n1: no cgroup hierarchy at "
                "CgroupMountpoint=%s/nowhere" % d) in r.stdout + r.stderr, r.stdout + r.stderr
        assert "exited: n1" in r.stdout + r.stderr, r.stdout + r.stderr
    finally:
        subprocess.run([sys.executable, DEVCLUSTER, "down", "--dir", d], env=Cluster.dc_env(),
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=scaled(120))
        shutil.rmtree(d, ignore_errors=True)


def test_restarted_sluiced_kills_by_cgroup(cluster):
    """After a sluiced restart the stepd is adopted (not sluiced's child: the orphans of a
    stepd killed now go to init, not to sluiced); the job's cgroup still finds them."""
    pidfile = os.path.join(cluster.dir, "daemon2.pid")
    jid = cluster.submit("-c1", "--wrap",
                         "python3 -c '\nimport os,time\nif os.fork()==0:\n os.setsid()\n"
                         " if os.fork()==0:\n  open(\"%s\",\"w\").write(str(os.getpid()))\n"
                         "  time.sleep(3600)\n os._exit(0)\nos.wait()\n'; sleep 3600" % pidfile)
    cluster.wait_state(jid, ("RUNNING",))
    wait_for(lambda: os.path.exists(pidfile) and open(pidfile).read().strip(), scaled(30),
             "the daemon's pid file")
    daemon = int(open(pidfile).read())
    cluster.restart("n1")
    wait_for(lambda: "job %s: its cgroup is still there: tracking it" % jid in cluster.log("n1"),
             scaled(30), "the restarted sluiced to find the job's cgroup")
    stepd = int(open(os.path.join(cluster.dir, "spool", "n1", "job.%s" % jid,
                                  "stepd.pid")).read())
    os.kill(stepd, 9)
    cluster.wait_state(jid, ("FAILED",))
    wait_for(lambda: pid_gone(daemon), scaled(30), "the daemonised grandchild gone")
    wait_for(lambda: not job_cgroups(jid), scaled(30), "the job's cgroup removed")



STEP_SCRIPT = """#!/bin/sh
cg() { sed -n "s/^[0-9]*:$1:\\(.*\\)/\\1/p" /proc/self/cgroup; }
srun -n1 -c1 --mem=50M sh -c 'echo "step memcg=$(sed -n "s/^[0-9]*:memory://p" /proc/self/cgroup)"
m=$(sed -n "s/^[0-9]*:memory://p" /proc/self/cgroup)
echo "step mem=$(cat /sys/fs/cgroup/memory$m/memory.limit_in_bytes)"
echo "step cpus=$(cat /sys/fs/cgroup/cpuset$(sed -n "s/^[0-9]*:cpuset://p" /proc/self/cgroup)/cpuset.cpus)"'
echo "batch memcg=$(cg memory)"
echo "batch cpus=$(cat /sys/fs/cgroup/cpuset$(cg cpuset)/cpuset.cpus)"
echo "left=$(ls -d /sys/fs/cgroup/memory$(cg memory)/step_* 2>/dev/null | wc -l)"
"""


def test_steps_get_cgroups_of_their_own(cluster):
    """A step's tasks go to job_N/step_S (v1: with the step's CPUs and
    memory), the job's own cgroup keeps the job's CPUs (a step used to
    rewrite them), and the step's cgroup is gone when the step ends."""
    out = os.path.join(cluster.dir, "step.out")
    path = os.path.join(cluster.dir, "step.sh")
    with open(path, "w") as f:
        f.write(STEP_SCRIPT)
    jid = cluster.submit("-c2", "--mem=200M", "-o", out, path)
    cluster.wait_state(jid, ("COMPLETED", "FAILED"))
    got = dict(l.split("=", 1) for l in open(out).read().splitlines() if "=" in l)
    assert re.search(r"/sluice/n1/job_%s/step_0$" % jid, got.get("step memcg", "")), got
    assert got.get("step mem") == str(50 << 20), got
    assert re.fullmatch(r"\d", got.get("step cpus", "")), got
    assert re.search(r"/sluice/n1/job_%s$" % jid, got.get("batch memcg", "")), got
    assert got.get("batch cpus") in ("0-1", "0,1"), got
    assert got.get("left") == "0", got
    wait_for(lambda: not job_cgroups(jid), scaled(30), "the job's cgroup removed")


V2 = "/sys/fs/cgroup/unified"


def v2_skip_reason():
    if not os.path.exists(os.path.join(V2, "cgroup.controllers")):
        return "no cgroup v2 hierarchy mounted at %s on this host" % V2
    probe = os.path.join(V2, "sluice-test-probe-%d" % os.getpid())
    try:
        os.mkdir(probe)
        os.rmdir(probe)
    except OSError as e:
        return "cgroup v2 at %s is not writable here: %s" % (V2, e)
    return None


@pytest.fixture(scope="module")
def v2_cluster(cluster_factory):
    why = v2_skip_reason()
    if why:
        pytest.skip(why)
    # This host is hybrid: memory and cpuset are bound to v1, so the v2 hierarchy has only
    # process tracking to offer (no Constrain* keys).
    return cluster_factory(nodes=1, cpus=2, mem=2000,
                           append="TaskPlugin=task/cgroup\nCgroupMountpoint=%s\nKillWait=2\n" % V2)


def v2_job_dirs(jid):
    return [os.path.join(r, "job_%s" % jid) for r, dirs, _ in os.walk(V2) if "job_%s" % jid in dirs]


def test_v2_tracking_for_real(v2_cluster):
    cluster = v2_cluster
    assert "task/cgroup: node n1: cgroup v2 (unified)" in cluster.log("n1")
    pidfile = os.path.join(cluster.dir, "daemon3.pid")
    jid = cluster.submit("-c1", "--wrap",
                         "python3 -c '\nimport os,time\nif os.fork()==0:\n os.setsid()\n"
                         " if os.fork()==0:\n  open(\"%s\",\"w\").write(str(os.getpid()))\n"
                         "  time.sleep(3600)\n os._exit(0)\nos.wait()\n'; sleep 3600" % pidfile)
    cluster.wait_state(jid, ("RUNNING",))
    wait_for(lambda: os.path.exists(pidfile) and open(pidfile).read().strip(), scaled(30),
             "the daemon's pid file")
    daemon = int(open(pidfile).read())
    dirs = v2_job_dirs(jid)
    assert dirs and str(daemon) in open(os.path.join(dirs[0], "cgroup.procs")).read().split()
    cluster.ok(cluster.bin("scancel"), str(jid))
    cluster.wait_state(jid, ("CANCELLED",))
    wait_for(lambda: pid_gone(daemon), scaled(30), "the daemonised grandchild gone")
    wait_for(lambda: not v2_job_dirs(jid), scaled(30), "the job's v2 cgroup removed")


def test_v2_memory_limit_for_real(v2_cluster, cluster_factory):
    avail = open(os.path.join(V2, "cgroup.controllers")).read().split()
    if "memory" not in avail:
        pytest.skip("the memory controller is not in the v2 hierarchy here (cgroup.controllers: "
                    "%s; this host binds it to v1): the v2 memory limit is covered by the unit "
                    "test test_cgroup.c only" % (" ".join(avail) or "none"))
    cluster = cluster_factory(nodes=1, cpus=2, mem=2000,
                              append="TaskPlugin=task/cgroup\nCgroupMountpoint=%s\n"
                                     "ConstrainRAMSpace=yes\n" % V2)
    hog = cluster.submit("-c1", "--mem=64M", "--wrap",
                         "python3 -c 'b = bytearray(200 * 1024 * 1024); "
                         "[b.__setitem__(i, 1) for i in range(0, len(b), 4096)]'")
    cluster.wait_state(hog, ("OUT_OF_MEMORY",), timeout=scaled(120))
