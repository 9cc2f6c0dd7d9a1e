/* conf.h: the sluice.conf file (slurm.conf style).
 *
 * Lines are Key=Value pairs separated by blanks; keys are case-insensitive;
 * '#' starts a comment; "Include PATH" (relative to the including file)
 * reads another file.  A line whose first key is NodeName, PartitionName
 * (or, later, QueueName) defines one record with the rest of the line's
 * keys.  NodeName=DEFAULT / PartitionName=DEFAULT set defaults for the
 * records that follow.  Every key is declared in one table (conf.c) with its
 * type, default and a one-line description; an unknown key or a bad value is
 * an error "FILE:LINE: message". */
#ifndef SL_CONF_H
#define SL_CONF_H

#include <stdint.h>
#include <stddef.h>
#include <jansson.h>
#include "error.h"
#include "license.h"
#include "log.h"

enum part_state { PART_UP = 0, PART_DOWN, PART_DRAIN, PART_INACTIVE };

/* One entry of a node's Gres= ("gpu:a100:2"): name "gpu" (the only one
 * GresTypes accepts), type NULL when not given ("gpu:2"). */
struct conf_gres {
    char *name;
    char *type;
    uint32_t count;
};

struct conf_node {
    char *name;
    char *hostname;          /* NodeHostname=, else NodeAddr=, else "localhost" */
    int port;                /* Port=; ranges in Port=[7001-7004] pair with names */
    uint32_t cpus;           /* CPUs=; default sockets*cores*threads, else 1 */
    uint32_t sockets;        /* Sockets= (default 1) */
    uint32_t cores_per_socket; /* CoresPerSocket= (default cpus/sockets/threads) */
    uint32_t threads_per_core; /* ThreadsPerCore= (default 1) */
    uint64_t real_memory_mb; /* RealMemory= (default 1) */
    char *topology_file;     /* TopologyFile= hwloc XML used instead of probing */
    uint32_t weight;         /* Weight= (default 1) */
    char *features;          /* Features= comma list, may be NULL */
    char *gres;              /* Gres= as written, NULL when none */
    struct conf_gres *gres_list; /* Gres= parsed, in the order written */
    size_t ngres;
    char *spool_dir;         /* SpoolDir with %n replaced by the node name */
    int cloud;               /* State=CLOUD: powered up and down by CloudType */
    uint64_t tmp_disk_mb;    /* TmpDisk= MB (default 0): what --tmp asks of a node */
    /* Nodes of an Elastic=yes partition (conf_elastic.c), else NULL/0. */
    char *instance_type;     /* its instance type (catalogue name) */
    char *instance_types;    /* comma list: the types a provider may launch, in order */
    int spot;                /* Purchasing=spot */
    int strategy;            /* AllocationStrategy (ES_*) */
};

struct conf_partition {
    char *name;
    char *nodes_expr;        /* Nodes= as written */
    char **nodes;            /* expanded node names */
    size_t *node_idx;        /* each one's index in conf_t.nodes (and the controller's) */
    size_t nnodes;
    int is_default;          /* Default=YES */
    int64_t max_time;        /* MaxTime= seconds, TIME_INFINITE by default */
    int64_t default_time;    /* DefaultTime= seconds, default = max_time */
    enum part_state state;   /* State= UP|DOWN|DRAIN|INACTIVE */
    uint32_t max_nodes;      /* MaxNodes= (0 = unlimited) */
    uint32_t max_cpus_per_node;  /* MaxCPUsPerNode= (0 = unlimited) */
    uint32_t priority_tier;  /* PriorityTier= (default 1) */
    int suspend_time;        /* SuspendTime= seconds, CONF_SUSPEND_* below */
    int power_down_on_idle;  /* PowerDownOnIdle=YES: power down as soon as idle */
    /* Elastic=yes: the partition is an AWS Batch-style compute environment
     * whose nodes are generated from InstanceTypes (conf_elastic.c). */
    int elastic;
    uint32_t min_vcpus, max_vcpus;   /* MinvCPUs=, MaxvCPUs= */
    char *instance_types;    /* InstanceTypes= as written */
    int strategy;            /* AllocationStrategy=: enum elastic_strategy */
    int spot;                /* Purchasing=spot (0: on-demand) */
    uint32_t bid_percentage; /* BidPercentage= (spot; default 100) */
    int scale_down_delay;    /* ScaleDownDelay= seconds (default 300) */
    uint32_t node_port;      /* NodePort=: first port of its nodes (0: Port's default) */
};

