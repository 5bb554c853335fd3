/* spawn — start a program with fork/exec and an argv, never a shell.
 *
 * The child is set up (fds, namespace, session, personality) and then held
 * until the parent calls spawn_release(): the parent records the PID in its
 * state directory first, so that nothing runs that is not on record.  An
 * exec failure is reported back through a close-on-exec pipe, so the caller
 * gets -errno instead of a child that silently exits 127. */
#ifndef TB_SPAWN_H
#define TB_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

struct spawn_fd { int from, to; };  /* dup2(from, to) in the child */

struct spawn_opts {
	const struct spawn_fd *fds;     /* fds to map; every other fd > 2 is closed */
	size_t n_fds;
	int netns_fd;                   /* >= 0: setns(CLONE_NEWNET) first */
	int new_pgrp;                   /* setpgid(0, 0): killable as a group */
	int new_session;                /* setsid() */
	int no_aslr;                    /* personality(ADDR_NO_RANDOMIZE) */
	int pdeathsig;                  /* signal when the parent dies, 0: none */
	char *const *envp;              /* NULL: inherit */
};

struct spawn_child {
	pid_t pid;
	int hold_fd;    /* write end of the hold pipe */
	int err_fd;     /* read end of the exec-error pipe */
};

/* Fork a held child; 0 or -errno. */
int spawn_start(const char *const argv[], const struct spawn_opts *o, struct spawn_child *c)
	__attribute__((warn_unused_result));
/* Let the child exec; returns 0, or -errno of a failed setup/exec (the
 * child has then exited and been reaped). */
int spawn_release(struct spawn_child *c) __attribute__((warn_unused_result));
/* Abort a held child (kill and reap). */
void spawn_abort(struct spawn_child *c);

#endif
