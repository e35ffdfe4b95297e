// SPDX-License-Identifier: GPL-2.0
/*
 * The NAT data path: which flow a packet belongs to, creating flows on a
 * rule's first packet, and rewriting packets to the other direction's
 * inverse tuple.  Only IPv4 is translated; TCP, UDP and ICMP echo have
 * flows, ICMP errors are translated through the flow they quote; packets
 * of other protocols that a source NAT rule matches are dropped (they
 * would leave with their inside source), a dnat rule's go to the stack.
 */
#include <linux/icmp.h>
#include <linux/inetdevice.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/route.h>

#include "../compat.h"
#include "nat.h"

/*
 * Fragments of NAT traffic are reassembled before lookup, in queues of
 * their own.  The id is the last of bridge conntrack's range: no other
 * user takes it for packets of our devices (a device with our receive
 * handler cannot be a bridge port), and reassembly that times out in this
 * range sends no ICMP error, as a router must not for transit traffic
 * (RFC 792: only the destination host reports reassembly timeouts).
 */
#define NC_NAT_DEFRAG_USER	__IP_DEFRAG_CONNTRACK_BRIDGE_IN

/*
 * An ICMP echo's flow ports: its identifier, in both (a request and its
 * reply carry the same one).  False for every other ICMP message.
 */
bool nc_nat_echo_ports(const struct icmphdr *ih, struct nc_nat_tuple *t)
{
	if (ih->type != ICMP_ECHO && ih->type != ICMP_ECHOREPLY)
		return false;
	t->sport = ih->un.echo.id;
	t->dport = ih->un.echo.id;
	return true;
}

/**
 * nc_nat_tuple_of - the flow tuple of a parsed IPv4 packet
 * @skb: the packet
 * @pkt: its parse state (transport header present)
 * @t: filled in
 *
 * Return: false for packets that have no flow of their own (ICMP other
 * than echo, protocols without ports, later fragments).
 */
bool nc_nat_tuple_of(const struct sk_buff *skb, const struct nc_pkt *pkt,
		     struct nc_nat_tuple *t)
{
	const struct icmphdr *ih;

	memset(t, 0, sizeof(*t));
	t->src = pkt->key.src.ip;
	t->dst = pkt->key.dst.ip;
	t->proto = pkt->key.proto;
	switch (pkt->key.proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		if (!(pkt->key.flags & NC_KEY_F_PORTS))
			return false;
		t->sport = pkt->key.sport;
		t->dport = pkt->key.dport;
		return true;
	case IPPROTO_ICMP:
		if (!pkt->l4hdr || pkt->thoff + sizeof(*ih) > pkt->l3len ||
		    skb_headlen(skb) < pkt->thoff + sizeof(*ih))
			return false;
		ih = (const struct icmphdr *)(skb->data + pkt->thoff);
		return nc_nat_echo_ports(ih, t);
	default:
		return false;
	}
}

void nc_nat_invert(const struct nc_nat_tuple *t, struct nc_nat_tuple *inv)
{
	memset(inv, 0, sizeof(*inv));
	inv->src = t->dst;
	inv->dst = t->src;
	inv->sport = t->dport;
	inv->dport = t->sport;
	inv->proto = t->proto;
}

static bool nc_nat_set(struct sk_buff *skb, struct nc_pkt *pkt,
		       enum nc_field field, const void *val, unsigned int len)
{
	union nc_addr to = {};

	memcpy(&to, val, len);
	return nc_rewrite_field(skb, pkt, field, &to);
}

