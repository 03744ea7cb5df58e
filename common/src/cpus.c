/* cpus: the CPUs this process may use — affinity, bounded by the cgroup CPU
 * quota (see cpus.h). */
#include "valor/cpus.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CPUS_PATH_MAX 4096

/* The first line of dir/name into buf; 0 when it cannot be read. */
static int read_line(const char *dir, const char *name, char *buf, size_t len)
{
    char path[CPUS_PATH_MAX];
    FILE *f;
    int ok;

    if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path) ||
        (f = fopen(path, "r")) == NULL)
        return 0;
    ok = fgets(buf, (int)len, f) != NULL;
    fclose(f);
    return ok;
}

/* A decimal integer at *p (advanced past it); -1 when there is none. */
static long long number(const char **p)
{
    char *end = NULL;
    long long v;
    while (**p == ' ')
        (*p)++;
    v = strtoll(*p, &end, 10);
    if (end == *p)
        return -1;
    *p = end;
    return v;
}

/* The quota of one cgroup directory in CPUs (rounded up), 0 when none. */
static long quota_of_dir(const char *dir, int v2)
{
    char buf[128];
    const char *p = buf;
    long long quota = -1, period = 0;

    if (v2) { /* "<quota> <period>" or "max <period>" */
        if (!read_line(dir, "cpu.max", buf, sizeof(buf)) || strncmp(buf, "max", 3) == 0)
            return 0;
        quota = number(&p);
        period = number(&p);
    } else {
        if (!read_line(dir, "cpu.cfs_quota_us", buf, sizeof(buf)))
            return 0;
        quota = number(&p); /* -1: no quota */
        p = buf;
        if (!read_line(dir, "cpu.cfs_period_us", buf, sizeof(buf)))
            return 0;
        period = number(&p);
    }
    if (quota <= 0 || period <= 0)
        return 0;
    return (long)((quota + period - 1) / period);
}

/* The smallest quota from base+cg up to base (the limits of the parents
 * apply too); 0 when none. */
static long quota_up(const char *base, const char *cg, int v2)
{
    char rel[CPUS_PATH_MAX], dir[CPUS_PATH_MAX];
    long best = 0;

    snprintf(rel, sizeof(rel), "%s", cg);
    for (;;) {
        size_t n = strlen(rel);
        while (n > 0 && rel[n - 1] == '/')
            rel[--n] = '\0';
        long q = 0;
        if (snprintf(dir, sizeof(dir), "%s%s", base, rel) < (int)sizeof(dir))
            q = quota_of_dir(dir, v2);
        if (q > 0 && (best == 0 || q < best))
            best = q;
        char *slash = strrchr(rel, '/');
        if (n == 0)
            break;
        if (slash == NULL)
            rel[0] = '\0';
        else
            *slash = '\0';
    }
    return best;
}

int cpus_quota_at(const char *self_cgroup, const char *root)
{
    char line[CPUS_PATH_MAX], base[CPUS_PATH_MAX];
    long best = 0;
    FILE *f = fopen(self_cgroup, "r");

    if (f == NULL)
        return 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        /* "<id>:<controllers>:<path>" */
        char *c1 = strchr(line, ':'), *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
        long q = 0;
        if (c2 == NULL)
            continue;
        *c2 = '\0';
        char *path = c2 + 1;
        path[strcspn(path, "\n")] = '\0';
        const char *ctrl = c1 + 1;
        if (strncmp(line, "0:", 2) == 0 && *ctrl == '\0') { /* v2: one unified hierarchy */
            q = quota_up(root, path, 1);
        } else { /* v1: the hierarchy that has the cpu controller */
            char list[256];
            int has_cpu = 0;
            snprintf(list, sizeof(list), "%s", ctrl);
            for (char *save = NULL, *t = strtok_r(list, ",", &save); t != NULL;
                 t = strtok_r(NULL, ",", &save))
                has_cpu |= strcmp(t, "cpu") == 0;
            if (!has_cpu)
                continue;
            if (snprintf(base, sizeof(base), "%s/%s", root, ctrl) < (int)sizeof(base))
                q = quota_up(base, path, 0);
            /* mounted as cpu,cpuacct with a "cpu" link, or only as "cpu" */
            if (q == 0 && snprintf(base, sizeof(base), "%s/cpu", root) < (int)sizeof(base))
                q = quota_up(base, path, 0);
        }
        if (q > 0 && (best == 0 || q < best))
            best = q;
    }
    fclose(f);
    return (int)(best > 4096 ? 4096 : best);
}

int cpus_available(void)
{
    cpu_set_t set;
    long n = 0;
    int quota;

    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        n = CPU_COUNT(&set);
    if (n <= 0)
        n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n <= 0)
        n = 1;
    quota = cpus_quota_at("/proc/self/cgroup", "/sys/fs/cgroup");
    if (quota > 0 && quota < n)
        n = quota;
    return (int)n;
}
