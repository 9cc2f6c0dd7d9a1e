"""Differential tests: the same commands against Slurm and Sluice.

Two session fixtures: `slurm`, a private Debian slurm-wlm 22.05 started by
slurmrig.py (the suite skips, naming why, when it cannot run here), and
`sluice`, a one-node contribs/devcluster (binaries from $SLUICE_BUILD, as
the integration suite).  Both are wrapped in a Side (compare.py), which runs
a command line with that system's commands first on PATH.
"""

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import compare  # noqa: E402
import slurmrig  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "sluice_it", os.path.join(HERE, "..", "integration", "conftest.py"))
it = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(it)

CPUS, MEM = 4, 4000


@pytest.fixture(scope="session")
def slurm():
    d = tempfile.mkdtemp(prefix="compat-slurm-", dir="/tmp")
    rig = slurmrig.SlurmRig(d, cpus=CPUS, mem=MEM)
    why = rig.start()
    if why:
        shutil.rmtree(d, ignore_errors=True)
        print("\nSKIP: the differential suite needs Slurm: %s" % why)
        pytest.skip("Slurm cannot run here: %s" % why)
    work = os.path.join(d, "work")
    os.makedirs(work)
    yield compare.Side("slurm", rig.run, work, rig.env)
    rig.stop()
    if not os.environ.get("SLUICE_KEEP"):
        shutil.rmtree(d, ignore_errors=True)
    else:
        print("\nkept Slurm directory %s" % d)


@pytest.fixture(scope="session")
def sluice(slurm):
    ctld = os.path.join(it.BUILD, "src", "ctld", "sluicectld")
    if not os.access(ctld, os.X_OK):
        pytest.fail("no %s: build Sluice first" % ctld, pytrace=False)
    d = tempfile.mkdtemp(prefix="compat-sluice-", dir="/tmp")
    os.chmod(d, 0o755)
    # Slurm's defaults where they differ from devcluster's.
    append = os.path.join(d, "append.conf")
    with open(append, "w") as f:
        f.write("ClusterName=compat\n")
    r = subprocess.run([sys.executable, it.DEVCLUSTER, "up", "--dir", d, "--nodes", "1",
                        "--cpus", str(CPUS), "--mem", str(MEM), "--append", append,
                        "--timeout", "90"], env=it.Cluster.dc_env(), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL, timeout=300)
    if r.returncode != 0:
        subprocess.run([sys.executable, it.DEVCLUSTER, "down", "--dir", d],
                       env=it.Cluster.dc_env(), stdin=subprocess.DEVNULL, timeout=120)
        pytest.fail("devcluster up failed:\n%s\n%s" % (r.stdout, r.stderr), pytrace=False)
    c = it.Cluster(d, 1)

    def run(argv, cwd=None, timeout=60, input=None, env=None):
        return c.run(list(argv), cwd=cwd, timeout=timeout, input=input, env=env)
    yield compare.Side("sluice", run, c.work, c.env)
    subprocess.run([sys.executable, it.DEVCLUSTER, "down", "--dir", d], env=it.Cluster.dc_env(),
                   stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL, timeout=180)
    bad = c.sanitizer_reports()
    if bad:
        print("\nkept cluster directory %s" % d)
        pytest.fail("\n".join(bad), pytrace=False)
    if not os.environ.get("SLUICE_KEEP"):
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def known():
    return compare.KnownDifferences(os.path.join(HERE, "known-differences.txt"))
