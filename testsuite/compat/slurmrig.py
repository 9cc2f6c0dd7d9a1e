"""A private Slurm (Debian's slurm-wlm 22.05) on loopback, for side-by-side tests.

    rig = SlurmRig("/tmp/compat-slurm-XXXX", cpus=4, mem=4000)
    why = rig.start()        # None when it runs, else why it cannot
    rig.run(["sbatch", ...]) # Slurm's own commands, SLURM_CONF set
    rig.stop()               # by pid: slurmd, slurmctld, munged

Everything lives under its directory: a munged with its own key and socket,
slurm.conf (SLURM_CONF points at it, /etc/slurm is never read), state, spool
and logs.  One node named n1 (NodeHostname is this machine's name, NodeAddr
127.0.0.1) in partition "batch", like a one-node contribs/devcluster, so
that names agree on both sides.  Ports are picked free at start.  Needs
root (slurmd launches jobs and SlurmUser=root); start() says so otherwise.

Usable from the command line too (python3 slurmrig.py DIR: start, print
the environment to use, wait for Ctrl-C, stop).
"""

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time

SBIN = "/usr/sbin"
BIN = "/usr/bin"
NODE = "n1"
PARTITION = "batch"


def free_ports(n):
    """n ports free on loopback and on the wildcard address (Slurm 22.05's
    daemons bind the wildcard), below the ephemeral range."""
    ports = []
    while len(ports) < n:
        p = random.randint(10000, 30000)
        if p in ports:
            continue
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("", p))
        except OSError:
            continue
        finally:
            s.close()
        ports.append(p)
    return ports


