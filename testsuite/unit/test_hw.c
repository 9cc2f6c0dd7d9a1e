/* Unit tests: sluiced's hardware discovery (src/noded/hw.c, hw_gpu.c)
 * against real machines' hwloc XML (testsuite/data/hwloc/README.md), the
 * GPU type rule, and SLUICE_FAKE_HW's synthesized GPUs. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "hw.h"
#include "unit.h"

#define DATA TOP_SRCDIR "/testsuite/data/hwloc/"

struct gpu_want {
    const char *bus_id, *type, *vendor;
    int minor;
    const char *cpus;
};

static const struct fixture {
    const char *file;
    uint32_t sockets, cores, threads;
    uint32_t os_first[4];      /* OS index of logical CPUs 0-3 */
    uint64_t memory_mb;
    uint32_t ngpus;
    struct gpu_want gpus[8];
} fixtures[] = {
    /* LLNL sierra: POWER9, 2 x 22 cores x SMT4, 4 V100 (CUDA OS devices). */
    { "sierra.xml", 2, 22, 4, { 0, 1, 2, 3 }, 326104, 4,
      { { "0004:04:00.0", "v100", "nvidia", 0, "0-87" },
        { "0004:05:00.0", "v100", "nvidia", 1, "0-87" },
        { "0035:03:00.0", "v100", "nvidia", 2, "88-175" },
        { "0035:04:00.0", "v100", "nvidia", 3, "88-175" } } },
    /* LLNL corona: 2 x 24 cores x SMT2 numbered 0-47 then 48-95, 8 AMD
     * MI50 (RSMI OS devices, PCI class 0x0380); its ASPEED VGA is no GPU. */
    { "corona.xml", 2, 24, 2, { 0, 48, 1, 49 }, 257466, 8,
      { { "0000:03:00.0", "mi50", "amd", 0, "0-47" },
        { "0000:27:00.0", "mi50", "amd", 1, "0-47" },
        { "0000:43:00.0", "mi50", "amd", 2, "0-47" },
        { "0000:63:00.0", "mi50", "amd", 3, "0-47" },
        { "0000:83:00.0", "mi50", "amd", 4, "48-95" },
        { "0000:a3:00.0", "mi50", "amd", 5, "48-95" },
        { "0000:c3:00.0", "mi50", "amd", 6, "48-95" },
        { "0000:e3:00.0", "mi50", "amd", 7, "48-95" } } },
    /* Hand-made: 2 sockets x 2 cores x 2 threads, a GPU on each socket,
     * named only by PCI id (10de:20b0). */
    { "fake-2gpu.xml", 2, 2, 2, { 0, 1, 2, 3 }, 2048, 2,
      { { "0000:3b:00.0", "a100", "nvidia", 0, "0-3" },
        { "0000:af:00.0", "a100", "nvidia", 1, "4-7" } } },
    /* The lent H200 VM with Debian's hwloc: a bare PCI device, no OS device;
     * the VM gives no locality, so every CPU is local. */
    { "h200-vm.xml", 1, 16, 1, { 0, 1, 2, 3 }, 128869, 1,
      { { "0000:00:06.0", "h200", "nvidia", 0, "0-15" } } },
    { "h200-vm-wholeio.xml", 1, 16, 1, { 0, 1, 2, 3 }, 128869, 1,
      { { "0000:00:06.0", "h200", "nvidia", 0, "0-15" } } },
};

START_TEST(fixture_inventory)
{
    const struct fixture *f = &fixtures[_i];
    struct hw_info hw;
    sl_error_t e = { "" };
    unsetenv("SLUICE_FAKE_HW");
    char path[512];
    snprintf(path, sizeof(path), "%s%s", DATA, f->file);
    ck_assert_msg(hw_discover(path, &hw, &e) == 0, "%s: %s", f->file, e.text);
    const topo_t *t = hw.topo;
    ck_assert_uint_eq(t->sockets, f->sockets);
    ck_assert_uint_eq(t->cores_per_socket, f->cores);
    ck_assert_uint_eq(t->threads_per_core, f->threads);
    ck_assert_uint_eq(hw.cpus, f->sockets * f->cores * f->threads);
    ck_assert_uint_eq(hw.sockets, f->sockets);
    ck_assert_uint_eq(hw.memory_mb, f->memory_mb);
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(t->os_index[i], f->os_first[i]);
    ck_assert_uint_eq(t->ngpus, f->ngpus);
    for (uint32_t g = 0; g < f->ngpus; g++) {
        const struct gpu_want *w = &f->gpus[g];
        char *cpus = idset_encode(t->gpus[g].cpus);
        ck_assert_str_eq(t->gpus[g].bus_id, w->bus_id);
        ck_assert_str_eq(t->gpus[g].type, w->type);
        ck_assert_str_eq(t->gpus[g].vendor, w->vendor);
        ck_assert_int_eq(t->gpus[g].minor, w->minor);
        ck_assert_str_eq(cpus, w->cpus);
        free(cpus);
    }
    /* What sluiced sends survives the controller's checks. */
    json_t *j = topo_to_json(t);
    topo_t *back = topo_from_json(j, &e);
    ck_assert_msg(back != NULL, "%s", e.text);
    ck_assert_uint_eq(back->ngpus, f->ngpus);
    topo_destroy(back);
    json_decref(j);
    hw_info_clear(&hw);
}
END_TEST

