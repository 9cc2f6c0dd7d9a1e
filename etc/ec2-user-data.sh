#!/bin/sh
# ec2-user-data.sh: the user data cloud/ec2 gives each instance it starts
# (doc/guide-ec2.md).  The plugin replaces @NODE@ (the node this instance
# becomes), @CLUSTER@ (ClusterName), @CONF@ (the controller's sluice.conf
# path, expected at the same place on the image), @SLUICED@ (the sluiced
# beside sluicectld, expected at the same place on the image), @SCONTROL@
# (likewise, the scontrol of that installation) and @CONTROLLER@
# (ControllerHost).  Keep it under 16 KiB.
#
# The image must carry Sluice, munge with the cluster's key, and the
# cluster's sluice.conf (bake them into the AMI, or fetch them here).
set -e
NODE='@NODE@'
IMDS=${SLUICE_IMDS_ENDPOINT:-http://169.254.169.254}
# CreateFleet (mixed types, spot) takes no user data: this script is then
# the launch template's, shared by every instance, with NODE left as the
# placeholder; the node is the instance's Name tag, read from the instance
# metadata (the template needs MetadataOptions InstanceMetadataTags=enabled).
case "$NODE" in
*@*)
    TOKEN=$(curl -sf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' \
        "$IMDS/latest/api/token")
    NODE=$(curl -sf -H "X-aws-ec2-metadata-token: $TOKEN" \
        "$IMDS/latest/meta-data/tags/instance/Name")
    ;;
esac
# Name the host after its node, so that sluiced and the logs agree.
if command -v hostnamectl >/dev/null 2>&1 && [ -z "$SLUICE_USER_DATA_FOREGROUND" ]; then
    hostnamectl set-hostname "$NODE" || true
fi
# Spot instances: EC2 posts an interruption notice two minutes ahead in the
# instance metadata (spot/instance-action).  The watcher drains the node
# when it appears, so that nothing new starts there; the jobs running on
# it end when the instance goes (NODE_FAIL: retried by their retry
# strategy or --requeue).  $0 metadata endpoint, $1 node.
SPOT_WATCH='
md() {
    t=$(curl -sf -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 300" "$0/latest/api/token") &&
        curl -sf -H "X-aws-ec2-metadata-token: $t" "$0/latest/meta-data/$1"
}
[ "$(md instance-life-cycle)" = spot ] || exit 0
while sleep "${SLUICE_SPOT_POLL:-5}"; do
    a=$(md spot/instance-action) || continue
    act=$(printf %s "$a" | sed -n "s/.*\"action\" *: *\"\([^\"]*\)\".*/\1/p")
    at=$(printf %s "$a" | sed -n "s/.*\"time\" *: *\"\([^\"]*\)\".*/\1/p")
    "@SCONTROL@" update NodeName="$1" State=DRAIN \
        Reason="spot interruption notice: ${act:-terminate} at ${at:-soon}" && exit 0
done'
# cloud-init waits for this script: under systemd start sluiced (and the
# spot watcher) as services; the test suite's mock EC2 (SLUICE_USER_DATA_FOREGROUND=1) runs
# it in the foreground so that terminating the instance stops it.
if [ -z "$SLUICE_USER_DATA_FOREGROUND" ] && command -v systemd-run >/dev/null 2>&1 &&
   [ -d /run/systemd/system ]; then
    systemd-run --unit=sluice-spot-watch /bin/sh -c "$SPOT_WATCH" "$IMDS" "$NODE" || true
    exec systemd-run --unit=sluiced --property=Restart=on-failure \
        '@SLUICED@' -D -f '@CONF@' -N "$NODE"
fi
/bin/sh -c "$SPOT_WATCH" "$IMDS" "$NODE" </dev/null >/dev/null 2>&1 &
exec '@SLUICED@' -D -f '@CONF@' -N "$NODE"
