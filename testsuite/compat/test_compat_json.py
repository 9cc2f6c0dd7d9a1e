"""--json outputs of squeue, sinfo and sacct against Slurm 22.05's: the key
sets, recursively, with value types (jsonshape.py).  The same jobs run on
both sides (running, held, an array, a failed one); each key path is an
item, its types the observation, so compare() and known-differences.txt
work as for the other cases (case name json_shapes).  Slurm's sacct here
has no database and refuses: its shape comes from sacct-json-shape.txt,
listed from 22.05's dumper tables."""

import json
import os
import time

from compare import compare
import jsonshape

HERE = os.path.dirname(os.path.abspath(__file__))
CASE_NAMES = ["json_shapes"]


def wait_running(s, jid, timeout=60):
    deadline = time.monotonic() + timeout
    while s.job_state(jid) != "RUNNING":
        assert time.monotonic() < deadline, "%s: job %s not running" % (s.name, jid)
        time.sleep(0.1)


def parsed(s, argv):
    r = s.run(argv)
    assert r.rc == 0, "%s: %r" % (s.name, r)
    return json.loads(r.out)


def shapes(s):
    run = s.submit("-J json_run --mem=100M -t 5 --wrap 'sleep 120'")
    held = s.submit("-H -J json_held --mem=100M --wrap true")
    arr = s.submit("--array=1-2 --mem=100M --wrap 'sleep 120'")
    failed = s.submit("--mem=100M --wrap 'exit 3'")
    s.wait_done(failed)
    wait_running(s, run)
    wait_running(s, arr + "_1")
    out = {}
    for cmd, argv in (("squeue", ["squeue", "--json"]), ("sinfo", ["sinfo", "--json"])):
        for p, t in jsonshape.shape(parsed(s, argv)).items():
            out["%s:%s" % (cmd, p)] = t
    # Cancelled ones (signal 15) show exit_code.signal too.
    s.run(["scancel", run, arr])
    s.wait_done([run, arr + "_1"])
    r = s.run(["sacct", "--json", "-j", ",".join([run, failed, arr])])
    if s.name == "slurm" and r.rc != 0 and "accounting storage is disabled" in r.err:
        sa = jsonshape.read_shape(os.path.join(HERE, "sacct-json-shape.txt"))
    else:
        assert r.rc == 0, "%s: %r" % (s.name, r)
        sa = jsonshape.shape(json.loads(r.out))
    for p, t in sa.items():
        out["sacct:" + p] = t
    s.run(["scancel", held])
    return out


def test_json_shapes(slurm, sluice, known):
    slurm.ids, sluice.ids = [], []
    a, b = shapes(slurm), shapes(sluice)
    a, b = jsonshape.unify(a, b)
    compare("json_shapes", a, b, known)
