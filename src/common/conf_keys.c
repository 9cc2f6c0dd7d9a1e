/* conf_keys.c: the global keys of sluice.conf, their defaults and docs.
 * doc/man5/sluice.conf.5 and etc/sluice.conf.example describe the same
 * table: keep them in step when adding a key. */
#include "conf_impl.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "rlimit_list.h"

#ifndef PLUGINDIR
#define PLUGINDIR "/usr/local/lib/sluice"
#endif

static int authinfo_set(const struct conf_key *k, void *obj, const char *val, sl_error_t *e);
static const char *authinfo_show(const struct conf_key *k, const void *obj, char *buf,
                                 size_t len);
static int operators_set(const struct conf_key *k, void *obj, const char *val, sl_error_t *e);
static const char *operators_show(const struct conf_key *k, const void *obj, char *buf,
                                  size_t len);
static int privdata_set(const struct conf_key *k, void *obj, const char *val, sl_error_t *e);
static const char *privdata_show(const struct conf_key *k, const void *obj, char *buf,
                                 size_t len);
static int loglevel_set(const struct conf_key *k, void *obj, const char *val, sl_error_t *e);
static const char *loglevel_show(const struct conf_key *k, const void *obj, char *buf,
                                 size_t len);

static int grestypes_set(const struct conf_key *k, void *obj, const char *val, sl_error_t *e);
static const char *grestypes_show(const struct conf_key *k, const void *obj, char *buf,
                                  size_t len);

/* AutoDetect: which GPUs a node without Gres= offers.  Slurm's nvml, rsmi
 * and oneapi are hwloc's job here (sluiced asks hwloc). */
static const char *const autodetect_types[] = { "hwloc", "off", NULL };

static int licenses_set(const struct conf_key *k, void *obj, const char *val, sl_error_t *e);
static int rlimits_set(const struct conf_key *k, void *obj, const char *val, sl_error_t *e);
static const char *rlimits_show(const struct conf_key *k, const void *obj, char *buf,
                                size_t len);
static const char *licenses_show(const struct conf_key *k, const void *obj, char *buf,
                                 size_t len);

static int acctfreq_set(const struct conf_key *k, void *obj, const char *val, sl_error_t *e);
static const char *acctfreq_show(const struct conf_key *k, const void *obj, char *buf,
                                 size_t len);

static const char *const cloud_types[] = { "cloud/local", "cloud/script", "cloud/ec2", NULL };
static const char *const sched_types[] = { "sched/builtin", "sched/backfill", NULL };
static const char *const priority_types[] = { "priority/basic", "priority/multifactor", NULL };
/* plugins/mpi/NAME; pmix_v4 is Slurm's name for pmix on a PMIx 4 system. */
static const char *const mpi_types[] = { "none", "pmix", "pmix_v4", "pmi1", "pmi2", NULL };

#define OFF(field) offsetof(conf_t, field)

