/* nl — the netlink operations a host's network needs, through libnl:
 * links up, addresses, routes.  Used by tbinit inside guests and netns
 * hosts (it acts on the caller's network namespace).  0 or -errno. */
#ifndef TB_NL_H
#define TB_NL_H

struct nl_sock;

int tbnl_open(struct nl_sock **sk) __attribute__((warn_unused_result));
void tbnl_close(struct nl_sock *sk);
/* ifindex of DEV, or -ENODEV. */
int tbnl_ifindex(struct nl_sock *sk, const char *dev);
/* DEV up; with TXQLEN > 0 its transmit queue holds that many frames. */
int tbnl_link_up(struct nl_sock *sk, const char *dev, unsigned txqlen) __attribute__((warn_unused_result));
/* CIDR "10.0.0.1/24" or "fd00::1/64"; IPv6 addresses skip duplicate address
 * detection so that they are usable at once (READY means reachable). */
int tbnl_addr_add(struct nl_sock *sk, const char *dev, const char *cidr) __attribute__((warn_unused_result));
/* DEST "10.1.0.0/16", "fd00:1::/64" or "default" (family from GW). */
int tbnl_route_add(struct nl_sock *sk, const char *dest, const char *gw) __attribute__((warn_unused_result));

#endif
