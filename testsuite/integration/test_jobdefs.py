"""Job definitions (issue 3): register (name:revision printed), revisions,
parameters (Ref::) with defaults and --param, unresolved parameters, overrides
on the command line, a replaced command, container images refused,
deregister (INACTIVE: refused for new jobs, still shown), definitions kept
across a controller restart, malformed definition files."""

import json
import os
import re

import pytest

from modelutil import fail_run, show, wait_done


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=2, cpus=4, mem=4000, append="KillWait=2\n")


def write_def(cluster, d, obj, name="def.json"):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(obj if isinstance(obj, str) else json.dumps(obj, indent=2))
    return path


def register(cluster, path):
    r = cluster.run(cluster.bin("scontrol"), "register", "jobdefinition", "file=" + path)
    return r


SWEEP = {
    "jobDefinitionName": "sweep",
    "type": "container",
    "parameters": {"msg": "hello", "n": "3"},
    "containerProperties": {
        "command": ["/bin/sh", "-c",
                    "echo Ref::msg Ref::n; echo MODE=$MODE; echo TL=$SLURM_RESTART_COUNT"],
        "environment": [{"name": "MODE", "value": "fast"}],
        "resourceRequirements": [{"type": "VCPU", "value": "2"},
                                 {"type": "MEMORY", "value": "256"}],
    },
    "retryStrategy": {"attempts": 2, "evaluateOnExit": [{"action": "RETRY", "onExitCode": "75"}]},
    "timeout": {"attemptDurationSeconds": 600},
    "schedulingPriority": 10,
    "tags": {"team": "ml"},
}


@pytest.fixture(scope="module")
def sweep(cluster):
    """sweep:1 and sweep:2 registered."""
    d = cluster.mkdir("defs")
    path = write_def(cluster, d, SWEEP)
    r = register(cluster, path)
    assert r.rc == 0, r
    m = re.match(r"^sweep:(\d+)\s*$", r.out)
    assert m, r
    first = int(m.group(1))
    r = register(cluster, path)
    assert r.rc == 0 and r.out.strip() == "sweep:%d" % (first + 1), r
    return first, first + 1


def test_register_and_show(cluster, sweep):
    first, second = sweep
    recs = show(cluster, "jobdefinition", "sweep:%d" % second)
    assert len(recs) == 1, recs
    rec = recs[0]
    assert rec["JobDefinitionName"] == "sweep" and rec["Revision"] == str(second), rec
    assert rec["Status"] == "ACTIVE", rec
    assert "Ref::msg" in rec["Command"], rec
    assert rec["Vcpus"] == "2" and rec["Memory"] == "256", rec
    assert rec["Attempts"] == "2", rec
    assert "RETRY,onExitCode=75" in rec["RetryRules"], rec
    assert rec["Timeout"] == "00:10:00", rec
    assert rec["SchedulingPriority"] == "10", rec
    assert "MODE=fast" in rec["Environment"], rec
    assert set(rec["Parameters"].split(",")) == {"msg=hello", "n=3"}, rec
    assert "team=ml" in rec["Tags"], rec
    # All revisions by name.
    revs = {r["Revision"] for r in show(cluster, "jobdefinition", "sweep")}
    assert {str(first), str(second)} <= revs, revs


def test_submit_with_params_and_defaults(cluster, sweep):
    d = cluster.mkdir("params")
    jid = cluster.submit("--job-definition=sweep:%d" % sweep[1], "--param", "msg=bye",
                         "-o", "out.txt", cwd=d)
    j = wait_done(cluster, jid)
    assert j["JobState"] == "COMPLETED", j
    assert j["JobDefinition"] == "sweep:%d" % sweep[1], j
    assert j["NumCPUs"] == "2", j
    assert j["TimeLimit"] == "00:10:00", j
    assert j["Attempts"] == "1/2", j
    out = open(os.path.join(d, "out.txt")).read().splitlines()
    assert out[0] == "bye 3", out                   # --param, then the default
    assert "MODE=fast" in out, out


