"""The controller killed with kill -9 again and again (a short version of
contribs/soak) while clients submit plain jobs, jobs they cancel, hold and
release, small arrays, --requeue jobs they requeue while they run and
--attempts jobs whose first attempt fails.  After everything has finished:
no acknowledged job is lost, none ran twice (each job's run file holds one
start per attempt and no overlap of attempts), every job ended in the state
its kind expects, every attempt that ran is recorded, the controller never
died other than by our kill and always served again, and no job process is
left running.  contribs/soak --kills 1000 is the long version."""

import importlib.machinery
import importlib.util
import os

import pytest

from conftest import REPO, scaled

KILLS = 15


def load_soak():
    path = os.path.join(REPO, "contribs", "soak")
    loader = importlib.machinery.SourceFileLoader("soak", path)
    spec = importlib.util.spec_from_loader("soak", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


soak = load_soak()


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=2, cpus=4, mem=4000, append="KillWait=2\n")


def test_controller_kill9_loop_under_load(cluster):
    s = soak.Soak(cluster.dir, kills=KILLS, clients=2, gap=1.0,
                  serve_deadline=scaled(60), drain_timeout=scaled(300), backlog=30,
                  log=lambda m: print("soak: " + m))
    r = s.run()
    text = soak.summary(r)
    print(text)
    assert r["kills"] == KILLS, text
    assert r["acknowledged"] >= 10, text
    bad = soak.failures(r)
    assert not bad, "%s\n(rerun with this seed: contribs/soak --seed %d)" % (text, r["seed"])
    # Most of the restarts were measured (the rest were killed during recovery).
    assert r["serve_s"]["n"] == KILLS, text