/* The edit-log path (rewrite + checksum hooks) for what the fast one skips */
static bool nc_nat_xlate_logged(struct sk_buff *skb, struct nc_pkt *pkt,
				const struct nc_nat_tuple *to)
{
	bool ok = nc_nat_set(skb, pkt, NC_FIELD_SADDR, &to->src, 4) &&
		  nc_nat_set(skb, pkt, NC_FIELD_DADDR, &to->dst, 4);

	if (ok && pkt->key.proto == IPPROTO_ICMP)
		ok = nc_nat_set(skb, pkt, NC_FIELD_ICMP_ID, &to->sport, 2);
	else if (ok)
		ok = nc_nat_set(skb, pkt, NC_FIELD_SPORT, &to->sport, 2) &&
		     nc_nat_set(skb, pkt, NC_FIELD_DPORT, &to->dport, 2);
	return nc_csum_apply(skb, pkt) && ok;
}

/* Bytes from the transport header through its checksum (and ports/id). */
static unsigned int nc_nat_l4_need(u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return offsetof(struct tcphdr, check) + sizeof(__sum16);
	case IPPROTO_UDP:
		return sizeof(struct udphdr);
	default:	/* ICMP echo: type, code, checksum, id */
		return offsetof(struct icmphdr, un.echo.sequence);
	}
}

/**
 * nc_nat_xlate - rewrite a packet from tuple @from to tuple @to
 * @skb: the packet
 * @pkt: its parse state
 * @from: the packet's own tuple (that of the flow entry it matched)
 * @to: addresses and ports it must leave with
 *
 * The per-packet path of every translated packet, so it writes the new
 * values in place and moves each checksum by a one's complement
 * difference (RFC 1624) taken between the two tuples, one for the
 * addresses and one for the ports: the packet's fields are known to be
 * @from's, so no old value is read from the packet or compared.  The IP header checksum
 * follows the addresses, TCP/UDP checksums the addresses (pseudo header)
 * and the ports, ICMP's the identifier only; a UDP checksum of 0 stays 0
 * unless the checksum is left to the device (CHECKSUM_PARTIAL).
 *
 * A CHECKSUM_COMPLETE value covers from the network header here, which
 * the kernel's helpers do not expect; it is demoted to CHECKSUM_NONE:
 * forwarding drops it anyway (skb_forward_csum()), and a packet handed to
 * the stack is then verified in software.
 *
 * Return: false if the packet could not be made writable.
 */
bool nc_nat_xlate(struct sk_buff *skb, struct nc_pkt *pkt,
		  const struct nc_nat_tuple *from,
		  const struct nc_nat_tuple *to)
{
	unsigned int need = pkt->thoff + nc_nat_l4_need(to->proto);
	/* ICMP echo carries its identifier once, in the source port slot */
	int plen = to->proto == IPPROTO_ICMP ? 2 : 4;
	__sum16 *check = NULL;
	__wsum addrs, ports;
	struct iphdr *iph;
	void *l4;

	if (!pkt->l4hdr || need > pkt->l3len)
		return nc_nat_xlate_logged(skb, pkt, to);
	if (skb_ensure_writable(skb, need))
		return false;
	if (skb->ip_summed == CHECKSUM_COMPLETE)
		skb->ip_summed = CHECKSUM_NONE;
	addrs = csum_sub(csum_partial(&to->src, 8, 0),
			 csum_partial(&from->src, 8, 0));
	ports = csum_sub(csum_partial(&to->sport, plen, 0),
			 csum_partial(&from->sport, plen, 0));

	iph = (struct iphdr *)(skb->data + pkt->nhoff);
	iph->saddr = to->src;
	iph->daddr = to->dst;
	csum_replace_by_diff(&iph->check, addrs);

	l4 = skb->data + pkt->thoff;
	switch (to->proto) {
	case IPPROTO_TCP:
		check = &((struct tcphdr *)l4)->check;
		break;
	case IPPROTO_UDP:
		check = &((struct udphdr *)l4)->check;
		if (!*check && skb->ip_summed != CHECKSUM_PARTIAL)
			check = NULL;	/* no checksum: stays so */
		break;
	default:
		((struct icmphdr *)l4)->un.echo.id = to->sport;
		csum_replace_by_diff(&((struct icmphdr *)l4)->checksum, ports);
		return true;
	}
	((__be16 *)l4)[0] = to->sport;
	((__be16 *)l4)[1] = to->dport;
	if (!check)
		return true;
	nc_proto_csum_replace_by_diff(check, skb, addrs, true);
	nc_proto_csum_replace_by_diff(check, skb, ports, false);
	if (to->proto == IPPROTO_UDP && !*check)
		*check = CSUM_MANGLED_0;
	return true;
}

