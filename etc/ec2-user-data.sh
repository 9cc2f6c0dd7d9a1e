#!/bin/sh
# ec2-user-data.sh: the user data cloud/ec2 gives each instance it starts
# (doc/guide-ec2.md).  The plugin replaces @NODE@ (the node this instance
# becomes), @CLUSTER@ (ClusterName), @CONF@ (the controller's sluice.conf
# path, expected at the same place on the image), @SLUICED@ (the sluiced
# beside sluicectld, expected at the same place on the image) and
# @CONTROLLER@ (ControllerHost).  Keep it under 16 KiB.
#
# The image must carry Sluice, munge with the cluster's key, and the
# cluster's sluice.conf (bake them into the AMI, or fetch them here).
set -e
NODE='@NODE@'
# CreateFleet (mixed types, spot) takes no user data: this script is then
# the launch template's, shared by every instance, with NODE left as the
# placeholder; the node is the instance's Name tag, read from the instance
# metadata (the template needs MetadataOptions InstanceMetadataTags=enabled).
case "$NODE" in
*@*)
    IMDS=${SLUICE_IMDS_ENDPOINT:-http://169.254.169.254}
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
# cloud-init waits for this script: under systemd start sluiced as a
# service; the test suite's mock EC2 (SLUICE_USER_DATA_FOREGROUND=1) runs
# it in the foreground so that terminating the instance stops it.
if [ -z "$SLUICE_USER_DATA_FOREGROUND" ] && command -v systemd-run >/dev/null 2>&1 &&
   [ -d /run/systemd/system ]; then
    exec systemd-run --unit=sluiced --property=Restart=on-failure \
        '@SLUICED@' -D -f '@CONF@' -N "$NODE"
fi
exec '@SLUICED@' -D -f '@CONF@' -N "$NODE"
