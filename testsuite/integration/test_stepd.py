"""sluicestepd by itself: a launch record in a job directory in, a
status.json and the job's output files out.  No daemons needed.

The binary is SLUICE_BUILD/src/stepd/sluicestepd (SLUICE_BUILD defaults to
the build/ directory of the repository)."""

import ctypes
import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get('SLUICE_BUILD', os.path.join(REPO, 'build'))
STEPD = os.path.join(BUILD, 'src', 'stepd', 'sluicestepd')

pytestmark = pytest.mark.skipif(not os.access(STEPD, os.X_OK),
                                reason='sluicestepd not built at ' + STEPD)


class Job:
    """A job directory with a launch record, and a stepd run on it."""

    def __init__(self, root, job_id, script, **fields):
        self.dir = os.path.join(root, 'spool', 'job.%d' % job_id)
        self.cwd = os.path.join(root, 'cwd')
        os.makedirs(self.dir, exist_ok=True)
        os.makedirs(self.cwd, exist_ok=True)
        os.chmod(self.cwd, 0o777)
        pw = pwd.getpwuid(os.getuid())
        self.launch = {
            'job_id': job_id, 'attempt': 0, 'name': 'test', 'uid': pw.pw_uid,
            'gid': pw.pw_gid, 'user': pw.pw_name, 'script': script, 'argv': [],
            'env': {'TESTVAR': 'kept'}, 'cwd': self.cwd, 'partition': 'batch',
            'queue': 'urgent', 'account': '', 'cluster': 'demo', 'nodes': 'n[1-2]',
            'node_name': 'n1', 'node_index': 0, 'num_nodes': 2, 'ntasks': 3,
            'cpus_per_task': 2, 'cpus_on_node': 4, 'cpus_per_node': '4(x2)',
            'mem_mb': 512, 'time_limit': -1, 'kill_wait': 1, 'submit_dir': self.cwd,
            'submit_host': 'login1', 'start_time': int(time.time()),
        }
        # sluiced resolves these from the node's user database (src/noded/account.c).
        user = fields.get('user', pw.pw_name)
        try:
            upw = pwd.getpwnam(user)
            self.launch.update({'home': upw.pw_dir, 'shell': upw.pw_shell,
                                'groups': os.getgrouplist(user, fields.get('gid', upw.pw_gid))})
        except KeyError:
            pass
        self.launch.update(fields)
        for k in [k for k, v in self.launch.items() if v is None]:
            del self.launch[k]
        with open(os.path.join(self.dir, 'launch.json'), 'w') as f:
            json.dump(self.launch, f)
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([STEPD, self.dir], stdin=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        return self.proc

    def wait(self, timeout=30):
        _, err = self.proc.communicate(timeout=timeout)
        assert self.proc.returncode == 0, err.decode()
        with open(os.path.join(self.dir, 'status.json')) as f:
            return json.load(f)

    def run(self, timeout=30):
        self.start()
        return self.wait(timeout)

    def output(self, name=None):
        name = name or 'slurm-%d.out' % self.launch['job_id']
        with open(os.path.join(self.cwd, name)) as f:
            return f.read()


@pytest.fixture
def root():
    d = tempfile.mkdtemp(prefix='stepd-')
    os.chmod(d, 0o755)      # a job run as another user must reach its script
    yield d
    shutil.rmtree(d, ignore_errors=True)


def wait_for_file(path, timeout=10):
    deadline = time.time() + timeout
    while not os.path.exists(path):
        assert time.time() < deadline, 'timed out waiting for ' + path
        time.sleep(0.05)


def sigqueue(pid, sig, value):
    class sigval(ctypes.Union):
        _fields_ = [('sival_int', ctypes.c_int), ('sival_ptr', ctypes.c_void_p)]
    libc = ctypes.CDLL(None, use_errno=True)
    libc.sigqueue.argtypes = [ctypes.c_int, ctypes.c_int, sigval]
    assert libc.sigqueue(pid, sig, sigval(sival_int=value)) == 0


def alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except FileNotFoundError:
        return False


def test_exit_code_and_output(root):
    job = Job(root, 11, '#!/bin/sh\necho "out $1 $2"\necho err >&2\nexit 3\n',
              argv=['a', 'b c'])
    st = job.run()
    assert st['job_id'] == 11
    assert st['exit_code'] == 3 and st['exit_signal'] == 0
    assert not st['timed_out'] and not st['cancelled'] and 'failure' not in st
    assert st['start_time'] > 0 and st['end_time'] >= st['start_time']
    assert job.output() == 'out a b c\nerr\n'
    pid = int(open(os.path.join(job.dir, 'stepd.pid')).read())
    assert pid == job.proc.pid


def test_signal_exit(root):
    st = Job(root, 12, '#!/bin/sh\nkill -9 $$\n').run()
    assert st['exit_code'] == 0 and st['exit_signal'] == 9


def test_environment(root):
    job = Job(root, 13, '#!/bin/sh\nenv\n', env={'TESTVAR': 'kept', 'SLURM_JOB_ID': 'stale'},
              account='physics')
    job.run()
    env = dict(l.split('=', 1) for l in job.output().splitlines() if '=' in l)
    pw = pwd.getpwuid(os.getuid())
    expect = {
        'TESTVAR': 'kept', 'SLURM_JOB_ID': '13', 'SLURM_JOBID': '13',
        'SLURM_JOB_NAME': 'test', 'SLURM_JOB_NODELIST': 'n[1-2]', 'SLURM_NODELIST': 'n[1-2]',
        'SLURM_JOB_NUM_NODES': '2', 'SLURM_NNODES': '2', 'SLURM_NTASKS': '3',
        'SLURM_NPROCS': '3', 'SLURM_CPUS_PER_TASK': '2', 'SLURM_CPUS_ON_NODE': '4',
        'SLURM_JOB_CPUS_PER_NODE': '4(x2)', 'SLURM_MEM_PER_NODE': '512',
        'SLURM_SUBMIT_DIR': job.cwd, 'SLURM_SUBMIT_HOST': 'login1',
        'SLURM_JOB_PARTITION': 'batch', 'SLURM_JOB_ACCOUNT': 'physics',
        'SLURM_CLUSTER_NAME': 'demo', 'SLURM_JOB_UID': str(pw.pw_uid),
        'SLURM_JOB_GID': str(pw.pw_gid), 'SLURM_JOB_USER': pw.pw_name,
        'SLURM_RESTART_COUNT': '0', 'SLURMD_NODENAME': 'n1', 'SLURM_NODEID': '0',
        'SLURM_PROCID': '0', 'SLURM_LOCALID': '0', 'SLURM_GTIDS': '0',
        'SLURM_TASKS_PER_NODE': '2,1', 'AWS_BATCH_JOB_ID': '13',
        'AWS_BATCH_JQ_NAME': 'urgent', 'AWS_BATCH_CE_NAME': 'batch',
        'AWS_BATCH_JOB_ATTEMPT': '1', 'HOME': pw.pw_dir, 'USER': pw.pw_name,
        'LOGNAME': pw.pw_name,
    }
    for k, v in expect.items():
        assert env.get(k) == v, k
    assert 'PATH' in env


def test_output_patterns_and_append(root):
    script = '#!/bin/sh\necho out\necho err >&2\n'
    job = Job(root, 14, script, name='pat', stdout='o-%j-%x-%u-%N-%A-%a-%%.txt',
              stderr=os.path.join(root, 'cwd', 'e-%4j.txt'), open_mode='append')
    job.run()
    user = pwd.getpwuid(os.getuid()).pw_name
    name = 'o-14-pat-%s-n1-14-4294967294-%%.txt' % user
    assert job.output(name) == 'out\n'
    assert job.output('e-0014.txt') == 'err\n'
    os.unlink(os.path.join(job.dir, 'status.json'))
    job.run()
    assert job.output(name) == 'out\nout\n'


def test_time_limit(root):
    job = Job(root, 15, '#!/bin/sh\nsleep 100\n', time_limit=2, kill_wait=1)
    t0 = time.time()
    st = job.run()
    assert st['timed_out'] and not st['cancelled']
    assert st['exit_signal'] == signal.SIGTERM
    assert 1.5 < time.time() - t0 < 10


def test_time_limit_sigterm_ignored(root):
    job = Job(root, 16, '#!/bin/bash\ntrap "" TERM\nwhile :; do sleep 0.2; done\n',
              time_limit=1, kill_wait=1)
    t0 = time.time()
    st = job.run()
    assert st['timed_out'] and st['exit_signal'] == signal.SIGKILL
    assert 1.5 < time.time() - t0 < 10


def test_no_orphans(root):
    pidfile = os.path.join(root, 'orphan.pid')
    script = ('#!/bin/bash\nsetsid bash -c \'echo $$ > %s; exec sleep 1000\' &\n'
              '(sleep 1000 &)\nwhile [ ! -s %s ]; do sleep 0.05; done\nexit 0\n'
              % (pidfile, pidfile))
    st = Job(root, 17, script).run()
    assert st['exit_code'] == 0
    orphan = int(open(pidfile).read())
    assert not alive(orphan)


def test_cancel(root):
    job = Job(root, 18, '#!/bin/sh\necho started\nsleep 100\n', kill_wait=5)
    job.start()
    wait_for_file(os.path.join(job.cwd, 'slurm-18.out'))
    time.sleep(0.3)
    job.proc.send_signal(signal.SIGTERM)
    st = job.wait()
    assert st['cancelled'] and not st['timed_out']
    assert st['exit_signal'] == signal.SIGTERM


def test_signal_forwarding(root):
    script = ('#!/bin/bash\ntrap \'echo got USR1; exit 7\' USR1\necho ready\n'
              'while :; do sleep 0.1; done\n')
    job = Job(root, 19, script)
    job.start()
    out = os.path.join(job.cwd, 'slurm-19.out')
    deadline = time.time() + 10
    while 'ready' not in (open(out).read() if os.path.exists(out) else ''):
        assert time.time() < deadline
        time.sleep(0.05)
    sigqueue(job.proc.pid, signal.SIGRTMIN, signal.SIGUSR1)
    st = job.wait()
    assert st['exit_code'] == 7 and not st['cancelled']
    assert 'got USR1' in job.output()


@pytest.mark.parametrize('field,value,message', [
    ('stdout', '/nonexistent-dir/out.txt', 'could not open output file /nonexistent-dir/out.txt'),
    ('stdin', '/nonexistent-dir/in.txt', 'could not open input file /nonexistent-dir/in.txt'),
    ('cwd', '/nonexistent-dir', 'could not chdir to /nonexistent-dir'),
])
def test_launch_failures(root, field, value, message):
    st = Job(root, 20, '#!/bin/sh\necho never\n', **{field: value}).run()
    assert st['failure'].startswith(message), st['failure']
    assert st['exit_code'] != 0


def test_bad_launch_record(root):
    d = os.path.join(root, 'spool', 'job.21')
    os.makedirs(d)
    with open(os.path.join(d, 'launch.json'), 'w') as f:
        f.write('{"job_id": 21}')
    subprocess.run([STEPD, d], check=True, stderr=subprocess.DEVNULL)
    st = json.load(open(os.path.join(d, 'status.json')))
    assert st['job_id'] == 21 and 'uid' in st['failure']


@pytest.mark.skipif(os.getuid() != 0, reason='needs root to change user')
def test_runs_as_user(root):
    pw = pwd.getpwnam('nobody')
    job = Job(root, 22, '#!/bin/sh\nid -u; id -g\n', uid=pw.pw_uid, gid=pw.pw_gid,
              user='nobody')
    st = job.run()
    assert st['exit_code'] == 0, st
    assert job.output().split() == [str(pw.pw_uid), str(pw.pw_gid)]
    assert os.stat(os.path.join(job.cwd, 'slurm-22.out')).st_uid == pw.pw_uid


@pytest.mark.skipif(os.getuid() != 0, reason='needs root to change user')
def test_supplementary_groups_from_the_record(root):
    """The stepd sets exactly the groups sluiced resolved: no name service."""
    pw = pwd.getpwnam('nobody')
    job = Job(root, 24, '#!/bin/sh\nid -G\n', uid=pw.pw_uid, gid=pw.pw_gid, user='nobody',
              groups=[pw.pw_gid, 4242])
    assert job.run()['exit_code'] == 0
    assert sorted(int(g) for g in job.output().split()) == sorted({pw.pw_gid, 4242})


@pytest.mark.skipif(os.getuid() != 0, reason='needs root to change user')
def test_refuses_record_without_groups(root):
    st = Job(root, 25, '#!/bin/sh\necho never\n', groups=None).run()
    assert 'no group list' in st['failure'] and st['exit_code'] != 0


@pytest.mark.skipif(os.getuid() == 0, reason='runs as root')
def test_refuses_other_user(root):
    st = Job(root, 23, '#!/bin/sh\ntrue\n', uid=os.getuid() + 1, user='someone').run()
    assert 'not root' in st['failure']


def test_array_environment(root):
    """An array task sees SLURM_ARRAY_* and AWS_BATCH_JOB_ARRAY_*; %A/%a name its file."""
    job = Job(root, 20, '#!/bin/sh\nenv | grep -E "^(SLURM_ARRAY|AWS_BATCH_JOB_ARRAY)" | sort\n',
              array_job_id=17, array_task_id=4, array_task_count=5, array_task_min=0,
              array_task_max=8, array_task_step=2, stdout='arr-%A_%a.out')
    assert job.run()['exit_code'] == 0
    env = dict(line.split('=', 1) for line in job.output('arr-17_4.out').split())
    assert env == {'SLURM_ARRAY_JOB_ID': '17', 'SLURM_ARRAY_TASK_ID': '4',
                   'SLURM_ARRAY_TASK_COUNT': '5', 'SLURM_ARRAY_TASK_MIN': '0',
                   'SLURM_ARRAY_TASK_MAX': '8', 'SLURM_ARRAY_TASK_STEP': '2',
                   'AWS_BATCH_JOB_ARRAY_INDEX': '4', 'AWS_BATCH_JOB_ARRAY_SIZE': '5'}


def test_no_array_environment_for_plain_jobs(root):
    job = Job(root, 21, '#!/bin/sh\nenv | grep -c ARRAY || true\n')
    assert job.run()['exit_code'] == 0
    assert job.output().strip() == '0'


def test_warning_signal_before_limit(root):
    """--signal=B:USR1@2 with a 3 s limit: USR1 reaches the batch shell about
    1 s in, well before the limit's SIGTERM; the job finishes by itself."""
    script = ('#!/bin/bash\ntrap \'echo warned; exit 0\' USR1\n'
              'for i in $(seq 300); do sleep 0.1; done\necho not-warned\n')
    job = Job(root, 22, script, time_limit=3, warn_signal=int(signal.SIGUSR1), warn_time=2,
              warn_batch_only=True)
    st = job.run()
    assert job.output().strip() == 'warned'
    assert st['exit_code'] == 0
    assert not st['timed_out']


def test_warning_signal_reaches_the_whole_job(root):
    """Without B: the job's other processes get the signal too (here: the
    sleep, which USR1 kills, as bash reports)."""
    script = ('#!/bin/bash\ntrap \'echo warned; exit 0\' USR1\n'
              'for i in $(seq 300); do sleep 0.1; done\necho not-warned\n')
    job = Job(root, 23, script, time_limit=3, warn_signal=int(signal.SIGUSR1), warn_time=2)
    st = job.run()
    out = job.output()
    assert out.strip().endswith('warned') and 'not-warned' not in out
    assert not st['timed_out']
