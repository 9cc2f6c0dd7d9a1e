"""The same scripts and command lines against Slurm and Sluice (see conftest.py
and compare.py).  Each case returns {item: normalised observation}; items
may differ only where known-differences.txt says why."""

import fnmatch
import os
import re
import time

import pytest

from compare import compare

# A script written the way university HPC pages write them.
HPC_SCRIPT = """#!/bin/bash
#SBATCH -J compat_hpc
#SBATCH -o hpc_%j.out
#SBATCH -e hpc_%j.err
#SBATCH -t 00:05:00
#SBATCH -N 1
#SBATCH -n 1
#SBATCH -c 2
#SBATCH --mem=100M
#SBATCH --export=ALL,COMPAT_FOO=bar

echo "foo=$COMPAT_FOO"
echo "pwd=$(pwd)"
echo "to stderr" >&2
env | grep ^SLURM_ | cut -d= -f1 | sort > env_names.txt
"""


def lines(text):
    return [l.rstrip() for l in text.splitlines()]


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError as e:
        return "<unreadable: %s>" % e.strerror


def case_sbatch_output(s):
    o = {}
    r = s.sh("sbatch --parsable --wrap true")
    o["parsable"] = "rc=%d out=%s" % (r.rc, re.sub(r"^\d+$", "NUM", r.out.strip()))
    r = s.sh("sbatch --wrap true")
    o["plain"] = "rc=%d out=%s" % (r.rc, re.sub(r"\d+", "NUM", r.out.strip()))
    # Unset minimums: "0", without a unit; a pending job's NumCPUs: asked for.
    jid = s.submit("-H -n2 -c2 --wrap true")
    r = s.run(["scontrol", "show", "job", jid])
    for k in ("MinMemoryNode", "MinTmpDiskNode", "MinCPUsNode", "NumCPUs", "Requeue"):
        o["unset " + k] = (re.findall(r"\b%s=(\S+)" % k, r.out) or ["<absent>"])[0]
    s.run(["scancel", jid])
    return o


def case_hpc_script(s):
    d = s.mkdir("hpc")
    s.script(d, "job.sh", HPC_SCRIPT)
    jid = s.submit("job.sh", cwd=d)
    s.wait_done(jid)
    o = {}
    out, err = os.path.join(d, "hpc_%s.out" % jid), os.path.join(d, "hpc_%s.err" % jid)
    o["stdout"] = s.norm(read(out).replace(d, "DIR"))
    o["stderr"] = s.norm(read(err))
    names = set(read(os.path.join(d, "env_names.txt")).split())
    for n in sorted(names):
        o["env:" + n] = "set"
    r = s.run(["scontrol", "show", "job", jid])
    keys = set(re.findall(r"(?:^|\s)([A-Za-z][A-Za-z/:]*)=", r.out))
    for k in sorted(keys):
        o["scontrol-key:" + k] = "present"
    kv = dict(re.findall(r"(?:^|\s)(JobName|JobState|ExitCode|NumNodes|NumCPUs|NumTasks|"
                         r"CPUs/Task|TimeLimit|MinMemoryNode|Partition|Command|WorkDir|"
                         r"StdOut|StdErr)=(\S*)", r.out))
    for k, v in kv.items():
        o["scontrol:" + k] = s.norm(v.replace(d, "DIR"))
    return o


