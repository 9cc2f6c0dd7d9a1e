/* srun_hetrelay.c: what passes between the srun of a heterogeneous step and
 * its component sruns (srun_hetstep.c) once they run: each one's step
 * layout, answered with the whole step's, then the PMI fences, which each
 * component's srun gathers from its nodes and this one joins, so that one
 * PMI namespace spans the components (doc/guide-mpi.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "srun.h"

/* What the parent relays once the children run: their layouts, then the
 * fences of a PMI plugin (each child's nodes' blobs, joined). */
struct het_relay {
    json_t *layout[HETSTEP_MAX];
    size_t nlayout;
    int fence;                      /* a fence is open */
    uint32_t seq;
    unsigned char *buf;
    size_t len;
    int got[HETSTEP_MAX];
    size_t ngot;
    int killed;                     /* a component ended the step: the others were told */
};

struct het_relay *relay_create(void)
{
    return calloc(1, sizeof(struct het_relay));
}

int relay_first_step(const struct het_relay *rl)
{
    json_t *id = rl ? json_object_get(rl->layout[0], "step_id") : NULL;
    return id ? (int)json_integer_value(id) : -1;
}

void relay_destroy(struct het_relay *rl)
{
    if (!rl)
        return;
    for (size_t k = 0; k < HETSTEP_MAX; k++)
        json_decref(rl->layout[k]);
    free(rl->buf);
    free(rl);
}

static int full_io(int fd, void *buf, size_t len, int wr)
{
    unsigned char *p = buf;
    while (len) {
        ssize_t n = wr ? write(fd, p, len) : read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int hetmsg_send(int fd, uint32_t type, uint32_t seq, const void *data, uint32_t len)
{
    uint32_t hdr[3] = { type, seq, len };
    if (fd < 0 || full_io(fd, hdr, sizeof(hdr), 1) < 0)
        return -1;
    return len ? full_io(fd, (void *)data, len, 1) : 0;
}

int hetmsg_recv(int fd, uint32_t *type, uint32_t *seq, unsigned char **data, uint32_t *len)
{
    uint32_t hdr[3];
    *data = NULL;
    if (fd < 0 || full_io(fd, hdr, sizeof(hdr), 0) < 0 || hdr[2] > (1u << 30))
        return -1;
    if (!(*data = malloc((size_t)hdr[2] + 1)) || full_io(fd, *data, hdr[2], 0) < 0) {
        free(*data);
        *data = NULL;
        return -1;
    }
    (*data)[hdr[2]] = 0;
    *type = hdr[0];
    *seq = hdr[1];
    *len = hdr[2];
    return 0;
}

void relay_close(struct het_pipes *hs, size_t k)
{
    if (hs->rfd[k] >= 0)
        close(hs->rfd[k]);
    if (hs->wfd[k] >= 0)
        close(hs->wfd[k]);
    hs->rfd[k] = hs->wfd[k] = -1;
}

/* Every child's layout is in: each gets the whole step's, with where its
 * nodes start and the ids the PMI namespace is named after (component 0's). */
static void relay_layouts(struct het_pipes *hs, struct het_relay *rl)
{
    json_t *names = json_array(), *tpn = json_array();
    size_t offsets[HETSTEP_MAX];
    for (size_t k = 0; k < hs->n; k++) {
        offsets[k] = json_array_size(names);
        json_array_extend(names, json_object_get(rl->layout[k], "node_names"));
        json_array_extend(tpn, json_object_get(rl->layout[k], "tasks_per_node"));
    }
    for (size_t k = 0; k < hs->n; k++) {
        json_t *a = json_pack("{s:O, s:O, s:i, s:O, s:O}", "het_nodes", names,
                              "het_tasks_per_node", tpn, "het_node_offset", (int)offsets[k],
                              "het_job_id", json_object_get(rl->layout[0], "job_id"),
                              "het_step_id", json_object_get(rl->layout[0], "step_id"));
        char *text = a ? json_dumps(a, JSON_COMPACT) : NULL;
        if (!text || hetmsg_send(hs->wfd[k], HETMSG_LAYOUT, 0, text, (uint32_t)strlen(text)))
            relay_close(hs, k);
        free(text);
        json_decref(a);
    }
    json_decref(names);
    json_decref(tpn);
}

static void relay_fence_end(struct het_pipes *hs, struct het_relay *rl, int ok)
{
    for (size_t k = 0; k < hs->n; k++)
        if (hs->wfd[k] >= 0)
            hetmsg_send(hs->wfd[k], ok ? HETMSG_FENCE_OK : HETMSG_FENCE_FAIL, rl->seq,
                        rl->buf, ok ? (uint32_t)rl->len : 0);
    rl->fence = 0;
    rl->len = rl->ngot = 0;
    memset(rl->got, 0, sizeof(rl->got));
}

static void relay_fence_add(struct het_pipes *hs, struct het_relay *rl, size_t k, uint32_t seq,
                            const unsigned char *d, uint32_t len)
{
    if (rl->fence && (seq != rl->seq || rl->got[k])) {
        relay_fence_end(hs, rl, 0);
        return;
    }
    unsigned char *nb = realloc(rl->buf, rl->len + len + 1);
    if (!nb) {
        relay_fence_end(hs, rl, 0);
        return;
    }
    rl->buf = nb;
    memcpy(rl->buf + rl->len, d, len);
    rl->len += len;
    rl->fence = 1;
    rl->seq = seq;
    rl->got[k] = 1;
    if (++rl->ngot == hs->n)
        relay_fence_end(hs, rl, 1);
}

void relay_kill(struct het_pipes *hs, struct het_relay *rl, size_t k, uint32_t status)
{
    if (rl->killed)
        return;   /* once: the others' own kills come back from them */
    rl->killed = 1;
    for (size_t j = 0; j < hs->n; j++)
        if (j != k && hs->wfd[j] >= 0 && hetmsg_send(hs->wfd[j], HETMSG_KILL, status, NULL, 0))
            relay_close(hs, j);
}

/* A message from child k (or its end). */
void relay_read(struct het_pipes *hs, struct het_relay *rl, size_t k)
{
    uint32_t type, seq, len;
    unsigned char *d;
    if (hetmsg_recv(hs->rfd[k], &type, &seq, &d, &len) < 0) {
        relay_close(hs, k);
        if (rl->nlayout < hs->n)   /* it failed before its launch: the others stop too */
            for (size_t j = 0; j < hs->n; j++)
                relay_close(hs, j);
        else if (rl->fence)
            relay_fence_end(hs, rl, 0);
        return;
    }
    if (type == HETMSG_LAYOUT && !rl->layout[k]) {
        rl->layout[k] = json_loadb((const char *)d, len, 0, NULL);
        if (rl->layout[k] && ++rl->nlayout == hs->n)
            relay_layouts(hs, rl);
    } else if (type == HETMSG_KILL) {
        relay_kill(hs, rl, k, seq);
    } else if (type == HETMSG_FENCE) {
        relay_fence_add(hs, rl, k, seq, d, len);
    }
    free(d);
}
