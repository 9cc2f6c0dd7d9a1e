/* test_conf.c: sluice.conf parsing, fed files written to a temporary
 * directory.  Every error is checked by its whole message, FILE:LINE
 * included. */
#define _GNU_SOURCE
#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "parse.h"

static char dir[] = "/tmp/sluice-test-conf.XXXXXX";

/* Write DIR/name and return its path (static buffer, one at a time). */
static const char *put(const char *name, const char *text)
{
    static char path[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
    return path;
}

static conf_t *load_text(const char *text)
{
    sl_error_t e = { "" };
    conf_t *c = conf_load(put("t.conf", text), &e);
    ck_assert_msg(c != NULL, "load failed: %s", e.text);
    return c;
}

START_TEST(test_defaults)
{
    conf_t *c = load_text("# nothing but a comment\n\n   \n");

    ck_assert_str_eq(c->cluster_name, "sluice");
    ck_assert_str_eq(c->controller_host, "localhost");
    ck_assert_int_eq(c->controller_port, 6917);
    ck_assert_str_eq(c->state_save_location, "/var/lib/sluice");
    ck_assert_str_eq(c->spool_dir, "/var/spool/sluiced/%n");
    ck_assert_str_eq(c->auth_type, "auth/munge");
    ck_assert_ptr_null(c->auth_info);
    ck_assert_ptr_null(c->auth_socket);
    ck_assert_str_eq(c->plugin_dir, PLUGINDIR);
    ck_assert_str_eq(c->scheduler_type, "sched/builtin");
    ck_assert_str_eq(c->priority_type, "priority/basic");
    ck_assert_int_eq(c->kill_wait, 30);
    ck_assert_int_eq(c->node_timeout, 300);
    ck_assert_int_eq(c->heartbeat_interval, 30);
    ck_assert_uint_eq(c->noperators, 0);
    ck_assert_str_eq(c->sluice_user, "root");
    ck_assert_int_eq(c->job_retention, 7 * 86400);
    ck_assert_uint_eq(c->max_array_size, 10001);
    ck_assert_uint_eq(c->max_job_count, 2000000);
    ck_assert_ptr_null(c->ctld_log_file);
    ck_assert_ptr_null(c->noded_log_file);
    ck_assert_int_eq(c->log_level, LOG_LVL_INFO);
    ck_assert_uint_eq(c->nnodes, 0);
    ck_assert_uint_eq(c->nparts, 0);
    ck_assert_ptr_null(conf_part_default(c));
    ck_assert_ptr_null(conf_node_find(c, "n1"));
    conf_destroy(c);
    conf_destroy(NULL);
}
END_TEST

START_TEST(test_globals)
{
    conf_t *c = load_text(
        "ClusterName=demo   # trailing comment\n"
        "controllerhost=head CONTROLLERPORT=7000\n"
        "StateSaveLocation=/s SpoolDir=/tmp/spool/%n\n"
        "AuthType=auth/none AuthInfo=socket=/run/munge/x.sock\n"
        "PluginDir=/a:/b\n"
        "SchedulerType=SCHED/BACKFILL\tPriorityType=priority/multifactor\n"
        "KillWait=45 NodeTimeout=2:00 HeartbeatInterval=10\n"
        "Operators=alice,bob SluiceUser=sluice\n"
        "JobRetention=1-0\n"
        "MaxArraySize=1001 MaxJobCount=5000\n"
        "SluiceCtldLogFile=\"/var/log/sluice ctld.log\"\n"
        "SluicedLogFile=/var/log/sluiced-%n.log#no space before the comment\n"
        "LogLevel=DEBUG\n"
        "ClusterName=\"demo # not a comment\"\n");

    ck_assert_str_eq(c->cluster_name, "demo # not a comment");
    ck_assert_str_eq(c->controller_host, "head");
    ck_assert_int_eq(c->controller_port, 7000);
    ck_assert_str_eq(c->state_save_location, "/s");
    ck_assert_str_eq(c->auth_type, "auth/none");
    ck_assert_str_eq(c->auth_info, "socket=/run/munge/x.sock");
    ck_assert_str_eq(c->auth_socket, "/run/munge/x.sock");
    ck_assert_str_eq(c->plugin_dir, "/a:/b");
    ck_assert_str_eq(c->scheduler_type, "sched/backfill");
    ck_assert_str_eq(c->priority_type, "priority/multifactor");
    ck_assert_int_eq(c->kill_wait, 45);
    ck_assert_int_eq(c->node_timeout, 120);
    ck_assert_int_eq(c->heartbeat_interval, 10);
    ck_assert_uint_eq(c->noperators, 2);
    ck_assert(conf_is_operator(c, "alice") && conf_is_operator(c, "bob"));
    ck_assert(!conf_is_operator(c, "carol"));
    ck_assert_str_eq(c->sluice_user, "sluice");
    ck_assert_int_eq(c->job_retention, 86400);
    ck_assert_uint_eq(c->max_array_size, 1001);
    ck_assert_uint_eq(c->max_job_count, 5000);
    ck_assert_str_eq(c->ctld_log_file, "/var/log/sluice ctld.log");
    ck_assert_str_eq(c->noded_log_file, "/var/log/sluiced-%n.log");
    ck_assert_int_eq(c->log_level, LOG_LVL_DEBUG);
    conf_destroy(c);
}
END_TEST

START_TEST(test_to_json)
{
    conf_t *c = load_text("KillWait=5 Operators=a,b AuthInfo=socket=/x\n");
    json_t *o = conf_to_json(c);
    char *s = json_dumps(o, JSON_COMPACT);
    const char *key;
    json_t *v;

    ck_assert_ptr_nonnull(s);
    /* Table order, every value a string. */
    ck_assert_msg(strncmp(s, "{\"ClusterName\":\"sluice\",\"ControllerHost\":", 41) == 0,
                  "%s", s);
    json_object_foreach(o, key, v)
        ck_assert_msg(json_is_string(v), "%s is not a string", key);
    ck_assert_str_eq(json_string_value(json_object_get(o, "KillWait")), "5");
    ck_assert_str_eq(json_string_value(json_object_get(o, "Operators")), "a,b");
    ck_assert_str_eq(json_string_value(json_object_get(o, "AuthInfo")), "socket=/x");
    ck_assert_str_eq(json_string_value(json_object_get(o, "LogLevel")), "info");
    ck_assert_str_eq(json_string_value(json_object_get(o, "SluiceCtldLogFile")), "(null)");
    ck_assert_str_eq(json_string_value(json_object_get(o, "JobRetention")), "604800");
    ck_assert_str_eq(json_string_value(json_object_get(o, "SchedulerType")), "sched/builtin");
    ck_assert_str_eq(json_string_value(json_object_get(o, "MaxConnections")), "4096");
    ck_assert_str_eq(json_string_value(json_object_get(o, "MpiDefault")), "none");
    ck_assert_str_eq(json_string_value(json_object_get(o, "TreeWidth")), "50");
    ck_assert_uint_eq(json_object_size(o), 81);
    free(s);
    json_decref(o);
    conf_destroy(c);
}
END_TEST

START_TEST(test_nodes)
{
    conf_t *c = load_text(
        "NodeName=DEFAULT CPUs=4 RealMemory=8G\n"
        "NodeName=n[1-4] NodeHostname=localhost Port=[7001-7004] Features=a,b\n"
        "nodename=DEFAULT cpus=8\n"
        "NODENAME=big Port=7100 Weight=5 State=unknown TopologyFile=/t.xml\n"
        "NodeName=a Sockets=2 CoresPerSocket=8 ThreadsPerCore=2 Port=1\n"
        "SpoolDir=/sp/%n/x%n\n");
    const struct conf_node *n;

    ck_assert_uint_eq(c->nnodes, 6);
    n = conf_node_find(c, "n3");
    ck_assert_ptr_nonnull(n);
    ck_assert_str_eq(n->name, "n3");
    ck_assert_str_eq(n->hostname, "localhost");
    ck_assert_int_eq(n->port, 7003);
    ck_assert_uint_eq(n->cpus, 4);
    ck_assert_uint_eq(n->sockets, 1);
    ck_assert_uint_eq(n->cores_per_socket, 4);
    ck_assert_uint_eq(n->threads_per_core, 1);
    ck_assert_uint_eq(n->real_memory_mb, 8192);
    ck_assert_uint_eq(n->weight, 1);
    ck_assert_str_eq(n->features, "a,b");
    ck_assert_ptr_null(n->topology_file);
    ck_assert_str_eq(n->spool_dir, "/sp/n3/xn3");
    n = conf_node_find(c, "big");
    ck_assert_uint_eq(n->cpus, 8);
    ck_assert_uint_eq(n->real_memory_mb, 8192);
    ck_assert_int_eq(n->port, 7100);
    ck_assert_uint_eq(n->weight, 5);
    ck_assert_str_eq(n->topology_file, "/t.xml");
    ck_assert_ptr_null(n->features);
    /* The defaults' CPUs=8 wins over the line's own topology. */
    n = conf_node_find(c, "a");
    ck_assert_uint_eq(n->cpus, 8);
    ck_assert_uint_eq(n->cores_per_socket, 8);
    ck_assert_str_eq(c->nodes[0].name, "n1");
    ck_assert_str_eq(c->nodes[5].name, "a");
    conf_destroy(c);
}
END_TEST

START_TEST(test_node_derive)
{
    static const struct {
        const char *line;
        uint32_t cpus, sockets, cores, threads;
        const char *host;
        int port;
    } tab[] = {
        { "NodeName=x", 1, 1, 1, 1, "localhost", 6918 },
        { "NodeName=x Sockets=2 CoresPerSocket=8 ThreadsPerCore=2", 32, 2, 8, 2, "localhost",
          6918 },
        { "NodeName=x Sockets=2 ThreadsPerCore=2", 4, 2, 1, 2, "localhost", 6918 },
        { "NodeName=x CPUs=16 Sockets=2 ThreadsPerCore=2", 16, 2, 4, 2, "localhost", 6918 },
        { "NodeName=x CPUs=6 Sockets=4", 6, 4, 1, 1, "localhost", 6918 },
        { "NodeName=x CPUs=4 CoresPerSocket=2", 4, 1, 2, 1, "localhost", 6918 },
        { "NodeName=x NodeAddr=10.0.0.5 Port=99", 1, 1, 1, 1, "10.0.0.5", 99 },
        { "NodeName=x NodeAddr=10.0.0.5 NodeHostname=h", 1, 1, 1, 1, "h", 6918 },
        { "NodeName=DEFAULT Port=5\nNodeName=x", 1, 1, 1, 1, "localhost", 5 },
    };
    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
        conf_t *c = load_text(tab[i].line);
        const struct conf_node *n = conf_node_find(c, "x");
        ck_assert_msg(n && n->cpus == tab[i].cpus && n->sockets == tab[i].sockets
                          && n->cores_per_socket == tab[i].cores
                          && n->threads_per_core == tab[i].threads
                          && strcmp(n->hostname, tab[i].host) == 0 && n->port == tab[i].port,
                      "'%s': cpus %u sockets %u cores %u threads %u host %s port %d",
                      tab[i].line, n->cpus, n->sockets, n->cores_per_socket,
                      n->threads_per_core, n->hostname, n->port);
        ck_assert_str_eq(n->spool_dir, "/var/spool/sluiced/x");
        conf_destroy(c);
    }
}
END_TEST

