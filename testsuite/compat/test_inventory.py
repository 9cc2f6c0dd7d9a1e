"""The inventory's states (doc/slurm-compat.md, 'Every Slurm 22.05 item')
against running systems: every field marked accepted runs on Sluice, the
`scontrol show` keys agree with what Sluice prints, and the S* variables of
a batch job, its srun step and a salloc, on Slurm and on Sluice, agree with
the variables' rows."""

import os
import re
import time

import pytest

import inventory

ENV_JOB = """#!/bin/sh
env | sed -n 's/^\\(S[A-Z0-9_]*\\)=.*/batch \\1/p'
srun -n1 env | sed -n 's/^\\(S[A-Z0-9_]*\\)=.*/step \\1/p'
echo done
"""
NAME = re.compile(r"^(SLURM|SRUN_|SBATCH_|SALLOC_)")


@pytest.fixture(scope="module")
def states():
    if not inventory.have_build():
        pytest.skip("no built commands under %s" % inventory.build_dir())
    return inventory.render()[2]


def accepted(states, section):
    return [k for k, v in states.get(section, {}).items() if v.startswith(inventory.ACCEPTED)]


def test_accepted_fields_run(states, sluice):
    """One command line per field list, with every accepted field at once."""
    jid = sluice.submit("-H --wrap true")
    bad = []
    try:
        for section, _, cmd, args, _ in inventory.FIELDS:
            items = accepted(states, section)
            assert items, "no accepted %s fields" % section
            sep = " " if section.endswith("-o") else ","
            extra = ["-t", "all"] if cmd == "squeue" else []
            r = sluice.run([cmd] + extra + args + [sep.join(items)])
            if r.rc != 0 or r.err.strip():
                bad.append("%s: %r" % (section, r))
    finally:
        sluice.run(["scancel", jid])
    assert not bad, "fields marked accepted fail:\n" + "\n".join(bad)


def keys(text):
    return set(re.findall(r"(?:^|\s)([A-Za-z][A-Za-z0-9/:_]*)=", text))


def test_scontrol_keys(states, sluice):
    """Sluice prints every key its rows call accepted (for a held job like
    the one extract.py asked Slurm about) and no key they call refused."""
    # The three jobs slurm-inventory/extract.py shows on Slurm.
    jid = sluice.submit("-H --wrap true")
    rich = sluice.submit("-H -a 1-2 --comment=c --begin=now+3600 --mail-type=END "
                         "--mail-user=root --mem-per-cpu=10 -d afterok:%s --wrap true" % jid)
    het = sluice.submit("-H -n1 --wrap true : -n1")
    bad = []
    try:
        for section, what, _, _ in inventory.SCONTROL:
            seen = set()
            for arg in {"job": [jid, rich, het], "node": ["n1"],
                        "partition": ["batch"]}[what]:
                r = sluice.run(["scontrol", "show", what, arg])
                assert r.rc == 0, r
                seen |= keys(r.out)
            rows = states[section]
            for k in sorted(seen - set(rows)):
                bad.append("%s: Sluice prints %s, which has no row" % (section, k))
            for k, v in sorted(rows.items()):
                acc = v.startswith(inventory.ACCEPTED)
                if acc and k not in seen and v == "same":
                    bad.append("%s: %s is 'same' but Sluice does not print it" % (section, k))
                if not acc and k in seen:
                    bad.append("%s: %s is %r but Sluice prints it" % (section, k, v))
    finally:
        sluice.run(["scancel", jid, rich, het])
    assert not bad, "\n".join(bad)


def job_env(side):
    d = side.mkdir("envnames")
    side.script(d, "env.sh", ENV_JOB)
    jid = side.submit("-o env.out env.sh", cwd=d)
    side.wait_done(jid, timeout=90)
    path = os.path.join(d, "env.out")
    deadline = time.monotonic() + 30
    while "done" not in (open(path).read() if os.path.exists(path) else ""):
        assert time.monotonic() < deadline, "%s: no env.out: %r" % (
            side.name, side.run(["scontrol", "show", "job", jid]))
        time.sleep(0.1)
    names = set()
    with open(path) as f:
        for l in f:
            parts = l.split()
            if len(parts) == 2 and NAME.match(parts[1]):
                names.add(parts[1])
    # salloc runs its command where it is, in the allocation's environment.
    r = side.run(["salloc", "-n1", "/bin/sh", "-c", "env"], cwd=d, timeout=90)
    assert r.rc == 0, "%s: %r" % (side.name, r)
    names |= {l.split("=", 1)[0] for l in r.out.splitlines() if "=" in l and NAME.match(l)}
    return names


def test_job_environment(states, slurm, sluice):
    """The S* variable names of a batch job, its step and a salloc, on both systems:
    each has a row; both set it: accepted state; one only: not 'same'."""
    theirs, ours = job_env(slurm), job_env(sluice)
    rows = states["output variables"]
    bad = []
    for var in sorted(theirs | ours):
        st = rows.get(var)
        if st is None:
            bad.append("%s: no row (set by %s)" % (var, "Slurm" if var in theirs else "Sluice"))
        elif var in theirs and var in ours and not st.startswith(("same", "differs")):
            bad.append("%s: both set it, the row says %r" % (var, st))
        elif (var in theirs) != (var in ours) and st == "same":
            bad.append("%s: only %s sets it, the row says 'same'"
                       % (var, "Slurm" if var in theirs else "Sluice"))
    assert not bad, "job environment vs doc/slurm-compat.md (fix " \
        "slurm-inventory/states.txt or Sluice):\n  " + "\n  ".join(bad)
