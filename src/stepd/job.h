/* job.h: run one batch job from its launch record to its final status. */
#ifndef SL_STEPD_JOB_H
#define SL_STEPD_JOB_H

struct launch;
struct job_status;

/* Prepare (script, files, environment), start and supervise the job;
 * fill st.  sigfd comes from supervise_signals_open().  A job that could
 * not be started has st->failure set; the return value is -1 only when
 * the stepd itself failed. */
int job_run(const struct launch *l, const char *jobdir, int sigfd, struct job_status *st);

#endif