/* AllocationStrategy= values (AWS Batch's names). */
enum elastic_strategy {
    ES_BEST_FIT = 0, ES_BEST_FIT_PROGRESSIVE, ES_SPOT_CAPACITY_OPTIMIZED,
    ES_SPOT_PRICE_CAPACITY_OPTIMIZED,
};
const char *elastic_strategy_name(int s);

/* SuspendTime values besides seconds: NONE (never), and for a partition
 * "not given" (the global value applies). */
#define CONF_SUSPEND_NONE (-1)
#define CONF_SUSPEND_GLOBAL (-2)

/* QueueName= lines: what users submit to; each partition is also a queue. */
struct conf_queue {
    char *name;
    uint32_t priority;           /* Priority= (default 1): higher goes first */
    char *partitions_expr;       /* Partitions= as written */
    char **partitions;           /* in order: spill-over goes left to right */
    size_t nparts;
    int disabled;                /* State=DISABLED: refuses new jobs */
    char *policy;                /* SchedulingPolicy= or NULL */
    int64_t max_runnable_time;   /* MaxRunnableTime= seconds at the head (0 = none) */
    char *reason;                /* Reason= given when MaxRunnableTime cancels */
};

/* ShareDistribution entries: "teamA:0.5", "teamB*:1.0". */
struct conf_share {
    char *id;                    /* without the '*' */
    int prefix;                  /* ended in '*': groups every id starting so */
    double weight;               /* lower weight = larger share */
};

/* SchedulingPolicyName= lines: fair share between share identifiers. */
struct conf_policy {
    char *name;
    int64_t share_decay;         /* ShareDecaySeconds= half-life (0 = no memory) */
    uint32_t compute_reservation;/* ComputeReservation= percent 0-99 */
    char *distribution;          /* ShareDistribution= as written */
    struct conf_share *shares;
    size_t nshares;
};

