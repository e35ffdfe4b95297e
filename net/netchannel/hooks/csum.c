// SPDX-License-Identifier: GPL-2.0
/*
 * Checksum hook: incremental checksum updates (RFC 1624, eqn. 3) for the
 * edits the rewrite hook logged, through the kernel's helpers so that
 * CHECKSUM_PARTIAL, CHECKSUM_COMPLETE and GSO skbs stay right:
 *  - the IPv4 header checksum follows address edits;
 *  - TCP, UDP and ICMPv6 checksums cover a pseudo header, so they follow
 *    address edits as well as port edits; ICMPv4's does not;
 *  - an IPv4 UDP checksum of 0 means "no checksum" and stays 0, and an
 *    updated UDP checksum that comes out 0 is sent as 0xffff;
 *  - fragments after the first carry no transport header: only the IP
 *    header is updated (consumers that change ports reassemble first);
 *  - on the receive path a CHECKSUM_COMPLETE skb->csum covers everything
 *    from the network header, so it moves by exactly the bytes changed
 *    here: edited fields and both checksum fields.  The generic helpers
 *    assume it covers the transport header only, so it is recomputed from
 *    the byte changes instead of trusted to them.
 */
#include <linux/icmp.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/checksum.h>

#include "../nc.h"

/* Offset of the transport checksum from the transport header, or -1. */
static int nc_l4_csum_offset(const struct nc_pkt *pkt)
{
	if (!pkt->l4hdr)
		return -1;
	switch (pkt->key.proto) {
	case IPPROTO_TCP:
		return offsetof(struct tcphdr, check);
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		return offsetof(struct udphdr, check);
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return offsetof(struct icmphdr, checksum);
	default:
		return -1;
	}
}

/* 16-bit transport fields: covered by the checksum, not the pseudo header */
static bool nc_is_port(u8 field)
{
	return field == NC_FIELD_SPORT || field == NC_FIELD_DPORT ||
	       field == NC_FIELD_ICMP_ID;
}

static void nc_l4_update(struct sk_buff *skb, const struct nc_pkt *pkt,
			 __sum16 *check, const struct nc_edit *e)
{
	bool v4 = pkt->key.family == AF_INET;

	if (nc_is_port(e->field))
		inet_proto_csum_replace2(check, skb, *(__be16 *)&e->from,
					 *(__be16 *)&e->to, false);
	else if (v4 && pkt->key.proto == IPPROTO_ICMP)
		return;	/* no pseudo header */
	else if (v4)
		inet_proto_csum_replace4(check, skb, e->from.ip, e->to.ip, true);
	else
		inet_proto_csum_replace16(check, skb, e->from.ip6, e->to.ip6,
					  true);
}

/* A fragment's first bytes may hold only part of the transport header. */
static __sum16 *nc_l4_check(struct sk_buff *skb, const struct nc_pkt *pkt)
{
	int off = nc_l4_csum_offset(pkt);

	if (off < 0)
		return NULL;
	off += pkt->thoff;
	if (off + sizeof(__sum16) > pkt->l3len ||
	    skb_ensure_writable(skb, off + sizeof(__sum16)))
		return NULL;
	return (__sum16 *)(skb->data + off);
}

/* One's complement sum @sum after @len bytes changed from @from to @to. */
static __wsum nc_csum_moved(__wsum sum, const void *from, const void *to,
			    int len)
{
	return csum_add(csum_sub(sum, csum_partial(from, len, 0)),
			csum_partial(to, len, 0));
}

static int nc_edit_size(const struct nc_pkt *pkt, const struct nc_edit *e)
{
	if (nc_is_port(e->field))
		return sizeof(__be16);
	return pkt->key.family == AF_INET ? sizeof(__be32) :
	       sizeof(struct in6_addr);
}

/**
 * nc_csum_apply - bring all checksums in line with the logged edits
 * @skb: the edited packet
 * @pkt: its parse state; the edit log is consumed
 *
 * Return: false if the transport checksum could not be reached; the IP
 * header checksum is right either way.
 */
bool nc_csum_apply(struct sk_buff *skb, struct nc_pkt *pkt)
{
	bool v4 = pkt->key.family == AF_INET;
	__sum16 *check, old_check = 0, old_ipcheck = 0;
	bool udp0 = false, ok = true;
	struct iphdr *iph = NULL;
	__wsum complete = 0;
	unsigned int i;

	if (!pkt->nedits)
		return true;
	check = nc_l4_check(skb, pkt);
	if (!check && nc_l4_csum_offset(pkt) >= 0)
		ok = false;
	/* skb_ensure_writable() above may have moved the header */
	if (v4)
		iph = (struct iphdr *)(skb->data + pkt->nhoff);
	if (skb->ip_summed == CHECKSUM_COMPLETE) {
		complete = skb->csum;
		old_check = check ? *check : 0;
		old_ipcheck = iph ? iph->check : 0;
		for (i = 0; i < pkt->nedits; i++)
			complete = nc_csum_moved(complete, &pkt->edits[i].from,
						 &pkt->edits[i].to,
						 nc_edit_size(pkt, &pkt->edits[i]));
	}
	for (i = 0; iph && i < pkt->nedits; i++)
		if (!nc_is_port(pkt->edits[i].field))
			csum_replace4(&iph->check, pkt->edits[i].from.ip,
				      pkt->edits[i].to.ip);
	if (check && pkt->key.proto == IPPROTO_UDP)
		udp0 = v4 && !*check && skb->ip_summed != CHECKSUM_PARTIAL;
	if (check && !udp0) {
		for (i = 0; i < pkt->nedits; i++)
			nc_l4_update(skb, pkt, check, &pkt->edits[i]);
		if (pkt->key.proto == IPPROTO_UDP && !*check)
			*check = CSUM_MANGLED_0;
	}
	if (skb->ip_summed == CHECKSUM_COMPLETE) {
		if (check)
			complete = nc_csum_moved(complete, &old_check, check,
						 sizeof(*check));
		if (iph)
			complete = nc_csum_moved(complete, &old_ipcheck,
						 &iph->check, sizeof(iph->check));
		skb->csum = complete;
	}
	pkt->nedits = 0;
	return ok;
}
EXPORT_SYMBOL_GPL(nc_csum_apply);

static enum nc_hook_ret nc_csum_run(struct sk_buff *skb, struct nc_pkt *pkt,
				    const struct nc_hook *hook)
{
	if (!nc_csum_apply(skb, pkt)) {
		pkt->reason = NETCHANNEL_REASON_NOMEM;
		return NC_HOOK_DROP;
	}
	return NC_HOOK_CONTINUE;
}

const struct nc_hook_type nc_hook_csum = {
	.kind = NC_HOOK_CSUM,
	.name = "checksum",
	.run = nc_csum_run,
};
