/* ec2_xml.h: the small XML reader the EC2 plugin needs for the Query API's
 * answers: elements and their text, namespaces prefixes dropped, attributes,
 * comments, processing instructions and DOCTYPE skipped, the five named
 * entities and numeric character references decoded, CDATA kept as text.
 * Depth and size are bounded; anything malformed is refused. */
#ifndef EC2_XML_H
#define EC2_XML_H

#include <stddef.h>

struct xml {
    char *name;                  /* local name (no prefix) */
    char *text;                  /* the text directly inside ("" if none) */
    struct xml *child, *next;
};

/* The tree of text[0..len), or NULL with err set. */
struct xml *xml_parse(const char *text, size_t len, char *err, size_t errlen);
void xml_free(struct xml *x);
/* The first child named name, or NULL. */
struct xml *xml_child(const struct xml *x, const char *name);
/* Follows a path of child names ("instanceState/name"); NULL if absent. */
struct xml *xml_path(const struct xml *x, const char *path);
/* The text at path, or NULL. */
const char *xml_text(const struct xml *x, const char *path);

#endif