typedef struct conf {
    char *path;                  /* the main file */
    char *cluster_name;          /* ClusterName (default "sluice") */
    char *controller_host;       /* ControllerHost (default "localhost") */
    int controller_port;         /* ControllerPort (default 6917) */
    char *state_save_location;   /* StateSaveLocation (default /var/lib/sluice) */
    char *spool_dir;             /* SpoolDir pattern (default /var/spool/sluiced/%n) */
    char *auth_type;             /* AuthType (default auth/munge) */
    char *auth_info;             /* AuthInfo as written, may be NULL */
    char *auth_socket;           /* socket=PATH from AuthInfo, or NULL (library default) */
    char *plugin_dir;            /* PluginDir: colon-separated directories */
    char *scheduler_type;        /* SchedulerType (default sched/builtin) */
    char *priority_type;         /* PriorityType (default priority/basic) */
    char *mpi_default;           /* MpiDefault (default none) */
    int tree_width;              /* TreeWidth (default 50): step launch fan-out */
    int kill_wait;               /* KillWait seconds (default 30) */
    int acct_freq;               /* JobAcctGatherFrequency task= seconds (default 30) */
    char *mail_prog;             /* MailProg (default /usr/bin/mail) */
    char *mail_domain;           /* MailDomain, or NULL */
    int node_timeout;            /* NodeTimeout seconds (default 300) */
    int heartbeat_interval;      /* HeartbeatInterval seconds (default 30) */
    char **operators;            /* Operators= comma list of user names */
    char *propagate_rlimits;     /* PropagateResourceLimits=, NULL: ALL (sbatch, srun) */
    char *propagate_rlimits_except; /* PropagateResourceLimitsExcept=, NULL: none */
    size_t noperators;
    unsigned private_data;       /* PrivateData: PRIVATE_* bits (default none) */
    unsigned acct_enforce;       /* AccountingStorageEnforce: ENFORCE_* bits (default none) */
    char *sluice_user;           /* SluiceUser (default root) */
    int64_t job_retention;       /* JobRetention seconds (default 7 days) */
    int64_t purge_job_after;     /* PurgeJobAfter seconds; 0 = keep accounting for ever */
    uint32_t max_array_size;     /* MaxArraySize (default 10001) */
    uint32_t max_job_count;      /* MaxJobCount (default 2000000) */
    uint32_t max_connections;    /* MaxConnections (default 4096) */
    char *ctld_log_file;         /* SluiceCtldLogFile, NULL = stderr */
    char *noded_log_file;        /* SluicedLogFile pattern with %n, NULL = stderr */
    enum log_level log_level;    /* LogLevel error|warning|info|debug (default info) */
    char *gres_types;            /* GresTypes as written ("gpu"), NULL when unset */
    struct license_list licenses; /* Licenses=: the cluster's, that -L counts out */
    char *autodetect;            /* AutoDetect: "hwloc" (default) or "off" */
    struct conf_node *nodes;
    size_t nnodes;
    size_t *node_slots;      /* name -> index + 1, open addressing (conf_node_idx) */
    size_t node_nslots;
    struct conf_partition *parts;
    size_t nparts;
    struct conf_queue *queues;
    size_t nqueues;
    struct conf_policy *policies;
    size_t npolicies;
    /* priority/multifactor and sched/backfill settings. */
    uint32_t prio_weight_age, prio_weight_fairshare, prio_weight_jobsize;
    uint32_t prio_weight_partition, prio_weight_nice;
    int64_t prio_max_age;            /* PriorityMaxAge seconds */
    int64_t prio_decay_half_life;    /* PriorityDecayHalfLife seconds */
    int64_t bf_window;               /* BackfillWindow seconds */
    int bf_resolution;               /* BackfillResolution seconds */
    uint32_t bf_max_job_test;        /* BackfillMaxJobTest */
    /* Task plugins (sluiced): binding and cgroups. */
    char *task_plugin;               /* TaskPlugin (default task/affinity) */
    char *cgroup_mountpoint;         /* CgroupMountpoint (default /sys/fs/cgroup) */
    int constrain_cores;             /* ConstrainCores */
    int constrain_ram;               /* ConstrainRAMSpace */
    int constrain_swap;              /* ConstrainSwapSpace */
    uint32_t allowed_swap;           /* AllowedSwapSpace percent */
    int cgroup_favor_dynmods;        /* CgroupFavorDynMods */
    int constrain_devices;           /* ConstrainDevices */
    /* Testing modes (refused by the daemons unless enabled: conf_testing_check). */
    int mock_execution;              /* MockExecution: jobs are timers, not processes */
    uint32_t nodes_per_daemon;       /* NodesPerDaemon (default 1) */
    /* Power saving and the cloud plugin (src/ctld/power.c). */
    int suspend_time;                /* SuspendTime seconds, CONF_SUSPEND_NONE = never */
    int suspend_timeout;             /* SuspendTimeout seconds (default 30) */
    int resume_timeout;              /* ResumeTimeout seconds (default 60) */
    uint32_t resume_rate;            /* ResumeRate nodes per minute, 0 = unlimited */
    uint32_t suspend_rate;           /* SuspendRate nodes per minute, 0 = unlimited */
    char *suspend_exc_nodes;         /* SuspendExcNodes host list, may be NULL */
    char *suspend_exc_parts;         /* SuspendExcParts comma list, may be NULL */
    char *cloud_type;                /* CloudType ("cloud/local"), NULL = none */
    char *cloud_local_sluiced;       /* CloudLocalSluiced path, NULL = beside sluicectld */
    int cloud_local_boot_delay;      /* CloudLocalBootDelay seconds */
    uint32_t cloud_local_fail_rate;  /* CloudLocalFailRate percent */
    uint32_t cloud_local_nice;       /* CloudLocalNice: the instances' nice value */
    char *ec2_region;                /* Ec2Region ... Ec2UserData: cloud/ec2 (doc/guide-ec2.md) */
    char *ec2_endpoint;
    char *ec2_instance_type;
    char *ec2_image_id;
    char *ec2_launch_template;
    char *ec2_subnet_ids;
    char *ec2_security_group_ids;
    char *ec2_iam_instance_profile;
    char *ec2_profile;
    char *ec2_user_data;
    char *resume_program;            /* cloud/script: ResumeProgram */
    char *suspend_program;           /* cloud/script: SuspendProgram */
    char *resume_fail_program;       /* cloud/script: ResumeFailProgram, may be NULL */
    char *instance_type_catalog;     /* InstanceTypeCatalog: elastic partitions' types */
} conf_t;

/* SLUICE_CONF if set, else SYSCONFDIR/sluice/sluice.conf. */
const char *conf_default_path(void);

/* Parse the file.  On error returns NULL and e says "FILE:LINE: what". */
conf_t *conf_load(const char *path, sl_error_t *e);
void conf_destroy(conf_t *c);                 /* accepts NULL */

