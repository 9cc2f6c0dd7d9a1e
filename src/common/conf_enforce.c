/* conf_enforce.c: AccountingStorageEnforce=, Slurm's comma list of what
 * jobs must satisfy in the accounts database.  Slurm's words are all
 * accepted so that a Slurm configuration loads; limits, qos and safe imply
 * associations as in Slurm, and the controller warns that only associations
 * has an effect (QOS and limits are not implemented). */
#include "conf_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const enforce_names[] = { "associations", "limits", "nojobs", "nosteps",
                                             "qos", "safe", "wckeys", NULL };

static int enforce_word(const char *w, unsigned *bits, sl_error_t *e)
{
    if (strcasecmp(w, "none") == 0 || !*w)
        return 0;
    if (strcasecmp(w, "all") == 0) {
        *bits |= ENFORCE_ASSOCIATIONS | ENFORCE_LIMITS | ENFORCE_QOS | ENFORCE_SAFE |
                 ENFORCE_WCKEYS;
        return 0;
    }
    for (int i = 0; enforce_names[i]; i++)
        if (strcasecmp(w, enforce_names[i]) == 0) {
            *bits |= 1u << i;
            if (*bits & (ENFORCE_LIMITS | ENFORCE_QOS | ENFORCE_SAFE))
                *bits |= ENFORCE_ASSOCIATIONS;
            return 0;
        }
    return sl_errprintf(e, "'%s' is not one of none, associations, limits, qos, safe, wckeys, "
                           "nojobs, nosteps, all", w);
}

int conf_enforce_set(const struct conf_key *k, void *obj, const char *val, sl_error_t *e)
{
    char *copy = strdup(val), *save = NULL;
    unsigned bits = 0;
    (void)k;
    if (!copy)
        return sl_errprintf(e, "out of memory");
    for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save))
        if (enforce_word(w, &bits, e) < 0) {
            free(copy);
            return -1;
        }
    free(copy);
    ((conf_t *)obj)->acct_enforce = bits;
    return 0;
}

const char *conf_enforce_show(const struct conf_key *k, const void *obj, char *buf, size_t len)
{
    unsigned bits = ((const conf_t *)obj)->acct_enforce;
    size_t used = 0;
    (void)k;
    buf[0] = '\0';
    for (int i = 0; enforce_names[i] && used < len; i++)
        if (bits & (1u << i))
            used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "," : "",
                                     enforce_names[i]);
    return bits ? buf : "none";
}
