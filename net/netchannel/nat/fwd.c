// SPDX-License-Identifier: GPL-2.0
/*
 * Fast forwarding: a translated packet leaves through a route cached per
 * flow and direction, with its TTL decremented, through the neighbour
 * layer, and never enters the IP stack.  Packets that netmap translates
 * without a flow leave the same way by a route looked up per packet.
 * A packet the route says is forwarded but cannot be gets the ICMP error
 * ip_forward() would send, about the packet as it arrived, and is dropped:
 *  - TTL <= 1 (time exceeded);
 *  - DF set and too big for the egress MTU (fragmentation needed).
 * Too big without DF: translated, then fragmented here.  GSO packets are
 * measured by their segments, and segmented here when those need
 * fragments.  What has no route the fast path takes (local, broadcast,
 * unroutable) is translated and left to the stack.  IPsec policies apply
 * as ip_forward() applies them (xfrm.c): a packet one refuses is dropped
 * (xfrm-policy), and one an output policy transforms leaves through its
 * bundle by dst_output(), whole (the bundle's MTU decides, and its outer
 * packet is what gets fragmented).
 */
#include <linux/icmp.h>
#include <linux/if_vlan.h>
#include <linux/ip.h>
#include <net/dst.h>
#include <net/icmp.h>
#include <net/ip.h>
#include <net/neighbour.h>
#include <net/route.h>

#include "../compat.h"
#include "nat.h"

void nc_nat_way_release(struct nc_nat_way *way)
{
	struct dst_entry *dst = rcu_dereference_protected(way->dst, true);

	if (dst)
		dst_release(dst);
}

/*
 * Keep @dst (a route set on a packet without a reference) as the route of
 * one direction.  Racing CPUs may both store one; the last stays, the
 * other is released after a grace period by dst_release().
 * Context: RCU read side.
 */
void nc_nat_way_cache(struct nc_nat_way *way, struct dst_entry *dst)
{
	struct dst_entry *old;

	if (!dst_hold_safe(dst))
		return;
	old = unrcu_pointer(xchg(&way->dst, RCU_INITIALIZER(dst)));
	if (old)
		dst_release(old);
}

/*
 * The route of one direction of a flow towards @daddr: the cached one,
 * or, when there is none or routing changed (the cached entry then fails
 * dst_check()), the one the stack gives this packet (nc_nat_input_route())
 * if @find.
 * Context: RCU read side.
 */
static struct dst_entry *nc_nat_way_dst(struct nc_nat_way *way,
					struct sk_buff *skb, __be32 daddr,
					bool find)
{
	struct dst_entry *dst = rcu_dereference(way->dst);

	if (dst && (!dst->obsolete || dst_check(dst, 0)))
		return dst;
	/*
	 * Only a packet of the flow itself finds the route again: an ICMP
	 * error's source is another host's, and its route no flow's.
	 */
	if (!find)
		return NULL;
	dst = nc_nat_input_route(skb, ip_hdr(skb)->saddr, daddr);
	if (IS_ERR_OR_NULL(dst))
		return NULL;
	nc_nat_way_cache(way, dst);
	return dst;
}

/*
 * Out through the route's neighbour, as ip_finish_output2() does: its
 * cached hardware header when the neighbour is resolved, else resolution
 * with the packet queued.  Headroom is made for the egress device's link
 * header (the ingress one may have been shorter).
 */
static int nc_nat_xmit(struct net *net, struct sock *sk, struct sk_buff *skb)
{
	struct rtable *rt = skb_rtable(skb);
	struct net_device *dev = rt->dst.dev;
	unsigned int hh_len = LL_RESERVED_SPACE(dev);
	struct neighbour *neigh;
	bool is_v6gw = false;

	if (unlikely(skb_headroom(skb) < hh_len && dev->header_ops)) {
		skb = skb_expand_head(skb, hh_len);
		if (!skb)
			return -ENOMEM;
	}
	neigh = ip_neigh_for_gw(rt, skb, &is_v6gw);
	if (IS_ERR(neigh)) {
		kfree_skb(skb);
		return PTR_ERR(neigh);
	}
	return neigh_output(neigh, skb, is_v6gw);
}

/*
 * The MTU a forwarded packet is held to, as ip_forward() and the
 * fragmenter it hands to compute it (learned path MTUs only count with
 * ip_forward_use_pmtu): deciding by one and fragmenting by another sent
 * "fragmentation needed" for packets the stack would have forwarded.
 */
