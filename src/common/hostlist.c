/* hostlist.c: placeholder until written */
