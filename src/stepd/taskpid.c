/* taskpid.c: see taskpid.h. */
#include "taskpid.h"

#include <string.h>
#include <unistd.h>

void taskpid_fill(char **env)
{
    static const char key[] = "SLURM_TASK_PID=" TASKPID_PLACEHOLDER;
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
