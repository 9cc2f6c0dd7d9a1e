"""Input is never altered on its way to a job: a script with a NUL byte, text
that is not UTF-8 (the protocol is JSON: such bytes cannot travel as
strings), an over-long job name and absurd sizes are refused at submit with
a message naming the problem, by sbatch and by the controller (a raw client
cannot bypass it).  A job with 100,000 exported variables starts and sees
them all."""

import json
import os
import shutil

import pytest

from conftest import wait_for
from test_bad_input import connect, frame, hello, recv_frame, sbatch_refused

APPEND = """KillWait=2
PartitionName=batch MaxTime=60
"""

NOT_UTF8 = os.fsdecode(b"caf\xe9")      # a str that becomes the bytes b"caf\xe9" in argv/env


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=1, cpus=4, mem=4000, append=APPEND)


@pytest.fixture(autouse=True)
def clean(request, cluster):
    yield
    cluster.reset()


def write_bytes(cluster, data, name):
    path = os.path.join(cluster.work, name)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, 0o755)
    return path


# ---- the script

def test_script_with_a_nul_byte_is_refused(cluster):
    path = write_bytes(cluster, b"#!/bin/sh\necho before\n\0echo after\n", "nul.sh")
    r = sbatch_refused(cluster, path, words=["NUL byte", "offset 22"])
    assert "script" in r.err, r


def test_script_not_utf8_is_refused(cluster):
    path = write_bytes(cluster, b"#!/bin/sh\n# caf\xe9\necho hi\n", "latin1.sh")
    sbatch_refused(cluster, path, words=["not valid UTF-8", "line 2"])