static const struct conf_key globals[] = {
    { "ClusterName", CT_STRING, OFF(cluster_name), "sluice", 0, 0, NULL, NULL, NULL,
      "name of the cluster, shown by the commands and stored with accounting records" },
    { "ControllerHost", CT_STRING, OFF(controller_host), "localhost", 0, 0, NULL, NULL, NULL,
      "host name or address where sluicectld listens" },
    { "ControllerPort", CT_INT, OFF(controller_port), "6917", 1, 65535, NULL, NULL, NULL,
      "TCP port of sluicectld" },
    { "StateSaveLocation", CT_STRING, OFF(state_save_location), "/var/lib/sluice", 0, 0, NULL,
      NULL, NULL, "directory holding the controller's database" },
    { "SpoolDir", CT_STRING, OFF(spool_dir), "/var/spool/sluiced/%n", 0, 0, NULL, NULL, NULL,
      "per-node spool directory of sluiced; %n becomes the node name" },
    { "AuthType", CT_STRING, OFF(auth_type), "auth/munge", 0, 0, NULL, NULL, NULL,
      "authentication plugin" },
    { "AuthInfo", CT_CUSTOM, OFF(auth_info), NULL, 0, 0, NULL, authinfo_set, authinfo_show,
      "options of the authentication plugin: socket=PATH of the munge socket" },
    { "PluginDir", CT_STRING, OFF(plugin_dir), PLUGINDIR, 0, 0, NULL, NULL, NULL,
      "colon-separated directories searched for plugins" },
    { "SchedulerType", CT_CHOICE, OFF(scheduler_type), "sched/builtin", 0, 0, sched_types,
      NULL, NULL, "scheduler plugin: sched/builtin (strict priority) or sched/backfill" },
    { "PriorityType", CT_CHOICE, OFF(priority_type), "priority/basic", 0, 0, priority_types,
      NULL, NULL, "priority plugin: priority/basic (submit order) or priority/multifactor" },
    { "MpiDefault", CT_CHOICE, OFF(mpi_default), "none", 0, 0, mpi_types, NULL, NULL,
      "MPI type of a step whose srun gives no --mpi: none, pmix (Open MPI and other PMIx "
      "clients), pmi1 or pmi2 (MPICH's PMI-1 server)" },
    { "TreeWidth", CT_INT, OFF(tree_width), "50", 1, 65533, NULL, NULL, NULL,
      "fan-out of a step's launch: srun contacts at most this many nodes, each of which "
      "forwards the launch to at most this many others (sbcast's chunks the same way)" },
    { "KillWait", CT_SECONDS, OFF(kill_wait), "30", 0, 86400, NULL, NULL, NULL,
      "seconds between SIGTERM and SIGKILL when a job is cancelled or times out" },
    { "JobAcctGatherFrequency", CT_CUSTOM, OFF(acct_freq), "30", 0, 0, NULL, acctfreq_set,
      acctfreq_show, "seconds between samples of a job's (and step's) memory, as N or task=N "
      "(0: no samples; the peak then comes from the processes' own rusage); energy, network "
      "and filesystem may only be 0 (not sampled here)" },
    { "MailProg", CT_STRING, OFF(mail_prog), "/usr/bin/mail", 0, 0, NULL, NULL, NULL,
      "program the controller runs to mail users about their jobs (--mail-type), as "
      "MailProg -s SUBJECT RECIPIENT" },
    { "MailDomain", CT_STRING, OFF(mail_domain), NULL, 0, 0, NULL, NULL, NULL,
      "domain appended (user@DOMAIN) to the user name when a job gives no --mail-user" },
    { "NodeTimeout", CT_SECONDS, OFF(node_timeout), "300", 0, INT_MAX, NULL, NULL, NULL,
      "seconds without word from a node before it is marked DOWN (0: never)" },
    { "HeartbeatInterval", CT_SECONDS, OFF(heartbeat_interval), "30", 1, INT_MAX, NULL, NULL,
      NULL, "seconds between a node's heartbeats to the controller (default: NodeTimeout/3, "
            "at most 30; must be below NodeTimeout)" },
    { "Operators", CT_CUSTOM, OFF(operators), NULL, 0, 0, NULL, operators_set, operators_show,
      "comma-separated users who may act on any job, as root may" },
    { "PrivateData", CT_CUSTOM, OFF(private_data), NULL, 0, 0, NULL, privdata_set,
      privdata_show, "what ordinary users see only of their own: a comma list of jobs "
      "(squeue, scontrol show job, sacct, sprio), usage (sshare) and accounts (scontrol show "
      "policy's account lists)" },
    { "AccountingStorageEnforce", CT_CUSTOM, OFF(acct_enforce), NULL, 0, 0, NULL,
      conf_enforce_set, conf_enforce_show, "what jobs must satisfy in the accounts database "
      "(sacctmgr): none (default), or a comma list of associations (a job's account, given or "
      "the user's default, must be one the user is associated with), limits, qos, safe "
      "(these imply associations; their own part has no effect yet), wckeys, nojobs, nosteps "
      "(no effect), all" },
    { "PropagateResourceLimits", CT_CUSTOM, OFF(propagate_rlimits), NULL, 0, 0, NULL,
      rlimits_set, rlimits_show, "resource limits of the submitting shell that sbatch and srun "
      "carry into the job unless --propagate says otherwise: ALL (unset), NONE or a comma list "
      "of AS, CORE, CPU, DATA, FSIZE, MEMLOCK, NOFILE, NPROC, RSS, STACK" },
    { "PropagateResourceLimitsExcept", CT_CUSTOM, OFF(propagate_rlimits_except), NULL, 0, 0,
      NULL, rlimits_set, rlimits_show, "carry all resource limits but these (same names; not "
      "with PropagateResourceLimits)" },
    { "SluiceUser", CT_STRING, OFF(sluice_user), "root", 0, 0, NULL, NULL, NULL,
      "user the controller runs as" },
    { "JobRetention", CT_SECONDS64, OFF(job_retention), "604800", 0, 315360000, NULL, NULL,
      NULL, "seconds a finished job stays visible to scontrol show job (at most 10 years)" },
    { "PurgeJobAfter", CT_SECONDS64, OFF(purge_job_after), "0", 0, 315360000, NULL, NULL,
      NULL, "seconds after its end that a job's accounting record is deleted (0: never)" },
    { "MaxArraySize", CT_U32, OFF(max_array_size), "10001", 1, 4000001, NULL, NULL, NULL,
      "array task indexes must be below this" },
    { "MaxJobCount", CT_U32, OFF(max_job_count), "2000000", 1, UINT32_MAX, NULL, NULL, NULL,
      "most jobs the controller holds at once; submissions beyond it are refused" },
    { "MaxConnections", CT_U32, OFF(max_connections), "4096", 16, 1000000, NULL, NULL, NULL,
      "most connections sluicectld holds open at once (nodes and commands); more are "
      "refused with EAGAIN" },
    { "SluiceCtldLogFile", CT_OPT_STRING, OFF(ctld_log_file), NULL, 0, 0, NULL, NULL, NULL,
      "log file of sluicectld (default: standard error)" },
    { "SluicedLogFile", CT_OPT_STRING, OFF(noded_log_file), NULL, 0, 0, NULL, NULL, NULL,
      "log file of sluiced; %n becomes the node name (default: standard error)" },
    { "GresTypes", CT_CUSTOM, OFF(gres_types), NULL, 0, 0, NULL, grestypes_set, grestypes_show,
      "generic resources nodes may offer through Gres=: only gpu" },
    { "Licenses", CT_CUSTOM, OFF(licenses), NULL, 0, 0, NULL, licenses_set, licenses_show,
      "cluster-wide licenses that jobs ask for with -L: name[:count],... (count 1 if "
      "omitted); a job waits (reason Licenses) until enough are free" },
    { "AutoDetect", CT_CHOICE, OFF(autodetect), "hwloc", 0, 0, autodetect_types, NULL, NULL,
      "hwloc: a node without Gres= offers the GPUs its sluiced finds, and a node with Gres= "
      "is drained when it finds fewer; off: only Gres= counts, trusted as written" },
    { "LogLevel", CT_CUSTOM, OFF(log_level), "info", 0, 0, NULL, loglevel_set, loglevel_show,
      "error, warning, info or debug" },
    { "PriorityWeightAge", CT_U32, OFF(prio_weight_age), "0", 0, 1000000, NULL, NULL, NULL,
      "priority/multifactor: weight of the age factor (time pending / PriorityMaxAge)" },
    { "PriorityWeightFairshare", CT_U32, OFF(prio_weight_fairshare), "0", 0, 1000000, NULL,
      NULL, NULL, "priority/multifactor: weight of the fair-share factor" },
    { "PriorityWeightJobSize", CT_U32, OFF(prio_weight_jobsize), "0", 0, 1000000, NULL, NULL,
      NULL, "priority/multifactor: weight of the job-size factor (CPUs / cluster CPUs)" },
    { "PriorityWeightPartition", CT_U32, OFF(prio_weight_partition), "0", 0, 1000000, NULL,
      NULL, NULL, "priority/multifactor: weight of the queue priority (relative to the highest)" },
    { "PriorityWeightNice", CT_U32, OFF(prio_weight_nice), "1", 0, 1000000, NULL, NULL, NULL,
      "priority/multifactor: each --nice point lowers the priority by this much" },
    { "PriorityMaxAge", CT_SECONDS64, OFF(prio_max_age), "604800", 1, 315360000, NULL, NULL,
      NULL, "pending time (seconds) at which the age factor reaches 1" },
    { "PriorityDecayHalfLife", CT_SECONDS64, OFF(prio_decay_half_life), "604800", 0,
      315360000, NULL, NULL, NULL, "half-life (seconds) of past usage in fair share (0: none)" },
    { "BackfillWindow", CT_SECONDS64, OFF(bf_window), "86400", 60, 315360000, NULL, NULL, NULL,
      "sched/backfill: how far ahead (seconds) reservations are planned" },
    { "BackfillResolution", CT_SECONDS, OFF(bf_resolution), "60", 1, 3600, NULL, NULL, NULL,
      "sched/backfill: time granularity (seconds) of the reservation map" },
    { "BackfillMaxJobTest", CT_U32, OFF(bf_max_job_test), "1000", 1, 1000000, NULL, NULL, NULL,
      "sched/backfill: most pending jobs examined in one backfill pass" },
    /* Binding and enforcement on the node (sluiced: src/noded/task.c). */
    { "TaskPlugin", CT_STRING, OFF(task_plugin), "task/affinity", 0, 0, NULL, NULL, NULL,
      "comma list of task plugins sluiced runs around each job: task/affinity (bind tasks to "
      "their CPUs), task/cgroup (a cgroup per job: cpuset, memory, devices, process "
      "tracking), task/none" },
    { "CgroupMountpoint", CT_STRING, OFF(cgroup_mountpoint), "/sys/fs/cgroup", 0, 0, NULL,
      NULL, NULL, "task/cgroup: where the cgroup file systems are mounted (v1: one "
      "directory per controller below it; v2: the unified hierarchy itself)" },
    { "CgroupFavorDynMods", CT_BOOL, OFF(cgroup_favor_dynmods), "yes", 0, 0, NULL, NULL, NULL,
      "task/cgroup: make joining a job's cgroups cheap (cgroup v1: mount a named hierarchy "
      "with the kernel's favordynmods option, Linux 6.0+; without it each job start waits "
      "for an RCU grace period, ~12 ms; forks and exits get a slightly slower path)" },
    { "ConstrainCores", CT_BOOL, OFF(constrain_cores), "no", 0, 0, NULL, NULL, NULL,
      "task/cgroup: confine each job to its CPUs with the cpuset controller" },
    { "ConstrainRAMSpace", CT_BOOL, OFF(constrain_ram), "no", 0, 0, NULL, NULL, NULL,
      "task/cgroup: limit each job's memory to what it was given (--mem, --mem-per-cpu)" },
    { "ConstrainSwapSpace", CT_BOOL, OFF(constrain_swap), "no", 0, 0, NULL, NULL, NULL,
      "task/cgroup: also limit memory plus swap (to the job's memory plus AllowedSwapSpace)" },
    { "AllowedSwapSpace", CT_U32, OFF(allowed_swap), "0", 0, 10000, NULL, NULL, NULL,
      "task/cgroup: swap a job may use, in percent of its memory, with ConstrainSwapSpace" },
    { "ConstrainDevices", CT_BOOL, OFF(constrain_devices), "no", 0, 0, NULL, NULL, NULL,
      "task/cgroup: deny each job the node's GPUs it was not given (devices controller, v1)" },
    /* Testing modes: the daemons refuse them unless SLUICE_TESTING_MODES=1
     * (conf_testing.c). */
    { "MockExecution", CT_BOOL, OFF(mock_execution), "no", 0, 0, NULL, NULL, NULL,
      "TESTING ONLY: sluiced runs no job; each job is a timer ('sleep N' as the script's first "
      "command sets its length, else 0) that ends COMPLETED" },
    { "NodesPerDaemon", CT_U32, OFF(nodes_per_daemon), "1", 1, 100000, NULL, NULL, NULL,
      "TESTING ONLY: most nodes one sluiced may serve over one controller connection "
      "(above 1 needs MockExecution=yes)" },
    /* Power saving (src/ctld/power.c) and the cloud plugin. */
    { "SuspendTime", CT_CUSTOM, OFF(suspend_time), "NONE", 0, 0, NULL, conf_suspend_time_set,
      conf_suspend_time_show, "seconds a State=CLOUD node stays idle before it is powered "
      "down (NONE: never); a partition's SuspendTime overrides it" },
    { "SuspendTimeout", CT_SECONDS, OFF(suspend_timeout), "30", 0, 86400, NULL, NULL, NULL,
      "seconds a node takes to power down: it stays POWERING_DOWN that long" },
    { "ResumeTimeout", CT_SECONDS, OFF(resume_timeout), "60", 1, 86400, NULL, NULL, NULL,
      "seconds a resumed node has to register; then it goes DOWN and its jobs are requeued" },
    { "ResumeRate", CT_U32, OFF(resume_rate), "300", 0, 1000000, NULL, NULL, NULL,
      "most nodes powered up per minute (0: unlimited)" },
    { "SuspendRate", CT_U32, OFF(suspend_rate), "60", 0, 1000000, NULL, NULL, NULL,
      "most nodes powered down per minute (0: unlimited)" },
    { "SuspendExcNodes", CT_OPT_STRING, OFF(suspend_exc_nodes), NULL, 0, 0, NULL, NULL, NULL,
      "host list of nodes never powered down for idleness" },
    { "SuspendExcParts", CT_OPT_STRING, OFF(suspend_exc_parts), NULL, 0, 0, NULL, NULL, NULL,
      "comma list of partitions whose nodes are never powered down for idleness" },
    { "CloudType", CT_CHOICE, OFF(cloud_type), NULL, 0, 0, cloud_types, NULL, NULL,
      "plugin that powers State=CLOUD nodes up and down: cloud/local, cloud/script or "
      "cloud/ec2" },
    { "CloudLocalSluiced", CT_OPT_STRING, OFF(cloud_local_sluiced), NULL, 0, 0, NULL, NULL,
      NULL, "cloud/local: the sluiced program its instances run (default: beside sluicectld, "
            "or the build tree's src/noded/sluiced)" },
    { "CloudLocalBootDelay", CT_SECONDS, OFF(cloud_local_boot_delay), "0", 0, 86400, NULL,
      NULL, NULL, "cloud/local: seconds an instance takes to boot before its sluiced starts" },
    { "CloudLocalFailRate", CT_U32, OFF(cloud_local_fail_rate), "0", 0, 100, NULL, NULL, NULL,
      "cloud/local: percent of instances that fail to boot (their sluiced never starts)" },
    { "CloudLocalNice", CT_U32, OFF(cloud_local_nice), "0", 0, 19, NULL, NULL, NULL,
      "cloud/local: nice value its instances run at (19: only this machine's spare CPU, as "
      "instances model other machines)" },
    { "Ec2Region", CT_STRING, OFF(ec2_region), "us-east-1", 0, 0, NULL, NULL, NULL,
      "cloud/ec2: the AWS region instances are started in" },
    { "Ec2Endpoint", CT_OPT_STRING, OFF(ec2_endpoint), NULL, 0, 0, NULL, NULL, NULL,
      "cloud/ec2: URL of the EC2 API (default https://ec2.REGION.amazonaws.com; for tests and "
      "EC2-compatible clouds)" },
    { "Ec2InstanceType", CT_OPT_STRING, OFF(ec2_instance_type), NULL, 0, 0, NULL, NULL, NULL,
      "cloud/ec2: instance type of nodes whose partition names none (default: the launch "
      "template's)" },
    { "Ec2ImageId", CT_OPT_STRING, OFF(ec2_image_id), NULL, 0, 0, NULL, NULL, NULL,
      "cloud/ec2: AMI the instances boot (when the launch template names none)" },
    { "Ec2LaunchTemplate", CT_OPT_STRING, OFF(ec2_launch_template), NULL, 0, 0, NULL, NULL,
      NULL, "cloud/ec2: launch template name, or id (lt-...)" },
    { "Ec2SubnetIds", CT_OPT_STRING, OFF(ec2_subnet_ids), NULL, 0, 0, NULL, NULL, NULL,
      "cloud/ec2: comma list of subnets, tried in order while one has no capacity" },
    { "Ec2SecurityGroupIds", CT_OPT_STRING, OFF(ec2_security_group_ids), NULL, 0, 0, NULL,
      NULL, NULL, "cloud/ec2: comma list of security group ids" },
    { "Ec2IamInstanceProfile", CT_OPT_STRING, OFF(ec2_iam_instance_profile), NULL, 0, 0, NULL,
      NULL, NULL, "cloud/ec2: IAM instance profile of the instances (name or ARN)" },
    { "Ec2Profile", CT_OPT_STRING, OFF(ec2_profile), NULL, 0, 0, NULL, NULL, NULL,
      "cloud/ec2: profile of the shared credentials file (default AWS_PROFILE, or default)" },
    { "Ec2UserData", CT_OPT_STRING, OFF(ec2_user_data), NULL, 0, 0, NULL, NULL, NULL,
      "cloud/ec2: user data template (default ec2-user-data.sh beside sluice.conf)" },
    { "ResumeProgram", CT_OPT_STRING, OFF(resume_program), NULL, 0, 0, NULL, NULL, NULL,
      "cloud/script: program run with the host list of nodes to power up (and "
      "SLURM_RESUME_FILE)" },
    { "SuspendProgram", CT_OPT_STRING, OFF(suspend_program), NULL, 0, 0, NULL, NULL, NULL,
      "cloud/script: program run with the host list of nodes to power down" },
    { "ResumeFailProgram", CT_OPT_STRING, OFF(resume_fail_program), NULL, 0, 0, NULL, NULL,
      NULL, "cloud/script: program run with the host list of nodes that failed to power up "
            "(default: SuspendProgram)" },
    { "InstanceTypeCatalog", CT_OPT_STRING, OFF(instance_type_catalog), NULL, 0, 0, NULL, NULL,
      NULL, "JSON catalogue of the instance types Elastic=YES partitions may use (relative "
            "to this file's directory; default SYSCONFDIR/sluice/instance-types.json)" },
};
#define NGLOBALS (sizeof(globals) / sizeof(globals[0]))

