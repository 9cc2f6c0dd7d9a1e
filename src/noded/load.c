/* load.c: the host's load average and available memory (see load.h). */
#include "load.h"

#include <stdio.h>
#include <string.h>

void load_sample(json_t *body)
{
    FILE *f = fopen("/proc/loadavg", "r");
    double load;
    char line[256];
    long long kb;
    if (f) {
        if (fscanf(f, "%lf", &load) == 1 && load >= 0)
            json_object_set_new(body, "cpu_load", json_integer((json_int_t)(load * 100 + 0.5)));
        fclose(f);
    }
    if (!(f = fopen("/proc/meminfo", "r")))
        return;
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "MemAvailable: %lld kB", &kb) == 1 && kb >= 0) {
            json_object_set_new(body, "free_mem_mb", json_integer(kb / 1024));
            break;
        }
    }
    fclose(f);
}
