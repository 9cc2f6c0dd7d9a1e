/* fuzz_pmi1.c: what an MPI task sends the PMI-1 server (plugins/mpi/pmi1)
 * and what other nodes send it through a barrier.  First byte even: the
 * rest is one command line for pmi1_cmd_parse; else the rest is a fence
 * result for pmi1_blob_merge, and its first bytes also a tasks-per-node
 * list for the process map.  Promises checked: a parsed line starts with
 * cmd=NAME and every value lies inside the copy; a refusal says why; a
 * merged result holds only strings, and packing it merges back to the
 * same object; the process map counts every node once. */
#include "fuzz.h"
#include "../../plugins/mpi/pmi1/pmi1_wire.c"

static void fuzz_line(const uint8_t *data, size_t size)
{
    struct pmi1_cmd c;
    sl_error_t e = { "" };
    if (pmi1_cmd_parse(&c, (const char *)data, size, &e) < 0) {
        FUZZ_CHECK(e.text[0], "a line refused without a message");
        return;
    }
    FUZZ_CHECK(c.n >= 1 && strcmp(c.key[0], "cmd") == 0 && c.val[0][0], "no cmd= first");
    for (int i = 0; i < c.n; i++)
        FUZZ_CHECK(c.key[i] >= c.buf && c.val[i] < c.buf + sizeof c.buf, "word %d outside", i);
}

static void fuzz_blob(const uint8_t *data, size_t size)
{
    json_t *kvs = json_object();
    sl_error_t e = { "" };
    if (pmi1_blob_merge(kvs, data, size, &e) < 0) {
        FUZZ_CHECK(e.text[0], "a blob refused without a message");
    } else {
        size_t len;
        char *again = pmi1_blob_pack(kvs, &len);
        json_t *back = json_object();
        FUZZ_CHECK(again && pmi1_blob_merge(back, again, len, &e) == 0, "repack: %s", e.text);
        FUZZ_CHECK(json_equal(back, kvs), "repacked blob differs");
        free(again);
        json_decref(back);
    }
    json_decref(kvs);
    uint32_t tpn[16];
    uint32_t n = size < 16 ? (uint32_t)size : 16;
    for (uint32_t i = 0; i < n; i++)
        tpn[i] = 1 + data[i] % 4;
    char *m = pmi1_process_mapping(tpn, n);
    uint32_t counted = 0;
    for (const char *p = strchr(m, '('); p && (p = strchr(p + 1, '(')); ) {
        unsigned a, b, c;
        FUZZ_CHECK(sscanf(p, "(%u,%u,%u)", &a, &b, &c) == 3, "map '%s'", m);
        FUZZ_CHECK(a == counted && c == tpn[a], "map '%s' at node %u", m, a);
        counted += b;
    }
    FUZZ_CHECK(counted == n, "map '%s' counts %u of %u nodes", m, counted, n);
    free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    if (data[0] % 2 == 0)
        fuzz_line(data + 1, size - 1);
    else
        fuzz_blob(data + 1, size - 1);
    return 0;
}