static int grestypes_set(const struct conf_key *k, void *obj, const char *val, sl_error_t *e)
{
    char *copy = strdup(val), *save = NULL;
    int rc = 0;
    if (!copy)
        return sl_errprintf(e, "out of memory");
    for (char *t = strtok_r(copy, ",", &save); t && rc == 0; t = strtok_r(NULL, ",", &save))
        if (strcasecmp(t, "gpu") != 0)
            rc = sl_errprintf(e, "'%s' is not supported (only gpu)", t);
    free(copy);
    if (rc == 0 && conf_strset(CONF_FIELD(obj, k, char *), *val ? val : NULL) < 0)
        rc = sl_errprintf(e, "out of memory");
    return rc;
}

static const char *grestypes_show(const struct conf_key *k, const void *obj, char *buf,
                                  size_t len)
{
    const char *s = ((const conf_t *)obj)->gres_types;
    snprintf(buf, len, "%s", s ? s : "(null)");
    return buf;
}

/* AuthInfo is a comma list of name=value options; only socket= is known. */
static int authinfo_set(const struct conf_key *k, void *obj, const char *val, sl_error_t *e)
{
    conf_t *c = obj;
    char *copy = strdup(val), *save = NULL, *socket = NULL;

    if (!copy)
        return sl_errprintf(e, "out of memory");
    for (char *opt = strtok_r(copy, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
        if (strncasecmp(opt, "socket=", 7) != 0 || !opt[7]) {
            sl_errprintf(e, "unknown option '%s' (known: socket=PATH)", opt);
            free(copy);
            return -1;
        }
        socket = opt + 7;
    }
    if (conf_strset(&c->auth_socket, socket) < 0
        || conf_strset(&c->auth_info, *val ? val : NULL) < 0) {
        free(copy);
        return sl_errprintf(e, "out of memory");
    }
    free(copy);
    return 0;
}

static const char *authinfo_show(const struct conf_key *k, const void *obj, char *buf,
                                 size_t len)
{
    const char *s = ((const conf_t *)obj)->auth_info;
    snprintf(buf, len, "%s", s ? s : "(null)");
    return buf;
}

static int licenses_set(const struct conf_key *k, void *obj, const char *val, sl_error_t *e)
{
    (void)k;
    return license_parse(val, &((conf_t *)obj)->licenses, e);
}

static const char *licenses_show(const struct conf_key *k, const void *obj, char *buf,
                                 size_t len)
{
    const struct license_list *l = &((const conf_t *)obj)->licenses;
    size_t off = 0;
    (void)k;
    buf[0] = '\0';
    for (size_t i = 0; i < l->n && off < len; i++) {
        int w = snprintf(buf + off, len - off, "%s%s:%u", i ? "," : "", l->items[i].name,
                         l->items[i].count);
        off += w > 0 ? (size_t)w : 0;
    }
    return l->n ? buf : "(null)";
}

/* PropagateResourceLimits[Except]: Slurm's limit names, checked here so that
 * a typo stops the daemons rather than every later sbatch. */
static int rlimits_set(const struct conf_key *k, void *obj, const char *val, sl_error_t *e)
{
    char **field = CONF_FIELD(obj, k, char *);
    if (rlimit_list_mask(val, k->name, e) < 0)
        return -1;
    free(*field);
    *field = strdup(val);
    return *field ? 0 : sl_errprintf(e, "out of memory");
}

static const char *rlimits_show(const struct conf_key *k, const void *obj, char *buf,
                                size_t len)
{
    const char *s = *CONF_FIELD(obj, k, char *const);
    snprintf(buf, len, "%s", s ? s : "(null)");
    return buf;
}

static void operators_free(conf_t *c)
{
    for (size_t i = 0; i < c->noperators; i++)
        free(c->operators[i]);
    free(c->operators);
    c->operators = NULL;
    c->noperators = 0;
}

static int operators_set(const struct conf_key *k, void *obj, const char *val, sl_error_t *e)
{
    conf_t *c = obj;
    char *copy = strdup(val), *save = NULL;
    size_t n = 0;

    if (!copy)
        return sl_errprintf(e, "out of memory");
    operators_free(c);
    c->operators = calloc(strlen(val) / 2 + 1, sizeof(char *));
    for (char *u = strtok_r(copy, ",", &save); u && c->operators; u = strtok_r(NULL, ",", &save))
        if (!(c->operators[n++] = strdup(u)))
            break;
    c->noperators = n;
    free(copy);
    if (!c->operators || (n && !c->operators[n - 1]))
        return sl_errprintf(e, "out of memory");
    return 0;
}

static const char *operators_show(const struct conf_key *k, const void *obj, char *buf,
                                  size_t len)
{
    const conf_t *c = obj;
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < c->noperators && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "," : "", c->operators[i]);
    return c->noperators ? buf : "(null)";
}

