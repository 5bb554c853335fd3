/* netns — see netns.h.  Follows iproute2's lib/namespace.c and ip/ipnetns.c:
 * /run/netns is made a shared mount point so that namespaces created by one
 * mount namespace are seen by all. */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
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

static int prepare_dir(void)
{
	if (mkdir(NETNS_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	/* make it shared; if it is not a mount point yet, bind it on itself first */
	while (mount("", NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) < 0) {
		if (errno != EINVAL)
			return -errno;
		if (mount(NETNS_DIR, NETNS_DIR, "none", MS_BIND | MS_REC, NULL) < 0)
			return -errno;
	}
	return 0;
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
