/* pmi1_wire.c: see pmi1_wire.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pmi1_wire.h"

int pmi1_cmd_parse(struct pmi1_cmd *c, const char *line, size_t len, sl_error_t *e)
{
    if (len > PMI1_MAXLINE)
        return sl_errprintf(e, "PMI line of %zu bytes (the limit is %d)", len, PMI1_MAXLINE);
    if (memchr(line, '\0', len))
        return sl_errprintf(e, "PMI line holds a NUL byte");
    memcpy(c->buf, line, len);
    c->buf[len] = '\0';
    c->n = 0;
    char *save = NULL;
    for (char *w = strtok_r(c->buf, " \t\r", &save); w; w = strtok_r(NULL, " \t\r", &save)) {
        char *eq = strchr(w, '=');
        if (!eq)
            return sl_errprintf(e, "PMI word '%.64s' has no '='", w);
        if (c->n == (int)(sizeof c->key / sizeof c->key[0]))
            return sl_errprintf(e, "PMI line has more than %d words", c->n);
        *eq = '\0';
        c->key[c->n] = w;
        c->val[c->n] = eq + 1;
        c->n++;
    }
    if (c->n == 0 || strcmp(c->key[0], "cmd") != 0 || !*c->val[0])
        return sl_errprintf(e, "PMI line does not start with cmd=NAME");
    return 0;
}

const char *pmi1_cmd_get(const struct pmi1_cmd *c, const char *key)
{
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->key[i], key) == 0)
            return c->val[i];
    return NULL;
}

char *pmi1_process_mapping(const uint32_t *tasks_per_node, uint32_t num_nodes)
{
    size_t cap = 32 + (size_t)num_nodes * 36, len;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    len = (size_t)snprintf(s, cap, "(vector");
    for (uint32_t i = 0; i < num_nodes;) {
        uint32_t run = 1;
        while (i + run < num_nodes && tasks_per_node[i + run] == tasks_per_node[i])
            run++;
        len += (size_t)snprintf(s + len, cap - len, ",(%u,%u,%u)", i, run, tasks_per_node[i]);
        i += run;
    }
    snprintf(s + len, cap - len, ")");
    return s;
}

char *pmi1_blob_pack(json_t *puts, size_t *len)
{
    char *s = json_dumps(puts, JSON_COMPACT);
    *len = s ? strlen(s) : 0;
    return s;
}

int pmi1_blob_merge(json_t *kvs, const void *data, size_t len, sl_error_t *e)
{
    const char *p = data;
    while (len > 0) {
        json_error_t je;
        json_t *o = json_loadb(p, len, JSON_DISABLE_EOF_CHECK, &je);
        if (!o || !json_is_object(o)) {
            json_decref(o);
            return sl_errprintf(e, "a node's PMI blob is not a JSON object: %s", je.text);
        }
        const char *k;
        json_t *v;
        json_object_foreach(o, k, v) {
            if (!json_is_string(v)) {
                sl_errprintf(e, "a node's PMI blob holds a non-string value for '%.64s'", k);
                json_decref(o);
                return -1;
            }
        }
        json_object_update(kvs, o);
        json_decref(o);
        if (je.position <= 0 || (size_t)je.position > len)
            return sl_errprintf(e, "a node's PMI blob could not be delimited");
        p += je.position;
        len -= (size_t)je.position;
    }
    return 0;
}
