/* cloud/ec2: EC2 instances back State=CLOUD nodes (doc/guide-ec2.md).
 * resume -> RunInstances (ec2_launch.c), suspend -> TerminateInstances,
 * describe -> DescribeInstances filtered on the tag sluice:cluster.  Every
 * call comes from the controller's cloud worker thread, one at a time. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include "ec2.h"
#include "plugin.h"

const char *ec2_setting(struct cloud_host *h, const char *key)
{
    const char *v = json_string_value(json_object_get(h->settings, key));
    return v && *v && strcmp(v, "(null)") != 0 ? v : NULL;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *s = calloc(1, 16385);
    size_t n = s ? fread(s, 1, 16384, f) : 0;
    int more = fgetc(f) != EOF;
    fclose(f);
    if (s && more) {             /* EC2 takes at most 16 KiB of user data */
        free(s);
        return NULL;
    }
    if (s)
        s[n] = '\0';
    return s;
}

/* The first of the tries, relative to dir, that is a program; else name
 * alone (the image's PATH). */
static void find_beside(char *out, size_t len, const char *dir, const char *const *tries,
                        const char *name)
{
    for (; *tries; tries++) {
        snprintf(out, len, "%s/%s", dir, *tries);
        if (access(out, X_OK) == 0)
            return;
    }
    snprintf(out, len, "%s", name);
}

/* sluiced and scontrol of sluicectld's installation (sbin and bin), or of
 * its build tree. */
static void find_programs(struct ec2 *x, const char *ctld)
{
    static const char *const sluiced[] = { "sluiced", "../noded/sluiced", NULL };
    static const char *const scontrol[] = { "../bin/scontrol", "scontrol",
                                            "../cmd/scontrol/scontrol", NULL };
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", ctld);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    find_beside(x->sluiced, sizeof(x->sluiced), dir, sluiced, "sluiced");
    find_beside(x->scontrol, sizeof(x->scontrol), dir, scontrol, "scontrol");
}

/* Ec2UserData, else ec2-user-data.sh beside sluice.conf. */
static int load_user_data(struct ec2 *x, char *err)
{
    const char *path = ec2_setting(x->h, "Ec2UserData");
    if (path) {
        snprintf(x->user_data_path, sizeof(x->user_data_path), "%s", path);
    } else {
        snprintf(x->user_data_path, sizeof(x->user_data_path), "%s", x->h->conf_path);
        char *slash = strrchr(x->user_data_path, '/');
        size_t off = slash ? (size_t)(slash - x->user_data_path) + 1 : 0;
        snprintf(x->user_data_path + off, sizeof(x->user_data_path) - off, "ec2-user-data.sh");
    }
    if (!(x->user_data = slurp(x->user_data_path))) {
        snprintf(err, CLOUD_ERR_LEN, "cannot read the user data template %s (Ec2UserData=; "
                 "at most 16 KiB; etc/ec2-user-data.sh is one)", x->user_data_path);
        return -1;
    }
    return 0;
}

static void ec2_destroy(void *p)
{
    struct ec2 *x = p;
    if (!x)
        return;
    free(x->user_data);
    free(x->types_buf);
    free(x);
    curl_global_cleanup();
}

static void *ec2_create(struct cloud_host *h, char *err)
{
    struct ec2 *x = calloc(1, sizeof(*x));
    if (!x || curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        free(x);
        snprintf(err, CLOUD_ERR_LEN, "cannot start libcurl");
        return NULL;
    }
    x->h = h;
    const char *region = ec2_setting(h, "Ec2Region");
    if (ec2_api_init(&x->api, region ? region : "us-east-1", ec2_setting(h, "Ec2Endpoint"),
                     ec2_setting(h, "Ec2Profile"), err, CLOUD_ERR_LEN) < 0 ||
        load_user_data(x, err) < 0) {
        ec2_destroy(x);
        return NULL;
    }
    const char *cl = ec2_setting(h, "ClusterName");
    snprintf(x->cluster, sizeof(x->cluster), "%s", cl ? cl : "sluice");
    const char *types = ec2_setting(h, "Ec2InstanceType");
    if (types && !(x->types_buf = strdup(types))) {
        ec2_destroy(x);
        return snprintf(err, CLOUD_ERR_LEN, "out of memory"), NULL;
    }
    char *save = NULL;
    for (char *t = x->types_buf ? strtok_r(x->types_buf, ",", &save) : NULL; t && x->ntypes < 16;
         t = strtok_r(NULL, ",", &save))
        x->types[x->ntypes++] = t;
    x->image_id = ec2_setting(h, "Ec2ImageId");
    x->launch_template = ec2_setting(h, "Ec2LaunchTemplate");
    x->subnets = ec2_setting(h, "Ec2SubnetIds");
    x->security_groups = ec2_setting(h, "Ec2SecurityGroupIds");
    x->iam_profile = ec2_setting(h, "Ec2IamInstanceProfile");
    if (!x->image_id && !x->launch_template) {
        snprintf(err, CLOUD_ERR_LEN, "cloud/ec2 needs Ec2LaunchTemplate= or Ec2ImageId= (the "
                 "AMI instances boot)");
        ec2_destroy(x);
        return NULL;
    }
    find_programs(x, h->ctld_path);
    x->seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    return x;
}

void ec2_note_error(struct ec2 *x, const struct ec2_err *e)
{
    if (e->kind != EC2_AUTH) {
        fprintf(stderr, "cloud/ec2: %s\n", e->message);
        return;
    }
    if (!x->auth_logged)
        fprintf(stderr, "cloud/ec2: EC2 refuses our credentials: %s (nodes that need it go "
                "DOWN with this reason; fix the credentials, then scontrol update "
                "State=RESUME)\n", e->message);
    x->auth_logged = 1;
    ec2_creds_forget(&x->api.creds);
}