/* Reassemble IPv4 fragments; false when the skb was taken (queued). */
static bool nc_nat_defrag(struct sk_buff *skb, struct nc_pkt *pkt)
{
	if (ip_defrag(dev_net(skb->dev), skb, NC_NAT_DEFRAG_USER))
		return false;
	nc_pkt_init(pkt, pkt->key.iif);
	return true;
}

/*
 * Does the IPv4 header carry a source route (LSRR or SSRR), or options
 * too broken to tell?  ip_rcv_options() drops such a packet, or, where the
 * input device's accept_source_route allows it, routes it by the option.
 * The fast path never routes by an option, and a translated packet must
 * not go to the stack, so it drops them all (RFC 7126 advises routers to
 * drop both by default); other options travel as they came.
 */
static bool nc_nat_source_routed(const struct sk_buff *skb)
{
	const struct iphdr *iph = ip_hdr(skb);
	const u8 *opt = (const u8 *)(iph + 1);
	unsigned int i = 0, n = iph->ihl * 4 - sizeof(*iph);

	/* the parser pulled the whole header, options included */
	while (i < n) {
		if (opt[i] == IPOPT_END)
			return false;
		if (opt[i] == IPOPT_NOOP) {
			i++;
			continue;
		}
		if (opt[i] == IPOPT_LSRR || opt[i] == IPOPT_SSRR)
			return true;
		if (i + 1 >= n || opt[i + 1] < 2 || opt[i + 1] > n - i)
			return true;
		i += opt[i + 1];
	}
	return false;
}

/*
 * A packet from a remote endpoint with no flow yet, to a bound outside
 * endpoint: let it in if the binding's filtering admits it.  @b is NULL
 * when the binding was going as we looked (nc_nat_out_bound()).
 */
static enum nc_hook_ret nc_nat_inbound_new(struct nc_nat_net *nnn,
					   struct nc_nat_binding *b,
					   struct sk_buff *skb,
					   struct nc_pkt *pkt,
					   const struct nc_nat_tuple *t)
{
	const struct nc_nat_rule r = { .verdict = NETCHANNEL_VERDICT_SNAT };
	enum nc_nat_reason why = NC_NAT_R_FILTERED;
	struct mem_cgroup *old_memcg;
	struct nc_nat_tuple orig = {};
	struct nc_nat_flow *f = NULL;
	struct nc_nat_thash *th;

	/*
	 * Address and port dependent filtering admits only the remote
	 * endpoint of a flow, and a flow is in the table before its first
	 * packet leaves, so the lookup that sent us here would have found
	 * it: drop without the lock, which a flood of unsolicited packets
	 * would otherwise contend for.
	 */
	if (!b || b->filtering == NETCHANNEL_NAT_FILTER_APDF)
		goto drop;
	old_memcg = nc_nat_charge(nnn);
	spin_lock(&nnn->lock);
	th = nc_nat_lookup(nnn, t);
	if (th) {
		f = nc_nat_flow_of(th);
	} else if (nc_nat_binding_by_out(nnn, &b->out) == b &&
		   nc_nat_binding_admits(nnn, b, t)) {
		/* (found under RCU: it may have died since) */
		orig.src = b->in.ep.addr;
		orig.sport = b->in.ep.port;
		orig.dst = t->src;
		orig.dport = t->sport;
		orig.proto = t->proto;
		f = nc_nat_flow_create(nnn, &orig, t, &r, 0, b,
				       NC_NAT_NEW_INBOUND, &why);
		if (!f)
			nc_nat_binding_put(nnn, b);
	}
	spin_unlock(&nnn->lock);
	set_active_memcg(old_memcg);
	if (f)
		return nc_nat_forward(nnn, f, th ? th->t.dir : NC_NAT_DIR_IN,
				      skb, pkt);
drop:
	nc_nat_count(nnn, why);
	pkt->reason = NETCHANNEL_REASON_CONSUMER;
	return NC_HOOK_DROP;
}