const struct conf_node *conf_node_find(const conf_t *c, const char *name);
/* A node's index in c->nodes, or -1: a hash lookup, not a scan. */
long conf_node_idx(const conf_t *c, const char *name);
/* The k-th node of partition p of c (never NULL: the parser resolved it). */
const struct conf_node *conf_part_node(const conf_t *c, const struct conf_partition *p,
                                       size_t k);
const struct conf_partition *conf_part_find(const conf_t *c, const char *name);
const struct conf_partition *conf_part_default(const conf_t *c); /* or NULL */
int conf_is_operator(const conf_t *c, const char *user);

/* PrivateData values: what ordinary users see only of their own (root,
 * the controller's user and operators see all).  jobs: squeue, scontrol
 * show job, sacct, sprio; usage: sshare's rows; accounts: the fair-share
 * policies' account lists (scontrol show policy). */
/* AccountingStorageEnforce values, in Slurm's order.  limits, qos and safe
 * imply associations, as Slurm's; only associations has an effect here
 * (doc/guide-accounts.md). */
enum {
    ENFORCE_ASSOCIATIONS = 1u << 0, ENFORCE_LIMITS = 1u << 1, ENFORCE_NOJOBS = 1u << 2,
    ENFORCE_NOSTEPS = 1u << 3, ENFORCE_QOS = 1u << 4, ENFORCE_SAFE = 1u << 5,
    ENFORCE_WCKEYS = 1u << 6,
};

enum { PRIVATE_JOBS = 1u << 0, PRIVATE_USAGE = 1u << 1, PRIVATE_ACCOUNTS = 1u << 2 };

/* The global settings as an object of "Key": "value" strings, in table
 * order (for scontrol show config). */
json_t *conf_to_json(const conf_t *c);

const struct conf_queue *conf_queue_find(const conf_t *c, const char *name);
const struct conf_policy *conf_policy_find(const conf_t *c, const char *name);
/* Set one key of a queue or policy (the config's keys, e.g. "Priority"),
 * as scontrol create/update does at run time. */
int conf_queue_set(struct conf_queue *q, const char *key, const char *val, sl_error_t *e);
int conf_policy_set(struct conf_policy *p, const char *key, const char *val, sl_error_t *e);
/* Check a queue against the config: partitions and policy exist. */
int conf_queue_check(const conf_t *c, struct conf_queue *q, sl_error_t *e);
void conf_queue_free(struct conf_queue *q);
void conf_policy_free(struct conf_policy *p);
int conf_queue_copy(struct conf_queue *dst, const struct conf_queue *src);
int conf_policy_copy(struct conf_policy *dst, const struct conf_policy *src);
/* "teamA:0.5,teamB*:1.0" */
int conf_shares_parse(const char *expr, struct conf_share **out, size_t *n, sl_error_t *e);

/* Testing modes (MockExecution=yes, NodesPerDaemon>1) are for benchmarks
 * and tests only.  A daemon calls conf_testing_check() on every (re)load:
 * it fails, naming the key, unless SLUICE_TESTING_MODES=1 is in the
 * environment.  conf_testing_warn() logs the loud warning a daemon in a
 * testing mode starts its log with. */
#define CONF_TESTING_ENV "SLUICE_TESTING_MODES"
int conf_testing_check(const conf_t *c, sl_error_t *e);
int conf_testing_active(const conf_t *c);
void conf_testing_warn(const conf_t *c);

/* Gres= syntax: NAME[:TYPE][:COUNT] entries, comma separated (COUNT 1 when
 * left out); a type given twice, a count of 0 or more than 256 GPUs in all
 * is refused.  conf_gres.c. */
int conf_gres_parse(const char *val, struct conf_gres **out, size_t *n, sl_error_t *e);
void conf_gres_free(struct conf_gres *g, size_t n);
struct conf_gres *conf_gres_copy(const struct conf_gres *g, size_t n);
/* GPUs a node's Gres= configures (all types together). */
uint32_t conf_node_gpus(const struct conf_node *n);
/* AutoDetect=off: a node without Gres= offers no GPUs, and the configured
 * ones are trusted (no "Low GPUs" check). */
int conf_autodetect_off(const conf_t *c);

const char *part_state_name(enum part_state s);   /* "UP", ... */
int part_state_parse(const char *s, enum part_state *out);

#endif
