/* hw_gpu.c: the GPUs of an hwloc topology (hw.h).
 *
 * A GPU is a PCI device of NVIDIA (0x10de) or AMD (0x1002) that is a
 * display/3D controller (class 0x03xx) or carries a compute OS device
 * (CUDA, NVML, RSMI, OpenCL).  The class test matters: Debian's hwloc has
 * no NVML or CUDA component, so on such a node a GPU is only a PCI device
 * (seen on an H200, testsuite/data/hwloc/README.md).  The model name comes
 * from the OS device's GPUModel, else the NVIDIA driver's /proc file (this
 * machine only), else the PCI device name's bracketed part, else a short
 * table of PCI device ids. */
#include "hw.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VENDOR_NVIDIA 0x10de
#define VENDOR_AMD 0x1002

struct found {
    hwloc_obj_t pci;
    char bus_id[32];
    char model[128];
};

/* Data-centre GPUs as Debian's hwloc sees them: a bare PCI id. */
static const struct { unsigned vendor, device; const char *model; } known_ids[] = {
    { VENDOR_NVIDIA, 0x2335, "NVIDIA H200" },
    { VENDOR_NVIDIA, 0x2330, "NVIDIA H100 SXM5" },
    { VENDOR_NVIDIA, 0x2331, "NVIDIA H100 PCIe" },
    { VENDOR_NVIDIA, 0x20b0, "NVIDIA A100-SXM4-40GB" },
    { VENDOR_NVIDIA, 0x20b2, "NVIDIA A100-SXM4-80GB" },
    { VENDOR_NVIDIA, 0x20f1, "NVIDIA A100-PCIE-40GB" },
    { VENDOR_NVIDIA, 0x1db1, "Tesla V100-SXM2-16GB" },
    { VENDOR_NVIDIA, 0x1db4, "Tesla V100-PCIE-16GB" },
    { VENDOR_NVIDIA, 0x1db5, "Tesla V100-SXM2-32GB" },
    { VENDOR_AMD, 0x66a1, "AMD Instinct MI50" },
    { VENDOR_AMD, 0x740c, "AMD Instinct MI250X" },
    { VENDOR_AMD, 0x740f, "AMD Instinct MI210" },
};

static int is_compute_osdev(hwloc_obj_t o)
{
    const char *b = hwloc_obj_get_info_by_name(o, "Backend");
    return o->type == HWLOC_OBJ_OS_DEVICE && b &&
           (!strcmp(b, "CUDA") || !strcmp(b, "NVML") || !strcmp(b, "RSMI") ||
            !strcmp(b, "OpenCL"));
}

/* The GPUModel of a compute OS device under pci, or NULL; *any set if
 * there is such a device at all. */
static const char *osdev_model(hwloc_obj_t pci, int *any)
{
    const char *model = NULL;
    *any = 0;
    for (hwloc_obj_t o = pci->io_first_child; o; o = o->next_sibling) {
        if (!is_compute_osdev(o))
            continue;
        *any = 1;
        if (!model)
            model = hwloc_obj_get_info_by_name(o, "GPUModel");
    }
    return model;
}

/* "Model:  NVIDIA H200" from the driver, when the GPU is this machine's. */
static int proc_model(const char *bus_id, char *out, size_t len)
{
    char path[128], line[256];
    snprintf(path, sizeof(path), "/proc/driver/nvidia/gpus/%s/information", bus_id);
    FILE *f = fopen(path, "r");
    int found = 0;
    if (!f)
        return 0;
    while (!found && fgets(line, sizeof(line), f)) {
        if (strncmp(line, "Model:", 6) != 0)
            continue;
        char *s = line + 6;
        while (isspace((unsigned char)*s))
            s++;
        s[strcspn(s, "\n")] = '\0';
        snprintf(out, len, "%s", s);
        found = *s != '\0';
    }
    fclose(f);
    return found;
}

/* "GV100GL [Tesla V100 SXM2]" -> "Tesla V100 SXM2". */
static int pci_name_model(hwloc_obj_t pci, char *out, size_t len)
{
    const char *d = hwloc_obj_get_info_by_name(pci, "PCIDevice");
    const char *open = d ? strchr(d, '[') : NULL, *close = open ? strchr(open, ']') : NULL;
    if (!close || close == open + 1)
        return 0;
    snprintf(out, len, "%.*s", (int)(close - open - 1), open + 1);
    return 1;
}

static void gpu_model(hwloc_obj_t pci, const char *osmodel, const char *bus_id,
                      int this_machine, char *out, size_t len)
{
    const struct hwloc_pcidev_attr_s *a = &pci->attr->pcidev;
    out[0] = '\0';
    if (osmodel && *osmodel) {
        snprintf(out, len, "%s", osmodel);
        return;
    }
    if (this_machine && a->vendor_id == VENDOR_NVIDIA && proc_model(bus_id, out, len))
        return;
    if (pci_name_model(pci, out, len))
        return;
    for (size_t i = 0; i < sizeof(known_ids) / sizeof(known_ids[0]); i++)
        if (known_ids[i].vendor == a->vendor_id && known_ids[i].device == a->device_id)
            snprintf(out, len, "%s", known_ids[i].model);
}