def case_array(s):
    d = s.mkdir("array")
    s.script(d, "arr.sh", "#!/bin/sh\n#SBATCH --array=1-3\n#SBATCH -o arr_%A_%a.out\n"
                          "echo task=$SLURM_ARRAY_TASK_ID count=$SLURM_ARRAY_TASK_COUNT "
                          "min=$SLURM_ARRAY_TASK_MIN max=$SLURM_ARRAY_TASK_MAX\n")
    jid = s.submit("arr.sh", cwd=d)
    o = {}
    for i in (1, 2, 3):
        s.wait_file(os.path.join(d, "arr_%s_%d.out" % (jid, i)))
    for i in (1, 2, 3):
        s.wait_done(jid + "_%d" % i)
    o["files"] = " ".join(sorted(s.norm(f) for f in os.listdir(d) if f != "arr.sh"))
    for i in (1, 2, 3):
        o["out%d" % i] = read(os.path.join(d, "arr_%s_%d.out" % (jid, i))).strip()
    r = s.run(["squeue", "-h", "-j", jid, "-t", "all", "-o", "%i %T"])
    o["squeue -j ARRAY -t all"] = " / ".join(sorted(s.norm(l) for l in lines(r.out)))
    r = s.run(["squeue", "-h", "-j", jid + "_2", "-t", "all", "-o", "%i %T"])
    o["squeue -j ARRAY_2 -t all"] = s.norm(r.out.strip())
    return o


def case_dependency(s):
    a = s.submit("--wrap 'exit 0'")
    b = s.submit("--dependency=afterok:%s --wrap true" % a)
    f = s.submit("--wrap 'exit 3'")
    n = s.submit("--dependency=afterok:%s --wrap true" % f)
    s.wait_done([a, b, f])
    o = {}
    for name, jid in (("dep-ok", b), ("failed", f)):
        r = s.run(["squeue", "-h", "-j", jid, "-t", "all", "-o", "%T|%r"])
        o[name] = s.norm(r.out.strip())
    for _ in range(100):
        r = s.run(["squeue", "-h", "-j", n, "-t", "all", "-o", "%T|%r"])
        if "Never" in r.out or "CANCELLED" in r.out:
            break
        time.sleep(0.1)
    o["dep-never"] = r.out.strip()
    s.run(["scancel", n])
    r = s.run(["scontrol", "show", "job", f])
    o["failed ExitCode"] = (re.search(r"ExitCode=(\S+)", r.out) or [None, "-"])[1]
    return o


def case_squeue(s):
    h = s.submit("-H -J compat_held -t 10 -c 2 --mem=200M --wrap true")
    o = {}
    for fmt in ("%i %j %T %r %P %D %C %l", "%.18i %.9P %.8j %.8u %.2t %.10M %.6D %R",
                "%A %F %K %t %u %m %c %N"):
        r = s.run(["squeue", "-h", "-j", h, "-o", fmt])
        # Ids differ in length: the placeholder keeps fields, the width is checked apart.
        o["-o " + fmt] = "rc=%d %s" % (r.rc, " ".join(s.norm(r.out).split()))
        if "%." in fmt:
            o["-o " + fmt + " (width)"] = str(len(r.out.rstrip("\n")))
    r = s.run(["squeue", "-h", "-j", h, "-O", "JobID,Name,State,Reason,Partition,NumNodes"])
    o["-O JobID,Name,State,Reason,Partition,NumNodes"] = "rc=%d %s" % (
        r.rc, " ".join(s.norm(r.out).split()))
    for opt, fmt in (("-O", "Sockets,Cores,Threads"), ("-O", "exit_code"), ("-o", "%H %I %J")):
        r = s.run(["squeue", "-j", h, opt, fmt])
        o[opt + " " + fmt] = "rc=%d %s" % (r.rc, " ".join(r.out.split()))
    r = s.run(["squeue", "-j", h])
    o["header"] = lines(r.out)[0].split().__repr__()
    r = s.run(["squeue", "-l", "-j", h])
    ls = lines(r.out)
    o["-l header"] = repr(ls[1].split() if len(ls) > 1 else ls)
    o["-l date"] = re.sub(r"\d", "N", ls[0]) if ls else ""
    # -O columns are exactly their width, no blank between; text after the
    # width is a suffix (ids differ in length: widths checked on the padding).
    r = s.run(["squeue", "-h", "-j", h, "-O", "JobID:10,State:8,Name"])
    o["-O JobID:10,State:8,Name"] = "rc=%d len=%d %s" % (
        r.rc, len(r.out.rstrip("\n")), r.out[10:].rstrip("\n"))
    r = s.run(["squeue", "-h", "-j", h, "-O", "JobID:|,State:.|,Name:5"])
    o["-O JobID:|,State:.|,Name:5"] = "rc=%d %s" % (r.rc, s.norm(r.out.rstrip("\n")))
    # -S: Slurm's sort keys (a second held job to order against the first).
    h2 = s.submit("-H -J compat_a -t 30 --wrap true")
    for spec in ("j", "-j", "+l", "-l"):
        r = s.run(["squeue", "-h", "-j", "%s,%s" % (h, h2), "-S", spec, "-o", "%j"])
        o["-S " + spec] = "rc=%d %s" % (r.rc, " ".join(r.out.split()))
    s.run(["scancel", h2])
    het = s.submit("-H -n1 --wrap true : -n1")
    r = s.run(["squeue", "-t", "all", "-O", "HetJobID,HetJobOffset", "-j", "%s,%s" % (h, het)])
    o["-O HetJobID,HetJobOffset"] = " / ".join(sorted(" ".join(s.norm(l).split())
                                                     for l in lines(r.out)))
    s.run(["scancel", het])
    s.run(["scancel", h])
    s.wait_done(h)
    done = s.submit("--wrap true")
    s.wait_done(done)
    r = s.run(["squeue", "-h", "-j", done])
    o["finished job, -j only"] = "rc=%d lines=%d" % (r.rc, len(lines(r.out)))
    r = s.run(["squeue", "-h", "-j", done, "-t", "all", "-o", "%T"])
    o["finished job, -t all"] = "rc=%d %s" % (r.rc, r.out.strip())
    r = s.run(["squeue", "-h", "-j", h, "-t", "all", "-o", "%T %r"])
    o["cancelled job, -t all"] = "rc=%d %s" % (r.rc, r.out.strip())
    return o