def test_latest_revision_and_param_repeat(cluster, sweep):
    d = cluster.mkdir("latest")
    jid = cluster.submit("--job-definition=sweep", "--param", "n=1", "--param", "n=7",
                         "-o", "out.txt", cwd=d)
    j = wait_done(cluster, jid)
    assert j["JobState"] == "COMPLETED", j
    assert j["JobDefinition"] == "sweep:%d" % sweep[1], j       # latest ACTIVE
    assert open(os.path.join(d, "out.txt")).read().splitlines()[0] == "hello 7"


def test_command_line_overrides(cluster, sweep):
    d = cluster.mkdir("override")
    jid = cluster.submit("-H", "--job-definition=sweep:%d" % sweep[1], "-t", "5", "--attempts=4",
                         "-c", "1", "-J", "renamed", "--export=ALL,MODE=slow", "-o", "out.txt",
                         cwd=d)
    j = cluster.job(jid)
    assert j["TimeLimit"] == "00:05:00", j
    assert j["Attempts"] == "1/4", j
    assert j["CPUs/Task"] == "1", j                       # the definition says 2
    assert j["JobName"] == "renamed", j
    cluster.ok(cluster.bin("scontrol"), "release", str(jid))
    assert wait_done(cluster, jid)["JobState"] == "COMPLETED"
    out = open(os.path.join(d, "out.txt")).read().splitlines()
    assert "MODE=slow" in out, out


def test_command_replaced(cluster, sweep):
    d = cluster.mkdir("cmd")
    jid = cluster.submit("--job-definition=sweep", "-o", "out.txt", "/bin/echo", "replaced",
                         "Ref::msg", cwd=d)
    assert wait_done(cluster, jid)["JobState"] == "COMPLETED"
    text = open(os.path.join(d, "out.txt")).read()
    assert text.startswith("replaced"), text
    assert "MODE" not in text, text


def test_unresolved_parameter_refused(cluster):
    d = cluster.mkdir("unresolved")
    obj = {"jobDefinitionName": "needs", "type": "container",
           "containerProperties": {"command": ["echo", "Ref::missing", "Ref::given"]}}
    r = register(cluster, write_def(cluster, d, obj))
    assert r.rc == 0, r
    r = fail_run(cluster, cluster.bin("sbatch"), "--job-definition=needs", "--param", "given=1",
                 cwd=d)
    assert "missing" in r.err, r
    jid = cluster.submit("--job-definition=needs", "--param", "given=1", "--param", "missing=2",
                         "-o", "out.txt", cwd=d)
    assert wait_done(cluster, jid)["JobState"] == "COMPLETED"
    assert open(os.path.join(d, "out.txt")).read() == "2 1\n"


def test_container_image_refused(cluster):
    d = cluster.mkdir("image")
    obj = {"jobDefinitionName": "img", "type": "container",
           "containerProperties": {"image": "busybox", "command": ["true"]}}
    r = fail_run(cluster, cluster.bin("scontrol"), "register", "jobdefinition",
                 "file=" + write_def(cluster, d, obj))
    assert "container image" in r.err.lower(), r
    assert show(cluster, "jobdefinition", "img") == []


def test_unknown_definition_refused(cluster):
    r = fail_run(cluster, cluster.bin("sbatch"), "--job-definition=nosuchdef")
    assert "nosuchdef" in r.err, r
    r = fail_run(cluster, cluster.bin("sbatch"), "--job-definition=sweep:999")
    assert "sweep:999" in r.err or "999" in r.err, r


