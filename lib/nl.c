/* nl — see nl.h. */
#include "nl.h"

#include <errno.h>
#include <string.h>
#include <linux/if_addr.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <sys/socket.h>

static int nlerr(int e)
{
	/* libnl returns its own codes: map the ones that matter */
	switch (-e) {
	case NLE_EXIST:     return -EEXIST;
	case NLE_NOMEM:     return -ENOMEM;
	case NLE_PERM:      return -EPERM;
	case NLE_NODEV:     return -ENODEV;
	case NLE_INVAL:     return -EINVAL;
	case NLE_AF_NOSUPPORT: return -EAFNOSUPPORT;
	case NLE_NOADDR:    return -EADDRNOTAVAIL;
	default:            return -EIO;
	}
}

int tbnl_open(struct nl_sock **skp)
{
	struct nl_sock *sk = nl_socket_alloc();
	int rc;
	if (!sk)
		return -ENOMEM;
	rc = nl_connect(sk, NETLINK_ROUTE);
	if (rc < 0) {
		nl_socket_free(sk);
		return nlerr(rc);
	}
	*skp = sk;
	return 0;
}

void tbnl_close(struct nl_sock *sk)
{
	if (sk)
		nl_socket_free(sk);
}

int tbnl_ifindex(struct nl_sock *sk, const char *dev)
{
	struct rtnl_link *link = NULL;
	int rc = rtnl_link_get_kernel(sk, 0, dev, &link);
	if (rc < 0)
		return -ENODEV;
	rc = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	return rc;
}

int tbnl_link_up(struct nl_sock *sk, const char *dev, unsigned txqlen)
{
	struct rtnl_link *link = NULL, *change = NULL;
	int rc = rtnl_link_get_kernel(sk, 0, dev, &link);
	if (rc < 0)
		return -ENODEV;
	change = rtnl_link_alloc();
	if (!change) {
		rc = -ENOMEM;
		goto out;
	}
	rtnl_link_set_flags(change, IFF_UP);
	if (txqlen)
		rtnl_link_set_txqlen(change, txqlen);
	rc = rtnl_link_change(sk, link, change, 0);
	rc = rc < 0 ? nlerr(rc) : 0;
out:
	rtnl_link_put(change);
	rtnl_link_put(link);
	return rc;
}

int tbnl_addr_add(struct nl_sock *sk, const char *dev, const char *cidr)
{
	struct nl_addr *local = NULL;
	struct rtnl_addr *addr = NULL;
	int ifindex, rc;

	ifindex = tbnl_ifindex(sk, dev);
	if (ifindex < 0)
		return ifindex;
	rc = nl_addr_parse(cidr, AF_UNSPEC, &local);
	if (rc < 0)
		return -EINVAL;
	addr = rtnl_addr_alloc();
	if (!addr) {
		rc = -ENOMEM;
		goto out;
	}
	rtnl_addr_set_ifindex(addr, ifindex);
	rtnl_addr_set_family(addr, nl_addr_get_family(local));
	rtnl_addr_set_prefixlen(addr, nl_addr_get_prefixlen(local));
	rc = rtnl_addr_set_local(addr, local);
	if (rc < 0) {
		rc = nlerr(rc);
		goto out;
	}
	if (nl_addr_get_family(local) == AF_INET6)
		rtnl_addr_set_flags(addr, IFA_F_NODAD);
	rc = rtnl_addr_add(sk, addr, 0);
	rc = rc < 0 ? nlerr(rc) : 0;
out:
	rtnl_addr_put(addr);
	nl_addr_put(local);
	return rc;
}

int tbnl_route_add(struct nl_sock *sk, const char *dest, const char *gw)
{
	struct nl_addr *dst = NULL, *via = NULL;
	struct rtnl_route *route = NULL;
	struct rtnl_nexthop *nh = NULL;
	int rc, family;

	rc = nl_addr_parse(gw, AF_UNSPEC, &via);
	if (rc < 0)
		return -EINVAL;
	family = nl_addr_get_family(via);
	rc = nl_addr_parse(strcmp(dest, "default") ? dest : (family == AF_INET6 ? "::/0" : "0.0.0.0/0"),
			   family, &dst);
	if (rc < 0) {
		rc = -EINVAL;
		goto out;
	}
	route = rtnl_route_alloc();
	nh = rtnl_route_nh_alloc();
	if (!route || !nh) {
		rc = -ENOMEM;
		goto out;
	}
	rtnl_route_set_family(route, family);
	rc = rtnl_route_set_dst(route, dst);
	if (rc < 0) {
		rc = nlerr(rc);
		goto out;
	}
	rtnl_route_nh_set_gateway(nh, via);
	rtnl_route_add_nexthop(route, nh);
	nh = NULL;           /* owned by the route now */
	rc = rtnl_route_add(sk, route, 0);
	rc = rc < 0 ? nlerr(rc) : 0;
out:
	if (nh)
		rtnl_route_nh_free(nh);
	rtnl_route_put(route);
	nl_addr_put(dst);
	nl_addr_put(via);
	return rc;
}