static enum nc_hook_ret nc_nat_hairpin(struct nc_nat_net *nnn,
				       const struct nc_nat_binding *b,
				       struct sk_buff *skb, struct nc_pkt *pkt,
				       const struct nc_nat_tuple *t);

/**
 * nc_nat_rx - the consumer's receive hook: packets of known flows
 * @ncd: the attached device
 * @skb: the packet
 * @pkt: its parse state
 *
 * Context: RCU read side, softirq.
 */
enum nc_hook_ret nc_nat_rx(struct nc_dev *ncd, struct sk_buff *skb,
			   struct nc_pkt *pkt)
{
	struct nc_nat_net *nnn = nc_nat_net(dev_net(skb->dev));
	struct nc_nat_binding *b;
	struct nc_nat_thash *th;
	struct nc_nat_tuple t;
	struct nc_nat_ep out;

	/* ip_forward() forwards frames to our MAC only */
	if (pkt->key.family != AF_INET || skb->pkt_type != PACKET_HOST ||
	    !nc_nat_active(nnn))
		return NC_HOOK_CONTINUE;
	/*
	 * A transport header too broken to translate: the stack would
	 * forward the packet with its inside source.  Conntrack calls such
	 * packets invalid and leaves them to the ruleset; here, with NAT in
	 * use, they are dropped (the parser's reason counts them).
	 */
	if (unlikely(pkt->key.flags & NC_KEY_F_MALFORMED))
		return NC_HOOK_DROP;
	/*
	 * The control block still holds whatever the sender's layers left;
	 * the stack clears it in ip_rcv, the fast path must do it here so
	 * that only reassembly's frag_max_size reaches the fragmenter.
	 */
	memset(IPCB(skb), 0, sizeof(struct inet_skb_parm));
	if (pkt->key.flags & NC_KEY_F_FRAG) {
		/* the stack forwards what no NAT flow can own as it came */
		if (!nc_nat_frag_wanted(nnn, skb, pkt)) {
			nc_nat_count(nnn, NC_NAT_R_FRAG_PASSED);
			return NC_HOOK_CONTINUE;
		}
		if (!nc_nat_defrag(skb, pkt))
			return NC_HOOK_STOLEN;
		if (nc_parse(skb, pkt))
			return NC_HOOK_PASS;
	}
	if (unlikely(ip_hdr(skb)->ihl > 5) && nc_nat_source_routed(skb)) {
		nc_nat_count(nnn, NC_NAT_R_SOURCE_ROUTE);
		pkt->reason = NETCHANNEL_REASON_CONSUMER;
		return NC_HOOK_DROP;
	}
	if (!nc_nat_tuple_of(skb, pkt, &t)) {
		if (pkt->key.proto == IPPROTO_ICMP && pkt->l4hdr)
			return nc_nat_icmp_error(nnn, skb, pkt);
		return nc_nat_netmap_reverse(nnn, skb, pkt);
	}
	/*
	 * No flows, no bindings (a binding lives as long as its flows): a
	 * ruleset of netmap rules only, or a router before its first flow,
	 * does not pay for two lookups in empty tables.
	 */
	if (!atomic_read(&nnn->nflows))
		return nc_nat_netmap_reverse(nnn, skb, pkt);
	th = nc_nat_lookup(nnn, &t);
	if (th)
		return nc_nat_forward(nnn, nc_nat_flow_of(th), th->t.dir, skb,
				      pkt);

