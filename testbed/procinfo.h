/* procinfo — what /proc says about a process: start time (to tell a
 * recorded PID from a reused one), descendants, memory (PSS) and CPU time.
 * Used by the guest layer's status and teardown. */
#ifndef TB_PROCINFO_H
#define TB_PROCINFO_H

#include "xalloc.h"

#include <stdint.h>
#include <sys/types.h>

typedef VEC(pid_t) pid_vec;

/* Start time in clock ticks since boot (field 22 of /proc/PID/stat); -ESRCH. */
int proc_starttime(pid_t pid, uint64_t *start) __attribute__((warn_unused_result));
/* 1 if PID runs (not a zombie) and started at START (0: any start). */
int proc_alive(pid_t pid, uint64_t start);
/* Append PID's descendants (not PID itself) to OUT. */
void proc_descendants(pid_t pid, pid_vec *out);
/* Append every process whose network namespace is the one of file NSPATH. */
void proc_in_netns(const char *nspath, pid_vec *out);
/* PSS in bytes from /proc/PID/smaps_rollup, 0 if gone. */
uint64_t proc_pss(pid_t pid);
/* user+system CPU time in ns, 0 if gone. */
int64_t proc_cpu_ns(pid_t pid);

#endif