START_TEST(test_node_pairs)
{
    conf_t *c = load_text("NodeName=f[1-3] NodeHostname=h[01-03] Port=[8001-8002,8005]\n"
                          "NodeName=g1 Port=[9000]\n"
                          "NodeName=k[1-2] NodeHostname=h[1-2] Port=6000\n");
    ck_assert_str_eq(conf_node_find(c, "f1")->hostname, "h01");
    ck_assert_str_eq(conf_node_find(c, "f3")->hostname, "h03");
    ck_assert_int_eq(conf_node_find(c, "f3")->port, 8005);
    ck_assert_int_eq(conf_node_find(c, "g1")->port, 9000);
    /* One port serves many nodes when each has its own host. */
    ck_assert_int_eq(conf_node_find(c, "k2")->port, 6000);
    ck_assert_str_eq(conf_node_find(c, "k2")->hostname, "h2");
    conf_destroy(c);
}
END_TEST

START_TEST(test_partitions)
{
    conf_t *c = load_text(
        "NodeName=n[1-4] Port=[7001-7004]\n"
        "PartitionName=DEFAULT MaxTime=1:00:00 State=DOWN\n"
        "PartitionName=batch Nodes=n2,n1,n1 Default=YES DefaultTime=30\n"
        "partitionname=all nodes=all State=up MaxNodes=2 PriorityTier=5 MaxTime=UNLIMITED\n"
        "PartitionName=empty\n"
        "PartitionName=late Nodes=n5,n1 MaxNodes=UNLIMITED State=INACTIVE\n"
        "NodeName=n5 Port=7005\n");
    const struct conf_partition *p;

    ck_assert_uint_eq(c->nparts, 4);
    p = conf_part_default(c);
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(p->name, "batch");
    ck_assert_str_eq(p->nodes_expr, "n2,n1,n1");
    ck_assert_uint_eq(p->nnodes, 2);
    ck_assert_str_eq(p->nodes[0], "n1");
    ck_assert_str_eq(p->nodes[1], "n2");
    ck_assert_int_eq(p->max_time, 3600);
    ck_assert_int_eq(p->default_time, 1800);
    ck_assert_int_eq(p->state, PART_DOWN);
    ck_assert_uint_eq(p->max_nodes, 0);
    ck_assert_uint_eq(p->priority_tier, 1);
    p = conf_part_find(c, "all");
    ck_assert_uint_eq(p->nnodes, 5);
    ck_assert_str_eq(p->nodes[4], "n5");
    ck_assert_int_eq(p->state, PART_UP);
    ck_assert_uint_eq(p->max_nodes, 2);
    ck_assert_uint_eq(p->priority_tier, 5);
    ck_assert_int_eq(p->max_time, TIME_INFINITE);
    ck_assert_int_eq(p->default_time, TIME_INFINITE);
    ck_assert(!p->is_default);
    p = conf_part_find(c, "empty");
    ck_assert_uint_eq(p->nnodes, 0);
    ck_assert_ptr_null(p->nodes_expr);
    ck_assert_int_eq(p->max_time, 3600);
    ck_assert_int_eq(p->default_time, 3600);
    p = conf_part_find(c, "late");
    ck_assert_uint_eq(p->nnodes, 2);
    ck_assert_str_eq(p->nodes[0], "n1");
    ck_assert_int_eq(p->state, PART_INACTIVE);
    ck_assert_ptr_null(conf_part_find(c, "nope"));
    conf_destroy(c);
}
END_TEST

