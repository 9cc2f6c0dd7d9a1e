"""cloud/ec2 against the mock EC2 endpoint (mock_ec2.py; doc/guide-ec2.md):
every request's SigV4 signature is checked by botocore's signer, instances
boot by running their user data so the node really joins; throttling is
retried, a type without capacity gives way to the next, bad credentials
take the node DOWN with EC2's reason, an instance terminated behind
Sluice's back takes its node DOWN, and a hanging call leaves squeue
answering.  Credentials come from a shared credentials file with a
profile and a session token.  Every wait is for a condition."""

import base64
import os

import pytest

from conftest import BUILD, REPO, wait_for
from mock_ec2 import MockEC2
from test_elastic import CATALOG, free_range

ACCESS, SECRET, TOKEN = "AKIDSLUICETEST", "sluice/test+secret", "session-token/+="

CONF = """CloudType=cloud/ec2
Ec2Endpoint=%(endpoint)s
Ec2Region=us-east-1
Ec2ImageId=ami-0123456789abcdef0
Ec2InstanceType=m5.large,m5a.large
Ec2SubnetIds=subnet-0aaa
Ec2SecurityGroupIds=sg-01,sg-02
Ec2IamInstanceProfile=sluice-node
Ec2Profile=sluicetest
Ec2UserData=%(user_data)s
Ec2LaunchTemplate=sluice-node
InstanceTypeCatalog=%(catalog)s
SuspendTime=4
SuspendTimeout=1
ResumeTimeout=40
KillWait=2
NodeName=n[3-6] State=CLOUD
PartitionName=cloud Nodes=n[3-6] MaxTime=INFINITE State=UP
PartitionName=fl Elastic=YES MaxvCPUs=2 InstanceTypes=c6i.large,m6i.large AllocationStrategy=BEST_FIT_PROGRESSIVE ScaleDownDelay=2 NodePort=%(port)d MaxTime=INFINITE
PartitionName=fs Elastic=YES MaxvCPUs=2 InstanceTypes=c6i.large Purchasing=spot AllocationStrategy=SPOT_CAPACITY_OPTIMIZED ScaleDownDelay=2 NodePort=%(port2)d MaxTime=INFINITE
"""

AWS_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
           "AWS_SHARED_CREDENTIALS_FILE", "AWS_EC2_METADATA_DISABLED")


@pytest.fixture(scope="module")
def mock(tmp_path_factory):
    d = tmp_path_factory.mktemp("ec2")
    creds = d / "credentials"
    creds.write_text("[default]\naws_access_key_id = WRONG\naws_secret_access_key = WRONG\n"
                     "[sluicetest]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                     "aws_session_token = %s\n" % (ACCESS, SECRET, TOKEN))
    saved = {k: os.environ.get(k) for k in AWS_ENV}
    for k in AWS_ENV:
        os.environ.pop(k, None)
    # The controller (started by devcluster with this environment) reads it.
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(creds)
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    m = MockEC2(ACCESS, SECRET, TOKEN, workdir=str(d), boot_env={
        "SLUICE_FAKE_HW": "cpus=2,mem=1000",
        "SLUICE_STEPD": os.path.join(BUILD, "src", "stepd", "sluicestepd"),
        "SLUICE_SPOT_POLL": "1"})
    m.start()
    yield m
    m.stop()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="module")
def cluster(cluster_factory, mock):
    port = free_range(8)
    conf = CONF % {"endpoint": mock.endpoint,
                   "user_data": os.path.join(REPO, "etc", "ec2-user-data.sh"),
                   "catalog": CATALOG, "port": port, "port2": port + 4}
    c = cluster_factory(nodes=6, cpus=2, mem=1000, append=conf)
    mock.boot_env["SLUICE_CONF"] = c.conf
    # CreateFleet boots the launch template's user data: the shipped one with
    # the paths filled in and the node left to the instance's Name tag.
    with open(os.path.join(REPO, "etc", "ec2-user-data.sh")) as f:
        ud = f.read()
    mock.launch_templates["sluice-node"] = ud.replace("@CONF@", c.conf).replace(
        "@SLUICED@", os.path.join(BUILD, "src", "noded", "sluiced")).replace(
        "@SCONTROL@", c.bin("scontrol"))
    mock.type_hw.update({"c6i.large": "cpus=2,mem=4096", "m6i.large": "cpus=2,mem=8192"})
    return c


def state(c, node):
    return c.node_states().get(node, "")


def runs_for(mock, node):
    return [p for p in mock.actions("RunInstances")
            if p.get("TagSpecification.1.Tag.1.Value") == node]


