// SPDX-License-Identifier: GPL-2.0
/*
 * Packet parser: fills a flow key from the IP and transport headers of a
 * received skb.  Runs first on every packet of an attached device, so it
 * only pulls what it reads and never changes the packet.  A packet that
 * cannot be parsed gets a reason; the caller counts it and hands the packet
 * to the stack untouched, where the IP layer deals with it as usual.
 */
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "nc.h"

static int nc_bad(struct nc_pkt *pkt, enum netchannel_reason reason)
{
	pkt->reason = reason;
	return -EINVAL;
}

/*
 * Transport headers we read ports (or an ICMP identifier) from, and how
 * many bytes of the header must be present to do so.
 */
static int nc_parse_l4(struct sk_buff *skb, struct nc_pkt *pkt)
{
	struct nc_key *key = &pkt->key;
	unsigned int need;
	const __be16 *ports;

	switch (key->proto) {
	case IPPROTO_TCP:
		need = sizeof(struct tcphdr);
		break;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		need = sizeof(struct udphdr);
		break;
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		need = 4;
		break;
	default:
		/* ICMP/ICMPv6 and the rest: no ports; consumers read more */
		pkt->l4hdr = true;
		return 0;
	}
	if (pkt->thoff + need > pkt->l3len ||
	    !pskb_may_pull(skb, pkt->thoff + need))
		return nc_bad(pkt, NETCHANNEL_REASON_TRUNCATED);
	if (key->proto == IPPROTO_TCP) {
		const struct tcphdr *th = (void *)(skb->data + pkt->thoff);

		if (th->doff * 4 < sizeof(*th))
			return nc_bad(pkt, NETCHANNEL_REASON_BAD_L4);
	}
	ports = (const __be16 *)(skb->data + pkt->thoff);
	key->sport = ports[0];
	key->dport = ports[1];
	key->flags |= NC_KEY_F_PORTS;
	pkt->l4hdr = true;
	return 0;
}

static int nc_parse_ipv4(struct sk_buff *skb, struct nc_pkt *pkt)
{
	const struct iphdr *iph;
	unsigned int ihl, tot;

	if (!pskb_may_pull(skb, sizeof(*iph)))
		return nc_bad(pkt, NETCHANNEL_REASON_TRUNCATED);
	iph = ip_hdr(skb);
	if (iph->version != 4)
		return nc_bad(pkt, NETCHANNEL_REASON_BAD_VERSION);
	ihl = iph->ihl * 4;
	if (ihl < sizeof(*iph))
		return nc_bad(pkt, NETCHANNEL_REASON_BAD_IHL);
	tot = ntohs(iph->tot_len);
	/* IPv4 BIG TCP: a GSO packet past 64 KiB says 0, as ip_rcv allows */
	if (!tot && skb_is_gso(skb) && skb_is_gso_tcp(skb))
		tot = skb->len;
	/* link-layer padding may follow the datagram, never precede its end */
	if (tot < ihl || tot > skb->len)
		return nc_bad(pkt, NETCHANNEL_REASON_BAD_LENGTH);
	if (!pskb_may_pull(skb, ihl))
		return nc_bad(pkt, NETCHANNEL_REASON_TRUNCATED);
	iph = ip_hdr(skb);
	/* RFC 1812 5.2.2: a router verifies the header checksum */
	if (unlikely(ip_fast_csum(iph, iph->ihl)))
		return nc_bad(pkt, NETCHANNEL_REASON_BAD_CSUM);

	pkt->thoff = ihl;
	pkt->l3len = tot;
	pkt->key.family = AF_INET;
	pkt->key.proto = iph->protocol;
	pkt->key.src.ip = iph->saddr;
	pkt->key.dst.ip = iph->daddr;
	if (ip_is_fragment(iph)) {
		pkt->key.flags |= NC_KEY_F_FRAG;
		/* only the first fragment carries the transport header */
		if (iph->frag_off & htons(IP_OFFSET))
			return 0;
	}
	return nc_parse_l4(skb, pkt);
}

/*
 * ipv6_skip_exthdr() stops at the fragment header of a later fragment;
 * report the upper-layer protocol it names, as IPv4 does for fragments.
 */
static int nc_parse_ipv6_later_frag(struct sk_buff *skb, struct nc_pkt *pkt)
{
	const struct frag_hdr *fh;

	if (pkt->thoff + sizeof(*fh) > pkt->l3len ||
	    !pskb_may_pull(skb, pkt->thoff + sizeof(*fh)))
		return nc_bad(pkt, NETCHANNEL_REASON_TRUNCATED);
	fh = (const struct frag_hdr *)(skb->data + pkt->thoff);
	pkt->key.proto = fh->nexthdr;
	pkt->thoff += sizeof(*fh);
	return 0;
}

static int nc_parse_ipv6(struct sk_buff *skb, struct nc_pkt *pkt)
{
	const struct ipv6hdr *ip6h;
	unsigned int tot;
	__be16 frag_off;
	u8 nexthdr;
	int thoff;

	if (!pskb_may_pull(skb, sizeof(*ip6h)))
		return nc_bad(pkt, NETCHANNEL_REASON_TRUNCATED);
	ip6h = ipv6_hdr(skb);
	if (ip6h->version != 6)
		return nc_bad(pkt, NETCHANNEL_REASON_BAD_VERSION);
	tot = sizeof(*ip6h) + ntohs(ip6h->payload_len);
	/* payload_len 0 is a jumbogram or a local GSO skb: trust skb->len */
	if (!ip6h->payload_len)
		tot = skb->len;
	if (tot > skb->len)
		return nc_bad(pkt, NETCHANNEL_REASON_BAD_LENGTH);

	pkt->l3len = tot;
	pkt->key.family = AF_INET6;
	pkt->key.src.in6 = ip6h->saddr;
	pkt->key.dst.in6 = ip6h->daddr;

	nexthdr = ip6h->nexthdr;
	thoff = ipv6_skip_exthdr(skb, sizeof(*ip6h), &nexthdr, &frag_off);
	if (thoff < 0 || thoff > tot)
		return nc_bad(pkt, NETCHANNEL_REASON_BAD_EXTHDR);
	pkt->thoff = thoff;
	pkt->key.proto = nexthdr;
	if (frag_off) {
		pkt->key.flags |= NC_KEY_F_FRAG;
		if (frag_off & htons(IP6_OFFSET))
			return nc_parse_ipv6_later_frag(skb, pkt);
	}
	return nc_parse_l4(skb, pkt);
}

/**
 * nc_parse - fill @pkt from the headers of @skb
 * @skb: received packet, skb->data at the network header, not shared
 * @pkt: zeroed by the caller except key.iif
 *
 * Return: 0; -EPFNOSUPPORT when @skb is not IP; -EINVAL when it is
 * malformed, with the reason in @pkt->reason.
 * Header pointers into @skb are stale afterwards (pskb_may_pull may
 * reallocate); use the offsets in @pkt.
 */
int nc_parse(struct sk_buff *skb, struct nc_pkt *pkt)
{
	pkt->nhoff = 0;
	switch (skb->protocol) {
	case htons(ETH_P_IP):
		return nc_parse_ipv4(skb, pkt);
	case htons(ETH_P_IPV6):
		return nc_parse_ipv6(skb, pkt);
	default:
		return -EPFNOSUPPORT;
	}
}
EXPORT_SYMBOL_GPL(nc_parse);
