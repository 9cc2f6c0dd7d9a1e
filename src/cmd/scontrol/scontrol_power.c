/* scontrol power up|down [asap|force] NODELIST: Slurm 22.05's syntax; the
 * controller's node_power does the work (State=CLOUD nodes only). */
#include <stdio.h>
#include <string.h>
#include "cmdutil.h"
#include "scontrol.h"

int scontrol_power(const struct scontrol_opts *o, int argc, char **argv)
{
    const char *usage = "Usage: scontrol power up NODELIST, or scontrol power down "
                        "[asap|force] NODELIST";
    if (argc < 2 || (strcmp(argv[0], "up") != 0 && strcmp(argv[0], "down") != 0))
        cmd_die("%s", usage);
    const char *mode = "";
    int i = 1;
    if (!strcmp(argv[0], "down") && argc == 3 && (!strcmp(argv[1], "asap") ||
                                                  !strcmp(argv[1], "force")))
        mode = argv[i++];
    if (i != argc - 1)
        cmd_die("%s", usage);
    sl_error_t e;
    json_t *reply = cmd_try("node_power", json_pack("{s:s, s:s, s:s}", "nodes", argv[i],
                                                    "action", argv[0], "mode", mode), &e);
    if (!reply)
        cmd_die("%s", e.text);
    json_decref(reply);
    return 0;
}