START_TEST(test_part_state_names)
{
    static const char *const names[] = { "UP", "DOWN", "DRAIN", "INACTIVE" };
    enum part_state s;

    for (int i = 0; i < 4; i++) {
        ck_assert_str_eq(part_state_name((enum part_state)i), names[i]);
        ck_assert_int_eq(part_state_parse(names[i], &s), 0);
        ck_assert_int_eq(s, i);
    }
    ck_assert_int_eq(part_state_parse("drain", &s), 0);
    ck_assert_int_eq(s, PART_DRAIN);
    ck_assert_int_eq(part_state_parse("OPEN", &s), -1);
}
END_TEST

START_TEST(test_include)
{
    char path[4096];
    sl_error_t e = { "" };
    conf_t *c;

    snprintf(path, sizeof(path), "%s/sub", dir);
    mkdir(path, 0700);
    put("nodes.conf", "NodeName=n1 Port=7001\n");
    put("sub/parts.conf", "PartitionName=p Nodes=n1\nInclude ../more.conf\n");
    put("more.conf", "ClusterName=b\n");
    snprintf(path, sizeof(path), "%s/main.conf", dir);
    put("main.conf", "ClusterName=a\nInclude nodes.conf\ninclude=sub/parts.conf # here\n"
                     "Include \"nodes2.conf\"\n");
    put("nodes2.conf", "NodeName=n2 Port=7002\n");
    c = conf_load(path, &e);
    ck_assert_msg(c != NULL, "%s", e.text);
    ck_assert_str_eq(c->cluster_name, "b");
    ck_assert_str_eq(c->path, path);
    ck_assert_uint_eq(c->nnodes, 2);
    ck_assert_ptr_nonnull(conf_part_find(c, "p"));
    conf_destroy(c);
}
END_TEST

/* d0 includes d1 ... up to d<n>. */
static const char *include_chain(int n)
{
    char name[32], text[64];
    for (int i = 0; i <= n; i++) {
        snprintf(name, sizeof(name), "d%d.conf", i);
        if (i < n)
            snprintf(text, sizeof(text), "Include d%d.conf\n", i + 1);
        else
            snprintf(text, sizeof(text), "ClusterName=deep\n");
        put(name, text);
    }
    return put("d0.conf", "Include d1.conf\n");
}

START_TEST(test_include_depth)
{
    char path[4096], want[4200];
    sl_error_t e = { "" };
    conf_t *c;

    snprintf(path, sizeof(path), "%s", include_chain(16));
    c = conf_load(path, &e);
    ck_assert_msg(c != NULL, "%s", e.text);
    ck_assert_str_eq(c->cluster_name, "deep");
    conf_destroy(c);
    snprintf(path, sizeof(path), "%s", include_chain(17));
    ck_assert_ptr_null(conf_load(path, &e));
    snprintf(want, sizeof(want), "%s/d16.conf:1: Include nested more than 16 deep", dir);
    ck_assert_str_eq(e.text, want);
}
END_TEST

/* An expected message with each '@' replaced by the directory. */
static const char *subst(const char *fmt)
{
    static char out[4096];
    size_t n = 0;

    for (; *fmt && n + strlen(dir) + 1 < sizeof(out); fmt++) {
        if (*fmt == '@') {
            strcpy(out + n, dir);
            n += strlen(dir);
        } else {
            out[n++] = *fmt;
        }
    }
    out[n] = '\0';
    return out;
}

static void expect_error(const char *file, const char *fmt)
{
    char path[4096];
    const char *want = subst(fmt);
    sl_error_t e = { "" };

    snprintf(path, sizeof(path), "%s/%s", dir, file);
    ck_assert_ptr_null(conf_load(path, &e));
    ck_assert_str_eq(e.text, want);
}