	memset(&out, 0, sizeof(out));
	out.addr = t.dst;
	out.port = t.dport;
	out.proto = t.proto;
	/*
	 * A port forward or a local socket that would take the packet comes
	 * before a binding of its port: the allocator leaves their ports
	 * alone, but a rule may be added and a socket opened after the
	 * binding was made, and the router's own connections use ports that
	 * bindings may hold (claim.c).
	 */
	if (!nc_nat_out_bound(nnn, &out, &b) ||
	    nc_nat_forward_first(nnn, ncd, skb, pkt, &t) ||
	    nc_nat_local_sock(dev_net(skb->dev), t.proto, t.src, t.sport,
			      t.dst, t.dport))
		return nc_nat_netmap_reverse(nnn, skb, pkt);
	if (b) {
		enum nc_hook_ret ret = nc_nat_hairpin(nnn, b, skb, pkt, &t);

		if (ret != NC_HOOK_CONTINUE)
			return ret;
	}
	return nc_nat_inbound_new(nnn, b, skb, pkt, &t);
}

/*
 * The pool address of an inside address: stable, so pooling is paired.
 * The pool may hold all 2^32 addresses, so its size is 64-bit wide, and
 * the hash is scaled into it by a multiplication rather than a division.
 */
static __be32 nc_nat_pool_addr(const struct nc_nat_rule *r, __be32 in)
{
	u64 n = (u64)ntohl(r->addr_max) - ntohl(r->addr_min) + 1;
	u32 h = jhash_1word((__force u32)in, 0);

	return htonl(ntohl(r->addr_min) + (u32)(((u64)h * n) >> 32));
}

/*
 * Outside ports (or echo identifiers) a new binding may use: the rule's
 * range; any identifier for ICMP; any port for the hairpin of a dnat rule.
 */
static void nc_nat_range(const struct nc_nat_rule *r, u8 proto, u16 *min,
			 u16 *max)
{
	*min = r->port_min;
	*max = r->port_max;
	if (proto == IPPROTO_ICMP) {
		*min = 0;
		*max = 65535;
	} else if (r->verdict == NETCHANNEL_VERDICT_DNAT) {
		*min = 1;
		*max = 65535;
	}
}

struct nc_nat_plan {
	struct nc_nat_tuple reply;
	__be32 bind_addr;	/* bind the source to this address, or 0 */
	struct dst_entry *dst;	/* the first packet's route (no reference) */
	/* hairpin: the binding whose outside endpoint was addressed (RCU) */
	const struct nc_nat_binding *target;
};

/*
 * What the reply tuple of a new flow will be, before any binding, and the
 * route its first packet takes: looked up as the stack would route it
 * (nc_nat_input_route()), and kept for the flow, as nf_flow_table keeps
 * the route the stack chose.  The egress device of that route gives
 * masquerade its address, and tells a dnat rule's hairpin.
 *
 * Return: NC_HOOK_CONTINUE to make the flow; NC_HOOK_PASS for a packet
 * the stack delivers here or refuses to forward (a martian, a failed
 * reverse path check, forwarding off, no route), which is left to it
 * untranslated; NC_HOOK_DROP, counted, for a packet that would leave with
 * its inside source because masquerade has no address to give it.
 */
static enum nc_hook_ret nc_nat_plan(struct nc_nat_net *nnn,
				    struct sk_buff *skb,
				    const struct nc_nat_rule *r,
				    const struct nc_nat_tuple *t,
				    struct nc_nat_plan *p)
{
	__be32 target = t->dst;

