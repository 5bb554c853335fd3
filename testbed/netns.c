/* netns — see netns.h.  Follows iproute2's lib/namespace.c and ip/ipnetns.c:
 * /run/netns is made a shared mount point so that namespaces created by one
 * mount namespace are seen by all.
 *
 * Unlike `ip netns add`, the recursive MS_SHARED on /run/netns is done once
 * per process: it walks every mount below /run/netns, so redoing it for
 * each of N namespaces made `testbed up` O(N^2) in mount-table work. */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define NETNS_DIR "/run/netns"

const char *netns_path(const char *name)
{
	static char path[PATH_MAX];
	snprintf(path, sizeof(path), NETNS_DIR "/%s", name);
	return path;
}

/* Set once /run/netns is known to be a shared mount point in this mount
 * namespace; inherited by forked children (the monitors), which share it.
 * Nothing here makes it private again, so it stays true. */
static int dir_ready;
static pthread_mutex_t dir_lock = PTHREAD_MUTEX_INITIALIZER;

static int prepare_dir(void)
{
	int rc = 0;
	pthread_mutex_lock(&dir_lock);
	if (dir_ready)
		goto out;
	if (mkdir(NETNS_DIR, 0755) < 0 && errno != EEXIST) {
		rc = -errno;
		goto out;
	}
	/* make it shared; if it is not a mount point yet, bind it on itself first */
	while (mount("", NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) < 0) {
		if (errno != EINVAL) {
			rc = -errno;
			goto out;
		}
		if (mount(NETNS_DIR, NETNS_DIR, "none", MS_BIND | MS_REC, NULL) < 0) {
			rc = -errno;
			goto out;
		}
	}
	dir_ready = 1;
out:
	pthread_mutex_unlock(&dir_lock);
	return rc;
}

int netns_add(const char *name)
{
	const char *path = netns_path(name);
	int rc, fd, self;

	rc = prepare_dir();
	if (rc < 0)
		return rc;
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	close(fd);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		rc = -errno;
		goto fail;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		rc = -errno;
		close(self);
		goto fail;
	}
	rc = mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) < 0 ? -errno : 0;
	if (setns(self, CLONE_NEWNET) < 0 && rc == 0)
		rc = -errno;
	close(self);
	if (rc == 0)
		return 0;
fail:
	umount2(path, MNT_DETACH);
	unlink(path);
	return rc;
}

int netns_del(const char *name)
{
	const char *path = netns_path(name);
	umount2(path, MNT_DETACH);
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int netns_open(const char *name)
{
	int fd = open(netns_path(name), O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int netns_sysctl(const char *name, const char *key, const char *value)
{
	char path[PATH_MAX];
	int self, target, fd, rc = 0;
	size_t len = strlen(value);

	if (snprintf(path, sizeof(path), "/proc/sys/net/%s", key) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	target = netns_open(name);
	if (target < 0) {
		close(self);
		return target;
	}
	/* setns changes only this thread; /proc/sys/net shows the namespace
	 * of the thread that opens the file */
	if (setns(target, CLONE_NEWNET) < 0) {
		rc = -errno;
		goto out;
	}
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		rc = -errno;
	else {
		if (write(fd, value, len) != (ssize_t)len)
			rc = -EIO;
		close(fd);
	}
	if (setns(self, CLONE_NEWNET) < 0 && rc == 0)
		rc = -errno;
out:
	close(target);
	close(self);
	return rc;
}