def test_script_from_stdin_with_nul(cluster):
    before = cluster.queue_ids()
    import subprocess
    p = subprocess.run([cluster.bin("sbatch")], input=b"#!/bin/sh\n\0true\n", env=cluster.env,
                       cwd=cluster.work, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.returncode != 0 and b"NUL byte at offset 10" in p.stderr, p
    assert cluster.queue_ids() == before


def test_script_over_the_size_limit(cluster):
    body = b"#!/bin/sh\n" + (b"# " + b"x" * 97 + b"\n") * (5 * 1024 * 1024 // 100) + b"true\n"
    path = write_bytes(cluster, body, "big.sh")
    sbatch_refused(cluster, path, words=["script", "4194304"])


# ---- options

@pytest.mark.parametrize("opt,name", [
    ("-J", "job-name"), ("-o", "output"), ("-e", "error"), ("-i", "input"),
    ("--comment", "comment"), ("-A", "account"), ("--wrap", "wrap"), ("-D", "chdir"),
])
def test_option_not_utf8_is_refused(cluster, opt, name):
    sbatch_refused(cluster, opt, NOT_UTF8, *([] if opt == "--wrap" else ["--wrap", "true"]),
                   words=["--" + name, "not valid UTF-8"])


def test_input_variable_not_utf8_is_refused(cluster):
    r = cluster.run([cluster.bin("sbatch"), "--wrap", "true"], env={"SBATCH_JOB_NAME": NOT_UTF8})
    assert r.rc != 0 and "SBATCH_JOB_NAME" in r.err and "not valid UTF-8" in r.err, r


def test_sbatch_line_not_utf8_is_refused(cluster):
    path = write_bytes(cluster, b"#!/bin/sh\n#SBATCH -J caf\xe9\ntrue\n", "line.sh")
    sbatch_refused(cluster, path, words=["not valid UTF-8", "line 2"])


def test_script_argument_not_utf8_is_refused(cluster):
    path = cluster.script("#!/bin/sh\ntrue\n")
    sbatch_refused(cluster, path, "ok", NOT_UTF8, words=["argument 2", "not valid UTF-8"])


def test_environment_variable_not_utf8(cluster):
    """Refused naming the variable; left out with --export=NONE, the job runs."""
    env = {"SLUICE_TEST_LATIN1": NOT_UTF8}
    before = cluster.queue_ids()
    r = cluster.run([cluster.bin("sbatch"), "--wrap", "true"], env=env)
    assert r.rc != 0 and "SLUICE_TEST_LATIN1" in r.err and "not valid UTF-8" in r.err, r
    assert cluster.queue_ids() == before
    d = cluster.mkdir("exportnone")
    r = cluster.run([cluster.bin("sbatch"), "--parsable", "--export=NONE", "--wrap", "true"],
                    env=env, cwd=d)
    assert r.rc == 0, r
    cluster.wait_state(int(r.out.strip()), "COMPLETED")


def test_working_directory_not_utf8(cluster):
    d = os.path.join(os.fsencode(cluster.work), b"dir-caf\xe9")
    os.makedirs(d, exist_ok=True)
    try:
        r = sbatch_refused(cluster, "--wrap", "true", cwd=d,
                           words=["working directory", "not valid UTF-8"])
        assert "\\xE9" in r.err or "\\xe9" in r.err, r     # the byte is shown, escaped
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_job_name_limit(cluster):
    # 1 MiB: more than execve passes on a command line, so from an #SBATCH line
    path = write_bytes(cluster, b"#!/bin/sh\n#SBATCH -J " + b"n" * (1 << 20) + b"\ntrue\n",
                       "hugename.sh")
    sbatch_refused(cluster, path, words=["name", "1024"])
    sbatch_refused(cluster, "-J", "n" * 1025, "--wrap", "true", words=["name", "1024"])
    d = cluster.mkdir("longname")
    jid = cluster.submit("-J", "n" * 1024, "--wrap", "true", cwd=d)
    assert cluster.wait_state(jid, "COMPLETED")["JobName"] == "n" * 1024


def test_environment_variable_over_128k(cluster):
    """A variable execve would refuse (the kernel keeps sbatch's own
    environment under it, so it comes from an #SBATCH --export item)."""
    path = write_bytes(cluster, b"#!/bin/sh\n#SBATCH --export=ALL,SLUICE_TEST_BIG="
                       + b"v" * (200 * 1024) + b"\ntrue\n", "bigvar.sh")
    sbatch_refused(cluster, path, words=["SLUICE_TEST_BIG", "131071"])


# ---- the controller is the authority: raw job_submit frames

def raw_submit(cluster, body):
    with connect(cluster) as s:
        hello(cluster, s)
        s.sendall(frame({"op": "job_submit", "id": 5, "body": body}))
        return recv_frame(s)


def base_spec(cluster, **kw):
    spec = {"script": "#!/bin/sh\ntrue\n", "cwd": cluster.work, "name": "raw"}
    spec.update(kw)
    return spec


def nul_refused(rep):
    """The frame's decoder refuses \\u0000 (EPROTO, then closes); were it
    let through, jobspec_check refuses it ("contains a NUL byte at offset
    N", testsuite/unit/test_jobspec.c)."""
    assert rep is None or "error" in rep, rep
    if rep is not None:
        msg = rep["error"]["message"]
        assert "\\u0000" in msg or "NUL byte at offset" in msg, rep


@pytest.mark.parametrize("field", ["script", "name", "stdout", "comment"])
def test_raw_nul_is_refused(cluster, field):
    before = cluster.queue_ids()
    value = "#!/bin/sh\n\0true\n" if field == "script" else "a\0b"
    nul_refused(raw_submit(cluster, base_spec(cluster, **{field: value})))
    assert cluster.queue_ids() == before


def test_raw_invalid_utf8_is_refused(cluster):
    """Bytes that are not UTF-8 never reach the controller's checks: the
    frame decoder refuses them (EPROTO) and nothing is queued."""
    before = cluster.queue_ids()
    body = json.dumps({"op": "job_submit", "id": 5, "body": base_spec(cluster, name="NAME")})
    data = body.encode().replace(b'"NAME"', b'"caf\xe9"')
    with connect(cluster) as s:
        hello(cluster, s)
        s.sendall(frame(data))
        rep = recv_frame(s)
    assert rep is None or ("error" in rep and rep["error"]["code"] in ("EPROTO", "EINVAL")), rep
    assert cluster.queue_ids() == before


def test_raw_nul_in_environment_is_refused(cluster):
    before = cluster.queue_ids()
    nul_refused(raw_submit(cluster, base_spec(cluster, env={"A": "x\0y"})))
    assert cluster.queue_ids() == before


@pytest.mark.parametrize("field,limit", [("name", 1024), ("comment", 1024), ("account", 1024),
                                         ("stdout", 4096), ("cwd", 4096)])
def test_raw_over_long_field_is_refused(cluster, field, limit):
    before = cluster.queue_ids()
    value = "/" + "x" * limit if field == "cwd" else "x" * (limit + 1)
    rep = raw_submit(cluster, base_spec(cluster, **{field: value}))
    assert "error" in rep and rep["error"]["code"] == "EINVAL", rep
    assert field in rep["error"]["message"] and str(limit) in rep["error"]["message"], rep
    assert cluster.queue_ids() == before


@pytest.mark.parametrize("kw,words", [
    (dict(env={"V%d" % i: "" for i in range(400000)}), ["environment", "6291456"]),
    (dict(env={"BIG": "v" * (128 * 1024)}), ["BIG", "131072"]),
    (dict(env={"A=B": "x"}), ["environment variable name"]),
    (dict(env={"": "x"}), ["environment variable name"]),
    (dict(argv=["a"] * 700000), ["arguments", "6291456"]),
    (dict(argv=["a", 7]), ["argv"]),
    (dict(env={"A": 7}), ["env"]),
])
def test_raw_environment_and_arguments_limits(cluster, kw, words):
    before = cluster.queue_ids()
    rep = raw_submit(cluster, base_spec(cluster, **kw))
    assert "error" in rep and rep["error"]["code"] == "EINVAL", rep
    for w in words:
        assert w.lower() in rep["error"]["message"].lower(), (w, rep)
    assert cluster.queue_ids() == before


# ---- a large environment starts, and fast enough

def test_hundred_thousand_exported_variables(cluster):
    d = cluster.mkdir("manyvars")
    env = {"V%d" % i: "1" for i in range(100000)}
    path = cluster.script("#!/bin/sh\nenv | grep -c '^V[0-9]*=1$'\n", cwd=d)
    r = cluster.run([cluster.bin("sbatch"), "--parsable", path], env=env, cwd=d, timeout=120)
    assert r.rc == 0, r
    jid = int(r.out.strip())
    j = cluster.wait_state(jid, ("COMPLETED", "FAILED"), timeout=120)
    out = open(os.path.join(d, "slurm-%d.out" % jid)).read()
    assert j["JobState"] == "COMPLETED", (j, out)
    assert out.strip() == "100000", out


# ---- the other commands: an argument that is not UTF-8 would be dropped
# from the request (widening a filter, emptying an update): refused

@pytest.mark.parametrize("argv", [
    ["scontrol", "update", "JobId=1", "Name=" + NOT_UTF8],
    ["scontrol", "update", "JobId=1", "Comment=" + NOT_UTF8],
    ["scancel", "-n", NOT_UTF8],
    ["squeue", "-n", NOT_UTF8],
    ["sacct", "-u", NOT_UTF8],
    ["sinfo", "-p", NOT_UTF8],
])
def test_command_argument_not_utf8(cluster, argv):
    d = cluster.mkdir("cmdarg")
    held = cluster.submit("-H", "--wrap", "true", cwd=d)
    r = cluster.run([cluster.bin(argv[0])] + argv[1:])
    assert r.rc != 0, r
    assert "not valid UTF-8" in r.err and "caf\\xE9" in r.err, r
    assert cluster.job(held)["JobState"] == "PENDING" and cluster.job(held)["JobName"] == "wrap"


def test_update_name_limit(cluster):
    d = cluster.mkdir("updname")
    held = cluster.submit("-H", "--wrap", "true", cwd=d)
    r = cluster.run(cluster.bin("scontrol"), "update", "JobId=%d" % held, "Name=" + "n" * 2000)
    assert r.rc != 0 and "name" in r.err and "1024" in r.err, r
    with connect(cluster) as s:
        hello(cluster, s)
        s.sendall(frame({"op": "job_update", "id": 6, "body": {"job_id": held, "name": "a\0b"}}))
        rep = recv_frame(s)
    nul_refused(rep)
    assert cluster.job(held)["JobName"] == "wrap"
    cluster.ok(cluster.bin("scontrol"), "update", "JobId=%d" % held, "Name=" + "n" * 1024)
    assert cluster.job(held)["JobName"] == "n" * 1024