START_TEST(test_include_errors)
{
    put("a.conf", "Include b.conf\n");
    put("b.conf", "ClusterName=x\n\nInclude a.conf\n");
    expect_error("a.conf", "@/b.conf:3: Include loop: @/a.conf is already being read");
    put("self.conf", "Include self.conf\n");
    expect_error("self.conf", "@/self.conf:1: Include loop: @/self.conf is already "
                              "being read");
    put("miss.conf", "ClusterName=x\nInclude nope.conf\n");
    expect_error("miss.conf", "@/miss.conf:2: cannot open @/nope.conf: No such file or "
                              "directory");
    expect_error("absent.conf", "cannot open @/absent.conf: No such file or directory");
    put("inc.conf", "Include\n");
    expect_error("inc.conf", "@/inc.conf:1: Include takes one file name");
    put("inc.conf", "Include a b\n");
    expect_error("inc.conf", "@/inc.conf:1: Include takes one file name");
    put("inc.conf", "Include=a b\n");
    expect_error("inc.conf", "@/inc.conf:1: Include takes one file name");
    /* An error inside an included file names that file. */
    put("bad.conf", "\nKillWait=x\n");
    put("inc.conf", "Include bad.conf\n");
    expect_error("inc.conf", "@/bad.conf:2: bad value for KillWait: 'x' is not a number");
    /* Found by fuzzing: the text after a NUL was dropped without a word. */
    char path[4096];
    snprintf(path, sizeof(path), "%s/nul.conf", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fwrite("ClusterName=x\n\0a\nKillWait=5\n", 1, 28, f);
    fclose(f);
    expect_error("nul.conf", "@/nul.conf:2: the line holds a NUL byte");
}
END_TEST

static const struct { const char *text, *error; } errors[] = {
    { "Foo=1", "@/e.conf:1: unknown key 'Foo'" },
    { "\n\nKillWait=abc", "@/e.conf:3: bad value for KillWait: 'abc' is not a number" },
    { "KillWait=99999", "@/e.conf:1: bad value for KillWait: 99999 is out of range (0-86400)" },
    { "KillWait=1:xx", "@/e.conf:1: bad value for KillWait: '1:xx' is neither seconds nor a "
                       "time such as M:S or H:M:S" },
    { "JobRetention=UNLIMITED", "@/e.conf:1: bad value for JobRetention: 'UNLIMITED' is not "
                                "a number" },
    { "JobRetention=20000-0", "@/e.conf:1: bad value for JobRetention: '20000-0' is out of "
                              "range (0-315360000 seconds)" },
    { "ControllerPort=0", "@/e.conf:1: bad value for ControllerPort: 0 is out of range "
                          "(1-65535)" },
    { "HeartbeatInterval=0", "@/e.conf:1: bad value for HeartbeatInterval: 0 is out of range "
                             "(1-2147483647)" },
    { "MaxArraySize=0", "@/e.conf:1: bad value for MaxArraySize: 0 is out of range "
                        "(1-4000001)" },
    { "SchedulerType=sched/fifo", "@/e.conf:1: bad value for SchedulerType: 'sched/fifo' is "
                                  "not one of sched/builtin, sched/backfill" },
    { "PriorityType=fair", "@/e.conf:1: bad value for PriorityType: 'fair' is not one of "
                           "priority/basic, priority/multifactor" },
    { "AuthInfo=socket=/x,ttl=5", "@/e.conf:1: bad value for AuthInfo: unknown option "
                                  "'ttl=5' (known: socket=PATH)" },
    { "AuthInfo=socket=", "@/e.conf:1: bad value for AuthInfo: unknown option 'socket=' "
                          "(known: socket=PATH)" },
    { "LogLevel=loud", "@/e.conf:1: bad value for LogLevel: 'loud' is not one of error, "
                       "warning, info, debug" },
    { "ClusterName=", "@/e.conf:1: bad value for ClusterName: empty value" },
    { "ClusterName", "@/e.conf:1: missing '=' after 'ClusterName'" },
    { "ClusterName=a b", "@/e.conf:1: missing '=' after 'b'" },
    { "=x", "@/e.conf:1: missing key before '='" },
    { "ClusterName=\"abc", "@/e.conf:1: unterminated quote" },
    { "ClusterName=\"a\"b", "@/e.conf:1: unexpected 'b' after 'ClusterName'" },
    { "ClusterName=a\"b\"", "@/e.conf:1: unexpected '\"' after 'ClusterName'" },
    { "CPUs=4", "@/e.conf:1: unknown key 'CPUs' (it belongs on a NodeName line)" },
    { "MaxTime=5", "@/e.conf:1: unknown key 'MaxTime' (it belongs on a PartitionName line)" },
    { "ClusterName=a NodeName=x", "@/e.conf:1: NodeName must start its line" },
    { "ClusterName=a Include=x", "@/e.conf:1: Include must start its line" },
    { "NodeName=n[1-4] Port=7001", "@/e.conf:1: Port= gives 1 port for 4 nodes" },
    { "NodeName=n[1-2] Port=[7001-7003]", "@/e.conf:1: Port= gives 3 ports for 2 nodes" },
    { "NodeName=n[1-2]", "@/e.conf:1: Port= gives 1 port for 2 nodes" },
    { "NodeName=n[1-2] NodeHostname=h[1-2] Port=[1-3]", "@/e.conf:1: Port= gives 3 ports for "
                                                        "2 nodes" },
    { "NodeName=n1 Port=abc", "@/e.conf:1: bad value for Port: 'abc' is not a number" },
    { "NodeName=n1 Port=70000", "@/e.conf:1: bad value for Port: 70000 is out of range "
                                "(1-65535)" },
    { "NodeName=n1 Port=[1-", "@/e.conf:1: bad value for Port: unbalanced brackets in host "
                              "list '[1-'" },
    { "NodeName=n1 Port=\n", "@/e.conf:1: bad value for Port: empty value" },
    { "NodeName=n1 Port=7001\nNodeName=n1 Port=7002", "@/e.conf:2: node 'n1' is defined "
                                                      "twice" },
    { "NodeName=n[1-2 Port=1", "@/e.conf:1: bad value for NodeName: unbalanced brackets in "
                               "host list 'n[1-2'" },
    { "NodeName=", "@/e.conf:1: bad value for NodeName: empty value" },
    { "NodeName=,", "@/e.conf:1: bad value for NodeName: no names in ','" },
    { "NodeName=n1 CPUs=x", "@/e.conf:1: bad value for CPUs: 'x' is not a number" },
    { "NodeName=n1 CPUs=0", "@/e.conf:1: bad value for CPUs: 0 is out of range (1-1048576)" },
    { "NodeName=n1 Bogus=1", "@/e.conf:1: unknown key 'Bogus'" },
    { "NodeName=n1 State=IDLE", "@/e.conf:1: bad value for State: 'IDLE' is not a state a "
                                "node may be given here (UNKNOWN or CLOUD)" },
    { "CloudType=cloud/gce", "@/e.conf:1: bad value for CloudType: 'cloud/gce' is not one of "
                             "cloud/local, cloud/script, cloud/ec2" },
    { "SuspendTime=soon", "@/e.conf:1: bad value for SuspendTime: 'soon' is not a number of "
                          "seconds, a time (M:S) or NONE" },
    { "NodeName=n1 RealMemory=lots", "@/e.conf:1: bad value for RealMemory: 'lots' is not a "
                                     "valid memory size (use a number with an optional K, M, "
                                     "G or T suffix)" },
    { "NodeName=n[1-3] NodeHostname=h[1-2] Port=[1-3]", "@/e.conf:1: NodeHostname= gives 2 "
                                                        "names for 3 nodes" },
    { "NodeName=n[1-3] NodeAddr=h[1-2] Port=[1-3]", "@/e.conf:1: NodeAddr= gives 2 names for "
                                                    "3 nodes" },
    { "NodeName=n1 Sockets=65536 CoresPerSocket=65536", "@/e.conf:1: Sockets*CoresPerSocket*"
                                                        "ThreadsPerCore is 4294967296, too "
                                                        "many CPUs" },
    { "NodeName=DEFAULT Foo=1", "@/e.conf:1: unknown key 'Foo'" },
    { "PartitionName=p Nodes=n1", "@/e.conf:1: partition 'p': node 'n1' is not defined" },
    { "NodeName=n[1-2] Port=[1-2]\n# two\nPartitionName=p Nodes=n[1-3]",
      "@/e.conf:3: partition 'p': node 'n3' is not defined" },
    { "PartitionName=p\nPartitionName=p", "@/e.conf:2: partition 'p' is defined twice" },
    { "PartitionName=a Default=YES\nPartitionName=b Default=yes",
      "@/e.conf:2: partition 'b' is Default=YES but 'a' already is" },
    { "PartitionName=p MaxTime=1:00:00 DefaultTime=2:00:00",
      "@/e.conf:1: DefaultTime (2:00:00) exceeds MaxTime (1:00:00)" },
    { "PartitionName=p MaxTime=60 DefaultTime=UNLIMITED",
      "@/e.conf:1: DefaultTime (UNLIMITED) exceeds MaxTime (1:00:00)" },
    { "PartitionName=DEFAULT DefaultTime=2:00:00\nPartitionName=p MaxTime=1",
      "@/e.conf:2: DefaultTime (2:00:00) exceeds MaxTime (1:00)" },
    { "PartitionName=p State=OPEN", "@/e.conf:1: bad value for State: 'OPEN' is not one of "
                                    "UP, DOWN, DRAIN, INACTIVE" },
    { "PartitionName=p MaxNodes=lots", "@/e.conf:1: bad value for MaxNodes: 'lots' is not a "
                                       "number or UNLIMITED" },
    { "PartitionName=p Default=maybe", "@/e.conf:1: bad value for Default: 'maybe' is not "
                                       "yes or no" },
    { "PartitionName=p MaxTime=soon", "@/e.conf:1: bad value for MaxTime: 'soon' is not a "
                                      "valid time (use minutes, M:S, H:M:S, D-H, D-H:M, "
                                      "D-H:M:S or UNLIMITED)" },
    { "PartitionName=p PriorityTier=65536", "@/e.conf:1: bad value for PriorityTier: 65536 "
                                            "is out of range (0-65535)" },
    { "PartitionName=p AllowGroups=x", "@/e.conf:1: unknown key 'AllowGroups'" },
    { "PartitionName=p Nodes=n[1-", "@/e.conf:1: bad value for Nodes: unbalanced brackets in "
                                    "host list 'n[1-'" },
    { "PartitionName=", "@/e.conf:1: bad value for PartitionName: empty value" },
    { "PartitionName=p Nodes", "@/e.conf:1: missing '=' after 'Nodes'" },
};

START_TEST(test_errors)
{
    for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
        sl_error_t e = { "" };
        conf_t *c = conf_load(put("e.conf", errors[i].text), &e);
        const char *want = subst(errors[i].error);
        ck_assert_msg(c == NULL, "'%s' loaded", errors[i].text);
        ck_assert_msg(strcmp(e.text, want) == 0, "'%s':\n got '%s'\nwant '%s'",
                      errors[i].text, e.text, want);
    }
}
END_TEST

