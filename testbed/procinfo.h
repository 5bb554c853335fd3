/* procinfo — what /proc says about a process: start time (to tell a
 * recorded PID from a reused one), descendants, memory (PSS) and CPU time.
 * Used by the guest layer's status and teardown.
 *
 * Finding descendants or a namespace's processes means reading every
 * /proc/PID; doing that once per host made status and down O(hosts x
 * processes).  A snapshot (proc_snap_*) reads /proc once; while one is in
 * use, proc_descendants and proc_in_netns answer from it. */
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
struct proc_snap;
/* One pass over /proc: every process's PID, parent, start time and (with
 * WITH_NETNS) network namespace.  NULL if /proc cannot be read. */
struct proc_snap *proc_snap_take(int with_netns);
void proc_snap_free(struct proc_snap *s);
/* Make proc_descendants and proc_in_netns answer from S (NULL: scan /proc
 * again).  Set it before starting threads that use it; S must outlive the
 * use.  proc_in_netns still checks each candidate's namespace now, so a
 * PID reused since the snapshot is not returned; processes born after it
 * are not seen (the caller sweeps again with a new snapshot if it cares). */
void proc_snap_use(struct proc_snap *s);
/* Append every process of S whose network namespace is (DEV, INO). */
void proc_snap_in_netns(const struct proc_snap *s, dev_t dev, ino_t ino, pid_vec *out);
/* Number of processes in S. */
size_t proc_snap_count(const struct proc_snap *s);

/* PSS in bytes from /proc/PID/smaps_rollup, 0 if gone. */
uint64_t proc_pss(pid_t pid);
/* user+system CPU time in ns, 0 if gone. */
int64_t proc_cpu_ns(pid_t pid);

#endif