def case_sinfo(s):
    o = {}
    for fmt in ("%P %a %l %D %t %N", "%N %c %m %T", "%P %C", "%R %F"):
        r = s.run(["sinfo", "-h", "-o", fmt])
        o["-o " + fmt] = "rc=%d %s" % (r.rc, s.norm(r.out.rstrip()))
    r = s.run(["sinfo", "-h", "-N", "-o", "%N %P %T"])
    o["-N -o %N %P %T"] = s.norm(r.out.rstrip())
    r = s.run(["sinfo"])
    o["default"] = s.norm(r.out.rstrip())
    r = s.run(["sinfo", "-N", "-O", "NodeList,AllocMem,features_act"])
    o["-N -O NodeList,AllocMem,features_act"] = " ".join(r.out.split())
    r = s.run(["sinfo", "-o", "%N %d"])
    o["-o %N %d"] = s.norm(" ".join(r.out.split()))
    # Positional parsers read these columns: the header words, one node's count.
    for opts in (["-N", "-e", "-l"], ["-l"]):
        r = s.run(["sinfo"] + opts)
        ls = lines(r.out)
        o["%s date" % " ".join(opts)] = re.sub(r"\d", "N", ls[0]) if ls else ""
        o["%s header" % " ".join(opts)] = "rc=%d %s" % (r.rc, ls[1].split() if len(ls) > 1 else ls)
        o["%s columns" % " ".join(opts)] = str(len(ls[2].split()) if len(ls) > 2 else ls)
    for st in ("idle", "drain", "mix,ALLOC"):
        r = s.run(["sinfo", "-h", "-t", st])
        o["-t " + st] = "rc=%d %s" % (r.rc, s.norm(" ".join(r.out.split())))
    r = s.run(["sinfo", "-N", "-O", "Port"])
    o["-N -O Port (header)"] = (lines(r.out) or [""])[0].strip()
    r = s.run(["scontrol", "show", "node", "n1"])
    kv = dict(re.findall(r"(?:^|\s)(\w+)=(\S*)", r.out))
    for k in ("CPUAlloc", "CPUEfctv", "CPUTot", "RealMemory", "AllocMem", "TmpDisk", "Sockets",
              "CoresPerSocket", "ThreadsPerCore", "Boards", "Weight", "State"):
        o["scontrol show node: " + k] = kv.get(k, "<absent>")
    r = s.run(["scontrol", "show", "partition", "batch"])
    kv = dict(re.findall(r"(?:^|\s)(\w+)=(\S*)", r.out))
    for k in ("MaxCPUsPerNode", "PriorityTier", "MaxNodes", "MaxTime", "MinNodes", "Default",
              "State", "TotalCPUs", "TotalNodes"):
        o["scontrol show partition: " + k] = kv.get(k, "<absent>")
    return o


