/* metrics_process: readings of /proc for the Prometheus process collector. */
#include "metrics_process.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Reads a small /proc file into buf (NUL-terminated); 0 on success. */
static int read_proc(const char *path, char *buf, size_t len)
{
    FILE *fp = fopen(path, "re");
    if (fp == NULL)
        return -1;
    size_t n = fread(buf, 1, len - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    return n > 0 ? 0 : -1;
}

static double boot_time(void)
{
    char buf[16384];
    if (read_proc("/proc/stat", buf, sizeof(buf)) != 0)
        return NAN;
    const char *p = strstr(buf, "\nbtime ");
    return p ? strtod(p + 7, NULL) : NAN;
}

/* The n-th (0-based) blank-separated unsigned field of s; 0 on success. */
static int field_u64(const char *s, int n, unsigned long long *out)
{
    const char *p = s;
    for (int i = 0; i < n && p != NULL; i++) {
        p = strchr(p, ' ');
        if (p != NULL)
            p++;
    }
    if (p == NULL || *p < '0' || *p > '9')
        return -1;
    char *end = NULL;
    errno = 0;
    *out = strtoull(p, &end, 10);
    return (errno == 0 && end != p && (*end == ' ' || *end == '\n' || *end == '\0')) ? 0 : -1;
}

static double read_rss(void)
{
    char buf[256];
    unsigned long long resident = 0;
    long page = sysconf(_SC_PAGESIZE);
    /* statm: size resident shared text lib data dt (pages) */
    if (read_proc("/proc/self/statm", buf, sizeof(buf)) != 0 || page <= 0 ||
        field_u64(buf, 1, &resident) != 0)
        return NAN;
    return (double)resident * (double)page;
}

static void read_stat(double *cpu, double *start)
{
    char buf[2048];
    unsigned long long utime = 0, stime = 0, starttime = 0;
    long ticks = sysconf(_SC_CLK_TCK);
    *cpu = *start = NAN;
    if (ticks <= 0 || read_proc("/proc/self/stat", buf, sizeof(buf)) != 0)
        return;
    /* comm may hold spaces and ')': count fields after the last ')'. From
     * there, field 0 is state(3), so utime(14) is 11, stime(15) 12 and
     * starttime(22) 19. */
    const char *p = strrchr(buf, ')');
    if (p == NULL || p[1] != ' ' || field_u64(p + 2, 11, &utime) != 0 ||
        field_u64(p + 2, 12, &stime) != 0 || field_u64(p + 2, 19, &starttime) != 0)
        return;
    *cpu = (double)(utime + stime) / (double)ticks;
    *start = boot_time() + (double)starttime / (double)ticks;
}

static double count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return NAN;
    long n = 0;
    int self = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strtol(e->d_name, NULL, 10) == self)
            continue; /* not ".", "..", nor the fd of this listing */
        n++;
    }
    closedir(d);
    return (double)n;
}

void metrics_process_read(struct metrics_process_sample *out)
{
    out->resident_memory_bytes = read_rss();
    read_stat(&out->cpu_seconds_total, &out->start_time_seconds);
    out->open_fds = count_fds();
}
