/* metrics_process: private to metrics.c — the process collector's readings. */
#ifndef VALOR_METRICS_PROCESS_H
#define VALOR_METRICS_PROCESS_H

struct metrics_process_sample {
    double resident_memory_bytes; /* /proc/self/statm; NaN when unreadable */
    double cpu_seconds_total;     /* utime + stime from /proc/self/stat */
    double open_fds;              /* entries of /proc/self/fd */
    double start_time_seconds;    /* btime (/proc/stat) + starttime */
};

/* Fills every field; a value that cannot be read is NaN. */
void metrics_process_read(struct metrics_process_sample *out);

#endif
