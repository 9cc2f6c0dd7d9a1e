/* jobopt.c: placeholder until written */
