/* sacctmgr.h: what sacctmgr's files share: the parsed command line
 * ("list user alice where account=lab format=account%20") and the field
 * table of its listings. */
#ifndef SL_SACCTMGR_H
#define SL_SACCTMGR_H

#include <jansson.h>
#include "jobfmt.h"

enum sam_cmd { SAM_ADD, SAM_DELETE, SAM_MODIFY, SAM_LIST };
enum sam_entity { SAM_ACCOUNT, SAM_USER, SAM_ASSOC, SAM_CLUSTER };

struct sam_opts {
    int noheader, parsable, trailing, assoc, quiet, readonly;
};

/* The specifications after the entity.  Lists are arrays of strings (empty
 * when not given); strings are NULL when not given.  Settings after "set"
 * (modify) or anywhere (add) go to the set_ fields. */
struct sam_spec {
    json_t *names, *accounts, *partitions, *clusters;
    const char *description, *organization, *parent, *default_account, *admin_level;
    const char *format;
    int has_set;                 /* "set" was given */
    int withassoc;               /* the word WithAssoc (as -s) */
    int nsettings;               /* settings given (description, ..., admin_level) */
};

/* Parse argv (after the entity) for cmd on entity; exit 1 naming the first
 * word that does not belong. */
void sam_spec_parse(struct sam_spec *s, enum sam_cmd cmd, enum sam_entity ent, int argc,
                    char **argv);
void sam_spec_free(struct sam_spec *s);
const char *sam_entity_name(enum sam_entity ent);

/* sacctmgr_list.c */
int sam_list(const struct sam_opts *o, enum sam_entity ent, const struct sam_spec *s);
extern const struct jobfmt_field sam_fields[];

/* sacctmgr_change.c: add, delete, modify. */
int sam_change(const struct sam_opts *o, enum sam_cmd cmd, enum sam_entity ent,
               const struct sam_spec *s);

#endif
