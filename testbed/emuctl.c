/* emuctl — see emuctl.h. */
#include "emuctl.h"
#include "fsutil.h"
#include "guest.h"
#include "mono.h"
#include "procinfo.h"
#include "spawn.h"
#include "unixsock.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* Path of the testbed-emu program (a new string): $TB_EMU, else beside
 * this program, else from PATH. */
static char *emu_program(void)
{
	const char *env = getenv("TB_EMU");
	return env && *env ? xstrdup(env) : fs_sibling_program("testbed-emu");
}

int emuctl_start(const char *state_dir, const char *ctl, const char *log, int netns_fd,
		 uint64_t seed, char **why)
{
	char seed_s[32];
	int ready[2] = { -1, -1 }, rc;
	struct spawn_child c;
	uint64_t st = 0;

	*why = NULL;
	snprintf(seed_s, sizeof(seed_s), "%llu", (unsigned long long)seed);
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nul < 0)
		return -errno;
	if (pipe2(ready, O_CLOEXEC) < 0) {
		rc = -errno;
		close(nul);
		return rc;
	}
	char *prog = emu_program();
	const char *argv[] = { prog, "--ctl", ctl, "--seed", seed_s,
			       "--log", log, "--ready-fd", "3", NULL };
	/* the daemon must not hold our stdout: a caller reading it to EOF
	 * would wait for as long as the testbed runs */
	struct spawn_fd fds[] = { { nul, 0 }, { nul, 1 }, { nul, 2 }, { ready[1], 3 } };
	struct spawn_opts o = { .fds = fds, .n_fds = 4, .netns_fd = netns_fd, .new_session = 1 };
	rc = spawn_start(argv, &o, &c);
	if (rc < 0) {
		*why = xasprintf("cannot start %s: %s", argv[0], strerror(-rc));
		goto out;
	}
	close(ready[1]);
	ready[1] = -1;
	if ((rc = proc_starttime(c.pid, &st)) < 0 ||
	    (rc = guest_record(state_dir, "emulator %d %llu", (int)c.pid, (unsigned long long)st)) < 0) {
		spawn_abort(&c);
		*why = xasprintf("cannot record the emulator in %s: %s", state_dir, strerror(-rc));
		goto out;
	}
	if ((rc = spawn_release(&c)) < 0) {
		*why = xasprintf("cannot run %s: %s", argv[0], strerror(-rc));
		goto out;
	}
	/* The daemon writes "ready" once its control socket listens; EOF
	 * without it means it died (its log says why). */
	struct pollfd p = { .fd = ready[0], .events = POLLIN };
	char buf[16] = "";
	int n = poll(&p, 1, 10000);
	if (n == 1)
		n = (int)read(ready[0], buf, sizeof(buf) - 1);
	if (n <= 0 || strncmp(buf, "ready", 5)) {
		rc = -EIO;
		*why = xasprintf("the emulator did not become ready (see %s)", log);
		goto out;
	}
	rc = 0;
out:
	free(prog);
	close(nul);
	if (ready[0] >= 0)
		close(ready[0]);
	if (ready[1] >= 0)
		close(ready[1]);
	return rc;
}

int emuctl_cmd(const char *ctl, const char *line, char **reply)
{
	char *buf = NULL;
	size_t len = 0;
	int fd, rc;

	*reply = NULL;
	fd = unix_connect(ctl);
	if (fd < 0)
		return fd;
	char *msg = xasprintf("%s\n", line);
	size_t off = 0, mlen = strlen(msg);
	while (off < mlen) {
		ssize_t n = write(fd, msg + off, mlen - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(msg);
			rc = -errno;
			goto out;
		}
		off += (size_t)n;
	}
	free(msg);
	shutdown(fd, SHUT_WR);
	FILE *m = open_memstream(&buf, &len);
	char chunk[4096];
	ssize_t n;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			fwrite(chunk, 1, (size_t)n, m);
	fclose(m);
	char *nl = strchr(buf, '\n');
	char *rest = nl ? nl + 1 : buf + len;
	if (!strncmp(buf, "ok", 2) && (buf[2] == '\n' || buf[2] == '\0')) {
		*reply = xstrdup(rest);
		rc = 0;
	} else if (!strncmp(buf, "error: ", 7)) {
		*reply = xstrndup(buf + 7, nl ? (size_t)(nl - buf - 7) : strlen(buf + 7));
		rc = -EINVAL;
	} else {
		*reply = xstrdup("the emulator gave no answer");
		rc = -EPROTO;
	}
out:
	free(buf);
	close(fd);
	return rc;
}