	nc_nat_invert(t, &p->reply);
	p->bind_addr = 0;
	p->target = NULL;
	if (r->verdict == NETCHANNEL_VERDICT_DNAT) {
		target = r->addr_min;
		p->reply.src = target;
		if (r->port_min && t->proto != IPPROTO_ICMP)
			p->reply.sport = htons(r->port_min);
	}
	p->dst = nc_nat_input_route(skb, t->src, target);
	if (!p->dst)
		return NC_HOOK_PASS;
	/*
	 * Through a tunnel (lwtunnel) only the stack forwards, and it would
	 * take the packet as it is: a source NAT rule's would leave with its
	 * inside source.
	 */
	if (IS_ERR(p->dst)) {
		if (r->verdict == NETCHANNEL_VERDICT_DNAT)
			return NC_HOOK_PASS;
		nc_nat_count(nnn, NC_NAT_R_UNSUPPORTED);
		return NC_HOOK_DROP;
	}
	switch (r->verdict) {
	case NETCHANNEL_VERDICT_SNAT:
		p->bind_addr = nc_nat_pool_addr(r, t->src);
		break;
	case NETCHANNEL_VERDICT_MASQUERADE:
		p->bind_addr = inet_select_addr(p->dst->dev,
						rt_nexthop((struct rtable *)p->dst,
							   t->dst),
						RT_SCOPE_UNIVERSE);
		if (!p->bind_addr) {
			nc_nat_count(nnn, NC_NAT_R_NO_ADDR);
			return NC_HOOK_DROP;
		}
		break;
	case NETCHANNEL_VERDICT_DNAT:
		/* hairpin: the inside host must see replies come from us */
		if (p->dst->dev == skb->dev)
			p->bind_addr = t->dst;
		break;
	}
	return NC_HOOK_CONTINUE;
}

/*
 * A hairpinned packet is filtered as an outside peer's would be: by the
 * binding it was sent to (@target), as coming from its sender's outside
 * endpoint (@b).  One the target does not admit still makes its flow, but
 * held: the initiator's packets are dropped (counted as filtered) until
 * the other side has sent through the flow, which it may, as the initiator
 * opened the way (a packet of the target's host to the initiator's
 * outside endpoint finds the flow).  That is hole punching between two
 * hosts behind this NAT, as it works between two NATs.
 * Context: nnn->lock held.  Return: false if @target is gone.
 */
static bool nc_nat_hairpin_filter(struct nc_nat_net *nnn,
				  const struct nc_nat_binding *target,
				  const struct nc_nat_binding *b,
				  unsigned int *how)
{
	const struct nc_nat_tuple from = {
		.src = b->out.addr,
		.sport = b->out.port,
		.proto = b->out.proto,
	};

	/* (found under RCU: it may have died since) */
	if (nc_nat_binding_by_out(nnn, &target->out) != target)
		return false;
	if (!nc_nat_binding_admits(nnn, target, &from))
		*how |= NC_NAT_NEW_HELD;
	return true;
}

/*
 * Create the flow of a rule's first packet.  Context: RCU, softirq; takes
 * nnn->lock.  Returns the flow's entry for @t (maybe of a flow a racing
 * CPU made, in which @t may be either direction; *@made says which), or
 * NULL.
 */
static struct nc_nat_thash *nc_nat_create(struct nc_nat_net *nnn,
					  struct sk_buff *skb,
					  const struct nc_nat_rule *r,
					  u32 handle,
					  const struct nc_nat_tuple *t,
					  struct nc_nat_plan *p, bool *made,
					  enum nc_nat_reason *why)
{
	struct nc_nat_binding *b = NULL;
	struct nc_nat_flow *f = NULL;
	struct mem_cgroup *old_memcg;
	struct nc_nat_thash *th;
	unsigned int how = 0;
	struct nc_nat_ep in, peer;
	u16 pmin, pmax;