#define QBASE "NodeName=n[1-2] Port=[1-2] CPUs=2\nPartitionName=a Nodes=n1\nPartitionName=b Nodes=n2\n"

START_TEST(test_queues)
{
    conf_t *c = load_text(QBASE
        "SchedulingPolicyName=fair ShareDecaySeconds=3600 ComputeReservation=20 "
        "ShareDistribution=teamA:0.5,teamB*:1.0\n"
        "QueueName=urgent Priority=100 Partitions=b,a State=ENABLED SchedulingPolicy=fair\n"
        "QueueName=slow Partitions=a State=DISABLED MaxRunnableTime=600 Reason=NoCapacity\n");
    const struct conf_queue *q = conf_queue_find(c, "urgent");
    const struct conf_policy *p = conf_policy_find(c, "fair");
    ck_assert_ptr_nonnull(q);
    ck_assert_uint_eq(q->priority, 100);
    ck_assert_uint_eq(q->nparts, 2);
    ck_assert_str_eq(q->partitions[0], "b");
    ck_assert_str_eq(q->partitions[1], "a");
    ck_assert_str_eq(q->policy, "fair");
    ck_assert_int_eq(q->disabled, 0);
    q = conf_queue_find(c, "slow");
    ck_assert_uint_eq(q->priority, 1);
    ck_assert_int_eq(q->disabled, 1);
    ck_assert_int_eq(q->max_runnable_time, 600);
    ck_assert_str_eq(q->reason, "NoCapacity");
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(p->share_decay, 3600);
    ck_assert_uint_eq(p->compute_reservation, 20);
    ck_assert_uint_eq(p->nshares, 2);
    ck_assert_str_eq(p->shares[0].id, "teamA");
    ck_assert_int_eq(p->shares[0].prefix, 0);
    ck_assert(p->shares[0].weight == 0.5);
    ck_assert_str_eq(p->shares[1].id, "teamB");
    ck_assert_int_eq(p->shares[1].prefix, 1);
    ck_assert_ptr_null(conf_queue_find(c, "a"));
    conf_destroy(c);
}
END_TEST

