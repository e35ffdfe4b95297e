// SPDX-License-Identifier: GPL-2.0
/*
 * NAT rules: the snat, masquerade, dnat and netmap verdicts of the core's
 * rule table.  A NAT rule's chain is one hook that creates the flow of the
 * first packet (later packets find the flow before the rule table), or,
 * for netmap, translates the source statelessly.  Netmap rules are also
 * kept on a per-netns RCU list, so that packets to the mapped prefix are
 * translated back without a rule of their own.
 */
#include <linux/inetdevice.h>
#include <net/route.h>

#include "nat.h"

static const struct nla_policy nc_nat_act_policy[NETCHANNEL_NAT_A_ACT_MAX + 1] = {
	[NETCHANNEL_NAT_A_ACT_ADDR_MIN]		= { .type = NLA_BE32 },
	[NETCHANNEL_NAT_A_ACT_ADDR_MAX]		= { .type = NLA_BE32 },
	[NETCHANNEL_NAT_A_ACT_PORT_MIN]		= NLA_POLICY_MIN(NLA_U16, 1),
	[NETCHANNEL_NAT_A_ACT_PORT_MAX]		= NLA_POLICY_MIN(NLA_U16, 1),
	[NETCHANNEL_NAT_A_ACT_FILTERING]	=
		NLA_POLICY_MAX(NLA_U8, NETCHANNEL_NAT_FILTER_EIF),
	[NETCHANNEL_NAT_A_ACT_PREFIX]		= { .type = NLA_BE32 },
	[NETCHANNEL_NAT_A_ACT_PREFIX_LEN]	= NLA_POLICY_MAX(NLA_U8, 32),
};

/* Outside ports when a rule names none; the inside port is kept if free. */
#define NC_NAT_PORT_MIN	1024
#define NC_NAT_PORT_MAX	65535

static __be32 nc_nat_mask(u8 plen)
{
	return inet_make_mask(plen);
}

static enum nc_hook_ret nc_nat_netmap(struct sk_buff *skb, struct nc_pkt *pkt,
				      const struct nc_nat_rule *r, bool reverse)
{
	__be32 mask = nc_nat_mask(r->plen);
	union nc_addr to = {};
	__be32 from, base;

	from = reverse ? pkt->key.dst.ip : pkt->key.src.ip;
	base = reverse ? r->from_prefix : r->prefix;
	to.ip = base | (from & ~mask);
	nc_nat_count(r->nnn, NC_NAT_R_NETMAP);
	return nc_nat_forward_stateless(r->nnn, skb, pkt, reverse ?
					NC_FIELD_DADDR : NC_FIELD_SADDR, &to);
}

/* Packets to a netmap target prefix go back to the original prefix. */
enum nc_hook_ret nc_nat_netmap_reverse(struct nc_nat_net *nnn,
				       struct sk_buff *skb,
				       struct nc_pkt *pkt)
{
	const struct nc_nat_rule *r;

	list_for_each_entry_rcu(r, &nnn->netmaps, netmap)
		if (!((pkt->key.dst.ip ^ r->prefix) & nc_nat_mask(r->plen)))
			return nc_nat_netmap(skb, pkt, r, true);
	return NC_HOOK_CONTINUE;
}

/**
 * nc_nat_netmap_addr - where a netmap rule maps an address
 * @nnn: the netns
 * @addr: the address
 * @reverse: @addr is a target address, to be mapped back to its source
 * @to: the mapped address
 *
 * For the addresses an ICMP error quotes: like the reverse mapping, the
 * first netmap rule whose prefix holds @addr decides, whatever else the
 * rule matches on.
 *
 * Context: RCU read side.
 * Return: true if a netmap rule maps @addr.
 */
bool nc_nat_netmap_addr(struct nc_nat_net *nnn, __be32 addr, bool reverse,
			__be32 *to)
{
	const struct nc_nat_rule *r;
	__be32 mask;

	list_for_each_entry_rcu(r, &nnn->netmaps, netmap) {
		mask = nc_nat_mask(r->plen);
		if ((addr ^ (reverse ? r->prefix : r->from_prefix)) & mask)
			continue;
		*to = (reverse ? r->from_prefix : r->prefix) | (addr & ~mask);
		return true;
	}
	return false;
}