static unsigned int nc_nat_mtu(const struct dst_entry *dst)
{
	return ip_dst_mtu_maybe_forward(dst, true);
}

static bool nc_nat_too_big(const struct sk_buff *skb,
			   const struct nc_pkt *pkt, unsigned int mtu)
{
	if (pkt->l3len <= mtu)
		return false;
	return !skb_is_gso(skb) || !skb_gso_validate_network_len(skb, mtu);
}

/*
 * Out in pieces of at most @mtu bytes.  A GSO packet (received from a
 * guest with TSO, or aggregated by GRO) whose segments are too big is
 * segmented in software first, as ip_finish_output_gso() does for the
 * stack: the stack cannot take it instead, since a masqueraded source
 * is the router's own and ip_rcv() drops it as a martian.
 */
static void nc_nat_fragment(struct nc_nat_net *nnn, struct sk_buff *skb,
			    unsigned int mtu)
{
	netdev_features_t features;
	struct sk_buff *segs, *next;

	nc_nat_count(nnn, NC_NAT_R_FRAGMENTED);
	if (!skb_is_gso(skb)) {
		ip_do_fragment(nnn->net, NULL, skb, nc_nat_xmit);
		return;
	}
	features = netif_skb_features(skb);
	/* the segments keep the control block below the GSO one */
	BUILD_BUG_ON(sizeof(struct inet_skb_parm) > SKB_GSO_CB_OFFSET);
	segs = skb_gso_segment(skb, features & ~NETIF_F_GSO_MASK);
	if (IS_ERR_OR_NULL(segs)) {
		nc_nat_count(nnn, NC_NAT_R_NOMEM);
		kfree_skb(skb);
		return;
	}
	consume_skb(skb);
	skb_list_walk_safe(segs, skb, next) {
		skb_mark_not_on_list(skb);
		if (skb->len > mtu)
			ip_do_fragment(nnn->net, NULL, skb, nc_nat_xmit);
		else
			nc_nat_xmit(nnn->net, NULL, skb);
	}
}

/* Set @dst, without a reference, as the route of @skb, unless it is. */
static void nc_nat_set_dst(struct sk_buff *skb, struct dst_entry *dst)
{
	if (skb_dst(skb) == dst)
		return;
	skb_dst_drop(skb);
	skb_dst_set_noref(skb, dst);
}

/* How a packet leaves, decided before it is translated. */
enum nc_nat_path {
	NC_NAT_PATH_FAST,	/* out through its route */
	NC_NAT_PATH_FRAGMENT,	/* the same, in fragments */
	NC_NAT_PATH_XFRM,	/* out through an IPsec bundle (dst_output) */
	NC_NAT_PATH_ROUTE,	/* translated, then routed by the stack */
	/* refusals: */
	NC_NAT_PATH_TTL,	/* time exceeded sent, dropped */
	NC_NAT_PATH_MTU,	/* fragmentation needed sent, dropped */
	NC_NAT_PATH_POLICY,	/* an IPsec policy refused it, dropped */
};

static bool nc_nat_refused(enum nc_nat_path path)
{
	return path >= NC_NAT_PATH_TTL;
}

/*
 * Send a translated packet on its way by @path (FAST, FRAGMENT or XFRM).
 * Consumes @skb.
 */
static void nc_nat_output(struct nc_nat_net *nnn, struct sk_buff *skb,
			  struct dst_entry *dst, enum nc_nat_path path)
{
	/* set by reassembly; nc_nat_rx() cleared it for other packets */
	u16 frag_max = IPCB(skb)->frag_max_size;

	ip_decrease_ttl(ip_hdr(skb));
	/* queueing by TOS on the egress device, as ip_forward() sets it */
	if (READ_ONCE(nnn->net->ipv4.sysctl_ip_fwd_update_priority))
		skb->priority = rt_tos2priority(ip_hdr(skb)->tos);
	skb_forward_csum(skb);
	skb->dev = dst->dev;
	skb_clear_tstamp(skb);
	/* a tag the ingress port carried must not reach the egress one */
	__vlan_hwaccel_clear_tag(skb);
	nc_nat_set_dst(skb, dst);
	memset(IPCB(skb), 0, sizeof(struct inet_skb_parm));
	IPCB(skb)->flags = IPSKB_FORWARDED;
	if (path == NC_NAT_PATH_XFRM) {
		nc_nat_count(nnn, NC_NAT_R_IPSEC);
		dst_output(nnn->net, NULL, skb);
		return;
	}
	if (path == NC_NAT_PATH_FRAGMENT) {
		IPCB(skb)->frag_max_size = frag_max;
		nc_nat_fragment(nnn, skb, nc_nat_mtu(dst));
		return;
	}
	nc_nat_xmit(nnn->net, NULL, skb);
}