def test_job_powers_up_an_instance_that_joins_and_is_terminated(cluster, mock):
    assert state(cluster, "n3") == "idle~", cluster.node_states()
    jid = cluster.submit("-p", "cloud", "-w", "n3", "-o", "/dev/null", "--wrap", "hostname")
    cluster.wait_state(jid, ("COMPLETED",), timeout=60)
    (run,) = runs_for(mock, "n3")
    assert run["MinCount"] == run["MaxCount"] == "1", run
    assert run["InstanceType"] == "m5.large" and run["ImageId"].startswith("ami-"), run
    assert run["SubnetId"] == "subnet-0aaa" and run["SecurityGroupId.2"] == "sg-02", run
    assert run["IamInstanceProfile.Name"] == "sluice-node", run
    assert run["TagSpecification.1.Tag.2.Key"] == "sluice:cluster", run
    assert run["TagSpecification.1.Tag.2.Value"] == "devcluster", run
    assert run["ClientToken"].startswith("sluice-"), run
    user_data = base64.b64decode(run["UserData"]).decode()
    assert "-N \"$NODE\"" in user_data and "NODE='n3'" in user_data, user_data
    # Idle for SuspendTime: powered down, and its instance terminated.
    wait_for(lambda: state(cluster, "n3") == "idle~", 60, "n3 powered down")
    wait_for(lambda: mock.live("n3") == [], 30, "n3's instance terminated")
    assert mock.actions("TerminateInstances"), mock.calls
    assert mock.verified > 0 and mock.rejected == 0, (mock.verified, mock.rejected)


def test_throttling_is_retried_with_the_same_client_token(cluster, mock):
    mock.throttle_action, mock.throttle = "RunInstances", 2
    cluster.ok(cluster.bin("scontrol"), "power", "up", "n4")
    wait_for(lambda: state(cluster, "n4") == "idle", 60, "n4 powered up")
    runs = runs_for(mock, "n4")
    assert len(runs) == 3, runs
    assert len({r["ClientToken"] for r in runs}) == 1, runs
    assert len(mock.live("n4")) == 1


def test_no_capacity_moves_to_the_next_type_and_a_lost_instance_downs_the_node(cluster, mock):
    mock.throttle_action, mock.throttle = None, 0
    mock.no_capacity = {"m5.large"}
    jid = cluster.submit("-p", "cloud", "-w", "n5", "-o", "/dev/null", "--requeue",
                         "--wrap", "sleep 300")
    cluster.wait_state(jid, ("RUNNING",), timeout=60)
    types = [r["InstanceType"] for r in runs_for(mock, "n5")]
    assert types == ["m5.large", "m5a.large"], types
    assert mock.instances[mock.live("n5")[0]]["type"] == "m5a.large"
    mock.no_capacity = set()
    # A spot interruption: the controller's periodic describe finds it.
    mock.lose("n5")
    wait_for(lambda: state(cluster, "n5").startswith("down"), 60, "n5 DOWN")
    assert "instance" in cluster.node("n5")["Reason"], cluster.node("n5")
    wait_for(lambda: cluster.job(jid).get("Restarts", "0") != "0", 30, "job %d requeued" % jid)
    cluster.ok(cluster.bin("scancel"), str(jid))


def test_spot_interruption_downs_the_node_with_the_reason_and_requeues(cluster, mock):
    jid = cluster.submit("-p", "cloud", "-w", "n3", "-o", "/dev/null", "--requeue",
                         "--wrap", "sleep 300")
    try:
        cluster.wait_state(jid, ("RUNNING",), timeout=60)
        mock.interrupt("n3")
        wait_for(lambda: state(cluster, "n3").startswith("down"), 60, "n3 DOWN")
        why = cluster.node("n3")["Reason"]
        assert "Server.SpotInstanceTermination" in why and "shutting-down" in why, why
        wait_for(lambda: cluster.job(jid).get("Restarts", "0") != "0", 30,
                 "job %d requeued" % jid)
        r = cluster.ok(cluster.bin("sacct"), "-D", "-n", "-X", "-j", str(jid), "-o", "State")
        assert "NODE_FAIL" in r.out, r.out
    finally:
        cluster.run(cluster.bin("scancel"), str(jid))
        cluster.run(cluster.bin("scontrol"), "update", "NodeName=n3", "State=RESUME")
    wait_for(lambda: state(cluster, "n3") == "idle~", 60, "n3 powered down again")


def fleets_for(mock, node):
    return [p for p in mock.actions("CreateFleet")
            if p.get("TagSpecification.1.Tag.1.Value") == node]