def test_deregister(cluster, sweep):
    d = cluster.mkdir("dereg")
    first = sweep[0]
    old = cluster.submit("-H", "--job-definition=sweep:%d" % first, "-o", "/dev/null", cwd=d)
    cluster.ok(cluster.bin("scontrol"), "deregister", "jobdefinition", "sweep:%d" % first)
    rec = show(cluster, "jobdefinition", "sweep:%d" % first)
    assert rec and rec[0]["Status"] == "INACTIVE", rec
    r = fail_run(cluster, cluster.bin("sbatch"), "--job-definition=sweep:%d" % first, cwd=d)
    assert "INACTIVE" in r.err or "inactive" in r.err, r
    # Listing by name hides INACTIVE revisions unless -a.
    assert str(first) not in {x["Revision"] for x in show(cluster, "jobdefinition", "sweep")}
    assert str(first) in {x["Revision"] for x in show(cluster, "jobdefinition", "sweep",
                                                      all_=True)}
    # The job submitted before still refers to it and runs.
    assert cluster.job(old)["JobDefinition"] == "sweep:%d" % first
    cluster.ok(cluster.bin("scontrol"), "release", str(old))
    assert wait_done(cluster, old)["JobState"] == "COMPLETED"
    r = fail_run(cluster, cluster.bin("scontrol"), "deregister", "jobdefinition", "nosuch:1")
    assert "nosuch" in r.err, r


def test_definitions_survive_controller_restart(cluster, sweep):
    first, second = sweep
    cluster.restart("controller")
    rec = show(cluster, "jobdefinition", "sweep:%d" % second)
    assert rec and rec[0]["Status"] == "ACTIVE" and rec[0]["Attempts"] == "2", rec
    rec = show(cluster, "jobdefinition", "sweep:%d" % first)
    assert rec and rec[0]["Status"] == "INACTIVE", rec
    d = cluster.mkdir("afterrestart")
    r = register(cluster, write_def(cluster, d, SWEEP))
    assert r.rc == 0 and r.out.strip() == "sweep:%d" % (second + 1), r
    jid = cluster.submit("--job-definition=sweep", "-o", "out.txt", cwd=d)
    assert wait_done(cluster, jid)["JobState"] == "COMPLETED"
    assert open(os.path.join(d, "out.txt")).read().splitlines()[0] == "hello 3"


@pytest.mark.parametrize("text,words", [
    ('{"jobDefinitionName": "x", "containerProperties": {"command": ["true"]]}', ["bad.json", ":"]),
    ('{"containerProperties": {"command": ["true"]}}', ["jobDefinitionName"]),
    ('[1, 2]', ["bad.json"]),
    ('{"jobDefinitionName": "x", "type": "container", "containerProperties": {"command": "true"}}',
     ["command"]),
    ('{"jobDefinitionName": "bad name!", "type": "container",'
     ' "containerProperties": {"command": ["true"]}}', ["jobDefinitionName"]),
    ('{"jobDefinitionName": "x", "type": "container", "retryStrategy": {"attempts": 11},'
     ' "containerProperties": {"command": ["true"]}}', ["attempts"]),
    ('{"jobDefinitionName": "x", "type": "container", "containerProperties": {"command": ["true"],'
     ' "resourceRequirements": [{"type": "VCPU", "value": "lots"}]}}', ["lots"]),
    ('{"jobDefinitionName": "x", "type": "weird", "containerProperties": {"command": ["true"]}}',
     ["type"]),
    ('{"jobDefinitionName": "x", "containerProperties": {"command": ["true"]}}', ["type"]),
])
def test_malformed_definition_refused(cluster, text, words):
    d = cluster.mkdir("baddef")
    path = write_def(cluster, d, text, name="bad.json")
    r = fail_run(cluster, cluster.bin("scontrol"), "register", "jobdefinition", "file=" + path)
    for w in words:
        assert w in r.err, r
    assert show(cluster, "jobdefinition", "x") == []


def test_missing_definition_file(cluster):
    r = fail_run(cluster, cluster.bin("scontrol"), "register", "jobdefinition",
                 "file=/nonexistent/def.json")
    assert "/nonexistent/def.json" in r.err, r
