/* sockdeep — see sockdeep.h. */
#include "sockdeep.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int sockdeep_unix_fd(int fd, int bytes)
{
	int type = 0, domain = 0, buf = 0;
	socklen_t l = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) < 0 ||
	    (type != SOCK_DGRAM && type != SOCK_SEQPACKET))
		return 0;
	l = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &l) < 0 || domain != AF_UNIX)
		return 0;
	l = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, &l) < 0 || buf >= bytes)
		return 0;   /* the kernel reports twice what was set: done before */
	return setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof(bytes)) == 0;
}

void sockdeep_fd(int fd, int bytes)
{
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof(bytes)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
}

int sockdeep_process(pid_t pid, int bytes)
{
	char path[64];
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -errno;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	if (!d) {
		int e = errno;
		close(pidfd);
		return -e;
	}
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char lnk[320], target[32];
		if (e->d_name[0] == '.')
			continue;
		/* only sockets are worth a pidfd_getfd */
		snprintf(lnk, sizeof(lnk), "%s/%s", path, e->d_name);
		ssize_t tl = readlink(lnk, target, sizeof(target) - 1);
		if (tl < 7 || strncmp(target, "socket:", 7) != 0)
			continue;
		int fd = (int)syscall(SYS_pidfd_getfd, pidfd, atoi(e->d_name), 0);
		if (fd < 0)
			continue;   /* closed meanwhile */
		n += sockdeep_unix_fd(fd, bytes);
		close(fd);
	}
	closedir(d);
	close(pidfd);
	return n;
}

int sockdeep_process_and_children(pid_t pid, const char *comm, int bytes)
{
	int n = sockdeep_process(pid, bytes);
	if (n < 0)
		return n;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return n;
	int child;
	while (fscanf(f, "%d", &child) == 1) {
		char cpath[64], name[32] = "";
		snprintf(cpath, sizeof(cpath), "/proc/%d/comm", child);
		FILE *c = fopen(cpath, "re");
		if (!c)
			continue;
		if (fgets(name, sizeof(name), c))
			name[strcspn(name, "\n")] = 0;
		fclose(c);
		if (strcmp(name, comm) == 0) {
			int k = sockdeep_process(child, bytes);
			if (k > 0)
				n += k;
		}
	}
	fclose(f);
	return n;
}
