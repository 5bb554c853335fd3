/* segcapture — see segcapture.h. */
#include "segcapture.h"
#include "experiment.h"
#include "fsutil.h"
#include "guest.h"
#include "mono.h"
#include "procinfo.h"
#include "spawn.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *segcapture_dir(const char *state) { return xasprintf("%s/capture", state); }

/* Has the capture said that it is plugged in (its log's first line)? */
static int plugged_in(const char *logp)
{
	char buf[512] = "";
	FILE *f = fopen(logp, "re");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, "capturing on segment") != NULL;
}

static int start_one(const char *self, const struct plan *p, const char *seg, const char *dir,
		     const char *state, char **why)
{
	char *pcap = xasprintf("%s/%s.pcap", dir, seg), *logp = xasprintf("%s/%s.log", dir, seg);
	const char *argv[] = { self, "capture", p->name, seg, "-w", pcap, NULL };
	int log = open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int nul = open("/dev/null", O_RDONLY | O_CLOEXEC), rc = -1;
	struct spawn_fd fds[] = { { nul, 0 }, { log, 1 }, { log, 2 } };
	struct spawn_opts so = { .fds = fds, .n_fds = 3, .netns_fd = -1, .new_session = 1 };
	struct spawn_child c;
	uint64_t st = 0;
	int e;

	if (log < 0 || nul < 0) {
		*why = xasprintf("cannot write %s: %s", logp, strerror(errno));
		goto out;
	}
	if ((e = spawn_start(argv, &so, &c)) < 0) {
		*why = xasprintf("cannot start the capture of segment %s: %s", seg, strerror(-e));
		goto out;
	}
	if ((e = proc_starttime(c.pid, &st)) < 0 ||
	    (e = guest_record(state, "capture %d %llu", (int)c.pid, (unsigned long long)st)) < 0) {
		spawn_abort(&c);
		*why = xasprintf("cannot record the capture of segment %s: %s", seg, strerror(-e));
		goto out;
	}
	if ((e = spawn_release(&c)) < 0) {
		*why = xasprintf("cannot run the capture of segment %s: %s", seg, strerror(-e));
		goto out;
	}
	/* guests start only once it sees the segment: nothing is missed */
	mono_ns deadline = mono_now() + 10 * NS_PER_SEC;
	while (!plugged_in(logp)) {
		if (!proc_alive(c.pid, st) || mono_now() > deadline) {
			*why = xasprintf("the capture of segment %s did not start (see %s)", seg, logp);
			goto out;
		}
		usleep(5000);
	}
	rc = 0;
out:
	if (log >= 0)
		close(log);
	if (nul >= 0)
		close(nul);
	free(pcap);
	free(logp);
	return rc;
}

int segcapture_start(const struct plan *p, const char *state, char **why)
{
	char *self = fs_self_exe("testbed"), *dir = NULL;
	int rc = 0;
	for (size_t s = 0; rc == 0 && s < p->n_segments; s++) {
		if (!p->segments[s].capture)
			continue;
		if (!dir) {
			dir = segcapture_dir(state);
			if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
				*why = xasprintf("cannot create %s: %s", dir, strerror(errno));
				rc = -1;
				break;
			}
		}
		rc = start_one(self, p, p->segments[s].name, dir, state, why);
	}
	free(dir);
	free(self);
	return rc;
}
