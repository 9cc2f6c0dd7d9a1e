/* featexpr.h: --constraint expressions against a node's Features= (pure
 * logic, unit-tested: testsuite/unit/test_featexpr.c).
 *
 * Grammar, as Slurm's: names joined by '&' (all) and '|' (any; '&' binds
 * tighter), and at most one bracket "[a|b|c]": any one of them, but the
 * same one on every node of the job.  Names are letters, digits, '_', '-',
 * '.' and ':'. */
#ifndef CTLD_FEATEXPR_H
#define CTLD_FEATEXPR_H

#include "error.h"

/* 0 if expr is well formed; -1 with e naming the problem. */
int featexpr_check(const char *expr, sl_error_t *e);
/* How many alternatives the bracket holds (0: no bracket). */
int featexpr_alts(const char *expr);
/* Does a node with this comma list of features (NULL: none) match?  alt
 * picks the bracket's alternative (0-based); -1 lets any one match. */
int featexpr_match(const char *expr, const char *node_features, int alt);

#endif
