"""sacctmgr: accounts, users and associations kept by the controller, and
AccountingStorageEnforce=associations at submission (doc/guide-accounts.md).

Outputs are checked exactly against Slurm's layout (man sacctmgr): columns
right-aligned in Slurm's widths, headers "Descr", "Org", "Par Name", "Def
Acct", "Admin", a dashed line under the header, -p/-P with '|'."""

import os
import signal

import pytest

from conftest import wait_for

BAD_ACCOUNT = "Invalid account or account/partition combination specified"


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=1, cpus=2, mem=1000)


def mgr(cluster, *args, user=None):
    return cluster.run([cluster.bin("sacctmgr")] + list(args), user=user)


def mgr_ok(cluster, *args, user=None):
    r = mgr(cluster, *args, user=user)
    assert r.rc == 0, r
    return r.out


def mgr_err(cluster, *args, user=None, want=None):
    """A refused sacctmgr: exit 1, one 'sacctmgr: error:' line naming want."""
    r = mgr(cluster, *args, user=user)
    assert r.rc == 1, r
    assert r.err.startswith("sacctmgr: error: ") and r.err.count("\n") == 1, r
    if want:
        assert want in r.err, r
    return r.err


def state(cluster):
    return mgr_ok(cluster, "-P", "-s", "list", "account") + mgr_ok(cluster, "-P", "-s", "list",
                                                                   "user")


def test_account_round_trip(cluster):
    out = mgr_ok(cluster, "add", "account", "physics", "Description=the physics lab",
                 "Organization=science")
    assert out.splitlines()[:2] == [" Adding Account(s)", "  physics"], out
    mgr_ok(cluster, "-i", "-Q", "create", "account", "name=theory", "parent=physics")
    assert mgr_ok(cluster, "list", "account", "physics,theory") == (
        "   Account                Descr                  Org \n"
        "---------- -------------------- -------------------- \n"
        "   physics      the physics lab              science \n"
        "    theory               theory              science \n")
    assert mgr_ok(cluster, "-P", "list", "account", "where", "name=theory",
                  "format=Account,ParentName,Org") == (
        "Account|Par Name|Org\n"
        "theory|physics|science\n")
    assert mgr_ok(cluster, "modify", "account", "where", "name=theory", "set",
                  "description=string theory") == " Modified accounts...\n  theory\n"
    assert mgr_ok(cluster, "-n", "-p", "list", "account", "theory") == \
        "theory|string theory|science|\n"
    assert mgr_ok(cluster, "remove", "account", "theory") == " Deleting accounts...\n  theory\n"
    assert mgr_ok(cluster, "-n", "-P", "list", "account", "theory,physics",
                  "format=account") == "physics\n"
    mgr_ok(cluster, "-Q", "delete", "account", "physics")


def test_users_and_associations(cluster, users):
    mgr_ok(cluster, "-Q", "add", "account", "chem")
    mgr_ok(cluster, "-Q", "add", "account", "bio")
    out = mgr_ok(cluster, "add", "user", "sluicea", "account=chem")
    assert out.splitlines() == [" Adding User(s)", "  sluicea", " Associations =",
                                "  U = sluicea   A = chem       C = devcluster"], out
    mgr_ok(cluster, "-Q", "add", "user", "sluicea", "account=bio", "partition=batch")
    # What Snakemake's slurm_account check runs, and what it reads.
    assert mgr_ok(cluster, "-n", "-s", "list", "user", "sluicea", "format=account%20") == (
        "                chem \n"
        "                 bio \n")
    assert mgr_ok(cluster, "list", "user", "sluicea") == (
        "      User   Def Acct     Admin \n"
        "---------- ---------- --------- \n"
        "   sluicea       chem      None \n")
    assert mgr_ok(cluster, "-P", "-s", "list", "user", "sluicea") == (
        "User|Def Acct|Admin|Cluster|Account|Partition\n"
        "sluicea|chem|None|devcluster|chem|\n"
        "sluicea|chem|None|devcluster|bio|batch\n")
    assert mgr_ok(cluster, "-n", "-P", "list", "assoc", "where", "user=sluicea",
                  "format=account%5,user,partition") == "bio|sluicea|batch\nchem|sluicea|\n"
    # Slurm's width syntax cuts a long value with '+'.
    assert mgr_ok(cluster, "-n", "list", "user", "sluicea", "format=user%4,admin") == \
        "slu+      None \n"
    assert mgr_ok(cluster, "-n", "list", "user", "sluicea", "format=user%-9,admin%-5") == \
        "sluicea   None  \n"
    r = mgr(cluster, "add", "user", "sluicea", "account=chem")
    assert r.rc == 1 and r.out == " Nothing new added.\n", r
    mgr_ok(cluster, "-Q", "modify", "user", "sluicea", "set", "DefaultAccount=bio",
           "AdminLevel=Operator")
    assert mgr_ok(cluster, "-n", "-P", "list", "user", "sluicea") == "sluicea|bio|Operator\n"
    out = mgr_ok(cluster, "delete", "user", "sluicea", "where", "account=chem")
    assert out == " Deleting user associations...\n  U = sluicea   A = chem       C = devcluster\n"
    mgr_ok(cluster, "-Q", "delete", "user", "sluicea")
    assert mgr_ok(cluster, "-n", "list", "user", "sluicea") == ""
    mgr_ok(cluster, "-Q", "delete", "account", "chem,bio")


