/* fsutil — see fsutil.h. */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xalloc.h"

int fs_copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = 0;
	char buf[65536];
	ssize_t n;
	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		rc = -errno;
		close(in);
		return rc;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && write(out, buf, (size_t)n) != n) {
			rc = -EIO;
			break;
		}
	if (n < 0 && !rc)
		rc = -errno;
	close(in);
	if (close(out) < 0 && !rc)
		rc = -errno;
	return rc;
}

char *fs_self_exe(const char *fallback)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n <= 0)
		return xstrdup(fallback);
	buf[n] = '\0';
	return xstrdup(buf);
}

char *fs_sibling_program(const char *name)
{
	char *self = fs_self_exe(""), *slash = strrchr(self, '/');
	if (strchr(name, '/') || !slash) {
		free(self);
		return xstrdup(name);
	}
	*slash = '\0';
	char *full = xasprintf("%s/%s", self, name);
	free(self);
	if (access(full, X_OK) == 0)
		return full;
	free(full);
	return xstrdup(name);
}

char *fs_build_path(const char *rel)
{
	char *self = fs_self_exe(""), *slash = strrchr(self, '/');
	char *full = NULL;
	if (slash) {
		*slash = '\0';                          /* BUILD/bin */
		slash = strrchr(self, '/');
		if (slash)
			*slash = '\0';                  /* BUILD */
		full = xasprintf("%s/%s", slash ? self : ".", rel);
	}
	free(self);
	return full;
}

char *fs_build_file(const char *rel)
{
	char *full = fs_build_path(rel);
	if (full && access(full, R_OK) < 0) {
		free(full);
		full = NULL;
	}
	return full;
}
