/* taskenv.c: see taskenv.h. */
#include "taskenv.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void taskenv_fill_pid(char **env)
{
    static const char key[] = "SLURM_TASK_PID=" TASKENV_PID_PLACEHOLDER;
    const size_t klen = sizeof("SLURM_TASK_PID=") - 1;
    char digits[24];
    int n = 0;

    for (unsigned long v = (unsigned long)getpid(); n == 0 || v; v /= 10)
        digits[n++] = (char)('0' + v % 10);
    for (; env && *env; env++) {
        if (strcmp(*env, key) != 0)
            continue;
        char *p = *env + klen;
        for (int i = n; i > 0; i--)
            *p++ = digits[i - 1];
        *p = '\0';
    }
}

void taskenv_apply_umask(char *const *env)
{
    static const char key[] = "SLURM_UMASK=";
    for (; env && *env; env++) {
        if (strncmp(*env, key, sizeof(key) - 1) != 0)
            continue;
        const char *p = *env + sizeof(key) - 1;
        unsigned m = 0;
        int n = 0;
        for (; *p >= '0' && *p <= '7' && n < 4; p++, n++)
            m = m * 8 + (unsigned)(*p - '0');
        if (n > 0 && *p == '\0')
            umask((mode_t)m);
        return;
    }
}