static int is_gpu(hwloc_obj_t pci, int has_osdev)
{
    const struct hwloc_pcidev_attr_s *a = &pci->attr->pcidev;
    if (a->vendor_id != VENDOR_NVIDIA && a->vendor_id != VENDOR_AMD)
        return 0;
    return (a->class_id >> 8) == 0x03 || has_osdev;
}

/* The logical CPUs of the GPU's nearest non-I/O ancestor: its locality.
 * No cpuset (or an empty one, as a VM's PCI devices give) means all. */
static idset_t *gpu_cpus(hwloc_topology_t t, const topo_t *topo, hwloc_obj_t pci)
{
    hwloc_obj_t anc = hwloc_get_non_io_ancestor_obj(t, pci);
    idset_t *cpus = idset_create(topo->ncpus);
    for (uint32_t i = 0; i < topo->ncpus; i++)
        if (anc && anc->cpuset && hwloc_bitmap_isset(anc->cpuset, topo->os_index[i]))
            idset_set(cpus, i);
    if (idset_count(cpus) == 0)
        for (uint32_t i = 0; i < topo->ncpus; i++)
            idset_set(cpus, i);
    return cpus;
}

static int bus_cmp(const void *a, const void *b)
{
    const struct hwloc_pcidev_attr_s *x = &((const struct found *)a)->pci->attr->pcidev;
    const struct hwloc_pcidev_attr_s *y = &((const struct found *)b)->pci->attr->pcidev;
    unsigned long long kx = ((unsigned long long)x->domain << 24) | (x->bus << 16) |
                            (x->dev << 8) | x->func;
    unsigned long long ky = ((unsigned long long)y->domain << 24) | (y->bus << 16) |
                            (y->dev << 8) | y->func;
    return kx < ky ? -1 : kx > ky;
}

static const char *vendor_name(hwloc_obj_t pci)
{
    return pci->attr->pcidev.vendor_id == VENDOR_NVIDIA ? "nvidia" : "amd";
}

/* Sorted by bus id; minor = rank among the same vendor's GPUs. */
static int gpus_append(hwloc_topology_t t, topo_t *topo, struct found *f, size_t n,
                       sl_error_t *e)
{
    int32_t minors[2] = { 0, 0 };
    qsort(f, n, sizeof(*f), bus_cmp);
    for (size_t i = 0; i < n; i++) {
        char type[64];
        int v = f[i].pci->attr->pcidev.vendor_id == VENDOR_NVIDIA ? 0 : 1;
        idset_t *cpus = gpu_cpus(t, topo, f[i].pci);
        hw_gpu_type(f[i].model, type, sizeof(type));
        int rc = topo_add_gpu(topo, type, vendor_name(f[i].pci), f[i].model, f[i].bus_id,
                              minors[v]++, cpus, e);
        idset_destroy(cpus);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int hw_gpus_add(hwloc_topology_t t, topo_t *topo, int this_machine, sl_error_t *e)
{
    size_t n = 0, cap = 0;
    struct found *f = NULL;
    int rc;

    for (hwloc_obj_t pci = NULL; (pci = hwloc_get_next_pcidev(t, pci)); ) {
        int has_osdev;
        const char *osmodel = osdev_model(pci, &has_osdev);
        if (!is_gpu(pci, has_osdev))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            struct found *g = realloc(f, cap * sizeof(*f));
            if (!g) {
                free(f);
                return sl_errprintf(e, "out of memory");
            }
            f = g;
        }
        const struct hwloc_pcidev_attr_s *a = &pci->attr->pcidev;
        f[n].pci = pci;
        snprintf(f[n].bus_id, sizeof(f[n].bus_id), "%04x:%02x:%02x.%x", (unsigned)a->domain,
                 (unsigned)a->bus, (unsigned)a->dev, (unsigned)a->func);
        gpu_model(pci, osmodel, f[n].bus_id, this_machine, f[n].model, sizeof(f[n].model));
        n++;
    }
    rc = gpus_append(t, topo, f, n, e);
    free(f);
    return rc;
}

static int word_sep(char c)
{
    return isspace((unsigned char)c) || strchr("-_/()[],", c) != NULL;
}

/* Append the letters and digits of word [s, s+n) lower-cased. */
static void put_word(char *out, size_t len, size_t *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n && *o + 1 < len; i++)
        if (isalnum((unsigned char)s[i]))
            out[(*o)++] = (char)tolower((unsigned char)s[i]);
    out[*o] = '\0';
}

void hw_gpu_type(const char *model, char *out, size_t len)
{
    const char *prev = NULL, *s = model ? model : "";
    size_t prevn = 0, o = 0;

    out[0] = '\0';
    while (*s) {
        while (*s && word_sep(*s))
            s++;
        size_t n = 0, digits = 0, alnum = 0;
        while (s[n] && !word_sep(s[n])) {
            digits += isdigit((unsigned char)s[n]) != 0;
            alnum += isalnum((unsigned char)s[n]) != 0;
            n++;
        }
        if (digits) {
            if (digits == alnum && prev)
                put_word(out, len, &o, prev, prevn);
            put_word(out, len, &o, s, n);
            break;
        }
        if (n) {
            prev = s;
            prevn = n;
        }
        s += n;
    }
    if (!out[0])
        snprintf(out, len, "gpu");
}