def test_help_version_readonly(cluster):
    assert mgr_ok(cluster, "--help").startswith("Usage: sacctmgr [OPTIONS] COMMAND ENTITY")
    assert mgr_ok(cluster, "-V").startswith("slurm 22.05")
    mgr_err(cluster, "-r", "add", "account", "ro", want="read-only mode")
    assert "ro" not in mgr_ok(cluster, "-n", "-P", "list", "account", "format=account").split()


def test_cluster_and_bad_input(cluster):
    out = mgr_ok(cluster, "-P", "list", "cluster", "format=cluster,rpc")
    assert out == "Cluster|RPC\ndevcluster|9728\n"
    mgr_ok(cluster, "-Q", "add", "account", "geo")
    mgr_ok(cluster, "-Q", "add", "user", "root", "account=geo")
    before = state(cluster)
    for entity in ("qos", "tres", "wckey", "event", "problem", "runaway", "transaction",
                   "federation", "resource", "reservation", "stats"):
        mgr_err(cluster, "list", entity, want="entity '%s' is not supported" % entity)
    mgr_err(cluster, "show", "user", "colour=red", want="Unknown field 'colour' for list user")
    mgr_err(cluster, "add", "account", "geo2", "DefaultAccount=x",
            want="Unknown field 'DefaultAccount' for add account")
    mgr_err(cluster, "add", "account", want="add account: no names given")
    mgr_err(cluster, "add", "account", "geo", want="account geo already exists")
    mgr_err(cluster, "add", "account", "x", "parent=nope", want="unknown parent account nope")
    mgr_err(cluster, "add", "account", "bad/name", want="has '/'")
    mgr_err(cluster, "delete", "account", "geo", want="account geo has users (root)")
    mgr_err(cluster, "modify", "user", "root", "set", "defaultaccount=nope",
            want="no association with account nope")
    mgr_err(cluster, "modify", "account", "geo", "description=x", want="put it after 'set'")
    mgr_err(cluster, "add", "user", "root", "account=geo", "AdminLevel=boss",
            want="invalid AdminLevel 'boss'")
    mgr_err(cluster, "add", "cluster", "other", want="multi-cluster is not supported")
    mgr_err(cluster, "frobnicate", "user", want="Invalid keyword: frobnicate")
    mgr_err(cluster, "list", want="no entity given")
    assert state(cluster) == before
    mgr_ok(cluster, "-Q", "delete", "user", "root", "where", "account=geo")
    mgr_ok(cluster, "-Q", "delete", "account", "geo")


def test_changes_need_an_admin(cluster, users):
    err = mgr_err(cluster, "add", "account", "mine", user="sluiceb",
                  want="Access/permission denied")
    assert "AdminLevel Operator or Administrator" in err
    assert "mine" not in mgr_ok(cluster, "-P", "list", "account", user="sluiceb")
    # A user the database makes an Operator may change it.
    mgr_ok(cluster, "-Q", "add", "account", "ops")
    mgr_ok(cluster, "-Q", "add", "user", "sluiceop", "account=ops", "AdminLevel=Operator")
    mgr_ok(cluster, "-Q", "add", "account", "mine", user="sluiceop")
    mgr_err(cluster, "modify", "user", "sluiceop", "set", "AdminLevel=Administrator",
            user="sluiceop", want="can make someone an Administrator")
    mgr_ok(cluster, "-Q", "delete", "account", "mine", user="sluiceop")
    mgr_ok(cluster, "-Q", "delete", "user", "sluiceop")
    mgr_ok(cluster, "-Q", "delete", "account", "ops")


def test_survives_kill_9(cluster):
    mgr_ok(cluster, "-Q", "add", "account", "durable", "Description=kept")
    mgr_ok(cluster, "-Q", "add", "user", "root", "account=durable", "partition=batch")
    before = state(cluster)
    pid = cluster.pid("controller")
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not cluster.alive("controller"), 30, "the controller to die")
    cluster.restart("controller")
    assert state(cluster) == before
    mgr_ok(cluster, "-Q", "delete", "user", "root")
    mgr_ok(cluster, "-Q", "delete", "account", "durable")