static enum nc_hook_ret nc_nat_hook_run(struct sk_buff *skb,
					struct nc_pkt *pkt,
					const struct nc_hook *hook)
{
	const struct nc_nat_rule *r = hook->priv;

	/* ip_forward() forwards frames to our MAC only */
	if (pkt->key.family != AF_INET || skb->pkt_type != PACKET_HOST)
		return NC_HOOK_PASS;
	/*
	 * A fragment nc_nat_rx() left whole.  Not expected: a rule's pairs
	 * join the fragment set a grace period before the rule goes live
	 * (frag.c).  Without its ports it cannot be translated, and must
	 * not leave untranslated.
	 */
	if (unlikely(pkt->key.flags & NC_KEY_F_FRAG)) {
		nc_nat_count(r->nnn, NC_NAT_R_FRAG_WHOLE);
		pkt->reason = NETCHANNEL_REASON_CONSUMER;
		return NC_HOOK_DROP;
	}
	if (r->verdict == NETCHANNEL_VERDICT_NETMAP) {
		if (unlikely(nc_nat_icmp_quotes(skb, pkt))) {
			/* about the router's own packet (nc_nat_icmp_error()) */
			if (nc_nat_for_router(r->nnn->net, skb->dev,
					      pkt->key.dst.ip))
				return NC_HOOK_PASS;
			nc_nat_count(r->nnn, NC_NAT_R_ICMP_NO_FLOW);
			pkt->reason = NETCHANNEL_REASON_CONSUMER;
			return NC_HOOK_DROP;
		}
		return nc_nat_netmap(skb, pkt, r, false);
	}
	return nc_nat_new_flow(skb, pkt, r, r->rule->handle);
}

static const struct nc_hook_type nc_nat_hook = {
	.kind = NC_HOOK_CONSUMER,
	.name = "nat",
	.run = nc_nat_hook_run,
};

static int nc_nat_parse_ports(struct nlattr **at, struct nc_nat_rule *r,
			      struct netlink_ext_ack *extack)
{
	r->port_min = NC_NAT_PORT_MIN;
	r->port_max = NC_NAT_PORT_MAX;
	if (!at[NETCHANNEL_NAT_A_ACT_PORT_MIN])
		return 0;
	r->port_min = nla_get_u16(at[NETCHANNEL_NAT_A_ACT_PORT_MIN]);
	r->port_max = at[NETCHANNEL_NAT_A_ACT_PORT_MAX] ?
		      nla_get_u16(at[NETCHANNEL_NAT_A_ACT_PORT_MAX]) :
		      r->port_min;
	if (r->port_min > r->port_max) {
		NL_SET_ERR_MSG_ATTR(extack, at[NETCHANNEL_NAT_A_ACT_PORT_MAX],
				    "port range minimum is above its maximum");
		return -EINVAL;
	}
	return 0;
}

static int nc_nat_parse_snat(struct nlattr **at, struct nlattr *nest,
			     struct nc_nat_rule *r,
			     struct netlink_ext_ack *extack)
{
	if (!at[NETCHANNEL_NAT_A_ACT_ADDR_MIN]) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "snat needs an address");
		return -EINVAL;
	}
	r->addr_min = nla_get_be32(at[NETCHANNEL_NAT_A_ACT_ADDR_MIN]);
	r->addr_max = at[NETCHANNEL_NAT_A_ACT_ADDR_MAX] ?
		      nla_get_be32(at[NETCHANNEL_NAT_A_ACT_ADDR_MAX]) :
		      r->addr_min;
	if (ntohl(r->addr_min) > ntohl(r->addr_max)) {
		NL_SET_ERR_MSG_ATTR(extack, at[NETCHANNEL_NAT_A_ACT_ADDR_MAX],
				    "address range start is above its end");
		return -EINVAL;
	}
	return nc_nat_parse_ports(at, r, extack);
}

static int nc_nat_parse_dnat(struct net *net, struct nlattr **at,
			     struct nlattr *nest, struct nc_nat_rule *r,
			     struct netlink_ext_ack *extack)
{
	if (!at[NETCHANNEL_NAT_A_ACT_ADDR_MIN]) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "dnat needs an address");
		return -EINVAL;
	}
	r->addr_min = nla_get_be32(at[NETCHANNEL_NAT_A_ACT_ADDR_MIN]);
	r->addr_max = r->addr_min;
	if (at[NETCHANNEL_NAT_A_ACT_PORT_MIN])
		r->port_min = nla_get_u16(at[NETCHANNEL_NAT_A_ACT_PORT_MIN]);
	r->port_max = r->port_min;
	/*
	 * The engine sees received packets only: replies of a local socket
	 * would never be translated back.
	 */
	if (inet_addr_type(net, r->addr_min) == RTN_LOCAL) {
		NL_SET_ERR_MSG_ATTR(extack, at[NETCHANNEL_NAT_A_ACT_ADDR_MIN],
				    "dnat to an address of this router is not supported: replies from local sockets do not pass the receive hook");
		return -EOPNOTSUPP;
	}
	return 0;
}