static const char *const privdata_names[] = { "jobs", "usage", "accounts" };

static int privdata_set(const struct conf_key *k, void *obj, const char *val, sl_error_t *e)
{
    char *copy = strdup(val), *save = NULL;
    unsigned bits = 0;
    if (!copy)
        return sl_errprintf(e, "out of memory");
    for (char *it = strtok_r(copy, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
        size_t i = 0;
        while (i < 3 && strcasecmp(it, privdata_names[i]) != 0)
            i++;
        if (i == 3) {
            sl_errprintf(e, "'%s' is not one of jobs, usage, accounts", it);
            free(copy);
            return -1;
        }
        bits |= 1u << i;
    }
    free(copy);
    ((conf_t *)obj)->private_data = bits;
    return 0;
}

static const char *privdata_show(const struct conf_key *k, const void *obj, char *buf,
                                 size_t len)
{
    unsigned bits = ((const conf_t *)obj)->private_data;
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < 3 && used < len; i++)
        if (bits & (1u << i))
            used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "," : "",
                                     privdata_names[i]);
    return bits ? buf : "none";
}

int conf_suspend_time_set(const struct conf_key *k, void *obj, const char *val, sl_error_t *e)
{
    if (strcasecmp(val, "NONE") == 0 || strcasecmp(val, "INFINITE") == 0 ||
        strcmp(val, "-1") == 0) {
        *CONF_FIELD(obj, k, int) = CONF_SUSPEND_NONE;
        return 0;
    }
    struct conf_key secs = *k;   /* the same field, parsed as plain seconds */
    secs.type = CT_SECONDS;
    secs.min = 0;
    secs.max = 31536000;
    sl_error_t inner;
    if (conf_key_set(&secs, obj, val, &inner) < 0)
        return sl_errprintf(e, "'%s' is not a number of seconds, a time (M:S) or NONE", val);
    return 0;
}

