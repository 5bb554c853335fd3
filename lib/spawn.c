/* spawn — see spawn.h. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

extern char **environ;

static void close_others(const struct spawn_opts *o, int keep1, int keep2)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int dfd = d ? dirfd(d) : -1;
	if (!d)
		return;
	while ((e = readdir(d))) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		if (*end || e->d_name[0] == '.' || fd <= 2 || fd == dfd || fd == keep1 || fd == keep2)
			continue;
		int keep = 0;
		for (size_t i = 0; i < o->n_fds; i++)
			if (o->fds[i].to == fd)
				keep = 1;
		if (!keep)
			close((int)fd);
	}
	closedir(d);
}

static void child(const char *const argv[], const struct spawn_opts *o, int hold, int err)
{
	int e = 0;
	char c;

	if (o->pdeathsig)
		prctl(PR_SET_PDEATHSIG, o->pdeathsig);
	if (o->new_session && setsid() < 0)
		goto fail;
	if (!o->new_session && o->new_pgrp && setpgid(0, 0) < 0)
		goto fail;
	if (o->netns_fd >= 0 && setns(o->netns_fd, CLONE_NEWNET) < 0)
		goto fail;
	if (o->no_aslr && personality(ADDR_NO_RANDOMIZE) < 0)
		goto fail;
	/* move our own pipes and the sources above every target first, so
	 * that neither a mapping {3->4, 4->3} nor a target that happens to be
	 * the number of a hold or error pipe clobbers anything */
	int above = 100;
	for (size_t i = 0; i < o->n_fds; i++)
		if (o->fds[i].to >= above)
			above = o->fds[i].to + 1;
	if ((hold = fcntl(hold, F_DUPFD_CLOEXEC, above)) < 0 ||
	    (err = fcntl(err, F_DUPFD_CLOEXEC, above)) < 0)
		_exit(127);
	int *tmp = calloc(o->n_fds + 1, sizeof(int));
	for (size_t i = 0; i < o->n_fds; i++) {
		tmp[i] = fcntl(o->fds[i].from, F_DUPFD_CLOEXEC, above);
		if (tmp[i] < 0)
			goto fail;
	}
	for (size_t i = 0; i < o->n_fds; i++)
		if (dup2(tmp[i], o->fds[i].to) < 0)
			goto fail;
	close_others(o, hold, err);
	/* held until the parent has recorded our PID */
	while (read(hold, &c, 1) < 0 && errno == EINTR)
		;
	close(hold);
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (int s = 1; s < 32; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	execvpe(argv[0], (char *const *)argv, o->envp ? o->envp : environ);
fail:
	e = errno;
	while (write(err, &e, sizeof(e)) < 0 && errno == EINTR)
		;
	_exit(127);
}

int spawn_start(const char *const argv[], const struct spawn_opts *o, struct spawn_child *c)
{
	int hold[2], err[2];
	pid_t pid;

	if (pipe2(hold, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(err, O_CLOEXEC) < 0) {
		int e = -errno;
		close(hold[0]);
		close(hold[1]);
		return e;
	}
	pid = fork();
	if (pid < 0) {
		int e = -errno;
		close(hold[0]); close(hold[1]); close(err[0]); close(err[1]);
		return e;
	}
	if (pid == 0) {
		close(hold[1]);
		close(err[0]);
		child(argv, o, hold[0], err[1]);
	}
	close(hold[0]);
	close(err[1]);
	c->pid = pid;
	c->hold_fd = hold[1];
	c->err_fd = err[0];
	return 0;
}

int spawn_release(struct spawn_child *c)
{
	int e = 0;
	ssize_t n;

	close(c->hold_fd);      /* EOF releases the child */
	c->hold_fd = -1;
	do
		n = read(c->err_fd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(c->err_fd);
	c->err_fd = -1;
	if (n == (ssize_t)sizeof(e)) {
		waitpid(c->pid, NULL, 0);
		return -e;
	}
	return 0;
}

void spawn_abort(struct spawn_child *c)
{
	kill(c->pid, SIGKILL);
	if (c->hold_fd >= 0)
		close(c->hold_fd);
	if (c->err_fd >= 0)
		close(c->err_fd);
	waitpid(c->pid, NULL, 0);
}