	*made = false;
	old_memcg = nc_nat_charge(nnn);
	spin_lock(&nnn->lock);
	th = nc_nat_lookup(nnn, t);
	if (th)
		goto out;
	/* a host at its share takes no room from others (no early drop) */
	*why = NC_NAT_R_HOST_LIMIT;
	if (nc_nat_host_full(nnn, t->src))
		goto out;
	/*
	 * A full table refuses (or makes room) before anything is bound:
	 * making a binding only to drop it again cost a full table more per
	 * packet than a new flow costs an empty one.
	 */
	if (!nc_nat_room(nnn)) {
		*why = NC_NAT_R_TABLE_FULL;
		goto out;
	}
	if (p->bind_addr) {
		memset(&in, 0, sizeof(in));
		in.addr = t->src;
		in.port = t->sport;
		in.proto = t->proto;
		peer = in;
		peer.addr = p->reply.src;
		peer.port = p->reply.sport;
		nc_nat_range(r, t->proto, &pmin, &pmax);
		b = nc_nat_bind(nnn, &in, &peer, p->bind_addr, pmin, pmax,
				r->filtering);
		if (!b) {
			*why = NC_NAT_R_NO_PORT;
			goto out;
		}
		p->reply.dst = b->out.addr;
		p->reply.dport = b->out.port;
		if (t->proto == IPPROTO_ICMP)	/* echo replies carry one id */
			p->reply.sport = b->out.port;
		/* the route goes back out of the device the packet came in on */
		if (r->verdict == NETCHANNEL_VERDICT_DNAT)
			how |= NC_NAT_NEW_HAIRPIN;
	}
	if (p->target && !nc_nat_hairpin_filter(nnn, p->target, b, &how)) {
		*why = NC_NAT_R_FILTERED;
		nc_nat_binding_put(nnn, b);
		goto out;
	}
	/*
	 * The reply tuple's bucket is never in the cache (its port was just
	 * picked): have it load while the flow is made and its first tuple,
	 * whose bucket the lookup above brought in, is inserted.
	 */
	nc_nat_prefetch(nnn, &p->reply);
	f = nc_nat_flow_create(nnn, t, &p->reply, r, handle, b, how, why);
	if (!f && b)
		nc_nat_binding_put(nnn, b);
	if (f) {
		th = &f->th[NC_NAT_DIR_OUT];
		*made = true;
	}
out:
	spin_unlock(&nnn->lock);
	set_active_memcg(old_memcg);
	return th;
}

/*
 * Make the flow of a first packet as @plan says, and forward the packet
 * through it.  Context: RCU read side, softirq.
 */
static enum nc_hook_ret nc_nat_start(struct nc_nat_net *nnn,
				     struct sk_buff *skb, struct nc_pkt *pkt,
				     const struct nc_nat_rule *r, u32 handle,
				     const struct nc_nat_tuple *t,
				     struct nc_nat_plan *plan)
{
	enum nc_nat_reason why = NC_NAT_R_NOMEM;
	struct nc_nat_thash *th;
	enum nc_hook_ret ret;
	bool made;

	/* refused (TTL, MTU) before anything holds an outside port */
	ret = nc_nat_first_check(nnn, skb, pkt, plan->dst);
	if (ret != NC_HOOK_CONTINUE)
		return ret;
	th = nc_nat_create(nnn, skb, r, handle, t, plan, &made, &why);
	if (!th) {
		nc_nat_count(nnn, why);
		pkt->reason = NETCHANNEL_REASON_CONSUMER;
		return NC_HOOK_DROP;
	}
	/* a flow a racing CPU made keeps the route it found */
	if (made)
		nc_nat_way_cache(&nc_nat_flow_of(th)->way[NC_NAT_DIR_OUT],
				 plan->dst);
	return nc_nat_forward(nnn, nc_nat_flow_of(th), th->t.dir, skb, pkt);
}

/**
 * nc_nat_new_flow - a NAT rule matched a packet without a flow
 * @skb: the packet
 * @pkt: its parse state
 * @r: the rule's arguments
 * @handle: the rule's handle
 *
 * Context: RCU read side, softirq (the rule's hook chain).
 */