START_TEST(missing_file)
{
    struct hw_info hw;
    sl_error_t e = { "" };
    unsetenv("SLUICE_FAKE_HW");
    ck_assert_int_lt(hw_discover(DATA "no-such.xml", &hw, &e), 0);
    ck_assert_msg(strstr(e.text, "no-such.xml"), "%s", e.text);
    ck_assert_ptr_null(hw.topo);
}
END_TEST

/* Every OS index appears once: the logical order is a permutation. */
START_TEST(corona_order_is_a_permutation)
{
    struct hw_info hw;
    sl_error_t e = { "" };
    unsetenv("SLUICE_FAKE_HW");
    ck_assert_int_eq(hw_discover(DATA "corona.xml", &hw, &e), 0);
    int seen[96] = { 0 };
    for (uint32_t i = 0; i < hw.cpus; i++) {
        ck_assert_uint_lt(hw.topo->os_index[i], 96);
        seen[hw.topo->os_index[i]]++;
    }
    for (int i = 0; i < 96; i++)
        ck_assert_int_eq(seen[i], 1);
    /* logical 2k and 2k+1 are the two threads of core k */
    ck_assert_uint_eq(hw.topo->os_index[95], 95);
    ck_assert_uint_eq(hw.topo->os_index[94], 47);
    hw_info_clear(&hw);
}
END_TEST

static const struct { const char *model, *type; } types[] = {
    { "NVIDIA H200", "h200" },
    { "Tesla V100-SXM2-16GB", "v100" },
    { "AMD Instinct MI250X", "mi250x" },
    { "deon Instinct MI50 32GB", "mi50" },
    { "NVIDIA A100-SXM4-80GB", "a100" },
    { "NVIDIA GeForce RTX 4090", "rtx4090" },
    { "NVIDIA L40S", "l40s" },
    { "Tesla P100-PCIE-16GB", "p100" },
    { "", "gpu" },
    { "Radeon Graphics", "gpu" },
    { NULL, "gpu" },
};

START_TEST(gpu_type_rule)
{
    char out[64];
    hw_gpu_type(types[_i].model, out, sizeof(out));
    ck_assert_str_eq(out, types[_i].type);
}
END_TEST

START_TEST(fake_gpus)
{
    struct hw_info hw;
    sl_error_t e = { "" };
    ck_assert_int_eq(hw_parse_fake("cpus=8,mem=100,sockets=2,gpus=4,gputype=a100", &hw, &e), 0);
    ck_assert_uint_eq(hw.topo->ncpus, 8);
    ck_assert_uint_eq(hw.topo->ngpus, 4);
    const char *want[] = { "0-3", "0-3", "4-7", "4-7" };
    for (int g = 0; g < 4; g++) {
        char *cpus = idset_encode(hw.topo->gpus[g].cpus);
        ck_assert_str_eq(hw.topo->gpus[g].type, "a100");
        ck_assert_str_eq(hw.topo->gpus[g].vendor, "nvidia");
        ck_assert_str_eq(hw.topo->gpus[g].bus_id, "");
        ck_assert_int_eq(hw.topo->gpus[g].minor, g);
        ck_assert_str_eq(cpus, want[g]);
        free(cpus);
    }
    hw_info_clear(&hw);
    ck_assert_int_eq(hw_parse_fake("cpus=2,mem=10,gpus=1,gpuvendor=amd", &hw, &e), 0);
    ck_assert_str_eq(hw.topo->gpus[0].type, "gpu");
    ck_assert_str_eq(hw.topo->gpus[0].vendor, "amd");
    hw_info_clear(&hw);
    ck_assert_int_eq(hw_parse_fake("cpus=2,mem=10", &hw, &e), 0);
    ck_assert_uint_eq(hw.topo->ngpus, 0);
    ck_assert_uint_eq(hw.topo->ncpus, 2);
    hw_info_clear(&hw);
}
END_TEST

static const struct { const char *spec, *error; } fake_bad[] = {
    { "cpus=2,mem=10,gpus=x", "'gpus=x' is not a number" },
    { "cpus=2,mem=10,gpus=999", "from 0 to 256" },
    { "cpus=2,mem=10,gpuvendor=intel", "not nvidia, amd or other" },
    { "cpus=2,mem=10,gputype=", "must be 1 to" },
    { "cpus=2,mem=10,disks=3", "unknown key 'disks'" },
    { "cpus=3,mem=10,sockets=2", "is not cpus=3" },
};

START_TEST(fake_refused)
{
    struct hw_info hw;
    sl_error_t e = { "" };
    ck_assert_int_lt(hw_parse_fake(fake_bad[_i].spec, &hw, &e), 0);
    ck_assert_msg(strstr(e.text, fake_bad[_i].error), "'%s': '%s'", fake_bad[_i].spec, e.text);
    ck_assert_ptr_null(hw.topo);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hw");
    TCase *tc = tcase_create("hw");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, fixture_inventory, 0, (int)(sizeof(fixtures) / sizeof(fixtures[0])));
    tcase_add_test(tc, missing_file);
    tcase_add_test(tc, corona_order_is_a_permutation);
    tcase_add_loop_test(tc, gpu_type_rule, 0, (int)(sizeof(types) / sizeof(types[0])));
    tcase_add_test(tc, fake_gpus);
    tcase_add_loop_test(tc, fake_refused, 0, (int)(sizeof(fake_bad) / sizeof(fake_bad[0])));
    suite_add_tcase(s, tc);
    return unit_run(s);
}
