/* parse.c: placeholder until written */
