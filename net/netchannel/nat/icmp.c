// SPDX-License-Identifier: GPL-2.0
/*
 * ICMP errors about translated flows (RFC 5508): destination unreachable,
 * time exceeded and parameter problem quote the packet that caused them.
 * The quote is what the far side saw, i.e. translated; the host that gets
 * the error must see what it sent.  So the quoted addresses and ports (or
 * echo identifier) are set back through the flow the quote belongs to,
 * with the quoted IP checksum and, when quoted, the transport checksum;
 * the outer addresses follow the flow; the ICMP checksum follows every
 * byte changed (one's complement differences, no full recomputation).
 *
 * An error goes to the sender of the packet it quotes: one whose outer
 * destination is not the quote's source is forged (or lost its way) and
 * is dropped, as is one with a bad ICMP checksum, one about an outside
 * endpoint no flow uses any more, and one about a hairpin flow that did
 * not come from the inside (nc_nat_forward_xlated()).  Whoever sent an
 * error, its outer source is translated as the flow's packets are in its
 * direction (RFC 5508 REQ-4, as netfilter's nf_nat_icmp_reply_translation
 * does):
 * an inside router's error leaves with the outside address, never with
 * its private one.  Errors about netmap packets, which have no flow, are
 * translated by the netmap prefixes.  Errors neither refresh nor end a
 * flow.
 */
#include <linux/icmp.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/tcp.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/route.h>

#include "nat.h"

/* Most of a quote we edit: IP header with options, a TCP header's start. */
#define NC_NAT_QUOTE_MAX	(60 + 20)

static bool nc_nat_is_error(u8 type)
{
	return type == ICMP_DEST_UNREACH || type == ICMP_TIME_EXCEEDED ||
	       type == ICMP_PARAMETERPROB;
}

/**
 * nc_nat_icmp_quotes - is @skb an ICMP message that quotes a packet?
 * @skb: the packet
 * @pkt: its parse state
 *
 * Errors, redirects and source quenches carry a packet's header.  One that
 * reaches a netmap rule is one nc_nat_icmp_error() could not translate:
 * sent on with only its own source mapped, its quote would still carry the
 * inside address.
 */
bool nc_nat_icmp_quotes(const struct sk_buff *skb, const struct nc_pkt *pkt)
{
	const u8 *tp;
	u8 type;

	if (pkt->key.proto != IPPROTO_ICMP || !pkt->l4hdr ||
	    pkt->thoff >= pkt->l3len)
		return false;
	tp = skb_header_pointer(skb, pkt->thoff, sizeof(type), &type);
	return tp && (nc_nat_is_error(*tp) || *tp == ICMP_SOURCE_QUENCH ||
		      *tp == ICMP_REDIRECT);
}

/* The quoted packet's tuple; @ioff is the quoted IP header's offset. */
static bool nc_nat_quote_tuple(const struct sk_buff *skb, unsigned int ioff,
			       struct nc_nat_tuple *t)
{
	const struct iphdr *iph = (const struct iphdr *)(skb->data + ioff);
	const u8 *l4 = skb->data + ioff + iph->ihl * 4;
	const struct icmphdr *ih = (const struct icmphdr *)l4;

	memset(t, 0, sizeof(*t));
	t->src = iph->saddr;
	t->dst = iph->daddr;
	t->proto = iph->protocol;
	if (iph->frag_off & htons(IP_OFFSET))
		return false;
	switch (iph->protocol) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		t->sport = ((const __be16 *)l4)[0];
		t->dport = ((const __be16 *)l4)[1];
		return true;
	case IPPROTO_ICMP:
		return nc_nat_echo_ports(ih, t);
	default:
		return false;
	}
}

/* @check may be NULL (not quoted); a UDP checksum of 0 means none. */
static void nc_nat_set16(__be16 *field, __be16 to, __sum16 *check, bool udp)
{
	if (check && (*check || !udp))
		csum_replace2(check, *field, to);
	*field = to;
}

/**
 * nc_nat_icmp_inner - rewrite a quoted packet to tuple @to
 * @skb: the ICMP error, writable over its quote
 * @ioff: offset of the quoted IP header from skb->data
 * @qlen: bytes of quote (up to the end of the outer datagram)
 * @to: the addresses and ports the quote must carry
 *
 * Updates the quoted IP checksum, the quoted UDP/TCP/ICMP checksum where
 * the quote holds it, and the outer ICMP checksum.  A CHECKSUM_COMPLETE
 * skb is demoted to CHECKSUM_NONE, as nc_nat_xlate() does: its skb->csum
 * covered the quote as it was.
 *
 * Return: 0, or -EINVAL when the quote is too short to edit.
 */