const char *conf_suspend_time_show(const struct conf_key *k, const void *obj, char *buf,
                                   size_t len)
{
    int v = *CONF_FIELD(obj, k, const int);
    if (v < 0)
        snprintf(buf, len, "%s", v == CONF_SUSPEND_NONE ? "NONE" : "");
    else
        snprintf(buf, len, "%d", v);
    return buf;
}

static const char *const level_names[] = { "error", "warning", "info", "debug" };

static int loglevel_set(const struct conf_key *k, void *obj, const char *val, sl_error_t *e)
{
    if (log_level_parse(val, &((conf_t *)obj)->log_level) < 0)
        return sl_errprintf(e, "'%s' is not one of error, warning, info, debug", val);
    return 0;
}

static const char *loglevel_show(const struct conf_key *k, const void *obj, char *buf,
                                 size_t len)
{
    snprintf(buf, len, "%s", level_names[((const conf_t *)obj)->log_level]);
    return buf;
}

/* Slurm's form: "30" or "task=30[,energy=0,network=0,filesystem=0]". */
static int acctfreq_item(conf_t *c, char *it, sl_error_t *e)
{
    char *eq = strchr(it, '='), *end;
    const char *kind = eq ? it : "task";
    const char *num = eq ? eq + 1 : it;
    long v;

    if (eq)
        *eq = '\0';
    v = strtol(num, &end, 10);
    if (!*num || *end || v < 0 || v > 86400)
        return sl_errprintf(e, "'%s' is not a number of seconds (0-86400)", num);
    if (!strcasecmp(kind, "task")) {
        c->acct_freq = (int)v;
        return 0;
    }
    if (strcasecmp(kind, "energy") && strcasecmp(kind, "network") &&
        strcasecmp(kind, "filesystem"))
        return sl_errprintf(e, "unknown data type '%s' (task, energy, network, filesystem)",
                            kind);
    if (v != 0)
        return sl_errprintf(e, "%s=%ld: only task usage is gathered here; %s must be 0",
                            kind, v, kind);
    return 0;
}

