// SPDX-License-Identifier: GPL-2.0
/*
 * Which fragments NAT reassembles.
 *
 * NAT needs a whole datagram to find its flow (the ports are in the first
 * fragment only) and to translate it.  Transit traffic no NAT rule can
 * touch needs no reassembly: the stack forwards its fragments as they
 * come, as a router without NAT does.  Reassembly holds fragments for up
 * to the reassembly timeout and costs a queue per datagram, so it is kept
 * to the fragments whose addresses could belong to a NAT flow:
 *
 *  - a source and destination some NAT rule's selector covers (the
 *    original direction of the flows it makes), ports aside;
 *  - the reverse direction: to an snat pool, from a dnat target, to a
 *    netmap target prefix or from a netmap source prefix (which also
 *    covers connections netmap lets in);
 *  - to an address of the router itself: replies to masquerade and to
 *    hairpin flows, whose outside address is the router's own (the stack
 *    would reassemble those anyway);
 *  - every ICMP fragment: an error names its flow in its quote, and may
 *    come from any router on the path.
 *
 * Interfaces, protocols and ports are ignored, which only adds fragments;
 * a rule with no address selector (`oif wan masquerade`) takes them all.
 * Flows outlive the rule that made them, so the set is the union of the
 * selectors of every NAT rule published since the netns last had neither
 * a NAT rule nor a flow; the collector empties it then.  Past NC_NAT_FRAGSEL_MAX pairs, or
 * when the set cannot be allocated, every fragment is reassembled until
 * then, as before this filter existed.
 *
 * Locking: writers (ruleset publish, the collector) hold
 * nc_nat_net::fragsel_lock and replace the set under RCU; the receive
 * path reads it under RCU.  When a rule's pairs grow the set, the core
 * waits for a grace period before it publishes the classifier holding
 * the rule, so no packet pairs the older set with the newer rules (a
 * later fragment of the rule's first flow passed whole would leave
 * untranslated); the NAT hook still drops and counts a fragment it is
 * handed whole (nc_nat_hook_run()).
 */
#include <linux/slab.h>

#include "nat.h"

#define NC_NAT_FRAGSEL_MAX	64

/* A source and destination range, host byte order, inclusive. */
struct nc_nat_fragpair {
	u32 s_lo, s_hi;
	u32 d_lo, d_hi;
};

struct nc_nat_fragsel {
	struct rcu_head rcu;
	unsigned int n;
	struct nc_nat_fragpair pair[];
};

static void nc_nat_frag_range(__be32 addr, u8 plen, u32 *lo, u32 *hi)
{
	u32 mask = plen ? ~0U << (32 - plen) : 0;

	*lo = ntohl(addr) & mask;
	*hi = *lo | ~mask;
}

/*
 * The pairs one NAT rule's flows may have; returns how many (<= 2).  A
 * mapping whose filtering lets other remotes in (adf, eif) makes flows
 * with remotes its rule never named: the remote side is then any.
 */
static unsigned int nc_nat_frag_pairs(const struct nc_nat_rule *r,
				      struct nc_nat_fragpair *p)
{
	const struct nc_match *m = &r->rule->match;
	/* (snat and masquerade; nc_nat_parse() refuses it on others) */
	bool open = r->filtering != NETCHANNEL_NAT_FILTER_APDF;
	u8 slen = m->present & NC_M_SADDR ? m->saddr_len : 0;
	u8 dlen = m->present & NC_M_DADDR && !open ? m->daddr_len : 0;

	/* the original direction: what the rule's selector covers */
	nc_nat_frag_range(m->saddr.ip, slen, &p[0].s_lo, &p[0].s_hi);
	nc_nat_frag_range(m->daddr.ip, dlen, &p[0].d_lo, &p[0].d_hi);
	/* the reverse, from or to anywhere */
	nc_nat_frag_range(0, 0, &p[1].s_lo, &p[1].s_hi);
	nc_nat_frag_range(0, 0, &p[1].d_lo, &p[1].d_hi);
	switch (r->verdict) {
	case NETCHANNEL_VERDICT_MASQUERADE:
		/* replies are to the router's own address */
		return 1;
	case NETCHANNEL_VERDICT_SNAT:
		p[1].d_lo = ntohl(r->addr_min);
		p[1].d_hi = ntohl(r->addr_max);
		return 2;
	case NETCHANNEL_VERDICT_DNAT:
		/*
		 * A hairpin through the rule binds the inside sender to the
		 * rule's address: any inside host may then send to it.
		 */
		nc_nat_frag_range(0, 0, &p[0].s_lo, &p[0].s_hi);
		p[1].s_lo = ntohl(r->addr_min);
		p[1].s_hi = ntohl(r->addr_max);
		return 2;
	case NETCHANNEL_VERDICT_NETMAP:
		/* from the source prefix to anywhere; to the target prefix */
		nc_nat_frag_range(0, 0, &p[0].d_lo, &p[0].d_hi);
		nc_nat_frag_range(r->prefix, r->plen, &p[1].d_lo, &p[1].d_hi);
		return 2;
	}
	/* a verdict this does not know: every fragment */
	p[0] = p[1];
	return 1;
}