/*
 * The path of a packet by @dst, its route if the fast path may take it
 * (NULL: the stack's).
 */
static enum nc_nat_path nc_nat_path_by(const struct sk_buff *skb,
				       const struct nc_pkt *pkt,
				       struct dst_entry *dst)
{
	if (!dst)
		return NC_NAT_PATH_ROUTE;
	if (ip_hdr(skb)->ttl <= 1)
		return NC_NAT_PATH_TTL;
	if (!nc_nat_too_big(skb, pkt, nc_nat_mtu(dst)))
		return NC_NAT_PATH_FAST;
	if (ip_hdr(skb)->frag_off & htons(IP_DF))
		return NC_NAT_PATH_MTU;
	return NC_NAT_PATH_FRAGMENT;
}

/*
 * The path of a packet routed by *@dstp (NULL: the stack's) that will
 * leave as @out, with the IPsec policies applied as ip_forward() applies
 * them; *@dstp becomes the output policy's bundle if there is one.
 */
static enum nc_nat_path nc_nat_path_ipsec(struct sk_buff *skb,
					  const struct nc_pkt *pkt,
					  const struct nc_nat_tuple *out,
					  struct dst_entry **dstp)
{
	struct dst_entry *route = *dstp;
	enum nc_nat_path path;

	if (!route)
		return NC_NAT_PATH_ROUTE;
	/* the policies read the route on the packet, as the stack sets it */
	nc_nat_set_dst(skb, route);
	if (!nc_nat_xfrm_fwd(skb))
		return NC_NAT_PATH_POLICY;
	*dstp = nc_nat_xfrm_out(skb, pkt, route, out);
	if (!*dstp)
		return NC_NAT_PATH_POLICY;
	path = nc_nat_path_by(skb, pkt, *dstp);
	if (*dstp != route && !nc_nat_refused(path))
		return NC_NAT_PATH_XFRM;
	return path;
}

/*
 * The path of a packet that travels @dir in @f towards @to; *@dstp is its
 * route: the flow's cached unicast route, if any (a local or unroutable
 * destination has none), or the IPsec bundle of that route.
 */
static enum nc_nat_path nc_nat_path(struct nc_nat_flow *f,
				    enum nc_nat_dir dir,
				    struct sk_buff *skb,
				    const struct nc_pkt *pkt,
				    const struct nc_nat_tuple *to,
				    struct dst_entry **dstp)
{
	*dstp = nc_nat_way_dst(&f->way[dir], skb, to->dst, true);
	return nc_nat_path_ipsec(skb, pkt, to, dstp);
}

/*
 * Refuse a packet that an IPsec policy refuses (@path: POLICY), dropped
 * and counted, or one that the route @dst says is forwarded (@path: TTL
 * or MTU) with ip_forward()'s ICMP error, about the packet as it arrived.
 * Sent here, not left to the stack: the stack would route the packet
 * untranslated, and an inbound one, addressed to a mapping's outside
 * endpoint, is the router's own: it would answer with a port unreachable
 * or a TCP reset.  icmp_send() rate-limits, and picks the source address
 * as for the stack's errors.
 */
static enum nc_hook_ret nc_nat_refuse(struct nc_nat_net *nnn,
				      struct sk_buff *skb, struct nc_pkt *pkt,
				      struct dst_entry *dst,
				      enum nc_nat_path path)
{
	if (path == NC_NAT_PATH_POLICY) {
		pkt->reason = NETCHANNEL_REASON_XFRM_POLICY;
		return NC_HOOK_DROP;
	}
	nc_nat_set_dst(skb, dst);
	if (path == NC_NAT_PATH_TTL) {
		nc_nat_count(nnn, NC_NAT_R_PUNT_TTL);
		icmp_send(skb, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0);
	} else {
		nc_nat_count(nnn, NC_NAT_R_PUNT_MTU);
		icmp_send(skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED,
			  htonl(nc_nat_mtu(dst)));
	}
	pkt->reason = NETCHANNEL_REASON_CONSUMER;
	return NC_HOOK_DROP;
}

