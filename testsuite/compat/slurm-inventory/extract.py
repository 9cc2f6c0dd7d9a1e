#!/usr/bin/python3
"""Enumerate Slurm's interface mechanically from the installed Slurm 22.05
(Debian's slurm-wlm): its man pages and --help output, and, with
--scontrol, the keys `scontrol show job/node/partition` prints on a private
Slurm (slurmrig.py; needs root).  Writes one item a line into this
directory; doc/slurm-compat.md must have a row for each (test_doc.py).

    python3 testsuite/compat/slurm-inventory/extract.py [--live]

Files written (NAME.txt, sorted, one item a line):
  commands.txt             the commands, "name<TAB>installed|not-installed"
  options-CMD.txt          CMD's options: "--long<TAB>-s" (or "-s<TAB>-s")
  squeue-o.txt squeue-O.txt sinfo-o.txt sinfo-O.txt sacct-format.txt
                           the output fields (-o letters, -O / --format names)
  env-input.txt            "CMD<TAB>VAR": variables a command reads
  env-output.txt           "CMD<TAB>VAR": variables sbatch/srun/salloc set in jobs
  scontrol-job.txt scontrol-node.txt scontrol-partition.txt
                           the keys `scontrol show X` prints (--live only)
  env-job.txt              "batch|step<TAB>VAR": S* variables a job sees (--live only)
"""

import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
COMMANDS = ["sbatch", "srun", "salloc", "squeue", "sinfo", "sacct", "scontrol", "scancel",
            "sacctmgr", "sprio", "sshare", "sstat", "sattach", "sbcast", "seff", "strigger",
            "sreport", "sdiag", "scrontab", "sh5util", "sview", "smap"]


def man(cmd):
    r = subprocess.run(["man", "-P", "cat", cmd], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True, env=dict(os.environ, MANWIDTH="80"))
    return r.stdout if r.returncode == 0 else ""


def sections(text):
    """{SECTION TITLE: body} of a formatted man page."""
    out, cur = {}, None
    for line in text.splitlines():
        if re.match(r"^[A-Z][A-Z ,/-]+$", line):
            cur = line.strip()
            out[cur] = []
        elif cur:
            out[cur].append(line)
    return {k: "\n".join(v) for k, v in out.items()}


