"""--json of squeue, sacct, sinfo and scontrol in Slurm 22.05's shapes
(issue 13, doc/json.md): the values a tool reads, for a few jobs: state
names, exit codes (squeue's wait status, sacct's {status, return_code,
signal}), times, array ids, and Sluice's own fields under "sluice".  The key
sets are compared with Slurm's by testsuite/compat (json_shapes)."""

import json
import os

import pytest

from conftest import wait_for


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=1, cpus=4, append="KillWait=2\n")


@pytest.fixture(scope="module")
def jobs(cluster):
    """ok (exit 0), bad (exit 3), killed (signal 9), held (pending), run
    (running, 5 minute limit), arr (array 1-2, both tasks done)."""
    j = {
        "ok": cluster.submit("-J ok -o /dev/null --mem=50M --wrap 'exit 0'"),
        "bad": cluster.submit("-J bad -o /dev/null --mem=50M --wrap 'exit 3'"),
        "killed": cluster.submit("-J killed -o /dev/null --mem=50M --wrap 'kill -9 $$'"),
        "held": cluster.submit("-H -J held -o /dev/null --mem=50M -t 7 --wrap true"),
        "run": cluster.submit("-J run -o /dev/null --mem=50M -t 5 --wrap 'sleep 300'"),
        "arr": cluster.submit("--array=1-2 -J arr -o /dev/null --mem=50M --wrap true"),
    }
    for k in ("ok", "bad", "killed", "arr"):
        cluster.wait_state(j[k], ("COMPLETED", "FAILED"))
    cluster.wait_state(j["run"], "RUNNING")
    yield j
    cluster.run(cluster.bin("scancel"), str(j["held"]), str(j["run"]))


def doc(cluster, *argv):
    d = json.loads(cluster.ok(*argv).out)
    assert d["errors"] == [] and d["meta"]["Slurm"]["version"] == \
        {"major": 22, "micro": 8, "minor": 5}, d["meta"]
    assert d["meta"]["sluice"]["version"], d["meta"]
    return d


def by_id(items, key="job_id"):
    return {x[key]: x for x in items}


def test_squeue_json(cluster, jobs):
    d = doc(cluster, cluster.bin("squeue"), "--json", "-t", "all")
    assert d["meta"]["plugin"]["type"] == "openapi/v0.0.38", d["meta"]
    js = by_id(d["jobs"])
    run, held = js[jobs["run"]], js[jobs["held"]]
    assert (run["job_state"], run["state_reason"], run["nodes"], run["node_count"],
            run["cpus"], run["tasks"], run["time_limit"]) == \
        ("RUNNING", "None", "n1", 1, 1, 1, 5), run
    assert run["start_time"] >= run["submit_time"] > 0 and run["exit_code"] == 0, run
    assert run["job_resources"]["allocated_nodes"][0]["nodename"] == "n1", run
    assert run["memory_per_node"] == 50 and run["memory_per_cpu"] is None, run
    assert run["user_name"] == cluster.ok("id", "-un").out.strip(), run
    assert (run["array_job_id"], run["array_task_id"]) == (0, None), run
    assert (held["job_state"], held["state_reason"], held["start_time"], held["time_limit"]) == \
        ("PENDING", "JobHeldUser", 0, 7), held
    assert "job_resources" not in held and held["sluice"]["state"], held
    if jobs["bad"] in js:     # finished jobs stay listed for a while
        assert (js[jobs["bad"]]["job_state"], js[jobs["bad"]]["exit_code"]) == \
            ("FAILED", 3 << 8), js[jobs["bad"]]
    # The filters apply; the default (-t not given) hides finished jobs.
    d = doc(cluster, cluster.bin("squeue"), "--json", "-j", str(jobs["ok"]))
    assert d["jobs"] == [], d


def sacct(cluster, jobs):
    ids = ",".join(str(jobs[k]) for k in ("ok", "bad", "killed", "held", "run", "arr"))
    d = doc(cluster, cluster.bin("sacct"), "--json", "-j", ids)
    assert d["meta"]["plugin"]["type"] == "openapi/dbv0.0.38", d["meta"]
    return d["jobs"]


def test_sacct_json_states_and_exit_codes(cluster, jobs):
    js = by_id(sacct(cluster, jobs))
    ok, bad, killed = js[jobs["ok"]], js[jobs["bad"]], js[jobs["killed"]]
    assert ok["state"] == {"current": "COMPLETED", "reason": "None"}, ok["state"]
    assert ok["exit_code"] == {"status": "SUCCESS", "return_code": 0}, ok
    assert bad["state"]["current"] == "FAILED", bad["state"]
    assert bad["exit_code"] == {"status": "ERROR", "return_code": 3}, bad
    assert killed["exit_code"]["status"] == "SIGNALED", killed["exit_code"]
    assert killed["exit_code"]["signal"]["signal_id"] == 9, killed["exit_code"]
    held = js[jobs["held"]]
    assert held["state"]["current"] == "PENDING" and held["nodes"] == "None assigned", held
    assert held["exit_code"]["status"] == "PENDING" and held["time"]["start"] == 0, held
    run = js[jobs["run"]]
    assert run["state"]["current"] == "RUNNING" and run["time"]["end"] == 0, run
    assert run["time"]["limit"] == 5 and run["time"]["elapsed"] >= 0, run


