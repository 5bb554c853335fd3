/* experiment — see experiment.h. */
#include "experiment.h"
#include "fsutil.h"
#include "plan_hostcfg.h"
#include "spawn.h"
#include "xalloc.h"

#include <dirent.h>
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

char *experiment_data_archive(const char *state)
{
	return xasprintf("%s/data.cpio", state);
}

/* newc: a 110-byte ASCII header, the name with its NUL, padding to 4
 * bytes, the data, padding to 4 bytes; "TRAILER!!!" ends the archive. */
static int cpio_entry(FILE *out, const char *name, mode_t mode, const char *file, size_t size,
		      unsigned ino)
{
	static const char zeros[4];
	size_t nl = strlen(name) + 1;
	fprintf(out, "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X", ino,
		(unsigned)mode, 0u, 0u, 1u, 0u, size, 0u, 0u, 0u, 0u, nl, 0u);
	fwrite(name, 1, nl, out);
	fwrite(zeros, 1, (4 - (110 + nl) % 4) % 4, out);
	if (file) {
		FILE *in = fopen(file, "re");
		char buf[65536];
		size_t n, total = 0;
		if (!in)
			return -errno;
		while ((n = fread(buf, 1, sizeof(buf), in)) > 0 && total < size) {
			if (n > size - total)
				n = size - total;
			fwrite(buf, 1, n, out);
			total += n;
		}
		fclose(in);
		if (total != size)
			return -EIO;   /* the file changed while we read it */
		fwrite(zeros, 1, (4 - size % 4) % 4, out);
	}
	return ferror(out) ? -EIO : 0;
}

static int cpio_tree(FILE *out, const char *root, const char *rel, unsigned *ino)
{
	char *path = *rel ? xasprintf("%s/%s", root, rel) : xstrdup(root);
	DIR *d = opendir(path);
	struct dirent *e;
	int rc = 0;
	if (!d) {
		rc = -errno;
		free(path);
		return rc;
	}
	while (rc == 0 && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *r = *rel ? xasprintf("%s/%s", rel, e->d_name) : xstrdup(e->d_name);
		char *f = xasprintf("%s/%s", root, r);
		struct stat st;
		if (lstat(f, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				rc = cpio_entry(out, r, S_IFDIR | 0755, NULL, 0, ++*ino);
				if (rc == 0)
					rc = cpio_tree(out, root, r, ino);
			} else if (S_ISREG(st.st_mode)) {
				rc = cpio_entry(out, r, S_IFREG | (st.st_mode & 0777), f, (size_t)st.st_size, ++*ino);
			}
		}
		free(r);
		free(f);
	}
	closedir(d);
	free(path);
	return rc;
}

int experiment_write_cpio(const char *dir, const char *path)
{
	char *tmp = xasprintf("%s.tmp", path);
	FILE *out = fopen(tmp, "we");
	unsigned ino = 0;
	int rc;
	if (!out) {
		rc = -errno;
		free(tmp);
		return rc;
	}
	rc = cpio_tree(out, dir, "", &ino);
	if (rc == 0)
		rc = cpio_entry(out, "TRAILER!!!", 0, NULL, 0, 0);
	if (fclose(out) && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* QEMU guests get a copy of the data directory as it is after prepare. */
static int data_for_qemu(const struct plan *p, const char *state, char **why)
{
	int any = 0;
	for (size_t h = 0; h < p->n_hosts; h++)
		any |= p->hosts[h].kind == PLAN_KIND_QEMU;
	if (!any)
		return 0;
	char *data = experiment_data_dir(state), *arch = experiment_data_archive(state);
	int rc = experiment_write_cpio(data, arch);
	if (rc < 0)
		*why = xasprintf("cannot write %s: %s", arch, strerror(-rc));
	free(data);
	free(arch);
	return rc < 0 ? -1 : 0;
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
		return data_for_qemu(p, state, why);
	}
	VEC(char *) argv = { 0 };
	VEC_PUSH(argv, fs_sibling_program(pre->argv[0]));
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
	return rc < 0 ? rc : data_for_qemu(p, state, why);
}
