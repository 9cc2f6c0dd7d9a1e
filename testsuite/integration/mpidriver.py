"""mpidriver: plays the step supervisor for an MPI plugin (plugins/mpi/*), so
that a plugin is tested on its own against a real MPI library.

One process hosts one plugin instance per simulated node (each its own
server, port and threads), exactly as one stepd per node would, and does
what src/stepd/mpi_api.h asks of a host: the fence over every node (the
blobs concatenated, done() called later from the main thread), abort, log.
Ranks are real processes started with each instance's task_env."""
import ctypes as C
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time

FENCE_DONE = C.CFUNCTYPE(None, C.c_void_p, C.c_int, C.c_void_p, C.c_size_t)
FENCE = C.CFUNCTYPE(C.c_int, C.c_void_p, C.c_void_p, C.c_size_t, C.c_void_p, C.c_void_p)
ABORT = C.CFUNCTYPE(None, C.c_void_p, C.c_int, C.c_char_p)
LOG = C.CFUNCTYPE(None, C.c_void_p, C.c_int, C.c_char_p)


class Error(C.Structure):
    _fields_ = [("text", C.c_char * 512)]


class Step(C.Structure):
    _fields_ = [("job_id", C.c_uint64), ("step_id", C.c_uint32), ("node_id", C.c_uint32),
                ("num_nodes", C.c_uint32), ("node_names", C.POINTER(C.c_char_p)),
                ("tasks_per_node", C.POINTER(C.c_uint32)), ("ntasks", C.c_uint32),
                ("nlocal", C.c_uint32), ("first_rank", C.c_uint32), ("uid", C.c_uint32),
                ("gid", C.c_uint32), ("tmpdir", C.c_char_p)]


class Host(C.Structure):
    _fields_ = [("arg", C.c_void_p), ("fence", FENCE), ("abort", ABORT), ("log", LOG)]


class Ops(C.Structure):
    _fields_ = [("step_create", C.CFUNCTYPE(C.c_void_p, C.POINTER(Step), C.POINTER(Host),
                                            C.POINTER(Error))),
                ("task_env", C.CFUNCTYPE(C.POINTER(C.c_char_p), C.c_void_p, C.c_uint32,
                                         C.POINTER(Error))),
                ("task_exited", C.CFUNCTYPE(None, C.c_void_p, C.c_uint32, C.c_int)),
                ("step_destroy", C.CFUNCTYPE(None, C.c_void_p))]


class Plugin(C.Structure):
    _fields_ = [("type", C.c_char_p), ("name", C.c_char_p), ("abi", C.c_uint),
                ("ops", C.POINTER(Ops))]


class Result:
    def __init__(self):
        self.outputs = {}      # rank -> stdout text
        self.errors = {}       # rank -> stderr text
        self.statuses = {}     # rank -> returncode (negative: signal)
        self.aborts = []       # (node, status, message)
        self.logs = []         # (node, level, message)
        self.fences = 0


def run(plugin_path, argv, tasks_per_node, tmpdir, job_id=7, step_id=0, timeout=120,
        env=None):
    """Run argv as len(tasks_per_node) nodes' ranks under the plugin; returns
    a Result once every rank has exited (ranks are killed after timeout or
    an abort)."""
    lib = C.CDLL(plugin_path)
    plugin = Plugin.in_dll(lib, "sluice_plugin")
    ops = plugin.ops.contents
    nnodes = len(tasks_per_node)
    names = (C.c_char_p * nnodes)(*[b"node%d" % i for i in range(nnodes)])
    tpn = (C.c_uint32 * nnodes)(*tasks_per_node)
    res = Result()
    pending = {}               # node -> (blob, done, ctx), this round
    lock = threading.Lock()
    ready = queue.Queue()

    def fence(arg, data, length, done, ctx):
        with lock:
            pending[arg or 0] = (C.string_at(data, length), done, ctx)
            if len(pending) == nnodes:
                ready.put(dict(pending))
                pending.clear()
        return 0

    def abort(arg, status, message):
        res.aborts.append((arg or 0, status, message.decode()))

    def log(arg, level, message):
        res.logs.append((arg or 0, level, message.decode()))

    callbacks = (FENCE(fence), ABORT(abort), LOG(log))
    hosts, states, steps, procs = [], [], [], []
    first = 0
    try:
        for node in range(nnodes):
            d = os.path.join(tmpdir, "node%d" % node)
            os.makedirs(d, exist_ok=True)
            step = Step(job_id, step_id, node, nnodes, names, tpn, sum(tasks_per_node),
                        tasks_per_node[node], first, os.getuid(), os.getgid(), d.encode())
            host = Host(node, *callbacks)
            err = Error()
            state = ops.step_create(C.byref(step), C.byref(host), C.byref(err))
            if not state:
                raise RuntimeError("step_create on node %d: %s" % (node, err.text.decode()))
            steps.append(step)
            hosts.append(host)
            states.append(state)
            for local in range(tasks_per_node[node]):
                arr = ops.task_env(state, local, C.byref(err))
                if not arr:
                    raise RuntimeError("task_env: %s" % err.text.decode())
                penv = dict(env if env is not None else os.environ)
                i = 0
                while arr[i]:
                    k, _, v = arr[i].decode().partition("=")
                    penv[k] = v
                    i += 1
                rank = first + local
                procs.append((node, local, rank, subprocess.Popen(
                    argv, env=penv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                    start_new_session=True)))
            first += tasks_per_node[node]
        _serve(ops, states, procs, ready, res, timeout)
    finally:
        for node, local, rank, p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        for state in states:
            ops.step_destroy(state)
    return res