static int live(const char *state)
{
    return strcmp(state, "pending") == 0 || strcmp(state, "running") == 0;
}

/* One DescribeInstances page's instances into map. */
static void list_page(struct xml *doc, json_t *map)
{
    for (struct xml *r = xml_path(doc, "reservationSet") ? xml_path(doc, "reservationSet")->child
                                                         : NULL; r; r = r->next)
        for (struct xml *i = xml_path(r, "instancesSet") ? xml_path(r, "instancesSet")->child
                                                         : NULL; i; i = i->next) {
            const char *id = xml_text(i, "instanceId"), *state = xml_text(i, "instanceState/name");
            const char *node = NULL;
            for (struct xml *t = xml_path(i, "tagSet") ? xml_path(i, "tagSet")->child : NULL; t;
                 t = t->next)
                if (xml_text(t, "key") && strcmp(xml_text(t, "key"), "Name") == 0)
                    node = xml_text(t, "value");
            if (!id || !state || !node)
                continue;
            json_t *old = json_object_get(map, node);
            /* A live instance wins over a terminated one the node had before. */
            if (old && live(json_string_value(json_object_get(old, "state"))) && !live(state))
                continue;
            /* Why it stopped (a spot interruption says Server.SpotInstanceTermination). */
            const char *code = xml_text(i, "stateReason/code");
            const char *msg = xml_text(i, "stateReason/message");
            json_object_set_new(map, node, json_pack("{s:s, s:s, s:s}", "id", id, "state", state,
                                                     "reason", msg && *msg ? msg
                                                                           : code ? code : ""));
        }
}

json_t *ec2_list(struct ec2 *x, struct ec2_err *e)
{
    json_t *map = json_object();
    char next[1024] = "";
    do {
        struct ec2_form f = { 0 };
        struct xml *doc;
        ec2_form_add(&f, "Action", "DescribeInstances");
        ec2_form_add(&f, "Filter.1.Name", "tag:sluice:cluster");
        ec2_form_add(&f, "Filter.1.Value.1", x->cluster);
        if (next[0])
            ec2_form_add(&f, "NextToken", next);
        int rc = ec2_call(&x->api, &f, &doc, e);
        ec2_form_free(&f);
        if (rc < 0) {
            json_decref(map);
            return NULL;
        }
        list_page(doc, map);
        const char *nt = xml_text(doc, "nextToken");
        snprintf(next, sizeof(next), "%s", nt ? nt : "");
        xml_free(doc);
    } while (next[0]);
    x->auth_logged = 0;
    return map;
}

static int ec2_describe(void *p, json_t **result, char *err)
{
    struct ec2 *x = p;
    struct ec2_err e;
    json_t *map = ec2_list(x, &e), *list = json_array(), *v;
    const char *node;
    if (!map) {
        ec2_note_error(x, &e);
        json_decref(list);
        snprintf(err, CLOUD_ERR_LEN, "DescribeInstances: %s", e.message);
        return -1;
    }
    json_object_foreach(map, node, v) {
        const char *state = json_string_value(json_object_get(v, "state"));
        const char *why = json_string_value(json_object_get(v, "reason"));
        json_t *o = json_pack("{s:O, s:s, s:b}", "id", json_object_get(v, "id"), "node", node,
                              "running", live(state));
        if (!live(state) && why && *why)
            json_object_set_new(o, "reason", json_sprintf("%s (%s)", why, state));
        json_array_append_new(list, o);
    }
    json_decref(map);
    *result = json_pack("{s:o}", "instances", list);
    return 0;
}

/* TerminateInstances for the nodes' instances (their "instance", else the
 * one the tags name); one already gone is not a failure. */
static int ec2_suspend(void *p, json_t *req, json_t **result, char *err)
{
    struct ec2 *x = p;
    struct ec2_form f = { 0 };
    struct ec2_err e = { 0 };
    json_t *failed = json_object(), *node, *map = NULL, *names = json_array();
    size_t i;
    int n = 0;
    ec2_form_add(&f, "Action", "TerminateInstances");
    json_array_foreach(json_object_get(req, "nodes"), i, node) {
        const char *name = json_string_value(json_object_get(node, "name"));
        const char *id = json_string_value(json_object_get(node, "instance"));
        if (!name)
            continue;
        if (!id || strncmp(id, "i-", 2) != 0) {
            if (!map && !(map = ec2_list(x, &e)))
                break;
            id = json_string_value(json_object_get(json_object_get(map, name), "id"));
        }
        if (id) {
            ec2_form_addf(&f, id, "InstanceId.%d", ++n);
            json_array_append_new(names, json_string(name));
        }
    }
    struct xml *doc = NULL;
    if (!e.kind && n && ec2_call(&x->api, &f, &doc, &e) < 0 &&
        strncmp(e.code, "InvalidInstanceID.NotFound", 26) == 0)
        e.kind = EC2_OK;
    if (e.kind) {
        ec2_note_error(x, &e);
        json_array_foreach(json_object_get(req, "nodes"), i, node) {
            const char *name = json_string_value(json_object_get(node, "name"));
            if (name)
                json_object_set_new(failed, name, json_string(e.message));
        }
    }
    xml_free(doc);
    ec2_form_free(&f);
    json_decref(map);
    json_decref(names);
    *result = json_pack("{s:o}", "failed", failed);
    (void)err;
    return 0;
}

static const struct cloud_ops ops = {
    .api = CLOUD_API_ABI,
    .create = ec2_create,
    .destroy = ec2_destroy,
    .resume = ec2_resume,
    .suspend = ec2_suspend,
    .describe = ec2_describe,
};

const struct sl_plugin sluice_plugin = { "cloud", "ec2", SL_PLUGIN_ABI, &ops };