def test_sacct_json_times_tres_steps(cluster, jobs):
    js = by_id(sacct(cluster, jobs))
    bad = js[jobs["bad"]]
    t = bad["time"]
    assert t["submission"] <= t["eligible"] <= t["start"] <= t["end"], t
    assert t["elapsed"] == t["end"] - t["start"] and t["limit"] is None, t
    assert bad["user"] == cluster.ok("id", "-un").out.strip() and bad["group"], bad
    alloc = {x["type"]: x["count"] for x in bad["tres"]["allocated"]}
    assert alloc["cpu"] == 1 and alloc["node"] == 1 and alloc["mem"] == 50, bad["tres"]
    (step,) = [s for s in bad["steps"] if s["step"]["id"] == "batch"]
    assert step["step"] == {"job_id": jobs["bad"], "id": "batch", "name": "batch",
                            "het": {"component": None}}, step["step"]
    assert step["exit_code"] == {"status": "ERROR", "return_code": 3}, step
    assert step["nodes"]["list"] == ["n1"] and step["state"] == "FAILED", step
    assert bad["derived_exit_code"]["return_code"] == 3, bad


def test_sacct_json_array(cluster, jobs):
    tasks = [j for j in sacct(cluster, jobs) if j["array"]["job_id"] == jobs["arr"]]
    assert sorted(j["array"]["task_id"] for j in tasks) == [1, 2], tasks
    assert all(j["state"]["current"] == "COMPLETED" for j in tasks), tasks
    # -X: the jobs without their steps.
    d = doc(cluster, cluster.bin("sacct"), "--json", "-X", "-j", str(jobs["ok"]))
    assert [j["steps"] for j in d["jobs"]] == [[]], d


def test_squeue_json_array_pending(cluster, jobs):
    jid = cluster.submit("-H --array=3-5%2 -o /dev/null --wrap true")
    try:
        d = doc(cluster, cluster.bin("squeue"), "--json", "-j", str(jid))
        (a,) = d["jobs"]
        assert (a["array_job_id"], a["array_task_id"], a["array_task_string"],
                a["array_max_tasks"]) == (jid, None, "3-5", 2), a
    finally:
        cluster.run(cluster.bin("scancel"), str(jid))


def test_sinfo_and_scontrol_agree(cluster, jobs):
    s = doc(cluster, cluster.bin("sinfo"), "--json")
    c = doc(cluster, cluster.bin("scontrol"), "show", "node", "--json")
    assert set(s["nodes"][0]) == set(c["nodes"][0]), (s, c)
    (n1,) = s["nodes"]
    assert (n1["name"], n1["cpus"], n1["state"], n1["alloc_cpus"], n1["idle_cpus"]) == \
        ("n1", 4, "mixed", 1, 3), n1
    assert n1["tres"].startswith("cpu=4,") and n1["reason_set_by_user"] is None, n1
    q = by_id(doc(cluster, cluster.bin("squeue"), "--json")["jobs"])[jobs["run"]]
    j = doc(cluster, cluster.bin("scontrol"), "show", "job", "--json", str(jobs["run"]))
    (sj,) = j["jobs"]
    assert set(sj) == set(q) and sj["job_id"] == q["job_id"], (sj, q)
    p = doc(cluster, cluster.bin("scontrol"), "show", "partition", "--json")
    (batch,) = p["partitions"]
    assert (batch["name"], batch["nodes"], batch["state"], batch["total_cpus"],
            batch["flags"], batch["max_time_limit"]) == ("batch", "n1", "UP", 4, ["default"], -1), \
        batch


def test_yaml_is_the_same_document(cluster, jobs):
    yaml = pytest.importorskip("yaml")
    for argv, key in ((["squeue", "-j", str(jobs["held"])], "jobs"), (["sinfo"], "nodes"),
                      (["sacct", "-j", str(jobs["bad"])], "jobs")):
        prog = cluster.bin(argv[0])
        j = json.loads(cluster.ok(prog, "--json", *argv[1:]).out)
        y = yaml.safe_load(cluster.ok(prog, "--yaml", *argv[1:]).out)
        assert y["meta"] == j["meta"] and y["errors"] == [], (argv, y["meta"])
        assert [set(x) for x in y[key]] == [set(x) for x in j[key]], argv
        assert [x.get("job_id", x.get("name")) for x in y[key]] == \
            [x.get("job_id", x.get("name")) for x in j[key]], argv