static const struct {
    const char *text, *error;
} qerrors[] = {
    { QBASE "QueueName=q Partitions=zz\n", "queue 'q': partition 'zz' does not exist" },
    { QBASE "QueueName=q Partitions=a SchedulingPolicy=none\n",
      "queue 'q': scheduling policy 'none' does not exist" },
    { QBASE "QueueName=q\n", "queue 'q' needs Partitions=" },
    { QBASE "QueueName=q Partitions=a State=ON\n", "bad value for State" },
    { QBASE "QueueName=q Partitions=a Flavour=x\n", "unknown queue key 'Flavour'" },
    { QBASE "QueueName=a Partitions=a\n", "is defined twice" },
    { QBASE "QueueName=q Partitions=a MaxRunnableTime=60\n", "MaxRunnableTime needs a Reason=" },
    { QBASE "SchedulingPolicyName=f ShareDistribution=teamA\n", "bad share 'teamA'" },
    { QBASE "SchedulingPolicyName=f ShareDistribution=teamA:-1\n", "bad share 'teamA:-1'" },
    { QBASE "SchedulingPolicyName=f ShareDistribution=teamA:zero\n", "bad share" },
    { QBASE "SchedulingPolicyName=f ComputeReservation=100\n", "bad value for ComputeReservation" },
    { QBASE "SchedulingPolicyName=f\nSchedulingPolicyName=f\n", "is defined twice" },
};

START_TEST(test_queue_errors)
{
    for (size_t i = 0; i < sizeof(qerrors) / sizeof(qerrors[0]); i++) {
        sl_error_t e = { "" };
        conf_t *c = conf_load(put("q.conf", qerrors[i].text), &e);
        ck_assert_msg(c == NULL, "'%s' loaded", qerrors[i].text);
        ck_assert_msg(strstr(e.text, qerrors[i].error), "'%s':\n got '%s'\nwant '%s'",
                      qerrors[i].text, e.text, qerrors[i].error);
    }
}
END_TEST

START_TEST(test_queue_runtime_set)
{
    struct conf_queue q = { 0 };
    sl_error_t e;
    ck_assert_int_eq(conf_queue_set(&q, "priority", "7", &e), 0);
    ck_assert_int_eq(conf_queue_set(&q, "Partitions", "a,b", &e), 0);
    ck_assert_uint_eq(q.nparts, 2);
    ck_assert_int_eq(conf_queue_set(&q, "Priority", "x", &e), -1);
    ck_assert_ptr_nonnull(strstr(e.text, "bad value for Priority"));
    ck_assert_uint_eq(q.priority, 7);
    struct conf_queue copy;
    ck_assert_int_eq(conf_queue_copy(&copy, &q), 0);
    ck_assert_uint_eq(copy.nparts, 2);
    conf_queue_free(&copy);
    conf_queue_free(&q);
}
END_TEST

START_TEST(test_default_path)
{
    unsetenv("SLUICE_CONF");
    ck_assert_str_eq(conf_default_path(), SYSCONFDIR "/sluice/sluice.conf");
    setenv("SLUICE_CONF", "/x/y.conf", 1);
    ck_assert_str_eq(conf_default_path(), "/x/y.conf");
    unsetenv("SLUICE_CONF");
}
END_TEST

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *text = calloc(1, 1 << 20);
    ck_assert_msg(f != NULL, "cannot open %s", path);
    ck_assert_uint_lt(fread(text, 1, (1 << 20) - 1, f), (1 << 20) - 1);
    fclose(f);
    return text;
}

/* The example config loads, and it and the man page name every global key. */
/* Testing modes are off by default and refused without the switch. */
START_TEST(test_testing_modes)
{
    sl_error_t e = { "" };
    conf_t *c = load_text("");

    ck_assert_int_eq(c->mock_execution, 0);
    ck_assert_uint_eq(c->nodes_per_daemon, 1);
    ck_assert(!conf_testing_active(c));
    unsetenv(CONF_TESTING_ENV);
    ck_assert_int_eq(conf_testing_check(c, &e), 0);
    conf_destroy(c);

    c = load_text("MockExecution=yes\n");
    ck_assert_int_eq(conf_testing_check(c, &e), -1);
    ck_assert_msg(strstr(e.text, "MockExecution=yes") && strstr(e.text, "SLUICE_TESTING_MODES=1"),
                  "%s", e.text);
    setenv(CONF_TESTING_ENV, "1", 1);
    ck_assert_int_eq(conf_testing_check(c, &e), 0);
    conf_destroy(c);

    c = load_text("NodesPerDaemon=250\n");
    ck_assert_uint_eq(c->nodes_per_daemon, 250);
    setenv(CONF_TESTING_ENV, "yes", 1);          /* only "1" enables */
    ck_assert_int_eq(conf_testing_check(c, &e), -1);
    ck_assert_msg(strstr(e.text, "NodesPerDaemon=250"), "%s", e.text);
    unsetenv(CONF_TESTING_ENV);
    conf_destroy(c);
}
END_TEST

/* PropagateResourceLimits[Except]: Slurm's names, one of the two. */
START_TEST(test_propagate_keys)
{
    sl_error_t e = { "" };
    conf_t *c = load_text("");
    ck_assert_ptr_null(c->propagate_rlimits);
    ck_assert_ptr_null(c->propagate_rlimits_except);
    conf_destroy(c);
    c = load_text("PropagateResourceLimits=CORE,nofile\n");
    ck_assert_str_eq(c->propagate_rlimits, "CORE,nofile");
    conf_destroy(c);
    c = load_text("PropagateResourceLimitsExcept=MEMLOCK\n");
    ck_assert_str_eq(c->propagate_rlimits_except, "MEMLOCK");
    conf_destroy(c);
    ck_assert_ptr_null(conf_load(put("t.conf", "PropagateResourceLimits=CORE,BOGUS\n"), &e));
    ck_assert_msg(strstr(e.text, "Invalid PropagateResourceLimits specification: 'BOGUS'"),
                  "%s", e.text);
    ck_assert_ptr_null(conf_load(put("t.conf", "PropagateResourceLimits=CORE\n"
                                               "PropagateResourceLimitsExcept=AS\n"), &e));
    ck_assert_msg(strstr(e.text, "exclusive"), "%s", e.text);
}
END_TEST

