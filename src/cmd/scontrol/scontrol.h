/* scontrol.h: scontrol's subcommands, one function each. */
#ifndef SL_SCONTROL_H
#define SL_SCONTROL_H

struct scontrol_opts {
    int oneliner;   /* -o: one line per record */
};

/* Each takes the words after the subcommand and returns the exit status. */
int scontrol_show(const struct scontrol_opts *o, int argc, char **argv);
int scontrol_update(const struct scontrol_opts *o, int argc, char **argv);
int scontrol_hold(const struct scontrol_opts *o, int argc, char **argv);
int scontrol_release(const struct scontrol_opts *o, int argc, char **argv);

#endif