/**
 * nc_nat_first_check - refuse a flow's first packet before the flow exists
 * @nnn: the netns
 * @skb: the packet, untranslated
 * @pkt: its parse state
 * @dst: the route it takes (nc_nat_plan())
 *
 * A first packet that nc_nat_forward() would refuse (TTL, MTU, the
 * forward IPsec policy) never leaves: a flow made for it, and the binding
 * that holds an outside port, would stay for the full timeout.  (The
 * output policy needs the translated packet, so it is applied after.)
 * Return: NC_HOOK_CONTINUE to make the flow, or the refusal's verdict.
 * Context: RCU read side, softirq.
 */
enum nc_hook_ret nc_nat_first_check(struct nc_nat_net *nnn,
				    struct sk_buff *skb, struct nc_pkt *pkt,
				    struct dst_entry *dst)
{
	enum nc_nat_path path = NC_NAT_PATH_POLICY;

	nc_nat_set_dst(skb, dst);
	if (nc_nat_xfrm_fwd(skb))
		path = nc_nat_path_by(skb, pkt, dst);
	if (!nc_nat_refused(path))
		return NC_HOOK_CONTINUE;
	return nc_nat_refuse(nnn, skb, pkt, dst, path);
}

/* Drop a packet that could not be made writable (or grown), counted. */
enum nc_hook_ret nc_nat_drop_nomem(struct nc_nat_net *nnn, struct nc_pkt *pkt)
{
	nc_nat_count(nnn, NC_NAT_R_NOMEM);
	pkt->reason = NETCHANNEL_REASON_NOMEM;
	return NC_HOOK_DROP;
}

/* A translated packet leaves by @path: out by @dst, or to the stack. */
static enum nc_hook_ret nc_nat_leave(struct nc_nat_net *nnn,
				     struct sk_buff *skb,
				     struct dst_entry *dst,
				     enum nc_nat_path path)
{
	if (path == NC_NAT_PATH_ROUTE) {
		nc_nat_count(nnn, NC_NAT_R_PUNT_ROUTE);
		return NC_HOOK_PASS;
	}
	nc_nat_count(nnn, NC_NAT_R_FORWARDED);
	nc_nat_output(nnn, skb, dst, path);
	return NC_HOOK_STOLEN;
}

/*
 * May a packet of @f (or an ICMP error about it) pass?  Any packet of a
 * flow that is no hairpin may.  Both ways of a hairpin flow arrive on the
 * device their route leaves by (the inside one): the same tuple from
 * another device is an outside host's, claiming an inside source, and
 * must not reach the inside host as from the router; nor may an error
 * quoting the flow, which only an inside host or router can have seen.
 * @dst is the route the packet's way leaves by; with none (the input
 * route failed: with rp_filter, a spoofed source on the outside device
 * fails it), the packet cannot be told from a spoofed one and is
 * refused too.  And a held flow (nc_nat_create()) lets its initiator's
 * packets pass only once the other side has sent.  Context: RCU read
 * side, softirq.
 */
static enum nc_hook_ret nc_nat_hairpin_check(struct nc_nat_net *nnn,
					     const struct nc_nat_flow *f,
					     enum nc_nat_dir dir,
					     const struct sk_buff *skb,
					     struct nc_pkt *pkt,
					     const struct dst_entry *dst)
{
	enum nc_nat_reason why;

	if (likely(!(READ_ONCE(f->flags) & NC_NAT_F_HAIRPIN)))
		return NC_HOOK_CONTINUE;
	if (!dst || dst->dev != skb->dev)
		why = NC_NAT_R_HAIRPIN_DEV;
	else if ((f->flags & NC_NAT_F_HELD) && dir == NC_NAT_DIR_OUT &&
		 !(READ_ONCE(f->track.seen) & NC_NAT_SEEN_REPLY))
		why = NC_NAT_R_FILTERED;
	else
		return NC_HOOK_CONTINUE;
	nc_nat_count(nnn, why);
	pkt->reason = NETCHANNEL_REASON_CONSUMER;
	return NC_HOOK_DROP;
}

/**
 * nc_nat_forward - translate and forward a packet of a known flow
 * @nnn: the netns
 * @f: the flow
 * @dir: the direction the packet travels
 * @skb: the packet, untranslated
 * @pkt: its parse state
 *
 * Context: RCU read side, softirq.
 */