/* CloudLocalNice: 0 to 19 (an unprivileged process cannot go below 0). */
START_TEST(test_cloud_local_nice)
{
    conf_t *c = load_text("CloudLocalNice=19\n");
    ck_assert_uint_eq(c->cloud_local_nice, 19);
    conf_destroy(c);
    c = load_text("\n");
    ck_assert_uint_eq(c->cloud_local_nice, 0);
    conf_destroy(c);
    sl_error_t e = { "" };
    ck_assert_ptr_null(conf_load(put("nice.conf", "CloudLocalNice=20\n"), &e));
    ck_assert_msg(strstr(e.text, "CloudLocalNice"), "%s", e.text);
    ck_assert_ptr_null(conf_load(put("nice.conf", "CloudLocalNice=-1\n"), &e));
    ck_assert_msg(strstr(e.text, "CloudLocalNice"), "%s", e.text);
}
END_TEST

/* AccountingStorageEnforce=: Slurm's words; limits, qos, safe imply
 * associations; none or empty is nothing; an unknown word is refused. */
START_TEST(test_enforce)
{
    sl_error_t e = { "" };
    conf_t *c = load_text("AccountingStorageEnforce=QOS,nojobs\n");
    ck_assert_uint_eq(c->acct_enforce, ENFORCE_ASSOCIATIONS | ENFORCE_QOS | ENFORCE_NOJOBS);
    json_t *o = conf_to_json(c);
    ck_assert_str_eq(json_string_value(json_object_get(o, "AccountingStorageEnforce")),
                     "associations,nojobs,qos");
    json_decref(o);
    conf_destroy(c);
    c = load_text("AccountingStorageEnforce=none\n");
    ck_assert_uint_eq(c->acct_enforce, 0);
    conf_destroy(c);
    c = load_text("AccountingStorageEnforce=associations\n");
    ck_assert_uint_eq(c->acct_enforce, ENFORCE_ASSOCIATIONS);
    conf_destroy(c);
    ck_assert_ptr_null(conf_load(put("t.conf", "AccountingStorageEnforce=assocs\n"), &e));
    ck_assert_msg(strstr(e.text, "'assocs' is not one of"), "%s", e.text);
}
END_TEST

START_TEST(test_docs)
{
    sl_error_t e = { "" };
    conf_t *c = conf_load(TOP_SRCDIR "/etc/sluice.conf.example", &e);
    char *example = slurp(TOP_SRCDIR "/etc/sluice.conf.example");
    char *man = slurp(TOP_SRCDIR "/doc/man5/sluice.conf.5");
    json_t *o, *v;
    const char *key;

    ck_assert_msg(c != NULL, "%s", e.text);
    ck_assert_ptr_nonnull(conf_part_default(c));
    o = conf_to_json(c);
    json_object_foreach(o, key, v) {
        char want[128];
        snprintf(want, sizeof(want), "%s=", key);
        ck_assert_msg(strstr(example, want), "example lacks %s", key);
        snprintf(want, sizeof(want), ".BI %s=", key);
        ck_assert_msg(strstr(man, want), "man page lacks %s", key);
    }
    json_decref(o);
    free(example);
    free(man);
    conf_destroy(c);
}
END_TEST

/* HeartbeatInterval follows NodeTimeout unless set (NodeTimeout/3, at most
 * 30, as Slurm pings every SlurmdTimeout/3); a set one must be below it. */
START_TEST(test_heartbeat)
{
    static const struct {
        const char *text;
        int heartbeat;
    } derived[] = {
        { "", 30 },                                  /* NodeTimeout=300 */
        { "NodeTimeout=10\n", 3 },
        { "NodeTimeout=60\n", 20 },
        { "NodeTimeout=2\n", 1 },
        { "NodeTimeout=0\n", 30 },                   /* never: the default stays */
        { "HeartbeatInterval=5\nNodeTimeout=10\n", 5 },
        { "NodeTimeout=0\nHeartbeatInterval=100\n", 100 },
    };
    for (size_t i = 0; i < sizeof(derived) / sizeof(derived[0]); i++) {
        conf_t *c = load_text(derived[i].text);
        ck_assert_msg(c->heartbeat_interval == derived[i].heartbeat, "'%s': heartbeat %d",
                      derived[i].text, c->heartbeat_interval);
        conf_destroy(c);
    }
    put("hb.conf", "NodeTimeout=10\n# the default would be 30\nHeartbeatInterval=30\n");
    expect_error("hb.conf", "@/hb.conf:3: HeartbeatInterval=30 must be below NodeTimeout=10: "
                 "every node would be marked DOWN between two heartbeats (leave "
                 "HeartbeatInterval unset to derive it: NodeTimeout/3)");
    put("hb.conf", "HeartbeatInterval=10 NodeTimeout=10\n");
    expect_error("hb.conf", "@/hb.conf:1: HeartbeatInterval=10 must be below NodeTimeout=10: "
                 "every node would be marked DOWN between two heartbeats (leave "
                 "HeartbeatInterval unset to derive it: NodeTimeout/3)");
    put("hb.conf", "\nNodeTimeout=1\n");
    expect_error("hb.conf", "@/hb.conf:2: NodeTimeout=1 leaves no room for a heartbeat (of at "
                 "least 1 second) before it: use 0 (never) or 2 and more");
}
END_TEST

/* PrivateData: Slurm's values that Sluice applies, in any case and order. */
START_TEST(test_private_data)
{
    conf_t *c = load_text("");
    json_t *o = conf_to_json(c);
    ck_assert_uint_eq(c->private_data, 0);
    ck_assert_str_eq(json_string_value(json_object_get(o, "PrivateData")), "none");
    json_decref(o);
    conf_destroy(c);
    c = load_text("PrivateData=usage,Jobs,accounts\n");
    ck_assert_uint_eq(c->private_data, PRIVATE_JOBS | PRIVATE_USAGE | PRIVATE_ACCOUNTS);
    o = conf_to_json(c);
    ck_assert_str_eq(json_string_value(json_object_get(o, "PrivateData")), "jobs,usage,accounts");
    json_decref(o);
    conf_destroy(c);
    put("pd.conf", "\nPrivateData=jobs,nodes\n");
    expect_error("pd.conf", "@/pd.conf:2: bad value for PrivateData: 'nodes' is not one of "
                 "jobs, usage, accounts");
}
END_TEST

/* Licenses=: name[:count], counts of a name given twice add up; TmpDisk=
 * per node, in MB. */
