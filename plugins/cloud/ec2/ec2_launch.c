/* ec2_launch.c: resume = RunInstances, one instance per node (its Name tag
 * and its user data name it, so instances cannot share a call), trying the
 * node's instance types in order while EC2 has no capacity for one; or,
 * with a launch template, CreateFleet for mixed types and spot
 * (ec2_fleet.c). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include "ec2.h"

/* Replaces every @KEY@ of tpl by its value. */
static char *expand(const char *tpl, const char *const *kv)
{
    char *out = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&out, &len);
    if (!m)
        return NULL;
    for (const char *p = tpl; *p;) {
        size_t k;
        for (k = 0; kv[k]; k += 2)
            if (strncmp(p, kv[k], strlen(kv[k])) == 0)
                break;
        if (kv[k]) {
            fputs(kv[k + 1], m);
            p += strlen(kv[k]);
        } else {
            fputc(*p++, m);
        }
    }
    fclose(m);
    return out;
}

char *ec2_user_data(struct ec2 *x, const char *node)
{
    const char *ctl = ec2_setting(x->h, "ControllerHost");
    const char *kv[] = { "@NODE@", node, "@CLUSTER@", x->cluster, "@CONF@", x->h->conf_path,
                         "@SLUICED@", x->sluiced, "@SCONTROL@", x->scontrol, "@CONTROLLER@",
                         ctl ? ctl : "", NULL };
    char *text = expand(x->user_data, kv);
    if (!text)
        return NULL;
    size_t n = strlen(text);
    char *b64 = malloc(4 * ((n + 2) / 3) + 1);
    if (b64)
        EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)text, (int)n);
    free(text);
    return b64;
}

/* The comma list s as Prefix.1, Prefix.2, ... */
static void add_list(struct ec2_form *f, const char *prefix, const char *s)
{
    int n = 0;
    while (s && *s) {
        size_t len = strcspn(s, ",");
        char item[256];
        snprintf(item, sizeof(item), "%.*s", (int)(len < 255 ? len : 255), s);
        if (*item)
            ec2_form_addf(f, item, "%s.%d", prefix, ++n);
        s += len + (s[len] == ',');
    }
}

/* The i-th item of a comma list into buf ("" past its end). */
static const char *nth(const char *s, int i, char *buf, size_t len)
{
    buf[0] = '\0';
    for (int k = 0; s && *s; k++) {
        size_t n = strcspn(s, ",");
        if (k == i) {
            snprintf(buf, len, "%.*s", (int)n, s);
            return buf;
        }
        s += n + (s[n] == ',');
    }
    return buf;
}

struct launch {
    const char *node;
    const char *type;            /* NULL: the launch template's */
    const char *subnet;          /* "" : none */
    int spot;
    char token[65];
};

static void run_form(struct ec2 *x, const struct launch *l, const char *user_data,
                     struct ec2_form *f)
{
    ec2_form_add(f, "Action", "RunInstances");
    ec2_form_add(f, "MinCount", "1");
    ec2_form_add(f, "MaxCount", "1");
    ec2_form_add(f, "ClientToken", l->token);
    if (l->type)
        ec2_form_add(f, "InstanceType", l->type);
    if (x->image_id)
        ec2_form_add(f, "ImageId", x->image_id);
    if (x->launch_template)
        ec2_form_add(f, strncmp(x->launch_template, "lt-", 3) == 0
                            ? "LaunchTemplate.LaunchTemplateId"
                            : "LaunchTemplate.LaunchTemplateName", x->launch_template);
    if (*l->subnet)
        ec2_form_add(f, "SubnetId", l->subnet);
    add_list(f, "SecurityGroupId", x->security_groups);
    if (x->iam_profile)
        ec2_form_add(f, strncmp(x->iam_profile, "arn:", 4) == 0 ? "IamInstanceProfile.Arn"
                                                               : "IamInstanceProfile.Name",
                     x->iam_profile);
    if (l->spot) {
        ec2_form_add(f, "InstanceMarketOptions.MarketType", "spot");
        ec2_form_add(f, "InstanceMarketOptions.SpotOptions.SpotInstanceType", "one-time");
        ec2_form_add(f, "InstanceMarketOptions.SpotOptions.InstanceInterruptionBehavior",
                     "terminate");
    }
    ec2_form_add(f, "UserData", user_data);
    ec2_form_add(f, "TagSpecification.1.ResourceType", "instance");
    ec2_form_add(f, "TagSpecification.1.Tag.1.Key", "Name");
    ec2_form_add(f, "TagSpecification.1.Tag.1.Value", l->node);
    ec2_form_add(f, "TagSpecification.1.Tag.2.Key", "sluice:cluster");
    ec2_form_add(f, "TagSpecification.1.Tag.2.Value", x->cluster);
}