static int acctfreq_set(const struct conf_key *k, void *obj, const char *val, sl_error_t *e)
{
    char *copy = strdup(val), *save = NULL;
    int rc = 0;
    (void)k;
    if (!copy)
        return sl_errprintf(e, "out of memory");
    for (char *it = strtok_r(copy, ",", &save); it && rc == 0; it = strtok_r(NULL, ",", &save))
        rc = acctfreq_item(obj, it, e);
    free(copy);
    return rc;
}

static const char *acctfreq_show(const struct conf_key *k, const void *obj, char *buf,
                                 size_t len)
{
    (void)k;
    snprintf(buf, len, "task=%d", ((const conf_t *)obj)->acct_freq);
    return buf;
}

int conf_globals_default(conf_t *c, sl_error_t *e)
{
    for (size_t i = 0; i < NGLOBALS; i++)
        if (globals[i].def && conf_key_set(&globals[i], c, globals[i].def, e) < 0)
            return sl_errprefix(e, "built-in default");
    return 0;
}

int conf_global_set(conf_t *c, const char *key, const char *val, sl_error_t *e)
{
    const struct conf_key *k = conf_key_find(globals, NGLOBALS, key);
    if (!k)
        return 1;
    return conf_key_set(k, c, val, e);
}

void conf_globals_free(conf_t *c)
{
    for (size_t i = 0; i < NGLOBALS; i++)
        conf_key_free(&globals[i], c);
    free(c->auth_info);
    free(c->auth_socket);
    free(c->gres_types);
    c->auth_info = c->auth_socket = c->gres_types = NULL;
    operators_free(c);
    license_list_free(&c->licenses);
    free(c->propagate_rlimits);
    free(c->propagate_rlimits_except);
    c->propagate_rlimits = c->propagate_rlimits_except = NULL;
}

