/* cpus: how many CPUs this process may actually use, for the defaults that
 * scale with cores (WORKER_THREADS).
 *
 * sysconf(_SC_NPROCESSORS_ONLN) counts the node's CPUs: a pod limited to one
 * CPU on a 32-core node would start 64 workers (and as many PostgreSQL
 * connections). cpus_available() is the affinity mask's count, bounded by
 * the CPU quota of the process's cgroup and of every cgroup above it —
 * cgroup v2 cpu.max ("<quota> <period>" or "max <period>"), or cgroup v1
 * cpu.cfs_quota_us / cpu.cfs_period_us — rounded up (a limit of 1.5 CPUs
 * counts as 2). At least 1.
 */
#ifndef VALOR_CPUS_H
#define VALOR_CPUS_H

/* For this process: /proc/self/cgroup under /sys/fs/cgroup. */
int cpus_available(void);

/* The CPU quota in whole CPUs (rounded up) found for the cgroups listed in
 * `self_cgroup` (a /proc/<pid>/cgroup file) under the hierarchy mounted at
 * `root`; 0 when no quota applies. For tests, and for cpus_available(). */
int cpus_quota_at(const char *self_cgroup, const char *root);

#endif
