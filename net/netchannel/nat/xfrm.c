// SPDX-License-Identifier: GPL-2.0
/*
 * IPsec for the packets the fast path forwards, applied as ip_forward()
 * applies it, so that translation is no way around the policies:
 *  - the forward policy judges the packet as it arrived, as netfilter's
 *    NAT has xfrm see it (nf_nat_decode_session()): a packet a block
 *    policy covers, or a cleartext one a policy says must have arrived
 *    protected, is dropped;
 *  - the output policy is looked up for the packet as it will leave,
 *    translated, as netfilter's NAT looks it up again after source NAT
 *    (nf_xfrm_me_harder()); a bundle takes the packet to dst_output(),
 *    which encrypts it.
 * Both per packet, as ip_forward() does them, so a policy added or
 * removed applies from the next packet of every flow.  Without policies
 * each costs the read of a counter: the xfrm helpers' own shortcuts.
 */
#include <linux/icmp.h>
#include <linux/inetdevice.h>
#include <net/dst.h>
#include <net/inet_ecn.h>
#include <net/ip.h>
#include <net/xfrm.h>

#include "nat.h"

/**
 * nc_nat_xfrm_fwd - the forward policy check of ip_forward()
 * @skb: the packet as it arrived, with its route set on it
 *
 * Return: false if a policy refuses the packet.
 * Context: RCU read side, softirq.
 */
bool nc_nat_xfrm_fwd(struct sk_buff *skb)
{
	struct in_device *in_dev;

	if (__xfrm_check_nopolicy(dev_net(skb->dev), skb, XFRM_POLICY_FWD))
		return true;
	/*
	 * The input route marks packets of a device with disable_policy;
	 * the packets of a known flow take no input route.
	 */
	in_dev = __in_dev_get_rcu(skb->dev);
	if (in_dev && IN_DEV_ORCONF(in_dev, NOPOLICY))
		IPCB(skb)->flags |= IPSKB_NOPOLICY;
	return xfrm4_policy_check(NULL, XFRM_POLICY_FWD, skb);
}

/*
 * What xfrm looks the output policy up by: the packet as it will leave
 * (@out: its addresses and, for TCP and UDP, its ports), and what
 * __xfrm_decode_session() reads from it besides.
 */
static void nc_nat_xfrm_flow(const struct sk_buff *skb,
			     const struct nc_pkt *pkt,
			     const struct dst_entry *dst,
			     const struct nc_nat_tuple *out,
			     struct flowi4 *fl4)
{
	struct icmphdr _ih;
	const struct icmphdr *ih;

	memset(fl4, 0, sizeof(*fl4));
	fl4->flowi4_oif = dst->dev->ifindex;
	fl4->flowi4_mark = skb->mark;
	fl4->flowi4_tos = ip_hdr(skb)->tos & ~INET_ECN_MASK;
	fl4->flowi4_proto = out->proto;
	fl4->saddr = out->src;
	fl4->daddr = out->dst;
	switch (out->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		fl4->fl4_sport = out->sport;
		fl4->fl4_dport = out->dport;
		break;
	case IPPROTO_ICMP:
		/* selectors match type and code; an echo keeps both */
		if (!pkt->l4hdr)
			break;
		ih = skb_header_pointer(skb, pkt->thoff, sizeof(_ih), &_ih);
		if (ih) {
			fl4->fl4_icmp_type = ih->type;
			fl4->fl4_icmp_code = ih->code;
		}
		break;
	}
}

/**
 * nc_nat_xfrm_out - the output bundle ip_forward() would send a packet by
 * @skb: the packet, untranslated, with @dst set on it
 * @pkt: its parse state
 * @dst: its route (no reference)
 * @out: the packet as it will leave
 *
 * Return: @dst when no policy transforms the packet; a bundle, set on
 * @skb with its reference (so it outlives the RCU section, as queued and
 * asynchronously encrypted packets do); NULL when a policy refuses it.
 * Context: RCU read side, softirq.
 */
struct dst_entry *nc_nat_xfrm_out(struct sk_buff *skb,
				  const struct nc_pkt *pkt,
				  struct dst_entry *dst,
				  const struct nc_nat_tuple *out)
{
	struct net *net = dev_net(skb->dev);
	struct dst_entry *xdst;
	struct flowi4 fl4;

	/* xfrm_route_forward()'s shortcut */
	if ((!READ_ONCE(net->xfrm.policy_count[XFRM_POLICY_OUT]) &&
	     READ_ONCE(net->xfrm.policy_default[XFRM_POLICY_OUT]) ==
	     XFRM_USERPOLICY_ACCEPT) || (dst->flags & DST_NOXFRM))
		return dst;
	nc_nat_xfrm_flow(skb, pkt, dst, out, &fl4);
	/* xfrm_lookup() consumes a reference, and a bundle keeps one */
	if (!dst_hold_safe(dst))
		return NULL;
	xdst = xfrm_lookup(net, dst, flowi4_to_flowi(&fl4), NULL,
			   XFRM_LOOKUP_QUEUE);
	if (IS_ERR(xdst))
		return NULL;
	if (xdst == dst) {
		/* the flow's cache, or the packet, still holds the route */
		dst_release(dst);
		return dst;
	}
	skb_dst_drop(skb);
	skb_dst_set(skb, xdst);
	return xdst;
}
