#!/usr/bin/python3
"""mock_ec2.py: a mock of the EC2 Query API on loopback, for cloud/ec2's
tests (testsuite/integration/test_cloud_ec2.py, doc/guide-ec2.md).

Every request's SigV4 signature is verified independently of Sluice's code:
botocore's signer (botocore.auth.SigV4Auth) signs the same request (the
headers the Authorization header says were signed, the body, the
X-Amz-Date given) with the mock's own copy of the credentials, and the
Authorization headers must be equal.  Answers are in EC2's XML shapes
(RunInstances, TerminateInstances, DescribeInstances, errors).  An
instance "boots" by running its base64 user data with sh (in its own
process group), so the node it names really joins the cluster;
terminating it stops that process group.

Error injection (attributes of MockEC2, set by the test):
  throttle       the next N requests answer RequestLimitExceeded (503)
                 (only those of throttle_action, when it is set)
  no_capacity    instance types answered InsufficientInstanceCapacity
  delay          seconds every answer waits (a slow provider)
  secret_key     change it and every signature mismatches (AuthFailure)
  lose(node)     terminates a node's instance behind Sluice's back
  interrupt(node) a spot interruption: the instance goes shutting-down (or
                 terminated) with StateReason Server.SpotInstanceTermination,
                 and its user data's processes are stopped
The same endpoint serves IMDSv2's instance-role credentials (the mock's),
and, under /<instance-id>/latest/... (the SLUICE_IMDS_ENDPOINT an instance
boots with), that instance's Name tag (instance metadata tags), its
instance-life-cycle (spot or on-demand) and spot/instance-action, which
is 404 until notice(node) posts a two-minute interruption notice.

CreateFleet (Type=instant, one instance) boots the launch template's user
data (launch_templates: {name: user data text}) with the first override in
Priority order whose type has capacity; type_hw: {type: SLUICE_FAKE_HW}
gives an instance of that type its hardware.

As a program: mock_ec2.py --port N --access-key K --secret-key S serves
until interrupted."""

