/* ec2.h: the cloud/ec2 plugin's state, shared by its files. */
#ifndef EC2_PLUGIN_H
#define EC2_PLUGIN_H

#include <limits.h>
#include <jansson.h>
#include "cloud_api.h"
#include "ec2_api.h"

struct ec2 {
    struct ec2_api api;
    struct cloud_host *h;
    char cluster[128];
    char *types_buf;             /* Ec2InstanceType: a comma list, tried in order */
    const char *types[16];
    size_t ntypes;
    const char *image_id;
    const char *launch_template;
    const char *subnets;         /* comma lists */
    const char *security_groups;
    const char *iam_profile;
    char *user_data;             /* the template's text */
    char user_data_path[PATH_MAX];
    char sluiced[PATH_MAX];      /* @SLUICED@ */
    char scontrol[PATH_MAX];     /* @SCONTROL@ */
    unsigned long resumes;       /* for ClientTokens */
    unsigned seed;
    int auth_logged;             /* an auth failure is logged once until a call succeeds */
};

/* A setting of sluice.conf, or NULL when unset. */
const char *ec2_setting(struct cloud_host *h, const char *key);
/* Instances tagged sluice:cluster=ours: {node: {"id", "state"}}, the
 * newest live one per node first.  NULL with e filled on failure. */
json_t *ec2_list(struct ec2 *x, struct ec2_err *e);
/* Logs (stderr: the controller's log) an auth failure once. */
void ec2_note_error(struct ec2 *x, const struct ec2_err *e);
int ec2_resume(void *p, json_t *req, json_t **result, char *err);
/* One node's CreateFleet (ec2_fleet.c). */
struct ec2_fleet {
    const char *node;
    const char *const *types;    /* in our order: overrides' priorities */
    size_t ntypes;
    int spot;
    const char *strategy;        /* the partition's AllocationStrategy, or NULL */
    const char *token;           /* ClientToken */
};
/* CreateFleet Type=instant for one instance: its id and type, or -1 with e
 * (EC2_CAPACITY when no override had capacity). */
int ec2_fleet_launch(struct ec2 *x, const struct ec2_fleet *fl, char *id, size_t idlen,
                     char *type, size_t tlen, struct ec2_err *e);
/* The user data for node: the template with @NODE@ etc. replaced, base64. */
char *ec2_user_data(struct ec2 *x, const char *node);

#endif
