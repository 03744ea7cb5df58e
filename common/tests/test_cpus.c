/* cpus: the cgroup CPU quota behind the worker-thread defaults, read from
 * fake cgroup trees (v2 and v1) in a temporary directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "valor/cpus.h"

static char root[64];

static void put(const char *rel, const char *text)
{
    char path[256], dir[256];
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    snprintf(dir, sizeof(dir), "%s", path);
    for (char *p = dir + strlen(root) + 1; *p; p++) /* mkdir -p of the parent */
        if (*p == '/') {
            *p = '\0';
            mkdir(dir, 0700);
            *p = '/';
        }
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static int quota(const char *self)
{
    char path[128];
    put("self", self);
    snprintf(path, sizeof(path), "%s/self", root);
    return cpus_quota_at(path, root);
}

static void setup(void)
{
    snprintf(root, sizeof(root), "/tmp/valor-cpus-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
}

static void teardown(void)
{
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_v2_quota)
{
    /* a Kubernetes limit of 500m on the pod's cgroup: 1 CPU */
    put("kubepods/pod1/c1/cpu.max", "50000 100000\n");
    ck_assert_int_eq(quota("0::/kubepods/pod1/c1\n"), 1);
    put("kubepods/pod1/c1/cpu.max", "150000 100000\n"); /* 1.5 → 2 */
    ck_assert_int_eq(quota("0::/kubepods/pod1/c1\n"), 2);
    /* no limit here, but the parent's counts */
    put("kubepods/pod1/c1/cpu.max", "max 100000\n");
    put("kubepods/pod1/cpu.max", "300000 100000\n");
    ck_assert_int_eq(quota("0::/kubepods/pod1/c1\n"), 3);
    /* the smaller of the two */
    put("kubepods/pod1/c1/cpu.max", "100000 100000\n");
    ck_assert_int_eq(quota("0::/kubepods/pod1/c1\n"), 1);
    /* inside a cgroup namespace the container's cgroup is the root */
    put("cpu.max", "200000 100000\n");
    ck_assert_int_eq(quota("0::/\n"), 2);
}
END_TEST

START_TEST(test_v1_quota)
{
    put("cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "250000\n");
    put("cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n");
    ck_assert_int_eq(quota("4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n0::/\n"), 3);
    put("cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "-1\n"); /* unlimited */
    ck_assert_int_eq(quota("3:cpu,cpuacct:/docker/abc\n"), 0);
}
END_TEST

START_TEST(test_no_quota)
{
    ck_assert_int_eq(quota("0::/nothing/here\n"), 0);
    put("x/cpu.max", "max 100000\n");
    ck_assert_int_eq(quota("0::/x\n"), 0);
    put("y/cpu.max", "garbage\n");
    ck_assert_int_eq(quota("0::/y\n"), 0);
    ck_assert_int_eq(cpus_quota_at("/nonexistent/cgroup", root), 0);
    /* this process: at least one CPU, never more than the machine has */
    int n = cpus_available();
    ck_assert_int_ge(n, 1);
    ck_assert_int_le(n, (int)sysconf(_SC_NPROCESSORS_ONLN));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cpus");
    TCase *tc = tcase_create("quota");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_v2_quota);
    tcase_add_test(tc, test_v1_quota);
    tcase_add_test(tc, test_no_quota);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