/* As Slurm pings its nodes every SlurmdTimeout/3: a node whose timeout is
 * short must speak more often than the 30 s default, or every healthy node
 * goes DOWN between two heartbeats. */
int conf_globals_finish(struct conf_parser *p, sl_error_t *e)
{
    conf_t *c = p->c;
    if (c->propagate_rlimits && c->propagate_rlimits_except)
        return sl_errprintf(e, "PropagateResourceLimits and PropagateResourceLimitsExcept "
                               "are exclusive: give one of them");
    const struct conf_where *hb = &p->heartbeat_at, *nt = &p->node_timeout_at;
    if (c->node_timeout <= 0)
        return 0;
    if (!hb->line) {
        int derived = c->node_timeout / 3;
        c->heartbeat_interval = derived < 1 ? 1 : derived < 30 ? derived : 30;
    }
    if (c->heartbeat_interval < c->node_timeout)
        return 0;
    if (hb->line)
        return sl_errprintf(e, "%s:%d: HeartbeatInterval=%d must be below NodeTimeout=%d: every "
                               "node would be marked DOWN between two heartbeats (leave "
                               "HeartbeatInterval unset to derive it: NodeTimeout/3)", hb->file,
                            hb->line, c->heartbeat_interval, c->node_timeout);
    return sl_errprintf(e, "%s:%d: NodeTimeout=%d leaves no room for a heartbeat (of at least "
                           "1 second) before it: use 0 (never) or 2 and more", nt->file,
                        nt->line, c->node_timeout);
}

json_t *conf_to_json(const conf_t *c)
{
    json_t *o = json_object();
    char buf[1024];

    for (size_t i = 0; o && i < NGLOBALS; i++)
        json_object_set_new(o, globals[i].name,
                            json_string(conf_key_show(&globals[i], c, buf, sizeof(buf))));
    return o;
}
