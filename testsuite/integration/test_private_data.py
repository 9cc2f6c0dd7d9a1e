"""PrivateData=jobs,usage,accounts (Slurm's): ordinary users see only their
own jobs (squeue, scontrol show job, sacct -a, sprio), only their own
fair-share usage (sshare) and no policy's account list; root and operators
see all.  Without the key everyone sees everything, as before."""

import pytest

from conftest import IS_ROOT, parse_pipe, parse_records

pytestmark = pytest.mark.skipif(not IS_ROOT, reason="needs root: jobs of two users")

APPEND = """KillWait=2
Operators=sluiceop
PrivateData=jobs,usage,accounts
SchedulingPolicyName=fair ShareDecaySeconds=3600 ShareDistribution=teamA:0.5,teamB:1.0
QueueName=fq Priority=1 Partitions=batch SchedulingPolicy=fair
"""


@pytest.fixture(scope="module")
def cluster(cluster_factory, users):
    return cluster_factory(nodes=1, cpus=2, mem=4000, append=APPEND)


@pytest.fixture(scope="module")
def jobs(cluster):
    """For sluicea and sluiceb: one job ended (in the database) and one held."""
    out = {}
    for user, share in (("sluicea", "teamA"), ("sluiceb", "teamB")):
        d = cluster.mkdir("pd-" + user, user=user)
        done = cluster.submit("-p", "fq", "--share", share, "--wrap", "true", user=user, cwd=d)
        cluster.wait_state(done, "COMPLETED")
        held = cluster.submit("-H", "-p", "fq", "--share", share, "--wrap", "true", user=user,
                              cwd=d)
        out[user] = (done, held)
    return out


def ids(text):
    return {int(x.split("_")[0]) for x in text.split() if x.split("_")[0].isdigit()}


def test_squeue(cluster, jobs):
    a, b = jobs["sluicea"], jobs["sluiceb"]
    r = cluster.ok(cluster.bin("squeue"), "-h", "-o", "%i", user="sluicea")
    assert ids(r.out) == {a[1]}, r
    r = cluster.ok(cluster.bin("squeue"), "-h", "-o", "%i", "-u", "sluiceb", user="sluicea")
    assert ids(r.out) == set(), r
    r = cluster.run(cluster.bin("squeue"), "-h", "-j", str(b[1]), user="sluicea")
    assert str(b[1]) not in r.out, r
    for who in ("sluiceop", "root"):
        r = cluster.ok(cluster.bin("squeue"), "-h", "-o", "%i", user=who)
        assert ids(r.out) == {a[1], b[1]}, (who, r)


def test_scontrol_show_job(cluster, jobs):
    a, b = jobs["sluicea"], jobs["sluiceb"]
    for jid in b:                               # pending (memory) and ended (database)
        r = cluster.run(cluster.bin("scontrol"), "show", "job", str(jid), user="sluicea")
        assert r.rc != 0 and "Invalid job id" in r.err and "sluiceb" not in r.out, r
        assert cluster.job(jid, user="sluiceop")["UserId"].startswith("sluiceb("), jid
    for jid in a:
        assert cluster.job(jid, user="sluicea")["UserId"].startswith("sluicea("), jid
    r = cluster.ok(cluster.bin("scontrol"), "show", "job", user="sluicea")
    assert {int(rec["JobId"]) for rec in parse_records(r.out)} == {a[1]}, r


def test_sacct_all_users(cluster, jobs):
    a, b = jobs["sluicea"], jobs["sluiceb"]
    fmt = "--format=JobID,User,WorkDir"
    r = cluster.ok(cluster.bin("sacct"), "-a", "-X", "-P", fmt, user="sluicea")
    rows = parse_pipe(r.out)
    assert {int(x["JobID"]) for x in rows} == set(a), r
    assert "sluiceb" not in r.out and "pd-sluiceb" not in r.out, r
    r = cluster.ok(cluster.bin("sacct"), "-X", "-P", "-j", str(b[0]), fmt, user="sluicea")
    assert not parse_pipe(r.out), r
    r = cluster.ok(cluster.bin("sacct"), "-a", "-X", "-P", fmt, user="sluiceop")
    assert set(a) | set(b) <= {int(x["JobID"]) for x in parse_pipe(r.out)}, r


def test_sprio(cluster, jobs):
    a, b = jobs["sluicea"], jobs["sluiceb"]
    r = cluster.ok(cluster.bin("sprio"), "-h", "-o", "%i", user="sluicea")
    assert ids(r.out) == {a[1]}, r
    r = cluster.ok(cluster.bin("sprio"), "-h", "-o", "%i", user="sluiceop")
    assert ids(r.out) == {a[1], b[1]}, r


def test_sshare_usage(cluster, jobs):
    def shares(user):
        r = cluster.ok(cluster.bin("sshare"), "-P", "-o", "Policy,Share", user=user)
        return {x["Share"] for x in parse_pipe(r.out)}
    assert "teamA" in shares("sluicea") and "teamB" not in shares("sluicea")
    assert "teamB" in shares("sluiceb") and "teamA" not in shares("sluiceb")
    assert {"teamA", "teamB"} <= shares("sluiceop")


def test_policy_accounts(cluster, jobs):
    def policy(user):
        r = cluster.ok(cluster.bin("scontrol"), "show", "policy", "fair", user=user)
        return r.out
    assert "fair" in policy("sluicea") and "teamB" not in policy("sluicea")
    assert "teamA:0.5" in policy("sluiceop") and "teamA:0.5" in policy("root")


def test_config_shows_it(cluster):
    r = cluster.ok(cluster.bin("scontrol"), "show", "config", user="sluicea")
    line = [l for l in r.out.splitlines() if l.startswith("PrivateData")]
    assert line and line[0].split("=", 1)[1].strip() == "jobs,usage,accounts", r.out