def case_sacct(s):
    jid = s.submit("--wrap 'exit 2'")
    s.wait_done(jid)
    r = s.run(["sacct", "-n", "-P", "-X", "-j", jid, "-o", "JobID,State,ExitCode"])
    return {"-n -P -X -o JobID,State,ExitCode": "rc=%d %s" % (r.rc, s.norm(r.out.strip())),
            "stderr": s.norm(r.err.strip())}


def case_exit_codes(s):
    o = {}
    for code in (0, 1, 42):
        jid = s.submit("--wrap 'exit %d'" % code)
        s.wait_done(jid)
        r = s.run(["scontrol", "show", "job", jid])
        m = re.search(r"JobState=(\S+).*?ExitCode=(\S+)", r.out, re.S)
        o["exit %d" % code] = "%s %s" % m.groups() if m else r.out
        r = s.run(["squeue", "-h", "-t", "all", "-j", jid, "-O", "exit_code"])
        o["exit %d: squeue -O exit_code" % code] = r.out.strip()
    jid = s.submit("-t 1 --wrap 'kill -9 $$'")
    s.wait_done(jid)
    r = s.run(["scontrol", "show", "job", jid])
    m = re.search(r"JobState=(\S+).*?ExitCode=(\S+)", r.out, re.S)
    o["killed by signal"] = "%s %s" % m.groups() if m else r.out
    r = s.run(["squeue", "-h", "-t", "all", "-j", jid, "-O", "exit_code"])
    o["killed by signal: squeue -O exit_code"] = r.out.strip()
    return o


BAD = [
    "sbatch --no-such-option --wrap true",
    "sbatch -t bogus --wrap true",
    "sbatch -p nosuch --wrap true",
    "sbatch --mem=lots --wrap true",
    "sbatch -N 0 --wrap true",
    "sbatch -c 64 --wrap true",
    "sbatch --array=5-1 --wrap true",
    "sbatch --dependency=afterok:999999 --wrap true",
    "sbatch /nonexistent/script.sh",
    "sbatch",
    "squeue --bogus",
    "squeue -j 999999",
    "squeue -o '%i' -t NOSUCHSTATE",
    "scontrol show job 999999",
    "scontrol bogus",
    "scancel 999999",
    "sinfo --bogus",
]


def case_bad_options(s):
    o = {}
    for cmd in BAD:
        r = s.sh(cmd + " </dev/null")
        first = (lines(r.err) or [""])[0]
        o[cmd] = "rc=%d %s" % (r.rc, s.norm(first))
    # Whatever a system accepted above must not stay in its queue.
    s.sh("squeue -h -o %i | xargs -r scancel")
    return o


def resv_fields(s, name):
    r = s.run(["scontrol", "show", "res", name])
    keys = ("Duration", "Nodes", "NodeCnt", "Flags", "Users", "State")
    got = dict(re.findall(r"(\w+)=(\S*)", r.out))
    return "rc=%d %s" % (r.rc, " ".join("%s=%s" % (k, got.get(k)) for k in keys))