/* One RunInstances; the instance id into id, or -1 with e. */
static int run_one(struct ec2 *x, const struct launch *l, const char *user_data, char *id,
                   size_t len, struct ec2_err *e)
{
    struct ec2_form f = { 0 };
    struct xml *doc = NULL;
    run_form(x, l, user_data, &f);
    int rc = ec2_call(&x->api, &f, &doc, e);
    ec2_form_free(&f);
    if (rc == 0) {
        const char *got = xml_text(doc, "instancesSet/item/instanceId");
        if (got)
            snprintf(id, len, "%s", got);
        else
            *e = (struct ec2_err){ EC2_OTHER, "NoInstance", "RunInstances answered no instance" };
        rc = got ? 0 : -1;
    }
    xml_free(doc);
    return rc;
}

/* The types the node may have, in order: its "instance_types", else its
 * "instance_type", else Ec2InstanceType's list, else the launch
 * template's (NULL). */
static size_t node_types(struct ec2 *x, json_t *node, const char **types, size_t max)
{
    size_t n = 0, i;
    json_t *v;
    json_array_foreach(json_object_get(node, "instance_types"), i, v)
        if (json_string_value(v) && n < max)
            types[n++] = json_string_value(v);
    const char *one = json_string_value(json_object_get(node, "instance_type"));
    if (!n && one)
        types[n++] = one;
    if (!n) {
        /* Ec2InstanceType may list fallbacks too. */
        for (size_t k = 0; k < x->ntypes && n < max; k++)
            types[n++] = x->types[k];
    }
    if (one && n && strcmp(types[0], one) != 0 && n < max) {
        /* The preferred type first, the rest after it. */
        memmove(types + 1, types, n * sizeof(*types));
        types[0] = one;
        n++;
    }
    if (!n)
        types[n++] = NULL;
    return n;
}