def help_text(cmd, env):
    r = subprocess.run([cmd, "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL, text=True, env=env, timeout=30)
    return r.stdout


def options(cmd, page, env):
    """{--long or -s: -s or ''} from the man page's option lines (7-space
    indent) and --help's (2 to 6)."""
    s = sections(page)
    body = s.get("OPTIONS", "") + "\n" + s.get("ARGUMENTS", "")
    lines = [l for l in body.splitlines() if re.match(r"^ {7}-", l)]
    lines += [l for l in help_text(cmd, env).splitlines() if re.match(r"^ {1,8}-", l)]
    opts = {}
    for l in lines:
        head = re.split(r"\s{2,}", l.strip())[0]
        shorts = re.findall(r"(?:^|[\s,])(-[A-Za-z0-9?])\b", head)
        longs = re.findall(r"(--[A-Za-z0-9][A-Za-z0-9_-]*)", head)
        short = shorts[0] if shorts else ""
        for name in longs or shorts[:1]:
            if name not in opts or not opts[name]:
                opts[name] = short
    mapped = {v for k, v in opts.items() if k.startswith("--") and v}
    return {k: v for k, v in opts.items() if k.startswith("--") or k not in mapped}


def block(page, start_re):
    """The lines of the option block that starts at start_re, up to the next option."""
    lines = page.splitlines()
    for i, l in enumerate(lines):
        if re.match(start_re, l):
            out = []
            for m in lines[i + 1:]:
                if re.match(r"^ {7}-|^[A-Z]", m):
                    break
                out.append(m)
            return out
    return []


def letters(page, start_re):
    return sorted({m.group(1) for l in block(page, start_re)
                   for m in [re.match(r"^ {14}(%[A-Za-z])(\s|$)", l)] if m})


def names(lines):
    """Field names: 14-space indent, capitalised or snake_case (not a word
    of a wrapped sentence)."""
    return sorted({m.group(1) for l in lines
                   for m in [re.match(r"^ {14}([A-Za-z][A-Za-z0-9_]*)(\s{2,}|$)", l)]
                   if m and (m.group(1)[0].isupper() or "_" in m.group(1))}, key=str.lower)


def env_vars(text):
    return sorted({m.group(1) for l in text.splitlines()
                   for m in [re.match(r"^ {7}([A-Z][A-Z0-9_#*]+)(\s|$)", l)] if m})


def write(name, items):
    with open(os.path.join(HERE, name), "w") as f:
        for it in items:
            f.write(it + "\n")


JOB = """#!/bin/sh
env | sed -n 's/^\\(S[A-Z0-9_]*\\)=.*/batch\t\\1/p'
srun -n1 env | sed -n 's/^\\(S[A-Z0-9_]*\\)=.*/step\t\\1/p'
"""


def live():
    """The keys scontrol show job/node/partition prints, and the names of the
    S* variables a batch job and its step see, from a private Slurm."""
    sys.path.insert(0, os.path.dirname(HERE))
    import slurmrig
    d = tempfile.mkdtemp(prefix="inventory-slurm-", dir="/tmp")
    rig = slurmrig.SlurmRig(d)
    import shutil
    why = rig.start()
    if why:
        sys.exit("extract.py --scontrol: Slurm cannot run here: " + why)
    try:
        # A plain held job, one with the options whose keys Slurm prints
        # only when they are set, and a heterogeneous one.
        jid = rig.run(["sbatch", "--parsable", "-H", "--wrap", "true"]).out.strip()
        rich = rig.run(["sbatch", "--parsable", "-H", "-a", "1-2", "--comment=c",
                        "--begin=now+3600", "--mail-type=END", "--mail-user=root",
                        "--mem-per-cpu=10", "-d", "afterok:" + jid, "--wrap", "true"]
                       ).out.strip()
        het = rig.run(["sbatch", "--parsable", "-H", "-n1", "--wrap", "true", ":", "-n1"]
                      ).out.strip()
        out = {}
        for what, args in (("job", [jid, rich, het]), ("node", [slurmrig.NODE]),
                           ("partition", [slurmrig.PARTITION])):
            seen = set()
            for arg in args:
                r = rig.run(["scontrol", "show", what, arg])
                seen |= set(re.findall(r"(?:^|\s)([A-Za-z][A-Za-z/:_]*)=", r.out))
            out[what] = sorted(seen)
        rig.run(["scancel", jid, rich, het])
        work = os.path.join(d, "work")
        os.makedirs(work)
        with open(os.path.join(work, "env.sh"), "w") as f:
            f.write(JOB)
        rig.run(["sbatch", "-o", "env.out", "env.sh"], cwd=work)
        path = os.path.join(work, "env.out")
        slurmrig.wait_until(lambda: "step\t" in open(path).read()
                            if os.path.exists(path) else False, 60)
        with open(path) as f:
            out["env-job"] = sorted(set(
                l for l in f.read().splitlines()
                if re.match(r"^\w+\t(SLURM|SRUN_|SBATCH_|SALLOC_)", l)))
        return out
    finally:
        rig.stop()
        shutil.rmtree(d, ignore_errors=True)


def main():
    with tempfile.TemporaryDirectory() as d:
        # --help reads slurm.conf; a stub one suffices (no daemon is asked).
        conf = os.path.join(d, "slurm.conf")
        with open(conf, "w") as f:
            f.write("ClusterName=x\nSlurmctldHost=localhost\nNodeName=n1 CPUs=1\n"
                    "PartitionName=p Nodes=n1\n")
        env = dict(os.environ, SLURM_CONF=conf)
        cmds, env_in, env_out = [], [], []
        for cmd in COMMANDS:
            page = man(cmd)
            installed = os.access("/usr/bin/" + cmd, os.X_OK)
            cmds.append("%s\t%s" % (cmd, "installed" if installed else "not-installed"))
            if not installed:
                continue
            opts = options(cmd, page, env)
            write("options-%s.txt" % cmd, sorted("%s\t%s" % (k, v) for k, v in opts.items()))
            s = sections(page)
            for title in ("INPUT ENVIRONMENT VARIABLES", "ENVIRONMENT VARIABLES"):
                env_in += ["%s\t%s" % (cmd, v) for v in env_vars(s.get(title, ""))]
            env_out += ["%s\t%s" % (cmd, v)
                        for v in env_vars(s.get("OUTPUT ENVIRONMENT VARIABLES", ""))]
            if cmd in ("squeue", "sinfo"):
                write("%s-o.txt" % cmd, letters(page, r"^ {7}-o, --format"))
                write("%s-O.txt" % cmd, names(block(page, r"^ {7}-O, --Format")))
            if cmd == "sacct":
                text = page.split("Job Accounting Fields", 1)[-1].split("\nJOB STATE CODES")[0]
                write("sacct-format.txt", names(text.splitlines()))
        write("commands.txt", cmds)
        write("env-input.txt", sorted(set(env_in)))
        write("env-output.txt", sorted(set(env_out)))
    if "--live" in sys.argv[1:]:
        for what, keys in live().items():
            write(what + ".txt" if what == "env-job" else "scontrol-%s.txt" % what, keys)


if __name__ == "__main__":
    main()
