/* cmdutil.h: what every command does the same way: messages, the config,
 * the controller connection, and the lists users type (ids, users, states).
 * The cmd_die-style helpers print "prog: error: ..." and exit 1, which is
 * what a command does on any error it cannot report per item. */
#ifndef SL_CMDUTIL_H
#define SL_CMDUTIL_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include "client.h"
#include "conf.h"
#include "error.h"

void cmd_init(const char *prog);
/* Every argument must be UTF-8: a value that is not could not travel in a
 * request (JSON) and would be dropped, widening a filter or an update; the
 * command stops naming the argument instead. */
void cmd_args_utf8(int argc, char **argv);
const char *cmd_prog(void);
/* The Slurm release whose commands, options and outputs Sluice follows. */
#define CMD_SLURM_VERSION "22.05.8"
void cmd_version(void);                 /* "slurm 22.05.8 (sluice 0.1.0)" */
/* squeue's and sinfo's -i/--iterate SECONDS, as Slurm: a whole number
 * above 0, or exit 1 naming it. */
int cmd_iterate_parse(const char *arg);
/* The time line Slurm's squeue and sinfo print above a report with -l or
 * -i (ctime's format, no newline inside). */
void cmd_print_date(FILE *out);
/* -i: end one report (a blank line, as Slurm), flush it, and wait for the
 * next. */
void cmd_iterate_wait(int seconds);
/* The "meta" object Slurm 22.05's --json outputs start with: the Slurm
 * version whose interface Sluice follows, and Sluice's own under "sluice". */
json_t *cmd_json_meta(void);
void cmd_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* getopt_long returned c (':' or '?', with opterr 0 and a ':'-led
 * optstring): name the option that was wrong and exit 1.  A short option
 * inside a group ("-Nel") is named by its letter (optopt): argv[optind - 1]
 * is not it there (it may even be the program's name). */
void cmd_die_getopt(int c, char **argv) __attribute__((noreturn));

/* The config from SLUICE_CONF or the default path, or exit 1. */
conf_t *cmd_conf_load(void);
/* The same config, or NULL when it cannot be read (for optional uses such
 * as sbatch's early --array check; the error comes when it is needed). */
conf_t *cmd_conf_try(void);
/* The command's one controller connection, opened on first use (exit 1 if
 * the controller cannot be reached); closed with the config by cmd_fini. */
sl_client_t *cmd_client(void);
/* Call op; on an error print it and exit 1.  Steals body. */
json_t *cmd_call(const char *op, json_t *body);
/* Forget the controller connection without a word on it (a forked child:
 * the parent goes on using it); the next call opens its own. */
void cmd_client_drop(void);
/* Call op; NULL with e set on an error (the code is client_last_code). */
json_t *cmd_try(const char *op, json_t *body, sl_error_t *e);
void cmd_fini(void);

/* Comma-separated lists appended to arr.  Ids: "12" -> 12, "12_3" and
 * "12_[1-5]" (array tasks) pass on as strings.  Users: names or uids,
 * appended as names ("Invalid user: X").  States: short or long names,
 * appended as long names; "all" sets *all instead. */
int cmd_list_ids(const char *s, json_t *arr, sl_error_t *e);
int cmd_list_users(const char *s, json_t *arr, sl_error_t *e);
int cmd_list_states(const char *s, json_t *arr, int *all, sl_error_t *e);
int cmd_list_strs(const char *s, json_t *arr);

/* A user given as a name or a uid (records differ): the name if known. */
void cmd_user_value(const json_t *v, char *buf, size_t len);
/* The calling user's name ("uid N" if it has none). */
const char *cmd_username(void);
/* spec's "submit_line": argv joined by blanks, as Slurm's SubmitLine; left
 * out when it is not UTF-8 or too long for a job spec. */
void cmd_submit_line(json_t *spec, int argc, char **argv);
int64_t cmd_int(const json_t *rec, const char *key);
const char *cmd_str(const json_t *rec, const char *key);   /* "" if absent */

#endif
