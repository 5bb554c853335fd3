/* experiment — see experiment.h. */
#include "experiment.h"
#include "plan_hostcfg.h"
#include "spawn.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char *experiment_data_dir(const char *state)
{
	return xasprintf("%s/data", state);
}

char *experiment_program(const char *name)
{
	char self[4096];
	ssize_t n;
	if (strchr(name, '/') || (n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0)
		return xstrdup(name);
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return xstrdup(name);
	*slash = '\0';
	char *full = xasprintf("%s/%s", self, name);
	if (access(full, X_OK) == 0)
		return full;
	free(full);
	return xstrdup(name);
}

int experiment_prepare(const struct plan *p, const char *state, char **why)
{
	char *data = experiment_data_dir(state);
	int rc = 0;
	/* 0755: guests' programs (root in a guest, but not always on the
	 * machine's side of hostfs) read it */
	if (mkdir(data, 0755) < 0 && errno != EEXIST) {
		*why = xasprintf("cannot create %s: %s", data, strerror(errno));
		free(data);
		return -1;
	}
	const struct plan_argv *pre = &p->experiment.prepare;
	if (!p->experiment.set || pre->argc == 0) {
		free(data);
		return 0;
	}
	VEC(char *) argv = { 0 };
	VEC_PUSH(argv, experiment_program(pre->argv[0]));
	for (size_t i = 1; i < pre->argc; i++)
		VEC_PUSH(argv, plan_expand_data(pre->argv[i], data));
	VEC_PUSH(argv, NULL);

	char *logp = xasprintf("%s/prepare.log", state);
	int log = open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	struct spawn_fd fds[] = { { nul, 0 }, { log, 1 }, { log, 2 } };
	struct spawn_opts so = { .fds = fds, .n_fds = 3, .netns_fd = -1, .pdeathsig = SIGKILL };
	struct spawn_child c;
	if (log < 0 || nul < 0) {
		*why = xasprintf("cannot open %s: %s", logp, strerror(errno));
		rc = -1;
	} else if ((rc = spawn_start((const char *const *)argv.v, &so, &c)) < 0 ||
		   (rc = spawn_release(&c)) < 0) {
		*why = xasprintf("prepare: cannot run %s: %s", argv.v[0], strerror(-rc));
		rc = -1;
	} else {
		int st;
		while (waitpid(c.pid, &st, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			*why = xasprintf("prepare: %s %s %d; its output is in %s", argv.v[0],
					 WIFEXITED(st) ? "exited with status" : "was killed by signal",
					 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), logp);
			rc = -1;
		}
	}
	if (log >= 0)
		close(log);
	if (nul >= 0)
		close(nul);
	for (size_t i = 0; i < argv.n; i++)
		free(argv.v[i]);
	VEC_FREE(argv);
	free(logp);
	free(data);
	return rc;
}
