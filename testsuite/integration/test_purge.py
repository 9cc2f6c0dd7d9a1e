"""PurgeJobAfter: the admin-set policy after which finished jobs leave the
accounting database (sacct); until then sacct shows them, and a job that is
still running is never purged."""

import pytest

from conftest import wait_for


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=1, cpus=2, mem=1000, append="PurgeJobAfter=4\n")


def sacct_ids(cluster, jid):
    r = cluster.run(cluster.bin("sacct"), "-X", "-n", "-P", "-j", str(jid), "-o", "JobID")
    assert r.rc == 0, r
    return r.out.split()


def test_finished_jobs_are_purged_after_the_policy(cluster):
    running = cluster.submit("--wrap", "sleep 120")
    cluster.wait_state(running, ("RUNNING",))
    done = cluster.submit("--wrap", "true")
    rec = cluster.wait_sacct(done, lambda st: st == "COMPLETED")
    assert rec["JobID"] == str(done)
    wait_for(lambda: sacct_ids(cluster, done) == [], timeout=60,
             what="job %d purged from sacct" % done)
    # Purges have run while this one ran for longer than PurgeJobAfter.
    assert sacct_ids(cluster, running) == [str(running)]
    assert cluster.state(running) == "RUNNING"
    r = cluster.run(cluster.bin("scancel"), str(running))
    assert r.rc == 0, r
