/* jobfmt.c: placeholder until written */
