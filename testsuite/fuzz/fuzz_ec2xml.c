/* fuzz_ec2xml.c: cloud/ec2's XML reader (plugins/cloud/ec2/ec2_xml.c), which
 * reads whatever the EC2 endpoint answers.  Promises checked: a refusal has
 * a message, and every element of an accepted tree has a name and a text. */
#define _GNU_SOURCE                 /* memrchr, before fuzz.h's string.h */
#include "fuzz.h"
#include "../../plugins/cloud/ec2/ec2_xml.c"

static void walk(const struct xml *x, int depth)
{
    for (; x; x = x->next) {
        FUZZ_CHECK(x->name && x->name[0] && x->text, "element without a name or text");
        FUZZ_CHECK(depth <= XML_MAX_DEPTH + 1, "depth %d", depth);
        walk(x->child, depth + 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    if (size > 65536)
        return 0;
    struct xml *x = xml_parse((const char *)data, size, err, sizeof(err));
    if (!x) {
        FUZZ_CHECK(err[0], "refused without a message");
        return 0;
    }
    walk(x, 0);
    (void)xml_text(x, "instancesSet/item/instanceId");
    xml_free(x);
    return 0;
}
