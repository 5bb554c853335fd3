/* netns — named network namespaces, as `ip netns` makes them
 * (/run/netns/NAME bind mounts), without running `ip`. */
#ifndef TB_NETNS_H
#define TB_NETNS_H

/* Path of a named namespace: "/run/netns/NAME" (static buffer). */
const char *netns_path(const char *name);
/* Create NAME; -EEXIST if it exists. The caller stays in its namespace. */
int netns_add(const char *name) __attribute__((warn_unused_result));
/* Remove NAME (lazy unmount + unlink); 0 if it did not exist. */
int netns_del(const char *name);
/* Open NAME for setns(); fd or -errno. */
int netns_open(const char *name);
/* Write VALUE to /proc/sys/net/KEY as seen inside NAME (e.g. KEY
 * "ipv6/conf/default/addr_gen_mode"); the calling thread enters NAME and
 * comes back.  0 or -errno. */
int netns_sysctl(const char *name, const char *key, const char *value)
	__attribute__((warn_unused_result));

/* net.unix.max_dgram_qlen of the namespaces the testbed makes (a sysctl
 * per namespace, taken by each socket when it is made): frames queued per
 * Unix datagram socket, i.e. per hop between plug, switch and wire.  The
 * kernel's default is 10. */
#define NETNS_UNIX_QLEN "256"

#endif