enum nc_hook_ret nc_nat_new_flow(struct sk_buff *skb, struct nc_pkt *pkt,
				 const struct nc_nat_rule *r, u32 handle)
{
	struct nc_nat_net *nnn = nc_nat_net(dev_net(skb->dev));
	struct nc_nat_plan plan;
	struct nc_nat_tuple t;
	enum nc_hook_ret ret;

	if (pkt->key.family != AF_INET)
		return NC_HOOK_PASS;
	/*
	 * Protocols without ports (GRE, ESP, SCTP, ICMP other than echo)
	 * get no flow.  Passed on, a packet of a source NAT rule would leave
	 * with its inside source, so it is dropped and counted; a dnat
	 * rule's goes to the stack, addressed to the router itself.
	 */
	if (!nc_nat_tuple_of(skb, pkt, &t)) {
		if (r->verdict == NETCHANNEL_VERDICT_DNAT)
			return NC_HOOK_PASS;
		nc_nat_count(nnn, NC_NAT_R_UNSUPPORTED);
		pkt->reason = NETCHANNEL_REASON_CONSUMER;
		return NC_HOOK_DROP;
	}
	ret = nc_nat_plan(nnn, skb, r, &t, &plan);
	if (ret != NC_HOOK_CONTINUE) {
		if (ret == NC_HOOK_DROP)
			pkt->reason = NETCHANNEL_REASON_CONSUMER;
		return ret;
	}
	return nc_nat_start(nnn, skb, pkt, r, handle, &t, &plan);
}

/*
 * An inside host's packet to another inside endpoint's outside endpoint,
 * the binding @b (hairpinning, RFC 4787 REQ-9, RFC 5382 REQ-8): the two
 * learnt each other's outside endpoints from a server outside, as peer to
 * peer applications do.  It is forwarded as a port forward to @b's inside
 * endpoint would be, by the same planning: when that endpoint lies behind
 * the device the packet came in on, the source is translated too, to the
 * sender's own outside endpoint on that address (its binding there, made
 * if it has none), so the receiver sees the endpoint an outside peer
 * would see and answers through the router.  A packet from outside, or
 * one claiming an inside source on an outside device, is routed to the
 * inside through another device: it is no hairpin, and stays an inbound
 * packet that @b's filtering judges.  A sender's binding made here
 * filters by address and port: its flows carry both directions of the
 * hairpin, and a binding is found again by whatever rule later translates
 * the sender's endpoint, which must not inherit @b's more open filtering
 * (with `eif`, any outside host could then reach the sender).
 *
 * ICMP echo identifiers are no endpoints peers learn: not hairpinned.
 * Context: RCU read side, softirq.
 * Return: NC_HOOK_CONTINUE for a packet that is no hairpin.
 */
static enum nc_hook_ret nc_nat_hairpin(struct nc_nat_net *nnn,
				       const struct nc_nat_binding *b,
				       struct sk_buff *skb, struct nc_pkt *pkt,
				       const struct nc_nat_tuple *t)
{
	const struct nc_nat_rule r = {
		.verdict = NETCHANNEL_VERDICT_DNAT,
		.addr_min = b->in.ep.addr,
		.filtering = NETCHANNEL_NAT_FILTER_APDF,
	};
	struct nc_nat_plan plan;

	if (t->proto == IPPROTO_ICMP)
		return NC_HOOK_CONTINUE;
	if (nc_nat_plan(nnn, skb, &r, t, &plan) != NC_HOOK_CONTINUE ||
	    !plan.bind_addr) {
		/* the inbound packet is routed by its own destination */
		skb_dst_drop(skb);
		return NC_HOOK_CONTINUE;
	}
	/* the inside port, even 0, which a rule's port cannot be */
	plan.reply.sport = b->in.ep.port;
	plan.target = b;
	return nc_nat_start(nnn, skb, pkt, &r, 0, t, &plan);
}