def case_reservation(s):
    o = {}
    res = ["scontrol", "create", "res", "ReservationName=cx", "StartTime=now+1hour",
           "Duration=30", "Nodes=n1", "Users=root", "Flags=MAINT,DAILY"]
    r = s.run(res)
    o["create"] = "rc=%d %s" % (r.rc, r.out.strip())
    o["show"] = s.norm(s.run(["scontrol", "show", "res", "cx"]).out.rstrip())
    o["created"] = resv_fields(s, "cx")
    for words in (["StartTime=now+2hours"], ["Duration=45"], ["Flags-=DAILY"],
                  ["Flags+=WEEKLY,IGNORE_JOBS"], ["Flags=OVERLAP"], ["Users=root,nobody"],
                  ["Flags=BOGUS"], ["Nodes=n9"]):
        r = s.run(["scontrol", "update", "ReservationName=cx"] + words)
        o["update " + " ".join(words)] = "rc=%d %s; %s" % (r.rc, r.out.strip(),
                                                          resv_fields(s, "cx"))
    # A job held off by a maintenance reservation on its node says so.
    r = s.run(["scontrol", "create", "res", "ReservationName=mx", "StartTime=now", "Duration=30",
               "Nodes=n1", "Users=root", "Flags=MAINT"])
    jid = s.submit("-t 5 --wrap true")
    deadline = time.monotonic() + 30
    while True:
        reason = s.run(["squeue", "-h", "-j", jid, "-o", "%r"]).out.strip()
        if reason not in ("", "None") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    o["pending in MAINT: squeue %r"] = reason
    r = s.run(["scontrol", "show", "job", jid])
    o["pending in MAINT: scontrol Reason"] = (re.findall(r"Reason=(\S+)", r.out) or [""])[0]
    s.run(["scancel", jid])
    s.run(["scontrol", "delete", "ReservationName=mx"])
    r = s.run(["scontrol", "update", "ReservationName=nosuch", "Duration=5"])
    o["update nosuch"] = "rc=%d" % r.rc
    r = s.run(["scontrol", "delete", "ReservationName=cx"])
    o["delete"] = "rc=%d %s" % (r.rc, r.out.strip())
    return o


# Options that only tune performance, and -Q: the script runs on both.
NO_EFFECT = ["--ntasks-per-core=1", "--cpu-freq=high", "--switches=1", "--get-user-env",
             "-m block", "-m cyclic", "--hint=nomultithread", "--propagate=STACK", "-Q",
             "--quiet --parsable", "--mem-bind=local", "--gpu-bind=closest",
             "--gres-flags=enforce-binding", "--sockets-per-node=1", "--ntasks-per-socket=1",
             "--wait-all-nodes=1", "--spread-job", "--use-min-nodes", "--ignore-pbs"]


def case_noeffect_options(s):
    o = {}
    for opt in NO_EFFECT:
        r = s.sh("sbatch %s -o /dev/null --wrap true" % opt)
        out = r.out.strip()
        if out.isdigit() or out.startswith("Submitted batch job "):
            s.ids.append(out.split()[-1])
        o[opt] = "rc=%d %s" % (r.rc, re.sub(r"\d+", "N", out) or "(nothing)")
    return o


CASES = [case_sbatch_output, case_hpc_script, case_array, case_dependency, case_squeue,
         case_sinfo, case_sacct, case_exit_codes, case_bad_options, case_reservation,
         case_noeffect_options]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__[5:] for c in CASES])
def test_case(case, slurm, sluice, known):
    name = case.__name__[5:]
    slurm.ids, sluice.ids = [], []
    a = case(slurm)
    b = case(sluice)
    compare(name, a, b, known)


def test_known_differences_parse(known):
    """Every entry names a case that exists (a typo would hide nothing)."""
    from test_compat_json import CASE_NAMES
    names = {c.__name__[5:] for c in CASES} | set(CASE_NAMES)
    for c, i, why, n in known.entries:
        assert any(fnmatch.fnmatchcase(x, c) for x in names), \
            "known-differences.txt:%d: no case matches %r" % (n, c)