int nc_nat_icmp_inner(struct sk_buff *skb, unsigned int ioff,
		      unsigned int qlen, const struct nc_nat_tuple *to)
{
	struct icmphdr *outer = (struct icmphdr *)(skb->data + ioff - 8);
	unsigned int ihl, n;
	u8 before[NC_NAT_QUOTE_MAX];
	__sum16 *l4check = NULL;
	struct iphdr *iph;
	__be16 *ports;
	bool udp;
	u8 *l4;

	iph = (struct iphdr *)(skb->data + ioff);
	ihl = iph->ihl * 4;
	if (ihl < sizeof(*iph) || qlen < ihl + 8)
		return -EINVAL;
	if (skb->ip_summed == CHECKSUM_COMPLETE)
		skb->ip_summed = CHECKSUM_NONE;
	n = min_t(unsigned int, qlen, ihl + 20);
	l4 = (u8 *)iph + ihl;
	memcpy(before, iph, n);

	switch (iph->protocol) {
	case IPPROTO_UDP:
		l4check = &((struct udphdr *)l4)->check;
		break;
	case IPPROTO_TCP:
		/* only in quotes longer than the 8 bytes RFC 792 promises */
		if (qlen >= ihl + offsetofend(struct tcphdr, check))
			l4check = &((struct tcphdr *)l4)->check;
		break;
	case IPPROTO_ICMP:
		l4check = &((struct icmphdr *)l4)->checksum;
		break;
	}

	udp = iph->protocol == IPPROTO_UDP;
	if (iph->protocol != IPPROTO_ICMP && l4check && (*l4check || !udp)) {
		/* pseudo header of the quoted transport checksum */
		csum_replace4(l4check, iph->saddr, to->src);
		csum_replace4(l4check, iph->daddr, to->dst);
	}
	csum_replace4(&iph->check, iph->saddr, to->src);
	csum_replace4(&iph->check, iph->daddr, to->dst);
	iph->saddr = to->src;
	iph->daddr = to->dst;
	ports = (__be16 *)l4;
	if (iph->protocol == IPPROTO_ICMP) {
		nc_nat_set16(&((struct icmphdr *)l4)->un.echo.id, to->sport,
			     l4check, false);
	} else {
		nc_nat_set16(&ports[0], to->sport, l4check, udp);
		nc_nat_set16(&ports[1], to->dport, l4check, udp);
	}
	if (udp && !*l4check && (before[ihl + 6] || before[ihl + 7]))
		*l4check = CSUM_MANGLED_0;

	/* the outer checksum covers the quote: move it by what changed */
	csum_replace_by_diff(&outer->checksum,
			     csum_sub(csum_partial(iph, n, 0),
				      csum_partial(before, n, 0)));
	return 0;
}

/*
 * Is the ICMP message intact?  Its checksum covers everything after the
 * IP header; a quote of a quote makes no difference.
 */
static bool nc_nat_icmp_csum_ok(struct sk_buff *skb, const struct nc_pkt *pkt)
{
	return !csum_fold(skb_checksum(skb, pkt->thoff,
				       pkt->l3len - pkt->thoff, 0));
}

static enum nc_hook_ret nc_nat_icmp_drop(struct nc_nat_net *nnn,
					 struct nc_pkt *pkt,
					 enum nc_nat_reason why)
{
	nc_nat_count(nnn, why);
	pkt->reason = NETCHANNEL_REASON_CONSUMER;
	return NC_HOOK_DROP;
}

/* The quote becomes @to; the skb must be writable over the quote. */
static bool nc_nat_icmp_quote_to(struct sk_buff *skb, struct nc_pkt *pkt,
				 unsigned int ioff,
				 const struct nc_nat_tuple *to)
{
	return !skb_ensure_writable(skb, min_t(unsigned int, pkt->l3len,
					       ioff + NC_NAT_QUOTE_MAX)) &&
	       !nc_nat_icmp_inner(skb, ioff, pkt->l3len - ioff, to);
}

/*
 * An error quoting a packet a netmap rule translated: towards the mapped
 * host (the quote's source is a target address), or from the inside
 * about a packet mapped back to it (the quote's destination is a source
 * address, and so is, for the outside, the error's own source).
 */
