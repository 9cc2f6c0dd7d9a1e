/* scontrol.h: scontrol's subcommands, one function each. */
#ifndef SL_SCONTROL_H
#define SL_SCONTROL_H

#include <jansson.h>
#include <stddef.h>
#include "jobfmt.h"

struct scontrol_opts {
    int oneliner;   /* -o: one line per record */
    int all;        /* -a: show INACTIVE job definitions too */
    int details;    /* -d: per-node CPU_IDs and GPUs of jobs */
    int json, yaml; /* --json, --yaml: show job and show node */
};

/* Options a show may also take after its entity or id ("show job 5 -o"):
 * applied to o; -1 for a word that is no scontrol option. */
int scontrol_option_word(struct scontrol_opts *o, const char *word);
/* A job record as Slurm 22.05's --json has it (scontrol_json.c). */
json_t *scontrol_job_json(const json_t *rec);
/* {"meta", "errors", key: items} as JSON, or YAML with --yaml. */
void scontrol_print_doc(const struct scontrol_opts *o, const char *key, json_t *items);

/* Each takes the words after the subcommand and returns the exit status. */
int scontrol_show(const struct scontrol_opts *o, int argc, char **argv);
int scontrol_update(const struct scontrol_opts *o, int argc, char **argv);
int scontrol_hold(const struct scontrol_opts *o, int argc, char **argv);
int scontrol_release(const struct scontrol_opts *o, int argc, char **argv);
int scontrol_requeue(const struct scontrol_opts *o, int argc, char **argv);
int scontrol_power(const struct scontrol_opts *o, int argc, char **argv);
int scontrol_register(const struct scontrol_opts *o, int argc, char **argv);
int scontrol_deregister(const struct scontrol_opts *o, int argc, char **argv);
int scontrol_create(const struct scontrol_opts *o, int argc, char **argv);
int scontrol_delete(const struct scontrol_opts *o, int argc, char **argv);

/* update QueueName=X ... / PolicyName=X ...: all the words, name first. */
int scontrol_update_queue(int argc, char **argv);
int scontrol_update_policy(int argc, char **argv);
int scontrol_update_partition(int argc, char **argv);

/* show ENTITY [ARG]: arg may be NULL. */
int scontrol_show_job(const struct scontrol_opts *o, const char *id);
int scontrol_show_step(const struct scontrol_opts *o, const char *id);
int scontrol_show_jobdef(const struct scontrol_opts *o, const char *name);
int scontrol_show_queue(const struct scontrol_opts *o, const char *name);
int scontrol_show_policy(const struct scontrol_opts *o, const char *name);
/* scontrol_resv.c */
int scontrol_show_resv(const struct scontrol_opts *o, const char *name);
int scontrol_resv_create(int argc, char **argv);
int scontrol_resv_delete(const char *name);
int scontrol_resv_update(int argc, char **argv);

/* Print records as Key=Value per tab (a blank line after each unless -o). */
void scontrol_print_records(const struct scontrol_opts *o, json_t *recs,
                            const struct jobfmt_kv *tab, size_t n);
#define KV(tab) tab, sizeof(tab) / sizeof(tab[0])

#endif