/* Tries every type (and subnet) for one node: 0 with its id, or -1 with why. */
static int launch_node(struct ec2 *x, json_t *node, unsigned long rid, size_t idx, char *id,
                       char *why, size_t wlen, struct ec2_err *e, const char **launched)
{
    const char *types[32];
    const char *name = json_string_value(json_object_get(node, "name"));
    size_t nt = node_types(x, node, types, 32);
    int spot = json_string_value(json_object_get(node, "purchasing")) &&
               strcmp(json_string_value(json_object_get(node, "purchasing")), "spot") == 0;
    char *ud = ec2_user_data(x, name), subnet[256];
    char tried[512] = "";
    if (!ud)
        return snprintf(why, wlen, "cannot build the user data"), -1;
    int rc = -1;
    /* An elastic node (the partition gave its types) of mixed types or
     * spot; RunInstances stays for a single on-demand type. */
    if (x->launch_template && types[0] && json_object_get(node, "instance_types") &&
        (nt > 1 || spot)) {
        /* Mixed types or spot: one CreateFleet, EC2 chooses among them. */
        char token[65], got[64] = "";
        snprintf(token, sizeof(token), "sluice-%016lx-%zu-fleet", rid, idx);
        struct ec2_fleet fl = { name, types, nt, spot,
                                json_string_value(json_object_get(node, "allocation_strategy")),
                                token };
        rc = ec2_fleet_launch(x, &fl, id, 32, got, sizeof(got), e);
        for (size_t t = 0; rc == 0 && t < nt; t++)
            if (strcmp(types[t], got) == 0)
                *launched = types[t];
        if (rc < 0)
            snprintf(why, wlen, "%s", e->message);
        goto out;
    }
    for (size_t t = 0; t < nt && rc < 0; t++) {
        for (int s = 0; rc < 0 && (s == 0 || *nth(x->subnets, s, subnet, sizeof(subnet))); s++) {
            struct launch l = { name, types[t], nth(x->subnets, s, subnet, sizeof(subnet)), spot,
                                "" };
            snprintf(l.token, sizeof(l.token), "sluice-%016lx-%zu-%zu-%d", rid, idx, t, s);
            rc = run_one(x, &l, ud, id, 32, e);
            if (rc == 0) {
                *launched = types[t];
                break;
            }
            snprintf(why, wlen, "%s%s%s", e->message, l.type ? " for " : "", l.type ? l.type : "");
            if (e->kind != EC2_CAPACITY)
                goto out;
            fprintf(stderr, "cloud/ec2: node %s: %s: trying the next choice\n", name, why);
            size_t used = strlen(tried);
            snprintf(tried + used, sizeof(tried) - used, "%s%s%s%s", used ? ", " : "",
                     l.type ? l.type : "template", *l.subnet ? " in " : "", l.subnet);
        }
    }
    if (rc < 0)
        snprintf(why, wlen, "no capacity (tried %s): %s", tried, e->message);
out:
    free(ud);
    return rc;
}

int ec2_resume(void *p, json_t *req, json_t **result, char *err)
{
    struct ec2 *x = p;
    json_t *inst = json_object(), *failed = json_object(), *types = json_object(), *node;
    struct ec2_err e = { 0 };
    size_t i;
    /* Idempotent: a node that already has a live instance keeps it. */
    json_t *have = ec2_list(x, &e);
    unsigned long rid = ((unsigned long)time(NULL) << 20) ^ ((unsigned long)rand_r(&x->seed) << 8) ^
                        ++x->resumes;
    const char *auth = NULL;
    char auth_why[512];
    if (!have) {
        ec2_note_error(x, &e);
        /* Only refused credentials stop the launches: the controller
         * described before resuming anything, this look is a second check. */
        if (e.kind != EC2_AUTH)
            have = json_object();
    }
    json_array_foreach(json_object_get(req, "nodes"), i, node) {
        const char *name = json_string_value(json_object_get(node, "name"));
        json_t *old = have ? json_object_get(have, name ? name : "") : NULL;
        const char *state = json_string_value(json_object_get(old, "state"));
        char id[32] = "", why[600] = "";
        const char *used = NULL;
        if (!name)
            continue;
        if (!have) {
            json_object_set_new(failed, name, json_string(e.message));
        } else if (state && (!strcmp(state, "pending") || !strcmp(state, "running"))) {
            json_object_set(inst, name, json_object_get(old, "id"));
        } else if (auth) {
            json_object_set_new(failed, name, json_string(auth));
        } else if (launch_node(x, node, rid, i, id, why, sizeof(why), &e, &used) == 0) {
            json_object_set_new(inst, name, json_string(id));
            if (used)    /* the controller gives the node this type's shape */
                json_object_set_new(types, name, json_string(used));
            x->auth_logged = 0;
        } else {
            ec2_note_error(x, &e);
            json_object_set_new(failed, name, json_string(why));
            if (e.kind == EC2_AUTH) { /* the rest would fail alike: do not ask again */
                snprintf(auth_why, sizeof(auth_why), "%s", why);
                auth = auth_why;
            }
        }
    }
    json_decref(have);
    *result = json_pack("{s:o, s:o, s:o}", "instances", inst, "failed", failed, "types", types);
    (void)err;
    return 0;
}