import argparse
import base64
import datetime
import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
STATE_CODE = {"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48}


class EC2Error(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class MockEC2:
    def __init__(self, access_key, secret_key, token=None, region="us-east-1", boot_env=None,
                 workdir=None):
        self.access_key, self.secret_key, self.token = access_key, secret_key, token
        self.region = region
        self.boot_env = dict(boot_env or {})
        self.workdir = workdir or tempfile.mkdtemp(prefix="mock-ec2-")
        self.instances = {}            # id -> {"node", "type", "state", "proc", "subnet", ...}
        self.tokens = {}               # ClientToken -> id
        self.calls = []                # (action, params) of every verified request
        self.verified = 0              # signatures found good
        self.rejected = 0              # signatures found bad
        self.throttle = 0
        self.throttle_action = None    # throttle only this action (None: any)
        self.inflight = 0              # requests being answered
        self.no_capacity = set()
        self.delay = 0.0
        self.lock = threading.Lock()
        self.ids = itertools.count(0x1000)
        self.server = None
        self.imds_role = "sluice-node"  # the instance role IMDSv2 serves
        self.imds_calls = []           # (method, path) of IMDS requests
        self.imds_tokens = set()
        self.launch_templates = {}     # CreateFleet: name -> its user data (text)
        self.type_hw = {}              # instance type -> SLUICE_FAKE_HW

    # -- lifecycle
    def start(self, port=0):
        mock = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                mock.handle(self)

            def do_PUT(self):
                mock.imds(self)

            def do_GET(self):
                mock.imds(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self.server.server_address[1]

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d/" % self.server.server_address[1]

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
        with self.lock:
            for inst in self.instances.values():
                self._kill(inst)

    # -- what tests look at
    def live(self, node=None):
        with self.lock:
            return [i for i, v in self.instances.items() if v["state"] in ("pending", "running")
                    and (node is None or v["node"] == node)]

    def actions(self, name):
        with self.lock:
            return [p for a, p in self.calls if a == name]

    def lose(self, node):
        """An instance terminated behind Sluice's back (a spot interruption)."""
        with self.lock:
            for inst in self.instances.values():
                if inst["node"] == node and inst["state"] in ("pending", "running"):
                    inst["state"] = "terminated"
                    inst["reason"] = "Server.SpotInstanceTermination"
                    self._kill(inst)

    def notice(self, node, action="terminate"):
        """EC2's two-minute warning: spot/instance-action appears in the
        instance's metadata."""
        at = (datetime.datetime.now(datetime.timezone.utc) +
              datetime.timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self.lock:
            for inst in self.instances.values():
                if inst["node"] == node and inst["state"] in ("pending", "running"):
                    inst["notice"] = json.dumps({"action": action, "time": at})
        return at

    def interrupt(self, node, state="shutting-down"):
        """EC2 reclaims a spot instance: what DescribeInstances then says."""
        with self.lock:
            for inst in self.instances.values():
                if inst["node"] == node and inst["state"] in ("pending", "running"):
                    inst["state"] = state
                    inst["reason"] = "Server.SpotInstanceTermination"
                    inst["reason_message"] = ("Server.SpotInstanceTermination: Spot instance "
                                              "termination")
                    self._kill(inst)

    # -- IMDSv2 (AWS_EC2_METADATA_SERVICE_ENDPOINT=this endpoint): a session
    # token by PUT, then the role's credentials with it.
    def imds(self, h):
        path = h.path
        with self.lock:
            self.imds_calls.append((h.command, path))
        status, body = 404, "Not Found"
        iid = None
        if path.startswith("/i-"):            # an instance's own metadata
            iid, path = path[1:].split("/", 1)
            path = "/" + path
        if iid and h.command == "GET" and path == "/latest/meta-data/tags/instance/Name":
            inst = self.instances.get(iid)
            if h.headers.get("X-aws-ec2-metadata-token") not in self.imds_tokens:
                status, body = 401, "Unauthorized"
            elif inst:
                status, body = 200, inst["node"]
        elif iid and h.command == "GET" and path in ("/latest/meta-data/instance-life-cycle",
                                                     "/latest/meta-data/spot/instance-action"):
            inst = self.instances.get(iid)
            if h.headers.get("X-aws-ec2-metadata-token") not in self.imds_tokens:
                status, body = 401, "Unauthorized"
            elif inst and path.endswith("instance-life-cycle"):
                status, body = 200, "spot" if inst.get("spot") else "on-demand"
            elif inst and inst.get("notice"):
                status, body = 200, inst["notice"]
        elif h.command == "PUT" and path == "/latest/api/token":
            if h.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                status, body = 200, "imds-token-%x" % next(self.ids)
                self.imds_tokens.add(body)
            else:
                status, body = 400, "Bad Request"
        elif h.command == "GET" and path.startswith("/latest/meta-data/iam/security-credentials/"):
            if h.headers.get("X-aws-ec2-metadata-token") not in self.imds_tokens:
                status, body = 401, "Unauthorized"
            elif path.endswith("/"):
                status, body = 200, self.imds_role
            elif path.rsplit("/", 1)[1] == self.imds_role:
                expires = (datetime.datetime.now(datetime.timezone.utc) +
                           datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
                status, body = 200, json.dumps({
                    "Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": self.access_key,
                    "SecretAccessKey": self.secret_key, "Token": self.token,
                    "Expiration": expires})
        out = body.encode()
        h.send_response(status)
        h.send_header("Content-Length", str(len(out)))
        h.end_headers()
        h.wfile.write(out)

    # -- the HTTP side
    def handle(self, h):
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length)
        with self.lock:
            self.inflight += 1
        try:
            self.answer(h, body)
        finally:
            with self.lock:
                self.inflight -= 1

    def answer(self, h, body):
        if self.delay:
            time.sleep(self.delay)
        try:
            self.verify(h, body)
            params = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
            action = params.get("Action", "")
            with self.lock:
                self.calls.append((action, params))
                if self.throttle > 0 and self.throttle_action in (None, action):
                    self.throttle -= 1
                    raise EC2Error(503, "RequestLimitExceeded", "Request limit exceeded.")
                fn = {"RunInstances": self.run_instances, "CreateFleet": self.create_fleet,
                      "TerminateInstances": self.terminate_instances,
                      "DescribeInstances": self.describe_instances}.get(action)
                if not fn:
                    raise EC2Error(400, "InvalidAction", "The action %s is not valid" % action)
                status, xml = 200, fn(params)
        except Exception as e:           # noqa: BLE001 -- every failure answers in EC2's shape
            if not isinstance(e, EC2Error):
                e = EC2Error(500, "InternalError", "mock: %r" % e)
            status = e.status
            xml = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>"
                   "<Code>%s</Code><Message>%s</Message></Error></Errors>"
                   "<RequestID>%s</RequestID></Response>" % (e.code, escape(e.message),
                                                              self.request_id()))
        out = xml.encode()
        try:
            h.send_response(status)
            h.send_header("Content-Type", "text/xml;charset=UTF-8")
            h.send_header("Content-Length", str(len(out)))
            h.end_headers()
            h.wfile.write(out)
        except OSError:
            pass                        # the client gave up (its timeout)

    def verify(self, h, body):
        """botocore signs what the request says it signed; the results must agree."""
        authz = h.headers.get("Authorization", "")
        if not authz.startswith("AWS4-HMAC-SHA256 "):
            raise EC2Error(401, "AuthFailure", "No SigV4 Authorization header")
        fields = dict(p.strip().split("=", 1) for p in authz[len("AWS4-HMAC-SHA256 "):].split(","))
        cred = fields.get("Credential", "").split("/")
        signed = fields.get("SignedHeaders", "").split(";")
        if len(cred) != 5 or cred[0] != self.access_key:
            self.rejected += 1
            raise EC2Error(401, "AuthFailure",
                           "AWS was not able to validate the provided access credentials")
        if cred[2] != self.region or cred[3] != "ec2" or cred[4] != "aws4_request":
            self.rejected += 1
            raise EC2Error(401, "AuthFailure", "Credential should be scoped to a valid region")
        amz_date = h.headers.get("X-Amz-Date", "")
        when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc)
        if abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds()) > 900:
            raise EC2Error(401, "AuthFailure", "Signature expired")
        token = h.headers.get("X-Amz-Security-Token")
        if token != self.token:
            self.rejected += 1
            raise EC2Error(401, "AuthFailure", "The security token included in the request is "
                           "invalid")
        headers = {}
        for name in signed:
            if name not in ("x-amz-date", "x-amz-security-token"):
                headers[name] = h.headers.get(name, "")
        url = "http://%s%s" % (h.headers.get("Host", ""), h.path)
        req = AWSRequest(method=h.command, url=url, data=body, headers=headers)
        req.context["timestamp"] = amz_date
        auth = SigV4Auth(Credentials(self.access_key, self.secret_key, self.token), "ec2",
                         self.region)
        # add_auth would stamp the present time: the steps it takes, with the
        # request's own X-Amz-Date.
        auth._modify_request_before_signing(req)
        creq = auth.canonical_request(req)
        sts = auth.string_to_sign(req, creq)
        sig = auth.signature(sts, req)
        scope = "/".join(cred[1:])
        want = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
            self.access_key, scope, ";".join(signed), sig)
        if want != authz or not {"host", "x-amz-date"} <= set(signed):
            self.rejected += 1
            raise EC2Error(403, "AuthFailure",
                           "The request signature we calculated does not match the signature "
                           "you provided")
        self.verified += 1

    # -- the actions (called with the lock held)
    def request_id(self):
        return "%08x-0000-4000-8000-%012x" % (os.getpid(), next(self.ids))

    def instance_xml(self, iid):
        v = self.instances[iid]
        tags = "".join("<item><key>%s</key><value>%s</value></item>" % (escape(k), escape(t))
                       for k, t in v["tags"].items())
        return ("<item><instanceId>%s</instanceId><imageId>%s</imageId>"
                "<instanceState><code>%d</code><name>%s</name></instanceState>"
                "<privateDnsName>ip-127-0-0-1.ec2.internal</privateDnsName>"
                "<instanceType>%s</instanceType><launchTime>%s</launchTime>"
                "<subnetId>%s</subnetId><stateReason><code>%s</code><message>%s</message></stateReason>"
                "%s<tagSet>%s</tagSet></item>" % (
                    iid, escape(v["image"]), STATE_CODE[v["state"]], v["state"],
                    escape(v["type"]), v["launched"], escape(v["subnet"]),
                    escape(v.get("reason", "")), escape(v.get("reason_message", "")),
                    "<instanceLifecycle>spot</instanceLifecycle>" if v.get("spot") else "",
                    tags))

    def run_instances(self, p):
        token = p.get("ClientToken", "")
        if token and token in self.tokens:
            iid = self.tokens[token]
        else:
            itype = p.get("InstanceType", "launch-template-type")
            if itype in self.no_capacity:
                raise EC2Error(500, "InsufficientInstanceCapacity",
                               "We currently do not have sufficient %s capacity in the "
                               "Availability Zone you requested." % itype)
            if p.get("MinCount") != "1" or p.get("MaxCount") != "1":
                raise EC2Error(400, "InvalidParameterValue", "the mock starts one at a time")
            tags = {}
            for n in itertools.count(1):
                k = p.get("TagSpecification.1.Tag.%d.Key" % n)
                if k is None:
                    break
                tags[k] = p.get("TagSpecification.1.Tag.%d.Value" % n, "")
            iid = "i-%017x" % next(self.ids)
            self.instances[iid] = {
                "node": tags.get("Name", ""), "type": itype, "state": "running", "tags": tags,
                "image": p.get("ImageId", p.get("LaunchTemplate.LaunchTemplateName", "")),
                "subnet": p.get("SubnetId", ""), "params": p, "proc": None,
                "spot": p.get("InstanceMarketOptions.MarketType") == "spot",
                "launched": datetime.datetime.now(datetime.timezone.utc).strftime(
                    "%Y-%m-%dT%H:%M:%S.000Z")}
            if token:
                self.tokens[token] = iid
            self.boot(iid, base64.b64decode(p.get("UserData", "")))
        return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<RunInstancesResponse xmlns=\"%s\">"
                "<requestId>%s</requestId><reservationId>r-%s</reservationId>"
                "<ownerId>123456789012</ownerId><groupSet/><instancesSet>%s</instancesSet>"
                "</RunInstancesResponse>" % (NS, self.request_id(), iid[2:], self.instance_xml(iid)))

    def create_fleet(self, p):
        """CreateFleet Type=instant for one instance: the first override (by
        Priority, then as listed) whose type has capacity."""
        if p.get("Type") != "instant":
            raise EC2Error(400, "InvalidParameterValue", "the mock answers Type=instant only")
        if p.get("TargetCapacitySpecification.TotalTargetCapacity") != "1":
            raise EC2Error(400, "InvalidParameterValue", "the mock starts one at a time")
        pre = "LaunchTemplateConfigs.1."
        lt = p.get(pre + "LaunchTemplateSpecification.LaunchTemplateName")
        if lt not in self.launch_templates:
            raise EC2Error(400, "InvalidLaunchTemplateName.NotFoundException",
                           "The specified launch template, with template name %s, does not "
                           "exist." % lt)
        overrides = []
        for n in itertools.count(1):
            t = p.get(pre + "Overrides.%d.InstanceType" % n)
            if t is None:
                break
            overrides.append((float(p.get(pre + "Overrides.%d.Priority" % n, "0")), n, t,
                              p.get(pre + "Overrides.%d.SubnetId" % n, "")))
        overrides.sort()
        spot = p.get("TargetCapacitySpecification.DefaultTargetCapacityType") == "spot"
        life = "spot" if spot else "on-demand"
        token = p.get("ClientToken", "")
        errors, iid = [], self.tokens.get(token) if token else None
        for _, _, itype, subnet in ([] if iid else overrides):
            if itype in self.no_capacity:
                errors.append("<item><errorCode>InsufficientInstanceCapacity</errorCode>"
                              "<errorMessage>We currently do not have sufficient %s capacity."
                              "</errorMessage><launchTemplateAndOverrides><overrides>"
                              "<instanceType>%s</instanceType></overrides>"
                              "</launchTemplateAndOverrides><lifecycle>%s</lifecycle></item>"
                              % (escape(itype), escape(itype), life))
                continue
            tags = {}
            for n in itertools.count(1):
                k = p.get("TagSpecification.1.Tag.%d.Key" % n)
                if k is None:
                    break
                tags[k] = p.get("TagSpecification.1.Tag.%d.Value" % n, "")
            iid = "i-%017x" % next(self.ids)
            self.instances[iid] = {
                "node": tags.get("Name", ""), "type": itype, "state": "running", "tags": tags,
                "image": p.get(pre + "Overrides.1.ImageId", lt), "subnet": subnet,
                "params": p, "proc": None, "spot": spot,
                "launched": datetime.datetime.now(datetime.timezone.utc).strftime(
                    "%Y-%m-%dT%H:%M:%S.000Z")}
            if token:
                self.tokens[token] = iid
            self.boot(iid, self.launch_templates[lt].encode())
            break
        inst = ""
        if iid:
            v = self.instances[iid]
            inst = ("<item><instanceIds><item>%s</item></instanceIds><instanceType>%s"
                    "</instanceType><lifecycle>%s</lifecycle></item>"
                    % (iid, escape(v["type"]), "spot" if v["spot"] else "on-demand"))
        return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CreateFleetResponse xmlns=\"%s\">"
                "<requestId>%s</requestId><fleetId>fleet-%s</fleetId><errorSet>%s</errorSet>"
                "<fleetInstanceSet>%s</fleetInstanceSet></CreateFleetResponse>"
                % (NS, self.request_id(), "%017x" % next(self.ids), "".join(errors), inst))

    def boot(self, iid, user_data):
        path = os.path.join(self.workdir, iid + ".user-data")
        with open(path, "wb") as f:
            f.write(user_data)
        env = dict(os.environ)
        env.update(self.boot_env)
        itype = self.instances[iid]["type"]
        if itype in self.type_hw:
            env["SLUICE_FAKE_HW"] = self.type_hw[itype]
        # Its own instance metadata (the Name tag for a shared user data).
        env["SLUICE_IMDS_ENDPOINT"] = "%s%s" % (self.endpoint, iid)
        env["SLUICE_USER_DATA_FOREGROUND"] = "1"
        log = open(os.path.join(self.workdir, iid + ".log"), "wb")
        self.instances[iid]["proc"] = subprocess.Popen(
            ["/bin/sh", path], env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            start_new_session=True)
        log.close()

    def _kill(self, inst):
        proc = inst.get("proc")
        if not proc or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return

        def reap():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
        threading.Thread(target=reap, daemon=True).start()

    def terminate_instances(self, p):
        ids = [p[k] for k in sorted((k for k in p if k.startswith("InstanceId.")),
                                    key=lambda k: int(k.split(".")[1]))]
        items = []
        for iid in ids:
            if iid not in self.instances:
                raise EC2Error(400, "InvalidInstanceID.NotFound",
                               "The instance ID '%s' does not exist" % iid)
        for iid in ids:
            v = self.instances[iid]
            prev = v["state"]
            v["state"] = "terminated"
            self._kill(v)
            items.append("<item><instanceId>%s</instanceId><currentState><code>48</code>"
                         "<name>terminated</name></currentState><previousState><code>%d</code>"
                         "<name>%s</name></previousState></item>" % (iid, STATE_CODE[prev], prev))
        return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<TerminateInstancesResponse "
                "xmlns=\"%s\"><requestId>%s</requestId><instancesSet>%s</instancesSet>"
                "</TerminateInstancesResponse>" % (NS, self.request_id(), "".join(items)))

    def describe_instances(self, p):
        filters = {}
        for n in itertools.count(1):
            name = p.get("Filter.%d.Name" % n)
            if name is None:
                break
            filters[name] = [p[k] for k in p if k.startswith("Filter.%d.Value." % n)]
        want_ids = [v for k, v in p.items() if k.startswith("InstanceId.")]
        items = []
        for iid, v in self.instances.items():
            if want_ids and iid not in want_ids:
                continue
            ok = True
            for name, values in filters.items():
                if name.startswith("tag:"):
                    ok = ok and v["tags"].get(name[4:]) in values
                elif name == "instance-state-name":
                    ok = ok and v["state"] in values
            if ok:
                items.append("<item><reservationId>r-%s</reservationId><ownerId>123456789012"
                             "</ownerId><groupSet/><instancesSet>%s</instancesSet></item>"
                             % (iid[2:], self.instance_xml(iid)))
        return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DescribeInstancesResponse "
                "xmlns=\"%s\"><requestId>%s</requestId><reservationSet>%s</reservationSet>"
                "</DescribeInstancesResponse>" % (NS, self.request_id(), "".join(items)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--access-key", required=True)
    ap.add_argument("--secret-key", required=True)
    ap.add_argument("--session-token")
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--boot-env", action="append", default=[], metavar="KEY=VALUE",
                    help="environment of the instances' user data (e.g. SLUICE_FAKE_HW=...)")
    a = ap.parse_args()
    env = dict(kv.split("=", 1) for kv in a.boot_env)
    m = MockEC2(a.access_key, a.secret_key, a.session_token, a.region, env)
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT, signal.SIGTERM])
    port = m.start(a.port)
    print("mock EC2 on http://127.0.0.1:%d/ (Ec2Endpoint=http://127.0.0.1:%d/)" % (port, port),
          flush=True)
    try:
        signal.sigwait([signal.SIGINT, signal.SIGTERM])
    finally:
        m.stop()


if __name__ == "__main__":
    sys.exit(main())
