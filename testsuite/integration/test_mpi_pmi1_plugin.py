"""The PMI-1 plugin (plugins/mpi/pmi1) on its own, against Debian's MPICH:
mpidriver.py plays one step supervisor per simulated node, so this tests the
plugin's wire-up (put, barrier across nodes, get, the process map, abort)
without srun or daemons.  test_mpi_srun.py runs the same through srun."""
import os
import shutil
import socket
import subprocess
import sys

import pytest

from conftest import BUILD, scaled
import mpidriver

APP = r"""
#include <mpi.h>
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv)
{
    int r, n;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    if (argc > 1 && !strcmp(argv[1], "abort") && r == n - 1)
        MPI_Abort(MPI_COMM_WORLD, 7);
    long v = r + 1, sum = 0;
    MPI_Allreduce(&v, &sum, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
    int tok = r, got = -1;
    MPI_Sendrecv(&tok, 1, MPI_INT, (r + 1) % n, 0, &got, 1, MPI_INT, (r + n - 1) % n, 0,
                 MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    printf("rank %d of %d sum %ld ring %d\n", r, n, sum, got);
    MPI_Finalize();
    return 0;
}
"""

# A rank that speaks the wire itself, to check what MPICH never sends.
RAW_CLIENT = r"""
import os, socket, sys
host, port = os.environ["PMI_PORT"].split(":")
s = socket.create_connection((host, int(port)))
f = s.makefile("rw")
def ask(line):
    f.write(line + "\n"); f.flush()
    return f.readline().strip()
rank = os.environ["PMI_ID"]
if rank == "0":
    # Another rank's id is refused, and the connection closed.
    s2 = socket.create_connection((host, int(port)))
    g = s2.makefile("rw")
    g.write("cmd=initack pmiid=1\n"); g.flush()
print("ack", ask("cmd=initack pmiid=" + rank))
for _ in range(3):
    print("set", f.readline().strip())
print("init", ask("cmd=init pmi_version=1 pmi_subversion=1"))
print("kvs", ask("cmd=get_my_kvsname"))
print("put", ask("cmd=put kvsname=x key=card%s value=v%s" % (rank, rank)))
print("barrier", ask("cmd=barrier_in"))
print("get", ask("cmd=get kvsname=x key=card%d" % (1 - int(rank))))
print("map", ask("cmd=get kvsname=x key=PMI_process_mapping"))
print("missing", ask("cmd=get kvsname=x key=nothing"))
print("spawn", ask("cmd=spawn nprocs=1 execname=x"))
print("fin", ask("cmd=finalize"))
"""


@pytest.fixture(scope="module")
def plugin():
    path = os.path.join(BUILD, "plugins", ".libs", "mpi_pmi1.so")
    assert os.path.exists(path), "build the plugins first (%s)" % path
    return path


@pytest.fixture(scope="module")
def mpich_app(tmp_path_factory):
    mpicc = shutil.which("mpicc.mpich")
    assert mpicc, "Debian's mpich is needed (testsuite/run installs it)"
    d = tmp_path_factory.mktemp("mpich")
    (d / "app.c").write_text(APP)
    subprocess.run([mpicc, "-o", str(d / "app"), str(d / "app.c")], check=True)
    return str(d / "app")


def run(plugin, argv, tpn, tmp_path, timeout=120):
    return mpidriver.run_isolated(plugin, argv, tpn, str(tmp_path), timeout=scaled(timeout))


@pytest.mark.parametrize("tpn", [[2, 2, 2, 2], [3, 1, 2]])
def test_mpich_wires_up_across_nodes(plugin, mpich_app, tmp_path, tpn):
    r = run(plugin, [mpich_app], tpn, tmp_path)
    n = sum(tpn)
    assert r.statuses == {i: 0 for i in range(n)}, (r.errors, r.logs)
    assert r.fences >= 1 and not r.aborts
    want = n * (n + 1) // 2
    for i in range(n):
        assert r.outputs[i].strip() == "rank %d of %d sum %d ring %d" % (i, n, want,
                                                                          (i - 1) % n)


def test_mpi_abort_reaches_the_host(plugin, mpich_app, tmp_path):
    r = run(plugin, [mpich_app, "abort"], [2, 2], tmp_path)
    assert len(r.aborts) >= 1
    node, status, message = r.aborts[0]
    assert (node, status) == (1, 7) and "rank 3" in message


def test_wire_details(plugin, tmp_path):
    script = tmp_path / "raw.py"
    script.write_text(RAW_CLIENT)
    r = run(plugin, [sys.executable, str(script)], [1, 1], tmp_path)
    assert r.statuses == {0: 0, 1: 0}, r.errors
    for rank in (0, 1):
        lines = dict(l.split(" ", 1) for l in r.outputs[rank].splitlines() if " " in l)
        assert lines["ack"] == "cmd=initack rc=0"
        assert lines["init"] == "cmd=response_to_init pmi_version=1 pmi_subversion=1 rc=0"
        assert lines["kvs"] == "cmd=my_kvsname kvsname=sluice.7.0 rc=0"
        assert lines["barrier"] == "cmd=barrier_out rc=0"
        # The other node's put arrived through the fence.
        assert lines["get"] == "cmd=get_result rc=0 value=v%d" % (1 - rank)
        assert lines["map"] == "cmd=get_result rc=0 value=(vector,(0,2,1))"
        assert lines["missing"].startswith("cmd=get_result rc=-1")
        assert lines["spawn"].startswith("cmd=spawn_result rc=-1")
        assert lines["fin"] == "cmd=finalize_ack rc=0"
    assert any("claimed rank '1'" in m for _, _, m in r.logs), r.logs
    assert any("'spawn' is not supported" in m for _, _, m in r.logs), r.logs


def test_pmi2_wire_is_refused_with_a_reason(plugin, tmp_path):
    script = tmp_path / "pmi2.py"
    script.write_text(
        "import os, socket\n"
        "h, p = os.environ['PMI_PORT'].split(':')\n"
        "s = socket.create_connection((h, int(p)))\n"
        "s.sendall(b'cmd=initack pmiid=' + os.environ['PMI_ID'].encode() + b'\\n')\n"
        "s.recv(4096)\n"
        "s.sendall(b'000052cmd=fullinit;pmi_version=2;pmi_subversion=0;\\n')\n"
        "print('closed' if s.recv(4096) == b'' else 'open')\n")
    r = run(plugin, [sys.executable, str(script)], [1], tmp_path)
    assert r.outputs[0].strip() == "closed"
    assert any("PMI-2 wire protocol" in m for _, _, m in r.logs), r.logs