def job_env_account(cluster, out_path):
    wait_for(lambda: os.path.exists(out_path) and open(out_path).read().strip(), 60,
             "the job's output")
    return open(out_path).read().strip()


def test_enforcement(cluster, users):
    mgr_ok(cluster, "-Q", "add", "account", "grant1")
    mgr_ok(cluster, "-Q", "add", "account", "grant2")
    mgr_ok(cluster, "-Q", "add", "user", "sluicea", "account=grant1")
    mgr_ok(cluster, "-Q", "add", "user", "sluicea", "account=grant2", "partition=other")
    d = cluster.mkdir("enforce", user="sluicea")
    # Off: -A as given; no -A: the DefaultAccount; the job sees and shows it.
    out = os.path.join(d, "off.out")
    jid = cluster.submit("-o", out, "--wrap", "echo $SLURM_JOB_ACCOUNT", user="sluicea", cwd=d)
    assert job_env_account(cluster, out) == "grant1"
    assert cluster.sacct(jid, "JobID,Account")["Account"] == "grant1"
    sacct = [cluster.bin("sacct"), "-X", "-n", "-P", "-a", "-o", "JobID", "-j", str(jid)]
    assert cluster.ok(sacct + ["-A", "GRANT1,x"]).out == "%d\n" % jid
    assert cluster.ok(sacct + ["--accounts=grant2"]).out == ""
    assert cluster.job(jid)["Account"] == "grant1"
    jid = cluster.submit("-A", "anything", "--hold", "--wrap", "true", user="sluicea", cwd=d)
    assert cluster.ok(cluster.bin("squeue"), "-h", "-o", "%a", "-j", str(jid)).out.strip() == "anything"
    squeue = [cluster.bin("squeue"), "-h", "-o", "%i"]
    assert cluster.ok(squeue + ["-A", "ANYTHING"]).out == "%d\n" % jid
    json_ids = [cluster.bin("squeue"), "--json"]
    assert cluster.ok(json_ids + ["--account=anything"]).out.count('"job_id": %d,' % jid) == 1
    assert cluster.ok(json_ids + ["--account=grant1"]).out.count('"job_id": %d,' % jid) == 0
    cluster.ok(cluster.bin("scontrol"), "update", "JobId=%d" % jid, "Account=other", user="sluicea")
    assert cluster.job(jid)["Account"] == "other"
    cluster.ok(cluster.bin("scancel"), str(jid))
    with open(cluster.conf) as f:
        orig = f.read()
    try:
        with open(cluster.conf, "a") as f:
            f.write("AccountingStorageEnforce=associations\n")
        cluster.ok(cluster.bin("scontrol"), "reconfigure")
        before = cluster.queue_ids()
        for argv in (["sbatch", "-A", "nope", "--wrap", "true"],
                     ["sbatch", "-A", "grant2", "--wrap", "true"],   # not in partition batch
                     ["srun", "-A", "nope", "true"],
                     ["salloc", "-A", "nope", "true"]):
            r = cluster.run([cluster.bin(argv[0])] + argv[1:], user="sluicea", cwd=d)
            assert r.rc == 1 and BAD_ACCOUNT in r.err, r
        r = cluster.run(cluster.bin("sbatch"), "--wrap", "true", user="sluiceb", cwd="/tmp")
        assert r.rc == 1 and BAD_ACCOUNT in r.err, r   # not in the database
        assert cluster.queue_ids() == before
        out = os.path.join(d, "on.out")
        jid = cluster.submit("-A", "GRANT1", "-o", out, "--wrap", "echo $SLURM_JOB_ACCOUNT",
                             user="sluicea", cwd=d)
        assert job_env_account(cluster, out) == "grant1"
        jid = cluster.submit("--hold", "--wrap", "true", user="sluicea", cwd=d)
        assert cluster.job(jid)["Account"] == "grant1"
        # scontrol update Account= of a pending job: checked the same way.
        r = cluster.run(cluster.bin("scontrol"), "update", "JobId=%d" % jid, "Account=grant2",
                        user="sluicea")
        assert r.rc == 1 and BAD_ACCOUNT in r.err, r
        assert cluster.job(jid)["Account"] == "grant1"
        cluster.ok(cluster.bin("scancel"), str(jid))
    finally:
        with open(cluster.conf, "w") as f:
            f.write(orig)
        cluster.ok(cluster.bin("scontrol"), "reconfigure")
    mgr_ok(cluster, "-Q", "delete", "user", "sluicea")
    mgr_ok(cluster, "-Q", "delete", "account", "grant1,grant2")