def wait_until(pred, timeout, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(interval)


class SlurmRig:
    def __init__(self, d, cpus=4, mem=4000, extra_conf=""):
        self.dir = d
        self.cpus, self.mem, self.extra_conf = cpus, mem, extra_conf
        self.conf = os.path.join(d, "slurm.conf")
        self.sock = os.path.join(d, "munge", "munge.socket")
        self.logdir = os.path.join(d, "log")
        self.procs = {}
        self.env = None

    # ---- why not
    def missing(self):
        """None when everything needed is installed and allowed, else why not."""
        for p in (os.path.join(SBIN, "slurmctld"), os.path.join(SBIN, "slurmd"),
                  os.path.join(BIN, "sbatch"), os.path.join(BIN, "squeue")):
            if not os.access(p, os.X_OK):
                return "%s missing (apt-get install slurm-wlm)" % p
        if not shutil.which("munged", path="/usr/sbin:/sbin:" + os.environ.get("PATH", "")):
            return "munged missing (apt-get install munge)"
        if os.geteuid() != 0:
            return "not root: slurmd must run as root to launch jobs"
        return None

    # ---- files
    def write_conf(self):
        ctld_port, d_port = free_ports(2)
        host = socket.gethostname().split(".")[0]
        d = self.dir
        lines = [
            "ClusterName=compat",
            "SlurmctldHost=%s(127.0.0.1)" % host,
            "SlurmUser=root",
            "SlurmdUser=root",
            "SlurmctldPort=%d" % ctld_port,
            "SlurmdPort=%d" % d_port,
            "AuthType=auth/munge",
            "CryptoType=crypto/munge",
            "AuthInfo=socket=%s" % self.sock,
            "StateSaveLocation=%s/state" % d,
            "SlurmdSpoolDir=%s/spool" % d,
            "SlurmctldPidFile=%s/slurmctld.pid" % d,
            "SlurmdPidFile=%s/slurmd.pid" % d,
            "SlurmctldLogFile=%s/slurmctld.log" % self.logdir,
            "SlurmdLogFile=%s/slurmd.log" % self.logdir,
            "PlugStackConfig=%s/plugstack.conf" % d,
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "JobCompType=jobcomp/filetxt",
            "JobCompLoc=%s/jobcomp.log" % self.logdir,
            "SchedulerType=sched/backfill",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core_Memory",
            "SchedulerParameters=sched_min_interval=0,batch_sched_delay=0",
            "SlurmdParameters=config_overrides",
            "ReturnToService=2",
            "MpiDefault=none",
            "KillWait=2",
            "MinJobAge=300",
            "FirstJobId=100000",   # ids never equal a count in the outputs compared
            "NodeName=%s NodeHostname=%s NodeAddr=127.0.0.1 CPUs=%d RealMemory=%d State=UNKNOWN"
            % (NODE, host, self.cpus, self.mem),
            "PartitionName=%s Nodes=%s Default=YES MaxTime=INFINITE State=UP" % (PARTITION, NODE),
        ]
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n" + self.extra_conf)
        with open(os.path.join(d, "plugstack.conf"), "w") as f:
            f.write("")

    # ---- processes
    def spawn(self, name, argv, env=None):
        log = open(os.path.join(self.logdir, name + ".out"), "w")
        self.procs[name] = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, env=env or self.env,
                                            start_new_session=True)
        log.close()
        return self.procs[name]

    def start_munged(self):
        mdir = os.path.dirname(self.sock)
        os.makedirs(mdir, exist_ok=True)
        os.chmod(mdir, 0o755)   # munged wants every directory above it searchable
        key = os.path.join(mdir, "munge.key")
        with open("/dev/urandom", "rb") as r, \
                open(os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400), "wb") as w:
            w.write(r.read(128))
        munged = shutil.which("munged", path="/usr/sbin:/sbin:" + os.environ.get("PATH", ""))
        p = self.spawn("munged", [munged, "--foreground", "--socket=" + self.sock,
                                  "--key-file=" + key, "--pid-file=" + mdir + "/munged.pid",
                                  "--log-file=" + self.logdir + "/munged.log",
                                  "--seed-file=" + mdir + "/munged.seed"])
        if not wait_until(lambda: os.path.exists(self.sock) or p.poll() is not None, 30) \
                or p.poll() is not None:
            return "munged did not start (see %s/munged.out)" % self.logdir
        return None

    def start(self, timeout=60):
        """Start munged, slurmctld, slurmd; wait for the node to be idle.
        Returns None, or why Slurm cannot run here (everything started is
        stopped again)."""
        why = self.missing()
        if why:
            return why
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        for sub in ("state", "spool", "log"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        self.write_conf()
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("SLURM_", "SBATCH_", "SQUEUE_", "SINFO_", "SACCT_",
                                    "SLUICE_"))}
        env["SLURM_CONF"] = self.conf
        env["PATH"] = ":".join([BIN] + [p for p in env.get("PATH", "").split(":")
                                        if p and p != BIN])
        self.env = env
        v = self.run([os.path.join(BIN, "sbatch"), "--version"])
        if not v.out.startswith("slurm"):
            return "%s/sbatch is not Slurm's (%r)" % (BIN, (v.out + v.err).strip())
        self.version = v.out.split()[-1]
        why = self.start_munged()
        if not why:
            self.spawn("slurmctld", [os.path.join(SBIN, "slurmctld"), "-D", "-i"])
            ok = wait_until(lambda: self.procs["slurmctld"].poll() is not None or
                            " is UP" in self.run(["scontrol", "ping"], timeout=10).out, timeout)
            if self.procs["slurmctld"].poll() is not None or not ok:
                why = "slurmctld did not start (%s)" % self.log_tail("slurmctld")
        if not why:
            self.spawn("slurmd", [os.path.join(SBIN, "slurmd"), "-D", "-N", NODE])
            ok = wait_until(lambda: self.procs["slurmd"].poll() is not None or
                            self.run(["sinfo", "-h", "-o", "%T"]).out.strip() == "idle",
                            timeout, interval=0.3)
            if self.procs["slurmd"].poll() is not None or not ok:
                why = "slurmd did not become idle (%s)" % self.log_tail("slurmd")
        if why:
            self.stop()
        return why

    def log_tail(self, name, n=8):
        for path in (os.path.join(self.logdir, name + ".log"),
                     os.path.join(self.logdir, name + ".out")):
            try:
                with open(path, errors="replace") as f:
                    lines = f.read().splitlines()[-n:]
                if lines:
                    return "%s: %s" % (path, " | ".join(lines))
            except OSError:
                pass
        return "no log"

    def stop(self):
        """Stop what start() started, by pid, newest first."""
        for name in ("slurmd", "slurmctld", "munged"):
            p = self.procs.pop(name, None)
            if p is None or p.poll() is not None:
                continue
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=30)

    # ---- commands
    def run(self, argv, cwd=None, timeout=60, input=None, env=None):
        e = dict(self.env)
        if env:
            e.update(env)
        try:
            p = subprocess.run(argv, cwd=cwd or self.dir, env=e, input=input,
                               stdin=None if input is not None else subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               timeout=timeout)
            return Out(argv, p.returncode, p.stdout, p.stderr)
        except subprocess.TimeoutExpired as ex:
            return Out(argv, 124, ex.stdout or "", "timed out after %ss" % timeout)


class Out:
    def __init__(self, argv, rc, out, err):
        self.argv, self.rc, self.out, self.err = argv, rc, out, err

    def __repr__(self):
        return "<%s: rc=%s\n--- stdout:\n%s--- stderr:\n%s>" % (
            " ".join(self.argv), self.rc, self.out, self.err)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: slurmrig.py DIR")
    rig = SlurmRig(sys.argv[1])
    why = rig.start()
    if why:
        sys.exit("slurm: " + why)
    print("export SLURM_CONF=%s PATH=%s:$PATH" % (rig.conf, BIN))
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        rig.stop()
