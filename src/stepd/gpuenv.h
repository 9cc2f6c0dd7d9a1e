/* gpuenv.h: the variables that tell a job (or a step's task) which GPUs
 * and CPUs are its own, from the launch record ("gpus", "node_gpus",
 * "task_cpus", "cpu_bind_kind", "cpu_bind_verbose"), as Slurm sets them:
 *   CUDA_VISIBLE_DEVICES (NVIDIA minors), ROCR_VISIBLE_DEVICES (AMD minors),
 *   GPU_DEVICE_ORDINAL (all minors), SLURM_JOB_GPUS / SLURM_STEP_GPUS (the
 *   node's GPU indexes), SLURM_GPUS_ON_NODE;  on a GPU node a job without
 *   GPUs gets CUDA_VISIBLE_DEVICES= and ROCR_VISIBLE_DEVICES= (empty: none);
 *   SLURM_CPU_BIND, SLURM_CPU_BIND_TYPE, SLURM_CPU_BIND_LIST,
 *   SLURM_CPU_BIND_VERBOSE when the tasks are bound. */
#ifndef SL_STEPD_GPUENV_H
#define SL_STEPD_GPUENV_H

#include <jansson.h>

/* NULL-terminated "KEY=value" strings (malloc'd, gpuenv_free); step: the
 * record is a step's (SLURM_STEP_GPUS rather than SLURM_JOB_GPUS). */
char **gpuenv_build(const json_t *rec, int step);
void gpuenv_free(char **v);

#endif
