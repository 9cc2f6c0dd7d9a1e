/* conf.c: placeholder until written */