START_TEST(test_licenses_tmpdisk)
{
    conf_t *c = load_text("");
    json_t *o = conf_to_json(c);
    ck_assert_uint_eq(c->licenses.n, 0);
    ck_assert_str_eq(json_string_value(json_object_get(o, "Licenses")), "(null)");
    json_decref(o);
    conf_destroy(c);
    c = load_text("Licenses=foo:4,bar,foo*2\n");
    ck_assert_uint_eq(c->licenses.n, 2);
    ck_assert_uint_eq(license_find(&c->licenses, "foo")->count, 6);
    ck_assert_uint_eq(license_find(&c->licenses, "bar")->count, 1);
    ck_assert_ptr_null(license_find(&c->licenses, "baz"));
    o = conf_to_json(c);
    ck_assert_str_eq(json_string_value(json_object_get(o, "Licenses")), "foo:6,bar:1");
    json_decref(o);
    conf_destroy(c);
    put("lic.conf", "Licenses=foo:-1\n");
    expect_error("lic.conf", "@/lic.conf:1: bad value for Licenses: bad count '-1' for license "
                 "foo: 1 to 1000000");
    c = load_text("NodeName=n1 Port=7001 TmpDisk=2G\nNodeName=n2 Port=7002 TmpDisk=10\n"
                  "PartitionName=p Nodes=n[1-2]\n");
    ck_assert_uint_eq(c->nodes[0].tmp_disk_mb, 2048);
    ck_assert_uint_eq(c->nodes[1].tmp_disk_mb, 10);
    conf_destroy(c);
}
END_TEST

/* JobAcctGatherFrequency: N or task=N; the kinds not gathered only as 0. */
START_TEST(test_acct_freq)
{
    conf_t *c = load_text("");
    json_t *o = conf_to_json(c);
    ck_assert_int_eq(c->acct_freq, 30);
    ck_assert_str_eq(json_string_value(json_object_get(o, "JobAcctGatherFrequency")), "task=30");
    json_decref(o);
    conf_destroy(c);
    c = load_text("JobAcctGatherFrequency=5\n");
    ck_assert_int_eq(c->acct_freq, 5);
    conf_destroy(c);
    c = load_text("JobAcctGatherFrequency=energy=0,task=1,network=0,filesystem=0\n");
    ck_assert_int_eq(c->acct_freq, 1);
    conf_destroy(c);
    put("af.conf", "JobAcctGatherFrequency=task=1,energy=30\n");
    expect_error("af.conf", "@/af.conf:1: bad value for JobAcctGatherFrequency: energy=30: "
                 "only task usage is gathered here; energy must be 0");
    put("af2.conf", "JobAcctGatherFrequency=task=x\n");
    expect_error("af2.conf", "@/af2.conf:1: bad value for JobAcctGatherFrequency: 'x' is not "
                 "a number of seconds (0-86400)");
    put("af3.conf", "JobAcctGatherFrequency=gpu=0\n");
    expect_error("af3.conf", "@/af3.conf:1: bad value for JobAcctGatherFrequency: unknown data "
                 "type 'gpu' (task, energy, network, filesystem)");
}
END_TEST

/* Power saving: SuspendTime NONE or seconds, per partition or inherited;
 * State=CLOUD on node lines (and NodeName=DEFAULT). */
START_TEST(test_power_keys)
{
    conf_t *c = load_text("");
    ck_assert_int_eq(c->suspend_time, CONF_SUSPEND_NONE);
    ck_assert_ptr_null(c->cloud_type);
    ck_assert_uint_eq(c->resume_rate, 300);
    conf_destroy(c);
    c = load_text("CloudType=cloud/local\nSuspendTime=1:30\nResumeRate=0\n"
                  "NodeName=DEFAULT State=CLOUD\nNodeName=c[1-2] Port=[7001-7002]\n"
                  "NodeName=DEFAULT State=UNKNOWN\nNodeName=s1 Port=7003\n"
                  "PartitionName=a Nodes=c1 SuspendTime=NONE\n"
                  "PartitionName=b Nodes=c2 SuspendTime=5 PowerDownOnIdle=yes\n"
                  "PartitionName=d Nodes=s1\n");
    ck_assert_int_eq(c->suspend_time, 90);
    ck_assert_str_eq(c->cloud_type, "cloud/local");
    ck_assert_uint_eq(c->resume_rate, 0);
    ck_assert_int_eq(conf_node_find(c, "c1")->cloud, 1);
    ck_assert_int_eq(conf_node_find(c, "c2")->cloud, 1);
    ck_assert_int_eq(conf_node_find(c, "s1")->cloud, 0);
    ck_assert_int_eq(conf_part_find(c, "a")->suspend_time, CONF_SUSPEND_NONE);
    ck_assert_int_eq(conf_part_find(c, "b")->suspend_time, 5);
    ck_assert_int_eq(conf_part_find(c, "b")->power_down_on_idle, 1);
    ck_assert_int_eq(conf_part_find(c, "d")->suspend_time, CONF_SUSPEND_GLOBAL);
    json_t *o = conf_to_json(c);
    ck_assert_str_eq(json_string_value(json_object_get(o, "SuspendTime")), "90");
    json_decref(o);
    conf_destroy(c);
}
END_TEST

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

int main(void)
{
    Suite *s = suite_create("conf");
    TCase *tc = tcase_create("conf");
    SRunner *sr;
    int failed;

    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return EXIT_FAILURE;
    }
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_globals);
    tcase_add_test(tc, test_to_json);
    tcase_add_test(tc, test_nodes);
    tcase_add_test(tc, test_node_derive);
    tcase_add_test(tc, test_node_pairs);
    tcase_add_test(tc, test_partitions);
    tcase_add_test(tc, test_part_state_names);
    tcase_add_test(tc, test_include);
    tcase_add_test(tc, test_include_depth);
    tcase_add_test(tc, test_include_errors);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_default_path);
    tcase_add_test(tc, test_queues);
    tcase_add_test(tc, test_queue_errors);
    tcase_add_test(tc, test_queue_runtime_set);
    tcase_add_test(tc, test_testing_modes);
    tcase_add_test(tc, test_propagate_keys);
    tcase_add_test(tc, test_docs);
    tcase_add_test(tc, test_enforce);
    tcase_add_test(tc, test_cloud_local_nice);
    tcase_add_test(tc, test_heartbeat);
    tcase_add_test(tc, test_private_data);
    tcase_add_test(tc, test_acct_freq);
    tcase_add_test(tc, test_licenses_tmpdisk);
    tcase_add_test(tc, test_power_keys);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
