/* sattach: not supported.  A step's I/O is one stream from each node's
 * stepd to the srun that launched it (src/common/stepio.c); the stepds
 * accept no second reader, so there is nothing to attach to.  The command
 * exists so that scripts get a clear reason instead of "command not found". */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdutil.h"

static const struct option long_opts[] = {
    { "help", no_argument, NULL, 'h' },  { "usage", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' }, { NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
    int c;
    cmd_init("sattach");
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+hV", long_opts, NULL)) != -1) {
        switch (c) {
        case 'h': puts("Usage: sattach [options] <jobid.stepid>\n"
                       "Not supported by Sluice: a step's I/O goes to its srun only."); return 0;
        case 'V': cmd_version(); return 0;
        default: break;   /* every other form is refused below, options included */
        }
    }
    cmd_die("attaching to a running step is not supported by Sluice: a step's input and output "
            "go to the srun that started it only (use srun --output=FILE, or -l, and read the "
            "file)");
}