enum nc_hook_ret nc_nat_forward(struct nc_nat_net *nnn,
				struct nc_nat_flow *f, enum nc_nat_dir dir,
				struct sk_buff *skb, struct nc_pkt *pkt)
{
	struct dst_entry *dst;
	struct nc_nat_tuple to;
	enum nc_nat_path path;
	enum nc_hook_ret ret;

	nc_nat_invert(&f->th[!dir].t, &to);
	path = nc_nat_path(f, dir, skb, pkt, &to, &dst);
	ret = nc_nat_hairpin_check(nnn, f, dir, skb, pkt, dst);
	if (ret != NC_HOOK_CONTINUE)
		return ret;
	if (nc_nat_refused(path))
		return nc_nat_refuse(nnn, skb, pkt, dst, path);
	nc_nat_touch(nnn, f, dir, skb, pkt);
	if (!nc_nat_xlate(skb, pkt, &f->th[dir].t, &to))
		return nc_nat_drop_nomem(nnn, pkt);
	return nc_nat_leave(nnn, skb, dst, path);
}

/*
 * Forward an already translated ICMP error about @f the same way (counted
 * icmp-translated once the hairpin check passed it); what the fast path
 * does not take goes to the stack (no error about an error), and so does
 * one an IPsec policy refuses: the stack judges it again
 * (xfrm_out_fwd_icmp() and all), and drops it if the policy says so.
 */
enum nc_hook_ret nc_nat_forward_xlated(struct nc_nat_net *nnn,
				       struct nc_nat_flow *f,
				       enum nc_nat_dir dir,
				       struct sk_buff *skb,
				       struct nc_pkt *pkt)
{
	const struct iphdr *iph = ip_hdr(skb);
	struct nc_nat_tuple to, out = {
		.src = iph->saddr,
		.dst = iph->daddr,
		.proto = iph->protocol,
	};
	struct dst_entry *dst;
	enum nc_nat_path path;
	enum nc_hook_ret ret;

	nc_nat_invert(&f->th[!dir].t, &to);
	dst = nc_nat_way_dst(&f->way[dir], skb, to.dst, false);
	/*
	 * A hairpin flow's error is judged by the device its way leaves by,
	 * or, while that is not known (the target has not answered yet), by
	 * the other way's: both ways leave by the same inside device.
	 */
	ret = nc_nat_hairpin_check(nnn, f, dir, skb, pkt,
				   dst ?: nc_nat_way_dst(&f->way[!dir], skb, 0,
							 false));
	if (ret != NC_HOOK_CONTINUE)
		return ret;
	nc_nat_count(nnn, NC_NAT_R_ICMP_XLATED);
	path = nc_nat_path_ipsec(skb, pkt, &out, &dst);
	if (path == NC_NAT_PATH_ROUTE || nc_nat_refused(path))
		return NC_HOOK_PASS;
	if (skb_ensure_writable(skb, sizeof(struct iphdr))) {
		pkt->reason = NETCHANNEL_REASON_NOMEM;
		return NC_HOOK_DROP;
	}
	nc_nat_output(nnn, skb, dst, path);
	return NC_HOOK_STOLEN;
}

/**
 * nc_nat_input_route - the route the stack would give a packet
 * @skb: the packet, received on @skb->dev
 * @saddr: its source as it arrived (untranslated)
 * @daddr: the destination it is routed to (translated)
 *
 * Looked up as ip_rcv does, with the input device, mark and TOS, so that
 * policy routing by input device and mark, VRFs, reverse path filtering,
 * martian checks and the device's forwarding switch all apply; the source
 * is the one that arrived, as netfilter routes after DNAT but before SNAT.
 * The route is set on @skb without a reference.
 *
 * Return: the route, or NULL (and no route set) unless it is a plain
 * unicast forward: local delivery, broadcast and errors (a martian, a
 * failed reverse path check, forwarding off) are the stack's; and
 * ERR_PTR(-EOPNOTSUPP) for a route through a tunnel (lwtunnel), which
 * only the stack can take.  Context: RCU read side.
 */