static int nc_nat_parse_netmap(const struct nc_rule *rule, struct nlattr **at,
			       struct nlattr *nest, struct nc_nat_rule *r,
			       struct netlink_ext_ack *extack)
{
	const struct nc_match *m = &rule->match;

	if (!at[NETCHANNEL_NAT_A_ACT_PREFIX]) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "netmap needs a prefix");
		return -EINVAL;
	}
	r->prefix = nla_get_be32(at[NETCHANNEL_NAT_A_ACT_PREFIX]);
	r->plen = at[NETCHANNEL_NAT_A_ACT_PREFIX_LEN] ?
		  nla_get_u8(at[NETCHANNEL_NAT_A_ACT_PREFIX_LEN]) : 32;
	if (r->prefix & ~nc_nat_mask(r->plen)) {
		NL_SET_ERR_MSG_ATTR(extack, at[NETCHANNEL_NAT_A_ACT_PREFIX],
				    "netmap prefix has bits set beyond its length");
		return -EINVAL;
	}
	/* 1:1 both ways: the rule's source prefix is the other side */
	if (!(m->present & NC_M_SADDR) || m->family != AF_INET ||
	    m->saddr_len != r->plen) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "netmap needs an IPv4 saddr match with the same prefix length");
		return -EINVAL;
	}
	r->from_prefix = m->saddr.ip;
	return 0;
}

static int nc_nat_parse(struct net *net, struct nc_rule *rule,
			struct nlattr **tb, struct nc_nat_rule *r,
			struct netlink_ext_ack *extack)
{
	struct nlattr *nest = tb[NETCHANNEL_A_RULE_ACTION];
	struct nlattr *at[NETCHANNEL_NAT_A_ACT_MAX + 1] = {};
	int err;

	if (nest) {
		err = nla_parse_nested(at, NETCHANNEL_NAT_A_ACT_MAX, nest,
				       nc_nat_act_policy, extack);
		if (err)
			return err;
	}
	if (at[NETCHANNEL_NAT_A_ACT_FILTERING]) {
		/*
		 * A mapping's filtering is a source NAT's (RFC 4787); a dnat
		 * rule's hairpin bindings filter as apdf.
		 */
		if (rule->verdict != NETCHANNEL_VERDICT_SNAT &&
		    rule->verdict != NETCHANNEL_VERDICT_MASQUERADE) {
			NL_SET_ERR_MSG_ATTR(extack, at[NETCHANNEL_NAT_A_ACT_FILTERING],
					    "filtering applies to snat and masquerade only");
			return -EINVAL;
		}
		r->filtering = nla_get_u8(at[NETCHANNEL_NAT_A_ACT_FILTERING]);
	}
	switch (rule->verdict) {
	case NETCHANNEL_VERDICT_SNAT:
		return nc_nat_parse_snat(at, nest, r, extack);
	case NETCHANNEL_VERDICT_MASQUERADE:
		return nc_nat_parse_ports(at, r, extack);
	case NETCHANNEL_VERDICT_DNAT:
		return nc_nat_parse_dnat(net, at, nest, r, extack);
	default:
		return nc_nat_parse_netmap(rule, at, nest, r, extack);
	}
}

static int nc_nat_rule_init(struct net *net, struct nc_rule *rule,
			    struct nlattr **tb, struct netlink_ext_ack *extack)
{
	struct nc_nat_net *nnn = nc_nat_net(net);
	struct nc_nat_rule *r;
	int err;

	if ((rule->match.present & NC_M_FAMILY) &&
	    rule->match.family != AF_INET) {
		NL_SET_ERR_MSG_ATTR(extack, tb[NETCHANNEL_A_RULE_FAMILY],
				    "NAT translates IPv4 only");
		return -EOPNOTSUPP;
	}
	err = nc_nat_tables_get(nnn);
	if (err) {
		NL_SET_ERR_MSG(extack, "out of memory for the NAT tables");
		return err;
	}
	/* NAT rules match IPv4 only, whether or not they say so */
	rule->match.present |= NC_M_FAMILY;
	rule->match.family = AF_INET;
	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return -ENOMEM;
	r->verdict = rule->verdict;
	r->nnn = nnn;
	r->rule = rule;
	INIT_LIST_HEAD(&r->netmap);
	err = nc_nat_parse(net, rule, tb, r, extack);
	if (err)
		goto err_free;
	err = nc_nat_claim_prepare(nnn, rule);
	if (err) {
		NL_SET_ERR_MSG(extack, "out of memory for the port forward counts");
		goto err_free;
	}
	rule->chain = nc_chain_alloc(1, GFP_KERNEL_ACCOUNT);
	if (!rule->chain) {
		err = -ENOMEM;
		goto err_free;
	}
	rule->chain->hooks[0].type = &nc_nat_hook;
	rule->chain->hooks[0].priv = r;
	rule->priv = r;
	/* pairs with nc_nat_active() */
	smp_mb__before_atomic();
	atomic_inc(&nnn->nrules);
	return 0;

err_free:
	kfree(r);
	return err;
}