def _serve(ops, states, procs, ready, res, timeout):
    deadline = time.monotonic() + timeout
    readers = []
    for node, local, rank, p in procs:
        t = threading.Thread(target=_drain, args=(p, rank, res), daemon=True)
        t.start()
        readers.append(t)
    live = list(procs)
    while live:
        try:
            blobs = ready.get(timeout=0.05)
            data = b"".join(blobs[n][0] for n in sorted(blobs))
            res.fences += 1
            for n in sorted(blobs):
                _, done, ctx = blobs[n]
                C.cast(done, FENCE_DONE)(ctx, 1, data, len(data))
        except queue.Empty:
            pass
        if res.aborts or time.monotonic() > deadline:
            for node, local, rank, p in live:
                if p.poll() is None:
                    os.killpg(p.pid, signal.SIGKILL)
        for item in list(live):
            node, local, rank, p = item
            if p.poll() is not None:
                rc = p.returncode
                ops.task_exited(states[node], local, -rc if rc < 0 else (rc & 0xff) << 8)
                res.statuses[rank] = p.returncode
                live.remove(item)
    for t in readers:
        t.join(10)


def _drain(p, rank, res):
    out, err = p.communicate()
    res.outputs[rank] = out.decode(errors="replace")
    res.errors[rank] = err.decode(errors="replace")


def run_isolated(plugin_path, argv, tasks_per_node, tmpdir, timeout=120, **kw):
    """run() in a child Python, so that a plugin built with ASan (the
    sanitizer pass of testsuite/run) can be loaded: the child gets the ASan
    runtime preloaded, as a C host would have it linked in first."""
    env = dict(os.environ)
    asan = _asan_runtime(plugin_path)
    if asan:
        env["LD_PRELOAD"] = asan
        # Python itself is not built for LeakSanitizer: its arenas would be
        # reported; the plugin's leaks are the C unit tests' business.
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    job = dict(plugin=plugin_path, argv=argv, tpn=tasks_per_node, tmpdir=tmpdir,
               timeout=timeout, kw=kw)
    p = subprocess.run([sys.executable, os.path.abspath(__file__)], input=json.dumps(job),
                       capture_output=True, text=True, env=env, timeout=timeout + 60)
    if p.returncode != 0:
        raise RuntimeError("mpidriver failed (%d): %s" % (p.returncode, p.stderr[-2000:]))
    d = json.loads(p.stdout)
    res = Result()
    res.outputs = {int(k): v for k, v in d["outputs"].items()}
    res.errors = {int(k): v for k, v in d["errors"].items()}
    res.statuses = {int(k): v for k, v in d["statuses"].items()}
    res.aborts = [tuple(a) for a in d["aborts"]]
    res.logs = [tuple(a) for a in d["logs"]]
    res.fences = d["fences"]
    return res


def _asan_runtime(plugin_path):
    try:
        out = subprocess.run(["ldd", plugin_path], capture_output=True, text=True).stdout
    except OSError:
        return None
    for line in out.splitlines():
        if "libasan" in line and "=>" in line:
            return line.split("=>")[1].split()[0]
    return None


if __name__ == "__main__":
    job = json.load(sys.stdin)
    r = run(job["plugin"], job["argv"], job["tpn"], job["tmpdir"], timeout=job["timeout"],
            **job["kw"])
    json.dump(dict(outputs=r.outputs, errors=r.errors, statuses=r.statuses, aborts=r.aborts,
                   logs=r.logs, fences=r.fences), sys.stdout)