/* Does @p take every fragment? */
static bool nc_nat_frag_any(const struct nc_nat_fragpair *p)
{
	return !p->s_lo && p->s_hi == ~0U && !p->d_lo && p->d_hi == ~0U;
}

static bool nc_nat_frag_in(const struct nc_nat_fragsel *sel,
			   const struct nc_nat_fragpair *p)
{
	unsigned int i;

	for (i = 0; sel && i < sel->n; i++)
		if (!memcmp(&sel->pair[i], p, sizeof(*p)))
			return true;
	return false;
}

/**
 * nc_nat_frag_publish - let a NAT rule's fragments be reassembled
 * @nnn: the netns
 * @r: the rule, about to be published
 *
 * Never fails: without memory, every fragment is reassembled instead.
 * Context: process (ruleset publish).
 * Return: whether the set grew (readers of the older one must be gone
 * before the rule is published).
 */
bool nc_nat_frag_publish(struct nc_nat_net *nnn, const struct nc_nat_rule *r)
{
	struct nc_nat_fragsel *old, *sel;
	struct nc_nat_fragpair add[2];
	unsigned int i, n, nadd = 0, got;
	bool all = false, grew = false;

	got = nc_nat_frag_pairs(r, add);
	mutex_lock(&nnn->fragsel_lock);
	if (READ_ONCE(nnn->fragsel_all))
		goto out;
	old = rcu_dereference_protected(nnn->fragsel,
					lockdep_is_held(&nnn->fragsel_lock));
	for (i = 0; i < got; i++) {
		if (nc_nat_frag_in(old, &add[i]) ||
		    (nadd && !memcmp(&add[0], &add[i], sizeof(add[0]))))
			continue;
		add[nadd++] = add[i];
	}
	if (!nadd)
		goto out;
	n = old ? old->n : 0;
	sel = NULL;
	/* a pair that takes everything needs no list */
	for (i = 0; i < nadd; i++)
		all |= nc_nat_frag_any(&add[i]);
	if (!all && n + nadd <= NC_NAT_FRAGSEL_MAX)
		sel = kmalloc(struct_size(sel, pair, n + nadd),
			      GFP_KERNEL_ACCOUNT);
	grew = true;
	if (!sel) {
		WRITE_ONCE(nnn->fragsel_all, true);
		goto out;
	}
	if (n)
		memcpy(sel->pair, old->pair, n * sizeof(*sel->pair));
	memcpy(sel->pair + n, add, nadd * sizeof(*add));
	sel->n = n + nadd;
	rcu_assign_pointer(nnn->fragsel, sel);
	if (old)
		kfree_rcu(old, rcu);
out:
	mutex_unlock(&nnn->fragsel_lock);
	return grew;
}

/**
 * nc_nat_frag_forget - empty the set once NAT is idle
 * @nnn: the netns
 *
 * With no NAT rule (a rule counts from its init, before it is published)
 * and no flow, no fragment can belong to a NAT flow: the next rule starts
 * a new set.
 * Context: process (the collector).
 */
void nc_nat_frag_forget(struct nc_nat_net *nnn)
{
	struct nc_nat_fragsel *old;

	mutex_lock(&nnn->fragsel_lock);
	/* the acquire pairs with nc_nat_rule_init(), as nc_nat_active()'s */
	if (!atomic_read_acquire(&nnn->nrules) && !atomic_read(&nnn->nflows)) {
		old = rcu_replace_pointer(nnn->fragsel, NULL,
					  lockdep_is_held(&nnn->fragsel_lock));
		WRITE_ONCE(nnn->fragsel_all, false);
		if (old)
			kfree_rcu(old, rcu);
	}
	mutex_unlock(&nnn->fragsel_lock);
}

/**
 * nc_nat_frag_wanted - does NAT reassemble this fragment?
 * @nnn: the netns
 * @skb: the fragment
 * @pkt: its parse state
 *
 * Context: RCU read side, softirq.
 */
bool nc_nat_frag_wanted(struct nc_nat_net *nnn, const struct sk_buff *skb,
			const struct nc_pkt *pkt)
{
	const struct nc_nat_fragsel *sel;
	u32 s = ntohl(pkt->key.src.ip), d = ntohl(pkt->key.dst.ip);
	unsigned int i;

	if (pkt->key.proto == IPPROTO_ICMP || READ_ONCE(nnn->fragsel_all))
		return true;
	sel = rcu_dereference(nnn->fragsel);
	for (i = 0; sel && i < sel->n; i++) {
		const struct nc_nat_fragpair *p = &sel->pair[i];

		if (s >= p->s_lo && s <= p->s_hi && d >= p->d_lo && d <= p->d_hi)
			return true;
	}
	return nc_nat_for_router(nnn->net, skb->dev, pkt->key.dst.ip);
}

/* Context: netns exit, after a grace period: no packet of it is left. */
void nc_nat_frag_exit(struct nc_nat_net *nnn)
{
	kfree(rcu_dereference_protected(nnn->fragsel, true));
	mutex_destroy(&nnn->fragsel_lock);
}
