"""The mpi/pmix plugin on its own: testsuite/mpi/pmix_driver plays the stepd of
N fake nodes on this host (one process per node, a hub joining the fences) and
runs testsuite/mpi/mpi_app, compiled here with Debian's OpenMPI (mpicc).

What is checked: 8 ranks over 4 nodes wire up (rank, size, the ranks sharing a
node), MPI_Allreduce and a ring of sends give the right answers; MPI_Abort ends
the step with its status on every node; a rank killed by a signal is reported
and the step ends with 128+signal; a fence the host fails, or completes
without one node's data, fails MPI_Init on every node; the tasks run as another user both with the
plugin in a root stepd and in one that dropped to the user first.
"""

import glob
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from conftest import BUILD, SANITIZER_PATTERNS, new_sanitizer_files, scaled

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DRIVER = os.path.join(BUILD, "plugins", "pmix_driver")
PLUGIN = os.path.join(BUILD, "plugins", ".libs", "mpi_pmix.so")


@pytest.fixture(scope="module")
def app():
    """mpi_app compiled with mpicc into a directory every user can read."""
    for path, what in ((DRIVER, "the driver"), (PLUGIN, "the plugin")):
        if not os.access(path, os.R_OK):
            pytest.fail("no %s (%s): build Sluice first" % (path, what), pytrace=False)
    mpicc = shutil.which("mpicc.openmpi")
    if not mpicc:
        pytest.fail("no mpicc: install openmpi-bin and libopenmpi-dev (testsuite/run does)",
                    pytrace=False)
    d = tempfile.mkdtemp(prefix="sluice-mpi-", dir="/tmp")
    os.chmod(d, 0o755)
    exe = os.path.join(d, "mpi_app")
    r = subprocess.run([mpicc, "-O1", "-o", exe, os.path.join(REPO, "testsuite", "mpi", "mpi_app.c")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=180)
    assert r.returncode == 0, "mpicc failed:\n" + r.stdout
    os.chmod(exe, 0o755)
    yield exe
    shutil.rmtree(d, ignore_errors=True)


def driver_dirs():
    return set(glob.glob("/tmp/pmix-driver.*"))


def run(app, nodes, tasks, *args, opts=()):
    """Run mpi_app over the driver; returns (rc, stdout, stderr)."""
    env = dict(os.environ)
    # Loopback only (the suite's rule): OpenMPI's TCP transport between the nodes.
    env["OMPI_MCA_btl_tcp_if_include"] = "lo"
    env["OMPI_MCA_oob_tcp_if_include"] = "lo"
    env["HOME"] = "/tmp"
    before = driver_dirs()
    argv = [DRIVER, "-v", "1", "-t", str(int(scaled(120))), "-N", str(nodes), "-n", str(tasks)]
    argv += list(opts) + [PLUGIN, app] + list(args)
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                       stdin=subprocess.DEVNULL, timeout=scaled(240), cwd="/tmp")
    for pat in SANITIZER_PATTERNS:
        assert pat not in r.stderr, r.stderr
    reports = new_sanitizer_files()
    assert not reports, "\n".join(reports)
    left = driver_dirs() - before
    assert not left, "step directories left behind: %s" % sorted(left)
    return r.returncode, r.stdout, r.stderr


def ranks_said(out, what):
    return sorted(int(m.group(1)) for m in re.finditer(r"^rank (\d+): %s" % what, out, re.M))


def check_wireup(out, nodes, per_node):
    ntasks = sum(per_node)
    first = 0
    for n, count in enumerate(per_node):
        for local in range(count):
            rank = first + local
            line = "rank %d: of %d on \\S+ node n%d local %d of %d" % (rank, ntasks, n + 1, local, count)
            assert re.search("^" + line + "$", out, re.M), "no %r in:\n%s" % (line, out)
        first += count
    assert ranks_said(out, "allreduce ok") == list(range(ntasks)), out
    assert "BAD" not in out, out


def test_eight_ranks_over_four_nodes(app):
    rc, out, err = run(app, 4, 2)
    assert rc == 0, out + err
    check_wireup(out, 4, [2, 2, 2, 2])
    assert re.search(r"^rank 0: ring ok \(token 28, want 28\)$", out, re.M), out
    assert "driver: step ended: exit 0" in err, err


def test_uneven_nodes(app):
    rc, out, err = run(app, 3, "3,1,2")
    assert rc == 0, out + err
    check_wireup(out, 3, [3, 1, 2])
    assert re.search(r"^rank 0: ring ok", out, re.M), out


def test_one_node(app):
    rc, out, err = run(app, 1, 3)
    assert rc == 0, out + err
    check_wireup(out, 1, [3])


def test_mpi_abort_ends_the_step_with_its_status(app):
    rc, out, err = run(app, 4, 2, "abort", "7")
    assert rc == 7, out + err
    assert "rank 1: calling MPI_Abort(7)" in out, out
    # The plugin's abort reached the host (the stepd's abort), which ended the step.
    assert re.search(r"driver: abort from node 0: rank 1 called abort \(status 7\)", err), err
    assert "driver: step ended: abort status 7" in err, err
    assert "ring ok" not in out, out


def test_rank_killed_by_a_signal_ends_the_step(app):
    rc, out, err = run(app, 4, 2, "kill", "9")
    assert rc == 128 + 9, out + err
    assert "driver: rank 1 killed by signal 9" in err, err
    # The plugin says so too, through the host's log.
    assert re.search(r"pmix: rank 1 was killed by signal 9 before PMIx_Finalize", err), err
    assert "driver: step ended: signal 9" in err, err
    assert "allreduce" not in out, out


@pytest.mark.parametrize("fault,said", [
    ("fence-fail", r"pmix: fence 1 failed: a node of the step is gone"),
    ("fence-short", r"pmix: fence 1: 3 of 4 nodes contributed"),
])
def test_failed_fence_fails_mpi_init(app, fault, said):
    # The host fails the first fence (a node lost), or returns it without one
    # node's contribution: every node's plugin says so, MPI_Init fails, and
    # the step ends instead of hanging.
    rc, out, err = run(app, 4, 2, opts=["-X", fault])
    assert rc != 0, out + err
    for node in range(4):
        assert re.search(r"driver: node %d: %s" % (node, said), err), err
    assert "allreduce" not in out, out
    assert "MPI_Init" in err, err


@pytest.mark.parametrize("drop", [False, True], ids=["stepd-root", "stepd-user"])
def test_tasks_as_another_user(app, users, drop):
    import pwd
    pw = pwd.getpwnam(users[0])
    opts = ["-u", "%d:%d" % (pw.pw_uid, pw.pw_gid)] + (["-D"] if drop else [])
    rc, out, err = run(app, 2, 2, opts=opts)
    assert rc == 0, out + err
    check_wireup(out, 2, [2, 2])
    assert re.search(r"^rank 0: ring ok", out, re.M), out


def test_driver_refuses_bad_input():
    r = subprocess.run([DRIVER, "-N", "2", "-n", "1,2,3", PLUGIN, "/bin/true"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    assert r.returncode == 2 and "give one count, or one per node" in r.stderr, r.stderr
