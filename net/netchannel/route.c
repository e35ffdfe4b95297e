// SPDX-License-Identifier: GPL-2.0
/*
 * The egress device a packet would be routed to, for rules that match on
 * it (oif).  Looked up only when some rule asks, and only for packets that
 * reach the rule table (new flows), never for flows a consumer knows.
 */
#include <net/ip_fib.h>
#include <net/ip6_route.h>

#include "nc.h"

static u32 nc_route_oif4(struct sk_buff *skb, const struct nc_pkt *pkt)
{
	struct flowi4 fl4 = {
		.daddr = pkt->key.dst.ip,
		.saddr = pkt->key.src.ip,
		.flowi4_iif = skb->dev->ifindex,
		.flowi4_mark = skb->mark,
		.flowi4_proto = pkt->key.proto,
	};
	struct fib_result res;

	if (fib_lookup(dev_net(skb->dev), &fl4, &res, 0) ||
	    res.type != RTN_UNICAST)
		return 0;
	return FIB_RES_DEV(res)->ifindex;
}

static u32 nc_route_oif6(struct sk_buff *skb, const struct nc_pkt *pkt)
{
	struct flowi6 fl6 = {
		.daddr = pkt->key.dst.in6,
		.saddr = pkt->key.src.in6,
		.flowi6_iif = skb->dev->ifindex,
		.flowi6_mark = skb->mark,
		.flowi6_proto = pkt->key.proto,
	};
	struct dst_entry *dst;
	u32 oif = 0;

	dst = ip6_route_input_lookup(dev_net(skb->dev), skb->dev, &fl6, skb,
				     RT6_LOOKUP_F_HAS_SADDR);
	if (!dst->error && dst->dev && !(dst->dev->flags & IFF_LOOPBACK))
		oif = dst->dev->ifindex;
	dst_release(dst);
	return oif;
}

/* Context: RCU read side (the receive path). */
u32 nc_route_oif(struct sk_buff *skb, const struct nc_pkt *pkt)
{
	return pkt->key.family == AF_INET ? nc_route_oif4(skb, pkt) :
					    nc_route_oif6(skb, pkt);
}