def test_mixed_types_use_create_fleet_and_the_node_takes_the_launched_type(cluster, mock):
    mock.no_capacity = {"c6i.large"}
    try:
        jid = cluster.submit("-p", "fl", "-o", "/dev/null", "--wrap", "true")
        cluster.wait_state(jid, ("COMPLETED",), timeout=60)
    finally:
        mock.no_capacity = set()
    node = cluster.sacct(jid, "JobID,NodeList")["NodeList"]
    (fleet,) = fleets_for(mock, node)
    assert runs_for(mock, node) == [], runs_for(mock, node)
    pre = "LaunchTemplateConfigs.1."
    assert fleet["Type"] == "instant", fleet
    assert fleet[pre + "LaunchTemplateSpecification.LaunchTemplateName"] == "sluice-node"
    assert (fleet[pre + "Overrides.1.InstanceType"], fleet[pre + "Overrides.1.Priority"]) == \
        ("c6i.large", "1"), fleet
    assert (fleet[pre + "Overrides.2.InstanceType"], fleet[pre + "Overrides.2.Priority"]) == \
        ("m6i.large", "2"), fleet
    assert fleet[pre + "Overrides.1.SubnetId"] == "subnet-0aaa", fleet
    assert fleet["OnDemandOptions.AllocationStrategy"] == "prioritized", fleet
    assert fleet["TargetCapacitySpecification.DefaultTargetCapacityType"] == "on-demand"
    assert "UserData" not in fleet, fleet
    # EC2 had no c6i.large: the node runs as the m6i.large it was launched as.
    n = cluster.node(node)
    assert n["AvailableFeatures"] == "m6i.large" and n["RealMemory"] == "8192", n
    wait_for(lambda: state(cluster, node) == "idle~", 60, "%s powered down" % node)


def test_create_fleet_without_capacity_downs_the_node_with_ec2s_error(cluster, mock):
    mock.no_capacity = {"c6i.large", "m6i.large"}
    jid = cluster.submit("-p", "fl", "-o", "/dev/null", "--wrap", "true")
    try:
        wait_for(lambda: any(state(cluster, "fl-%d" % i).startswith("down") for i in (1, 2)),
                 60, "an fl node DOWN")
        node = [n for n in ("fl-1", "fl-2") if state(cluster, n).startswith("down")][0]
        why = cluster.node(node)["Reason"]
        assert "CreateFleet: InsufficientInstanceCapacity" in why, why
        # Capacity back, the nodes returned to service: the job runs.
        mock.no_capacity = set()
        for n in ("fl-1", "fl-2"):
            if state(cluster, n).startswith("down"):
                cluster.ok(cluster.bin("scontrol"), "update", "NodeName=" + n, "State=RESUME")
        cluster.wait_state(jid, ("COMPLETED",), timeout=90)
    finally:
        mock.no_capacity = set()
        cluster.run(cluster.bin("scancel"), str(jid))
        for n in ("fl-1", "fl-2"):
            if state(cluster, n).startswith("down"):
                cluster.run(cluster.bin("scontrol"), "update", "NodeName=" + n, "State=RESUME")
    wait_for(lambda: all(state(cluster, "fl-%d" % i) == "idle~" for i in (1, 2)), 60,
             "fl nodes powered down")


def test_spot_partition_uses_create_fleet_with_the_spot_strategy(cluster, mock):
    jid = cluster.submit("-p", "fs", "-o", "/dev/null", "--wrap", "true")
    cluster.wait_state(jid, ("COMPLETED",), timeout=60)
    node = cluster.sacct(jid, "JobID,NodeList")["NodeList"]
    (fleet,) = fleets_for(mock, node)
    assert fleet["TargetCapacitySpecification.DefaultTargetCapacityType"] == "spot", fleet
    assert fleet["SpotOptions.AllocationStrategy"] == "capacity-optimized", fleet
    (iid,) = [i for i, v in mock.instances.items() if v["node"] == node]
    assert mock.instances[iid]["spot"], mock.instances[iid]
    wait_for(lambda: state(cluster, node) == "idle~", 60, "%s powered down" % node)


