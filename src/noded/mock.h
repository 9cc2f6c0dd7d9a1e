/* mock.h: MockExecution=yes, a testing mode (doc/design.md, "Testing
 * modes"): sluiced runs no job.  Each job is a timer in sluiced that ends
 * COMPLETED (exit 0) after the number of seconds of the script's first
 * command when that is `sleep N` (or `exec sleep N`), at once otherwise.
 * The time limit, job_terminate and job_signal act on the timer as they
 * would on the job: TIMEOUT, CANCELLED, killed by the signal; so does a
 * --signal warning, at its time before the limit. */
#ifndef SL_NODED_MOCK_H
#define SL_NODED_MOCK_H

#include <stdint.h>
#include <jansson.h>

typedef struct jobs jobs_t;
struct job;

/* Seconds a mock job lasts: N from a first command `[exec] sleep N[smhd]`
 * (blank lines and '#' lines skipped), else 0. */
int64_t mock_script_seconds(const char *script);

/* Make the table's launches mock ones. */
void jobs_set_mock(jobs_t *js, int on);

/* From jobs_launch(), for a job entry just added. */
void mock_launch(jobs_t *js, struct job *j, json_t *rec);
/* job_signal / job_terminate (sig 0) for a running mock job. */
void mock_signal(jobs_t *js, struct job *j, int sig);

#endif
