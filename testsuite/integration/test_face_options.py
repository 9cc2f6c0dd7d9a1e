"""Option parsing of every command (issue 13): short options combine
(-Nel, -nXP, -hl), and a wrong one is named by itself, never by the
program's name or a neighbouring argument (sinfo -Nel said "unrecognized
option 'sinfo'")."""

import pytest


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=1, cpus=2)


# A flag each command takes without an argument, to lead the group.
FLAG = {"squeue": "h", "sinfo": "h", "sacct": "n", "scancel": "v", "sprio": "h", "sshare": "h",
        "scontrol": "o"}


@pytest.mark.parametrize("cmd", sorted(FLAG))
def test_bad_letter_in_a_group_is_named(cluster, cmd):
    r = cluster.run(cluster.bin(cmd), "-%s9%s" % (FLAG[cmd], FLAG[cmd]))
    assert r.rc != 0, r
    assert ("%s: invalid option -- '9'" % cmd) in r.err, r
    assert "'%s'" % cmd not in r.err and "Try \"%s --help\"" % cmd in r.err, r


@pytest.mark.parametrize("cmd", sorted(FLAG))
def test_unknown_long_option_is_named(cluster, cmd):
    r = cluster.run(cluster.bin(cmd), "--definitely-not")
    assert r.rc != 0 and "%s: unrecognized option '--definitely-not'" % cmd in r.err, r


def test_missing_argument_is_named(cluster):
    r = cluster.run(cluster.bin("sacct"), "-n", "-S")
    assert r.rc == 1 and "sacct: option requires an argument -- 'S'" in r.err, r
    r = cluster.run(cluster.bin("squeue"), "--format")
    assert r.rc == 1 and "squeue: option '--format' requires an argument" in r.err, r


def test_groups_work(cluster):
    jid = cluster.submit("-o", "/dev/null", "--wrap", "true")
    cluster.wait_state(jid, "COMPLETED")
    r = cluster.ok(cluster.bin("sacct"), "-nXP", "-j", str(jid), "--format=JobID,State")
    assert r.out == "%d|COMPLETED\n" % jid, r
    r = cluster.ok(cluster.bin("sinfo"), "-hNl")
    assert r.out.split()[0] == "n1", r