def test_spot_notice_drains_the_node_before_the_interruption(cluster, mock):
    """The shipped user data watches a spot instance's metadata for EC2's
    two-minute interruption notice and drains the node when it appears:
    the running job goes on, nothing new starts there; when the instance
    is reclaimed the node goes DOWN and the job is requeued."""
    jid = cluster.submit("-p", "fs", "-o", "/dev/null", "--requeue", "--wrap", "sleep 300")
    try:
        cluster.wait_state(jid, ("RUNNING",), timeout=60)
        node = cluster.job(jid)["NodeList"]
        at = mock.notice(node)
        wait_for(lambda: "spot interruption notice" in cluster.node(node).get("Reason", ""),
                 60, "%s drained by the spot notice" % node)
        assert cluster.node(node)["Reason"].startswith(
            "spot interruption notice: terminate at %s" % at), cluster.node(node)
        assert "DRAIN" in cluster.node(node)["State"], cluster.node(node)
        assert cluster.state(jid) == "RUNNING"
        mock.interrupt(node)
        wait_for(lambda: cluster.job(jid).get("Restarts", "0") != "0", 60,
                 "job %d requeued" % jid)
    finally:
        cluster.run(cluster.bin("scancel"), str(jid))
    r = cluster.ok(cluster.bin("sacct"), "-D", "-n", "-X", "-j", str(jid), "-o", "State")
    assert "NODE_FAIL" in r.out, r.out
    cluster.run(cluster.bin("scontrol"), "update", "NodeName=%s" % node, "State=RESUME")
    wait_for(lambda: state(cluster, node) == "idle~", 60, "%s powered down again" % node)


def test_on_demand_instances_do_not_watch_for_spot_notices(cluster, mock):
    """The watcher leaves at once on an on-demand instance (its
    instance-life-cycle): it never asks for spot/instance-action."""
    jid = cluster.submit("-p", "cloud", "-o", "/dev/null", "--wrap", "true")
    cluster.wait_state(jid, ("COMPLETED",), timeout=60)
    node = cluster.sacct(jid, "JobID,NodeList")["NodeList"]
    (iid,) = [i for i, v in mock.instances.items() if v["node"] == node and not v["spot"]][-1:]
    wait_for(lambda: ("GET", "/%s/latest/meta-data/instance-life-cycle" % iid)
             in mock.imds_calls, 30, "%s's watcher to look at its life cycle" % node)
    assert ("GET", "/%s/latest/meta-data/spot/instance-action" % iid) not in mock.imds_calls
    wait_for(lambda: state(cluster, node) == "idle~", 60, "%s powered down again" % node)


def test_bad_credentials_down_the_node_with_the_reason(cluster, mock):
    mock.secret_key = "not-the-secret"
    try:
        cluster.ok(cluster.bin("scontrol"), "power", "up", "n6")
        wait_for(lambda: state(cluster, "n6").startswith("down"), 60, "n6 DOWN")
        reason = cluster.node("n6")["Reason"]
        assert "AuthFailure" in reason and "signature" in reason, reason
        assert mock.rejected > 0 and runs_for(mock, "n6") == [], mock.calls[-3:]
        log = cluster.log("controller")
        assert log.count("EC2 refuses our credentials") == 1, log[-3000:]
    finally:
        mock.secret_key = SECRET


def test_slow_provider_leaves_squeue_answering(cluster, mock):
    mock.delay = 6
    try:
        cluster.ok(cluster.bin("scontrol"), "power", "up", "n3")
        wait_for(lambda: mock.inflight > 0, 30, "a call to the mock in flight")
        for _ in range(3):
            r = cluster.run(cluster.bin("squeue"), timeout=5)
            assert r.rc == 0, r
        assert mock.inflight > 0, "squeue ran after the slow call ended: nothing was shown"
    finally:
        mock.delay = 0
    wait_for(lambda: state(cluster, "n3") == "idle", 60, "n3 powered up after the slow call")


def test_instance_role_credentials_after_a_restart(cluster, mock):
    """No environment keys and no file: IMDSv2 gives the role's keys.  The
    restarted controller reconciles by describe and launches nothing twice."""
    launched = len(mock.actions("RunInstances"))
    live_n4 = mock.live("n4")
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent"
    os.environ.pop("AWS_EC2_METADATA_DISABLED", None)
    os.environ["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = mock.endpoint.rstrip("/")
    try:
        cluster.restart("controller")
    finally:
        os.environ.pop("AWS_EC2_METADATA_SERVICE_ENDPOINT", None)
        os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    cluster.ok(cluster.bin("scontrol"), "power", "up", "n5")
    wait_for(lambda: state(cluster, "n5") == "idle", 60, "n5 powered up")
    assert ("PUT", "/latest/api/token") in mock.imds_calls, mock.imds_calls
    assert ("GET", "/latest/meta-data/iam/security-credentials/sluice-node") in mock.imds_calls
    # Only n5 was launched; n4's instance (if still up) was not started again.
    assert [r["TagSpecification.1.Tag.1.Value"] for r in
            mock.actions("RunInstances")[launched:]] == ["n5"]
    assert mock.live("n4") == live_n4 or mock.live("n4") == []
