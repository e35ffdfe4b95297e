// SPDX-License-Identifier: GPL-2.0
/*
 * Rewrite hook: set address and port fields of a packet.  It only writes
 * the fields and records each edit in the packet's edit log; the checksum
 * hook, which must follow it in a chain, turns the log into incremental
 * checksum updates.  Keeping the two apart lets consumers edit several
 * fields and pay for one pass over the checksums.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>

#include "../nc.h"

/* Byte offset of @field from skb->data, or -1 if the packet lacks it. */
static int nc_field_offset(const struct nc_pkt *pkt, enum nc_field field)
{
	bool v4 = pkt->key.family == AF_INET;

	switch (field) {
	case NC_FIELD_SADDR:
		return pkt->nhoff + (v4 ? offsetof(struct iphdr, saddr) :
				     offsetof(struct ipv6hdr, saddr));
	case NC_FIELD_DADDR:
		return pkt->nhoff + (v4 ? offsetof(struct iphdr, daddr) :
				     offsetof(struct ipv6hdr, daddr));
	case NC_FIELD_SPORT:
		return pkt->key.flags & NC_KEY_F_PORTS ? pkt->thoff : -1;
	case NC_FIELD_DPORT:
		return pkt->key.flags & NC_KEY_F_PORTS ? pkt->thoff + 2 : -1;
	case NC_FIELD_ICMP_ID:
		return pkt->l4hdr && (pkt->key.proto == IPPROTO_ICMP ||
				      pkt->key.proto == IPPROTO_ICMPV6) &&
		       pkt->thoff + 8 <= pkt->l3len ? pkt->thoff + 4 : -1;
	default:
		return -1;
	}
}

static unsigned int nc_field_size(const struct nc_pkt *pkt,
				  enum nc_field field)
{
	if (field == NC_FIELD_SPORT || field == NC_FIELD_DPORT ||
	    field == NC_FIELD_ICMP_ID)
		return sizeof(__be16);
	return pkt->key.family == AF_INET ? sizeof(__be32) :
	       sizeof(struct in6_addr);
}

/* The copy of @field in the flow key, kept in step with the packet. */
static void *nc_field_key(struct nc_pkt *pkt, enum nc_field field)
{
	switch (field) {
	case NC_FIELD_SADDR:
		return &pkt->key.src;
	case NC_FIELD_DADDR:
		return &pkt->key.dst;
	case NC_FIELD_SPORT:
		return &pkt->key.sport;
	case NC_FIELD_DPORT:
		return &pkt->key.dport;
	default:
		return NULL;	/* not part of the key */
	}
}

/**
 * nc_rewrite_field - set one header field and log the edit
 * @skb: the packet, skb->data at the network header
 * @pkt: its parse state; the key follows the edit
 * @field: which field
 * @to: new value; a port is the first __be16 of @to
 *
 * Return: false when the packet lacks the field, the edit log is full or
 * the skb cannot be made writable; the packet is then unchanged.
 */
bool nc_rewrite_field(struct sk_buff *skb, struct nc_pkt *pkt,
		      enum nc_field field, const union nc_addr *to)
{
	int off = nc_field_offset(pkt, field);
	unsigned int size = nc_field_size(pkt, field);
	struct nc_edit *edit;
	void *p;

	if (off < 0 || pkt->nedits >= NC_MAX_EDITS)
		return false;
	if (skb_ensure_writable(skb, off + size))
		return false;
	p = skb->data + off;
	if (!memcmp(p, to, size))
		return true;
	edit = &pkt->edits[pkt->nedits++];
	edit->field = field;
	memset(&edit->from, 0, sizeof(edit->from));
	memset(&edit->to, 0, sizeof(edit->to));
	memcpy(&edit->from, p, size);
	memcpy(&edit->to, to, size);
	memcpy(p, to, size);
	p = nc_field_key(pkt, field);
	if (p)
		memcpy(p, to, size);
	return true;
}
EXPORT_SYMBOL_GPL(nc_rewrite_field);

static const union nc_addr *nc_rewrite_value(const struct nc_rewrite *rw,
					     enum nc_field field,
					     union nc_addr *port)
{
	switch (field) {
	case NC_FIELD_SADDR:
		return &rw->saddr;
	case NC_FIELD_DADDR:
		return &rw->daddr;
	case NC_FIELD_SPORT:
		port->ip6[0] = 0;
		memcpy(port, &rw->sport, sizeof(rw->sport));
		return port;
	default:	/* the ICMP identifier travels in dport */
		port->ip6[0] = 0;
		memcpy(port, &rw->dport, sizeof(rw->dport));
		return port;
	}
}

static enum nc_hook_ret nc_rewrite_run(struct sk_buff *skb,
				       struct nc_pkt *pkt,
				       const struct nc_hook *hook)
{
	const struct nc_rewrite *rw = &hook->rewrite;
	union nc_addr port;
	int field;

	for (field = 0; field < __NC_FIELD_MAX; field++) {
		if (!(rw->fields & BIT(field)))
			continue;
		if (!nc_rewrite_field(skb, pkt, field,
				      nc_rewrite_value(rw, field, &port))) {
			pkt->reason = NETCHANNEL_REASON_NOMEM;
			return NC_HOOK_DROP;
		}
	}
	return NC_HOOK_CONTINUE;
}

const struct nc_hook_type nc_hook_rewrite = {
	.kind = NC_HOOK_REWRITE,
	.name = "rewrite",
	.run = nc_rewrite_run,
};