/*
 * What a rule does beside the classifier starts when its ruleset is
 * published, not when the rule is parsed (a ruleset refused later must
 * never have acted): a netmap rule translates packets to its target
 * prefix back without a rule of their own, a port forward keeps bindings
 * off its port, and the rule's fragments are reassembled (frag.c).
 */
static bool nc_nat_rule_publish(struct nc_rule *rule)
{
	struct nc_nat_rule *r = rule->priv;
	struct nc_nat_net *nnn = r->nnn;
	bool grew = nc_nat_frag_publish(nnn, r);

	if (r->verdict == NETCHANNEL_VERDICT_DNAT)
		nc_nat_claim_publish(nnn, rule);
	if (r->verdict == NETCHANNEL_VERDICT_NETMAP) {
		spin_lock_bh(&nnn->lock);
		list_add_tail_rcu(&r->netmap, &nnn->netmaps);
		spin_unlock_bh(&nnn->lock);
	}
	/* a fragment nc_nat_rx() left whole must not meet this rule */
	return grew;
}

static void nc_nat_rule_destroy(struct nc_rule *rule)
{
	struct nc_nat_rule *r = rule->priv;
	struct nc_nat_net *nnn = r->nnn;

	if (r->verdict == NETCHANNEL_VERDICT_NETMAP && rule->published) {
		spin_lock_bh(&nnn->lock);
		list_del_rcu(&r->netmap);
		spin_unlock_bh(&nnn->lock);
	}
	if (r->verdict == NETCHANNEL_VERDICT_DNAT && rule->published)
		nc_nat_claim_withdraw(nnn, rule);
	atomic_dec(&nnn->nrules);
	kfree_rcu(r, rcu);
}

static int nc_nat_rule_fill(struct sk_buff *msg, const struct nc_rule *rule)
{
	const struct nc_nat_rule *r = rule->priv;
	struct nlattr *nest;
	int err = 0;

	nest = nla_nest_start(msg, NETCHANNEL_A_RULE_ACTION);
	if (!nest)
		return -EMSGSIZE;
	switch (r->verdict) {
	case NETCHANNEL_VERDICT_SNAT:
		err = nla_put_be32(msg, NETCHANNEL_NAT_A_ACT_ADDR_MIN, r->addr_min) ||
		      nla_put_be32(msg, NETCHANNEL_NAT_A_ACT_ADDR_MAX, r->addr_max);
		fallthrough;
	case NETCHANNEL_VERDICT_MASQUERADE:
		err = err ||
		      nla_put_u16(msg, NETCHANNEL_NAT_A_ACT_PORT_MIN, r->port_min) ||
		      nla_put_u16(msg, NETCHANNEL_NAT_A_ACT_PORT_MAX, r->port_max) ||
		      nla_put_u8(msg, NETCHANNEL_NAT_A_ACT_FILTERING, r->filtering);
		break;
	case NETCHANNEL_VERDICT_DNAT:
		err = nla_put_be32(msg, NETCHANNEL_NAT_A_ACT_ADDR_MIN, r->addr_min) ||
		      (r->port_min &&
		       nla_put_u16(msg, NETCHANNEL_NAT_A_ACT_PORT_MIN, r->port_min));
		break;
	default:
		err = nla_put_be32(msg, NETCHANNEL_NAT_A_ACT_PREFIX, r->prefix) ||
		      nla_put_u8(msg, NETCHANNEL_NAT_A_ACT_PREFIX_LEN, r->plen);
		break;
	}
	if (err) {
		nla_nest_cancel(msg, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

struct nc_consumer nc_nat_consumer = {
	.name = "nat",
	.verdict_min = NETCHANNEL_VERDICT_SNAT,
	.verdict_max = NETCHANNEL_VERDICT_NETMAP,
	.rx = nc_nat_rx,
	.rule_init = nc_nat_rule_init,
	.rule_fill = nc_nat_rule_fill,
	.rule_publish = nc_nat_rule_publish,
	.rule_destroy = nc_nat_rule_destroy,
};