struct dst_entry *nc_nat_input_route(struct sk_buff *skb, __be32 saddr,
				     __be32 daddr)
{
	struct rtable *rt;

	skb_dst_drop(skb);
	if (ip_route_input_noref(skb, daddr, saddr, ip_hdr(skb)->tos,
				 skb->dev))
		return NULL;
	rt = skb_rtable(skb);
	if (rt->rt_type != RTN_UNICAST || rt->dst.lwtstate) {
		skb_dst_drop(skb);
		return rt->rt_type == RTN_UNICAST ? ERR_PTR(-EOPNOTSUPP) : NULL;
	}
	return &rt->dst;
}

/**
 * nc_nat_for_router - is @addr one of the router's own addresses?
 * @net: the netns
 * @dev: the device a packet to @addr came in on (its VRF's table counts)
 * @addr: the address
 *
 * Only its unicast addresses: a packet to a broadcast or multicast address
 * may still be forwarded by the stack (bc_forwarding, multicast routing),
 * so it is translated as any other.
 * Context: RCU read side.
 */
bool nc_nat_for_router(struct net *net, const struct net_device *dev,
		       __be32 addr)
{
	return inet_addr_type_dev_table(net, dev, addr) == RTN_LOCAL;
}

/**
 * nc_nat_forward_stateless - translate and forward a packet without a flow
 * @nnn: the netns
 * @skb: the packet, untranslated
 * @pkt: its parse state
 * @field: the address netmap rewrites (source, or destination)
 * @to: its new value
 *
 * With no flow to cache a route in, the route of the translated packet
 * is looked up per packet, as the stack would; then the packet goes as a
 * flow's does.  The stack gets a packet that came with a route (a
 * tunnel's metadata), and one with IP options, which it acts on (records
 * the route; drops source routing unless accept_source_route allows it).
 * Flows cannot hand their packets to the stack so: the source of a
 * masqueraded packet is the router's own, which the stack drops as a
 * martian; their options travel as they came.
 *
 * Context: RCU read side, softirq.
 */
enum nc_hook_ret nc_nat_forward_stateless(struct nc_nat_net *nnn,
					  struct sk_buff *skb,
					  struct nc_pkt *pkt,
					  enum nc_field field,
					  const union nc_addr *to)
{
	const struct iphdr *iph = ip_hdr(skb);
	struct dst_entry *dst = NULL;
	struct nc_nat_tuple out = {
		.src = field == NC_FIELD_SADDR ? to->ip : iph->saddr,
		.dst = field == NC_FIELD_DADDR ? to->ip : iph->daddr,
		.sport = pkt->key.sport,
		.dport = pkt->key.dport,
		.proto = iph->protocol,
	};
	enum nc_nat_path path;

	/*
	 * Routed by the source that arrived: the translated one may be an
	 * address of this router (1:1 NAT to an address it holds), which
	 * the input route would take for a martian.
	 */
	if (!skb_dst(skb) && iph->ihl == 5) {
		dst = nc_nat_input_route(skb, iph->saddr,
					 field == NC_FIELD_DADDR ?
					 to->ip : iph->daddr);
		/* a tunnel's: translated, then the stack's */
		if (IS_ERR(dst))
			dst = NULL;
	}
	if (!dst && nc_nat_for_router(nnn->net, skb->dev, out.dst)) {
		/*
		 * The router's own packets are no netmap's: the engine sees
		 * received packets only, so the router's answers would leave
		 * untranslated, from or to an inside address.  One from a
		 * mapped host to the router (a netmap rule's) is delivered as
		 * it was sent; one to an address the router holds on the
		 * outside too goes on to the rule table untranslated, as any
		 * packet for the router; one mapped back onto the router (an
		 * outside address whose inside twin is the router's, such as
		 * the mapped prefix's gateway) is dropped.
		 */
		if (field == NC_FIELD_SADDR)
			return NC_HOOK_PASS;
		if (nc_nat_for_router(nnn->net, skb->dev, iph->daddr))
			return NC_HOOK_CONTINUE;
		nc_nat_count(nnn, NC_NAT_R_NETMAP_LOCAL);
		pkt->reason = NETCHANNEL_REASON_CONSUMER;
		return NC_HOOK_DROP;
	}
	path = nc_nat_path_ipsec(skb, pkt, &out, &dst);
	if (nc_nat_refused(path))
		return nc_nat_refuse(nnn, skb, pkt, dst, path);
	if (!nc_rewrite_field(skb, pkt, field, to) ||
	    !nc_csum_apply(skb, pkt))
		return nc_nat_drop_nomem(nnn, pkt);
	return nc_nat_leave(nnn, skb, dst, path);
}