static enum nc_hook_ret nc_nat_icmp_netmap(struct nc_nat_net *nnn,
					   struct sk_buff *skb,
					   struct nc_pkt *pkt,
					   unsigned int ioff,
					   const struct nc_nat_tuple *quote)
{
	struct nc_nat_tuple to = *quote;
	enum nc_field field;
	union nc_addr a;

	if (nc_nat_netmap_addr(nnn, quote->src, true, &to.src))
		field = NC_FIELD_DADDR;
	else if (nc_nat_netmap_addr(nnn, quote->dst, false, &to.dst))
		field = NC_FIELD_SADDR;
	else
		return NC_HOOK_CONTINUE;
	if (pkt->key.dst.ip != quote->src)
		return nc_nat_icmp_drop(nnn, pkt, NC_NAT_R_ICMP_MISMATCH);
	/*
	 * About the router's own packet: for it, as it was sent, through
	 * the rule table (nc_nat_hook_run() lets it by a netmap rule)
	 */
	if (nc_nat_for_router(nnn->net, skb->dev, quote->src))
		return NC_HOOK_CONTINUE;
	if (!nc_nat_icmp_csum_ok(skb, pkt))
		return nc_nat_icmp_drop(nnn, pkt, NC_NAT_R_ICMP_BAD_CSUM);
	if (!nc_nat_icmp_quote_to(skb, pkt, ioff, &to))
		return nc_nat_drop_nomem(nnn, pkt);
	memset(&a, 0, sizeof(a));
	a.ip = field == NC_FIELD_DADDR ? to.src : to.dst;
	nc_nat_count(nnn, NC_NAT_R_ICMP_XLATED);
	return nc_nat_forward_stateless(nnn, skb, pkt, field, &a);
}

/**
 * nc_nat_icmp_error - translate an ICMP error about a NAT flow
 * @nnn: the netns
 * @skb: the ICMP packet
 * @pkt: its parse state
 *
 * Context: RCU read side, softirq.
 */
enum nc_hook_ret nc_nat_icmp_error(struct nc_nat_net *nnn,
				   struct sk_buff *skb, struct nc_pkt *pkt)
{
	unsigned int ioff = pkt->thoff + sizeof(struct icmphdr);
	struct nc_nat_tuple quote, key, back;
	const struct icmphdr *ih;
	struct nc_nat_thash *th;
	struct nc_nat_flow *f;
	struct nc_nat_ep out;
	const struct iphdr *iph;
	enum nc_nat_dir dir;
	union nc_addr a;

	if (pkt->l3len < ioff + sizeof(struct iphdr) + 8 ||
	    !pskb_may_pull(skb, ioff + sizeof(struct iphdr)))
		return NC_HOOK_CONTINUE;
	ih = (const struct icmphdr *)(skb->data + pkt->thoff);
	if (!nc_nat_is_error(ih->type))
		return nc_nat_netmap_reverse(nnn, skb, pkt);
	iph = (const struct iphdr *)(skb->data + ioff);
	if (iph->version != 4 || iph->ihl < 5 ||
	    pkt->l3len < ioff + iph->ihl * 4 + 8 ||
	    !pskb_may_pull(skb, ioff + iph->ihl * 4 + 8) ||
	    !nc_nat_quote_tuple(skb, ioff, &quote))
		return NC_HOOK_CONTINUE;

	nc_nat_invert(&quote, &key);
	th = nc_nat_lookup(nnn, &key);
	if (!th) {
		/* about a translated endpoint whose flow is gone: drop */
		memset(&out, 0, sizeof(out));
		out.addr = quote.src;
		out.port = quote.sport;
		out.proto = quote.proto;
		if (!nc_nat_out_bound(nnn, &out, NULL))
			return nc_nat_icmp_netmap(nnn, skb, pkt, ioff, &quote);
		return nc_nat_icmp_drop(nnn, pkt, NC_NAT_R_ICMP_NO_FLOW);
	}
	/* th->t.dst is the quote's source, as the error's sender saw it */
	if (pkt->key.dst.ip != th->t.dst)
		return nc_nat_icmp_drop(nnn, pkt, NC_NAT_R_ICMP_MISMATCH);
	if (!nc_nat_icmp_csum_ok(skb, pkt))
		return nc_nat_icmp_drop(nnn, pkt, NC_NAT_R_ICMP_BAD_CSUM);
	dir = th->t.dir;
	f = nc_nat_flow_of(th);
	/* the quote becomes the packet as its sender sent it */
	back = f->th[!dir].t;
	if (!nc_nat_icmp_quote_to(skb, pkt, ioff, &back))
		goto err_nomem;

	/*
	 * Outer addresses go as the flow's packets do in this direction:
	 * the destination (checked above) to the quote's sender; the source,
	 * whoever sent the error, to what the flow's source becomes.
	 */
	memset(&a, 0, sizeof(a));
	if (back.src != th->t.dst) {
		a.ip = back.src;
		if (!nc_rewrite_field(skb, pkt, NC_FIELD_DADDR, &a))
			goto err_nomem;
	}
	if (back.dst != th->t.src && pkt->key.src.ip != back.dst) {
		a.ip = back.dst;
		if (!nc_rewrite_field(skb, pkt, NC_FIELD_SADDR, &a))
			goto err_nomem;
	}
	if (!nc_csum_apply(skb, pkt))
		goto err_nomem;
	return nc_nat_forward_xlated(nnn, f, dir, skb, pkt);

err_nomem:
	return nc_nat_drop_nomem(nnn, pkt);
}
