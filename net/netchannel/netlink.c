// SPDX-License-Identifier: GPL-2.0
/*
 * The "netchannel" generic netlink family: device attach/detach/list, rule
 * add/del/list/flush, whole-ruleset replace, statistics.
 *
 * Every op has a strict policy; every rejection says why in extack and,
 * where one attribute is to blame, points at it.  A request is validated
 * completely before anything changes, so a rejected request leaves the
 * state exactly as it was.  Handlers take nc_net::lock (after RTNL where
 * devices are involved); the family runs with parallel_ops.
 */
#include <linux/inetdevice.h>
#include <linux/rtnetlink.h>
#include <net/genetlink.h>
#include <net/ipv6.h>

#include "nc.h"

static const struct nla_policy nc_rule_policy[NETCHANNEL_A_RULE_MAX + 1] = {
	[NETCHANNEL_A_RULE_HANDLE]	= NLA_POLICY_MIN(NLA_U32, 1),
	[NETCHANNEL_A_RULE_PRIO]	= { .type = NLA_U32 },
	[NETCHANNEL_A_RULE_FAMILY]	= { .type = NLA_U8 },
	[NETCHANNEL_A_RULE_IIF]		= NLA_POLICY_MIN(NLA_U32, 1),
	[NETCHANNEL_A_RULE_PROTO]	= { .type = NLA_U8 },
	[NETCHANNEL_A_RULE_SADDR]	= NLA_POLICY_MIN_LEN(sizeof(__be32)),
	[NETCHANNEL_A_RULE_SADDR_LEN]	= NLA_POLICY_MAX(NLA_U8, 128),
	[NETCHANNEL_A_RULE_DADDR]	= NLA_POLICY_MIN_LEN(sizeof(__be32)),
	[NETCHANNEL_A_RULE_DADDR_LEN]	= NLA_POLICY_MAX(NLA_U8, 128),
	[NETCHANNEL_A_RULE_SPORT_MIN]	= { .type = NLA_U16 },
	[NETCHANNEL_A_RULE_SPORT_MAX]	= { .type = NLA_U16 },
	[NETCHANNEL_A_RULE_DPORT_MIN]	= { .type = NLA_U16 },
	[NETCHANNEL_A_RULE_DPORT_MAX]	= { .type = NLA_U16 },
	[NETCHANNEL_A_RULE_VERDICT]	= { .type = NLA_U32 },
	[NETCHANNEL_A_RULE_OIF]		= NLA_POLICY_MIN(NLA_U32, 1),
	/* a consumer's arguments: it parses them with its own policy */
	[NETCHANNEL_A_RULE_ACTION]	= { .type = NLA_NESTED },
};

static const struct nla_policy nc_dev_policy[NETCHANNEL_A_MAX + 1] = {
	[NETCHANNEL_A_IFINDEX]		= NLA_POLICY_MIN(NLA_U32, 1),
};

static const struct nla_policy nc_rule_add_policy[NETCHANNEL_A_MAX + 1] = {
	[NETCHANNEL_A_RULE]		= NLA_POLICY_NESTED(nc_rule_policy),
};

static const struct nla_policy nc_ruleset_policy[NETCHANNEL_A_MAX + 1] = {
	[NETCHANNEL_A_RULESET]	= NLA_POLICY_NESTED_ARRAY(nc_rule_policy),
	[NETCHANNEL_A_RULE]	= NLA_POLICY_NESTED(nc_rule_policy),
};

static const struct nla_policy nc_empty_policy[NETCHANNEL_A_MAX + 1] = {
};

static struct genl_family nc_genl_family;

/* ---- rule attributes -> struct nc_rule ---- */

/* Read a prefix; the attributes passed policy checks already. */
static int nc_parse_prefix(struct nlattr **tb, int a_addr, int a_len,
			   u8 family, union nc_addr *addr, u8 *plen,
			   struct netlink_ext_ack *extack)
{
	unsigned int alen = family == AF_INET ? 4 : 16;
	union nc_addr mask;
	int i;

	if (!tb[a_addr]) {
		if (tb[a_len]) {
			NL_SET_ERR_MSG_ATTR(extack, tb[a_len],
					    "prefix length without an address");
			return -EINVAL;
		}
		return 0;
	}
	if (!family) {
		NL_SET_ERR_MSG_ATTR(extack, tb[a_addr],
				    "an address match needs the family");
		return -EINVAL;
	}
	if (nla_len(tb[a_addr]) != alen) {
		NL_SET_ERR_MSG_ATTR(extack, tb[a_addr],
				    "address length does not match the family");
		return -EINVAL;
	}
	*plen = tb[a_len] ? nla_get_u8(tb[a_len]) : alen * 8;
	if (*plen > alen * 8) {
		NL_SET_ERR_MSG_ATTR(extack, tb[a_len],
				    "prefix length exceeds the address length");
		return -EINVAL;
	}
	memset(addr, 0, sizeof(*addr));
	nla_memcpy(addr, tb[a_addr], alen);
	memset(&mask, 0, sizeof(mask));
	for (i = 0; i < 4; i++)
		mask.ip6[i] = inet_make_mask(clamp_t(int, *plen - 32 * i, 0, 32));
	for (i = 0; i < 4; i++) {
		if (addr->ip6[i] & ~mask.ip6[i]) {
			NL_SET_ERR_MSG_ATTR(extack, tb[a_addr],
					    "address has bits set beyond the prefix length");
			return -EINVAL;
		}
	}
	return 0;
}

static int nc_parse_ports(struct nlattr **tb, int a_min, int a_max,
			  u16 *min, u16 *max, struct netlink_ext_ack *extack)
{
	if (!tb[a_min]) {
		if (tb[a_max]) {
			NL_SET_ERR_MSG_ATTR(extack, tb[a_max],
					    "port range maximum without a minimum");
			return -EINVAL;
		}
		return 0;
	}
	*min = nla_get_u16(tb[a_min]);
	*max = tb[a_max] ? nla_get_u16(tb[a_max]) : *min;
	if (*min > *max) {
		NL_SET_ERR_MSG_ATTR(extack, tb[a_max],
				    "port range minimum is above its maximum");
		return -EINVAL;
	}
	return 1;
}

static bool nc_proto_has_ports(u8 proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_UDPLITE || proto == IPPROTO_SCTP ||
	       proto == IPPROTO_DCCP;
}

static int nc_parse_match(struct net *net, struct nlattr **tb,
			  struct nc_match *m, struct netlink_ext_ack *extack)
{
	int err;

	if (tb[NETCHANNEL_A_RULE_FAMILY]) {
		m->family = nla_get_u8(tb[NETCHANNEL_A_RULE_FAMILY]);
		if (m->family != AF_INET && m->family != AF_INET6) {
			NL_SET_ERR_MSG_ATTR(extack, tb[NETCHANNEL_A_RULE_FAMILY],
					    "family must be AF_INET or AF_INET6");
			return -EINVAL;
		}
		m->present |= NC_M_FAMILY;
	}
	if (tb[NETCHANNEL_A_RULE_IIF]) {
		m->iif = nla_get_u32(tb[NETCHANNEL_A_RULE_IIF]);
		if (!__dev_get_by_index(net, m->iif)) {
			NL_SET_ERR_MSG_ATTR(extack, tb[NETCHANNEL_A_RULE_IIF],
					    "unknown input device");
			return -ENODEV;
		}
		m->present |= NC_M_IIF;
	}
	if (tb[NETCHANNEL_A_RULE_OIF]) {
		m->oif = nla_get_u32(tb[NETCHANNEL_A_RULE_OIF]);
		if (!__dev_get_by_index(net, m->oif)) {
			NL_SET_ERR_MSG_ATTR(extack, tb[NETCHANNEL_A_RULE_OIF],
					    "unknown output device");
			return -ENODEV;
		}
		m->present |= NC_M_OIF;
	}
	if (tb[NETCHANNEL_A_RULE_PROTO]) {
		m->proto = nla_get_u8(tb[NETCHANNEL_A_RULE_PROTO]);
		m->present |= NC_M_PROTO;
	}
	err = nc_parse_prefix(tb, NETCHANNEL_A_RULE_SADDR,
			      NETCHANNEL_A_RULE_SADDR_LEN, m->family,
			      &m->saddr, &m->saddr_len, extack);
	if (err)
		return err;
	if (tb[NETCHANNEL_A_RULE_SADDR])
		m->present |= NC_M_SADDR;
	err = nc_parse_prefix(tb, NETCHANNEL_A_RULE_DADDR,
			      NETCHANNEL_A_RULE_DADDR_LEN, m->family,
			      &m->daddr, &m->daddr_len, extack);
	if (err)
		return err;
	if (tb[NETCHANNEL_A_RULE_DADDR])
		m->present |= NC_M_DADDR;

	err = nc_parse_ports(tb, NETCHANNEL_A_RULE_SPORT_MIN,
			     NETCHANNEL_A_RULE_SPORT_MAX, &m->sport_min,
			     &m->sport_max, extack);
	if (err < 0)
		return err;
	if (err)
		m->present |= NC_M_SPORT;
	err = nc_parse_ports(tb, NETCHANNEL_A_RULE_DPORT_MIN,
			     NETCHANNEL_A_RULE_DPORT_MAX, &m->dport_min,
			     &m->dport_max, extack);
	if (err < 0)
		return err;
	if (err)
		m->present |= NC_M_DPORT;
	if ((m->present & (NC_M_SPORT | NC_M_DPORT)) &&
	    (m->present & NC_M_PROTO) && !nc_proto_has_ports(m->proto)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[NETCHANNEL_A_RULE_PROTO],
				    "port match on a protocol without ports");
		return -EINVAL;
	}
	return 0;
}

/* A consumer's verdict: it checks the rule and builds the chain. */
static int nc_rule_consumer(struct net *net, struct nc_rule *rule,
			    struct nlattr **tb, struct netlink_ext_ack *extack)
{
	const struct nc_consumer *c = nc_consumer_find(rule->verdict);
	int err;

	if (!c) {
		NL_SET_ERR_MSG_ATTR(extack, tb[NETCHANNEL_A_RULE_VERDICT],
				    "no loaded module implements this verdict (netchannel_nat?)");
		return -EOPNOTSUPP;
	}
	err = c->rule_init(net, rule, tb, extack);
	if (!err)
		rule->consumer = c;
	return err;
}

static int nc_rule_chain(struct net *net, struct nc_rule *rule,
			 struct nlattr **tb, struct netlink_ext_ack *extack)
{
	struct nlattr *verdict = tb[NETCHANNEL_A_RULE_VERDICT];
	const struct nc_hook_type *filter;

	if (!verdict) {
		NL_SET_ERR_MSG(extack, "rule needs a verdict");
		return -EINVAL;
	}
	rule->verdict = nla_get_u32(verdict);
	if (rule->verdict >= NETCHANNEL_VERDICT_CONSUMER)
		return nc_rule_consumer(net, rule, tb, extack);
	if (tb[NETCHANNEL_A_RULE_ACTION]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[NETCHANNEL_A_RULE_ACTION],
				    "accept and drop take no arguments");
		return -EINVAL;
	}
	if (rule->verdict != NETCHANNEL_VERDICT_ACCEPT &&
	    rule->verdict != NETCHANNEL_VERDICT_DROP) {
		NL_SET_ERR_MSG_ATTR(extack, verdict, "unknown verdict");
		return -EOPNOTSUPP;
	}
	filter = nc_hook_type_get(NC_HOOK_FILTER);
	rule->chain = nc_chain_alloc(1, GFP_KERNEL_ACCOUNT);
	if (!rule->chain)
		return -ENOMEM;
	rule->chain->hooks[0].type = filter;
	rule->chain->hooks[0].verdict = rule->verdict;
	return 0;
}

/*
 * A new rule from a NETCHANNEL_A_RULE nest.  Caller holds RTNL (device
 * lookups) and nc_consumers_lock_edit(); nothing is published here.
 */
static struct nc_rule *nc_rule_from_nest(struct net *net, struct nlattr *nest,
					 struct netlink_ext_ack *extack)
{
	struct nlattr *tb[NETCHANNEL_A_RULE_MAX + 1];
	struct nc_rule *rule;
	int err;

	err = nla_parse_nested(tb, NETCHANNEL_A_RULE_MAX, nest, nc_rule_policy,
			       extack);
	if (err)
		return ERR_PTR(err);
	if (tb[NETCHANNEL_A_RULE_HANDLE]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[NETCHANNEL_A_RULE_HANDLE],
				    "handles are assigned by the kernel");
		return ERR_PTR(-EINVAL);
	}
	rule = nc_rule_alloc(GFP_KERNEL_ACCOUNT);
	if (!rule)
		return ERR_PTR(-ENOMEM);
	if (tb[NETCHANNEL_A_RULE_PRIO])
		rule->prio = nla_get_u32(tb[NETCHANNEL_A_RULE_PRIO]);
	err = nc_parse_match(net, tb, &rule->match, extack);
	if (!err)
		err = nc_rule_chain(net, rule, tb, extack);
	if (err) {
		nc_rule_free(rule);
		return ERR_PTR(err);
	}
	return rule;
}

/* ---- struct nc_rule -> attributes ---- */

static int nc_put_prefix(struct sk_buff *skb, int a_addr, int a_len,
			 const struct nc_match *m, const union nc_addr *addr,
			 u8 plen)
{
	if (nla_put(skb, a_addr, m->family == AF_INET ? 4 : 16, addr) ||
	    nla_put_u8(skb, a_len, plen))
		return -EMSGSIZE;
	return 0;
}

static int nc_put_match(struct sk_buff *skb, const struct nc_match *m)
{
	if ((m->present & NC_M_FAMILY) &&
	    nla_put_u8(skb, NETCHANNEL_A_RULE_FAMILY, m->family))
		return -EMSGSIZE;
	if ((m->present & NC_M_IIF) &&
	    nla_put_u32(skb, NETCHANNEL_A_RULE_IIF, m->iif))
		return -EMSGSIZE;
	if ((m->present & NC_M_OIF) &&
	    nla_put_u32(skb, NETCHANNEL_A_RULE_OIF, m->oif))
		return -EMSGSIZE;
	if ((m->present & NC_M_PROTO) &&
	    nla_put_u8(skb, NETCHANNEL_A_RULE_PROTO, m->proto))
		return -EMSGSIZE;
	if ((m->present & NC_M_SADDR) &&
	    nc_put_prefix(skb, NETCHANNEL_A_RULE_SADDR,
			  NETCHANNEL_A_RULE_SADDR_LEN, m, &m->saddr,
			  m->saddr_len))
		return -EMSGSIZE;
	if ((m->present & NC_M_DADDR) &&
	    nc_put_prefix(skb, NETCHANNEL_A_RULE_DADDR,
			  NETCHANNEL_A_RULE_DADDR_LEN, m, &m->daddr,
			  m->daddr_len))
		return -EMSGSIZE;
	if ((m->present & NC_M_SPORT) &&
	    (nla_put_u16(skb, NETCHANNEL_A_RULE_SPORT_MIN, m->sport_min) ||
	     nla_put_u16(skb, NETCHANNEL_A_RULE_SPORT_MAX, m->sport_max)))
		return -EMSGSIZE;
	if ((m->present & NC_M_DPORT) &&
	    (nla_put_u16(skb, NETCHANNEL_A_RULE_DPORT_MIN, m->dport_min) ||
	     nla_put_u16(skb, NETCHANNEL_A_RULE_DPORT_MAX, m->dport_max)))
		return -EMSGSIZE;
	return 0;
}

static int nc_put_rule(struct sk_buff *skb, const struct nc_rule *rule)
{
	u64 c[NC_RULE_NSTATS];
	struct nlattr *nest;

	nest = nla_nest_start(skb, NETCHANNEL_A_RULE);
	if (!nest)
		return -EMSGSIZE;
	nc_counters_read(rule->stats, NC_RULE_NSTATS, c);
	if (nla_put_u32(skb, NETCHANNEL_A_RULE_HANDLE, rule->handle) ||
	    nla_put_u32(skb, NETCHANNEL_A_RULE_PRIO, rule->prio) ||
	    nc_put_match(skb, &rule->match) ||
	    nla_put_u32(skb, NETCHANNEL_A_RULE_VERDICT, rule->verdict) ||
	    (rule->consumer && rule->consumer->rule_fill(skb, rule)) ||
	    nla_put_u64_64bit(skb, NETCHANNEL_A_RULE_PACKETS,
			      c[NC_RULE_PACKETS], NETCHANNEL_A_RULE_PAD) ||
	    nla_put_u64_64bit(skb, NETCHANNEL_A_RULE_BYTES, c[NC_RULE_BYTES],
			      NETCHANNEL_A_RULE_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* ---- devices ---- */

static int nc_nl_dev_doit(struct sk_buff *skb, struct genl_info *info,
			  bool attach)
{
	struct net *net = genl_info_net(info);
	struct nc_net *nn = nc_net(net);
	struct net_device *dev;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, NETCHANNEL_A_IFINDEX))
		return -EINVAL;
	rtnl_lock();
	dev = __dev_get_by_index(net,
				 nla_get_u32(info->attrs[NETCHANNEL_A_IFINDEX]));
	if (!dev) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[NETCHANNEL_A_IFINDEX],
				    "unknown device");
		err = -ENODEV;
		goto out;
	}
	mutex_lock(&nn->lock);
	if (attach)
		err = nc_dev_attach(nn, dev, info->extack);
	else
		err = nc_dev_detach(nn, dev, info->extack);
	mutex_unlock(&nn->lock);
out:
	rtnl_unlock();
	return err;
}

static int nc_nl_dev_attach_doit(struct sk_buff *skb, struct genl_info *info)
{
	return nc_nl_dev_doit(skb, info, true);
}

static int nc_nl_dev_detach_doit(struct sk_buff *skb, struct genl_info *info)
{
	return nc_nl_dev_doit(skb, info, false);
}

/* NETCHANNEL_A_DEV_STATS_* in NC_DEV_* order */
static const int nc_dev_stats_attr[NC_DEV_NSTATS] = {
	[NC_DEV_SEEN]		= NETCHANNEL_A_DEV_STATS_SEEN,
	[NC_DEV_MATCHED]	= NETCHANNEL_A_DEV_STATS_MATCHED,
	[NC_DEV_PASSED]		= NETCHANNEL_A_DEV_STATS_PASSED,
	[NC_DEV_DROPPED]	= NETCHANNEL_A_DEV_STATS_DROPPED,
};

static int nc_put_dev(struct sk_buff *skb, const struct nc_dev *ncd)
{
	u64 c[NC_DEV_NSTATS];
	struct nlattr *nest;
	int i;

	nc_counters_read(ncd->stats, NC_DEV_NSTATS, c);
	if (nla_put_u32(skb, NETCHANNEL_A_IFINDEX, ncd->dev->ifindex) ||
	    nla_put_string(skb, NETCHANNEL_A_IFNAME, ncd->dev->name))
		return -EMSGSIZE;
	nest = nla_nest_start(skb, NETCHANNEL_A_DEV_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < NC_DEV_NSTATS; i++)
		if (nla_put_u64_64bit(skb, nc_dev_stats_attr[i], c[i],
				      NETCHANNEL_A_DEV_STATS_PAD))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * Dumps walk a list under nc_net::lock, resume by position (cb->args[0])
 * and stamp every part with the generation, so a change between two parts
 * of a dump shows up as NLM_F_DUMP_INTR and the reader starts over.
 */
static int nc_dump_list(struct sk_buff *skb, struct netlink_callback *cb,
			struct list_head *head, u8 cmd,
			int (*put)(struct sk_buff *skb, struct list_head *pos))
{
	struct nc_net *nn = nc_net(sock_net(skb->sk));
	long idx = 0, start = cb->args[0];
	struct list_head *pos;
	int err = 0;
	void *hdr;

	mutex_lock(&nn->lock);
	/* also stamps the part that only closes the dump (NLMSG_DONE) */
	cb->seq = nn->generation;
	list_for_each(pos, head) {
		if (idx++ < start)
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &nc_genl_family,
				  NLM_F_MULTI, cmd);
		if (!hdr ||
		    nla_put_u32(skb, NETCHANNEL_A_GENERATION, nn->generation) ||
		    put(skb, pos)) {
			if (hdr)
				genlmsg_cancel(skb, hdr);
			idx--;
			err = -EMSGSIZE;
			break;
		}
		genl_dump_check_consistent(cb, hdr);
		genlmsg_end(skb, hdr);
	}
	mutex_unlock(&nn->lock);
	cb->args[0] = idx;
	/* a full skb ends this part; an empty one means one entry is too big */
	return err && !skb->len ? err : skb->len;
}

static int nc_dump_dev(struct sk_buff *skb, struct list_head *pos)
{
	return nc_put_dev(skb, list_entry(pos, struct nc_dev, list));
}

static int nc_nl_dev_get_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	return nc_dump_list(skb, cb, &nc_net(sock_net(skb->sk))->devs,
			    NETCHANNEL_CMD_DEV_GET, nc_dump_dev);
}

/* ---- rules ---- */

static int nc_nl_rule_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct nc_net *nn = nc_net(net);
	struct sk_buff *msg;
	struct nlattr *nest;
	struct nc_rule *rule;
	void *hdr;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, NETCHANNEL_A_RULE))
		return -EINVAL;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	rtnl_lock();
	nc_consumers_lock_edit();
	rule = nc_rule_from_nest(net, info->attrs[NETCHANNEL_A_RULE],
				 info->extack);
	rtnl_unlock();
	if (IS_ERR(rule)) {
		err = PTR_ERR(rule);
		goto err_unlock;
	}
	mutex_lock(&nn->lock);
	err = nc_ruleset_add(nn, rule, info->extack);
	if (err) {
		mutex_unlock(&nn->lock);
		nc_rule_free(rule);
		goto err_unlock;
	}
	nc_consumers_unlock_edit();
	hdr = genlmsg_put_reply(msg, info, &nc_genl_family, 0,
				NETCHANNEL_CMD_RULE_ADD);
	nest = hdr ? nla_nest_start(msg, NETCHANNEL_A_RULE) : NULL;
	if (nest && !nla_put_u32(msg, NETCHANNEL_A_RULE_HANDLE, rule->handle)) {
		nla_nest_end(msg, nest);
		genlmsg_end(msg, hdr);
	}
	mutex_unlock(&nn->lock);
	return genlmsg_reply(msg, info);

err_unlock:
	nc_consumers_unlock_edit();
	nlmsg_free(msg);
	return err;
}

static int nc_nl_rule_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nc_net *nn = nc_net(genl_info_net(info));
	struct nlattr *tb[NETCHANNEL_A_RULE_MAX + 1];
	int err, i;

	if (GENL_REQ_ATTR_CHECK(info, NETCHANNEL_A_RULE))
		return -EINVAL;
	err = nla_parse_nested(tb, NETCHANNEL_A_RULE_MAX,
			       info->attrs[NETCHANNEL_A_RULE], nc_rule_policy,
			       info->extack);
	if (err)
		return err;
	for (i = 0; i <= NETCHANNEL_A_RULE_MAX; i++) {
		if (tb[i] && i != NETCHANNEL_A_RULE_HANDLE) {
			NL_SET_ERR_MSG_ATTR(info->extack, tb[i],
					    "only the handle selects a rule to delete");
			return -EINVAL;
		}
	}
	if (!tb[NETCHANNEL_A_RULE_HANDLE]) {
		NL_SET_ERR_MSG(info->extack, "rule handle missing");
		return -EINVAL;
	}
	mutex_lock(&nn->lock);
	err = nc_ruleset_del(nn, nla_get_u32(tb[NETCHANNEL_A_RULE_HANDLE]),
			     info->extack);
	mutex_unlock(&nn->lock);
	return err;
}

static int nc_dump_rule(struct sk_buff *skb, struct list_head *pos)
{
	return nc_put_rule(skb, list_entry(pos, struct nc_rule, list));
}

static int nc_nl_rule_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	return nc_dump_list(skb, cb, &nc_net(sock_net(skb->sk))->rules,
			    NETCHANNEL_CMD_RULE_GET, nc_dump_rule);
}

static int nc_nl_replace(struct genl_info *info, struct list_head *rules)
{
	struct nc_net *nn = nc_net(genl_info_net(info));
	int err;

	mutex_lock(&nn->lock);
	err = nc_ruleset_replace(nn, rules, info->extack);
	mutex_unlock(&nn->lock);
	return err;
}

static int nc_nl_rule_flush_doit(struct sk_buff *skb, struct genl_info *info)
{
	LIST_HEAD(none);

	return nc_nl_replace(info, &none);
}

/* Add the rule of one NETCHANNEL_A_RULE nest of a replace to @rules. */
static int nc_replace_one(struct net *net, struct nlattr *nest,
			  struct list_head *rules, unsigned int *n,
			  struct netlink_ext_ack *extack)
{
	struct nc_rule *rule;

	if (nla_type(nest) != NETCHANNEL_A_RULE) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "a ruleset holds only rules");
		return -EINVAL;
	}
	if (++*n > NETCHANNEL_MAX_RULES) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "too many rules");
		return -ENOSPC;
	}
	rule = nc_rule_from_nest(net, nest, extack);
	if (IS_ERR(rule))
		return PTR_ERR(rule);
	list_add_tail(&rule->list, rules);
	return 0;
}

/*
 * The new ruleset is every rule nested in NETCHANNEL_A_RULESET, then every
 * NETCHANNEL_A_RULE at the top level, in order.  A nest is at most 64 KiB
 * (16-bit length): large rulesets come as top-level rules, an empty one as
 * an empty RULESET.
 */
static int nc_nl_ruleset_replace_doit(struct sk_buff *skb,
				      struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct nlattr *nest;
	LIST_HEAD(rules);
	int rem, err = 0;
	unsigned int n = 0;

	if (!info->attrs[NETCHANNEL_A_RULESET] &&
	    !info->attrs[NETCHANNEL_A_RULE]) {
		NL_SET_ERR_ATTR_MISS(info->extack, NULL, NETCHANNEL_A_RULESET);
		NL_SET_ERR_MSG(info->extack, "no ruleset given");
		return -EINVAL;
	}
	rtnl_lock();
	nc_consumers_lock_edit();
	if (info->attrs[NETCHANNEL_A_RULESET])
		nla_for_each_nested(nest, info->attrs[NETCHANNEL_A_RULESET], rem) {
			err = nc_replace_one(net, nest, &rules, &n, info->extack);
			if (err)
				break;
		}
	nlmsg_for_each_attr(nest, info->nlhdr, GENL_HDRLEN, rem) {
		if (err)
			break;
		if (nla_type(nest) == NETCHANNEL_A_RULE)
			err = nc_replace_one(net, nest, &rules, &n, info->extack);
	}
	rtnl_unlock();
	if (!err)
		err = nc_nl_replace(info, &rules);
	/* rules of a failed replace: free them while their consumer stays */
	nc_rules_free(&rules);
	nc_consumers_unlock_edit();
	return err;
}

/* ---- statistics ---- */

/**
 * nc_nl_put_counters - a counter array as a nest of named entries
 * @msg: the message
 * @attr: the nest's attribute type
 * @c: per-CPU counters, summed here
 * @names: a name per counter
 * @n: how many
 *
 * Each entry is NETCHANNEL_A_REASON_ENTRY { NAME, COUNT }; consumers use
 * it for their own counters.  Return: 0 or -EMSGSIZE (nest cancelled).
 */
int nc_nl_put_counters(struct sk_buff *msg, int attr,
		       struct nc_counters __percpu *c,
		       const char * const *names, unsigned int n)
{
	u64 counts[NC_COUNTERS_MAX];
	struct nlattr *nest, *entry;
	unsigned int r;

	nc_counters_read(c, n, counts);
	nest = nla_nest_start(msg, attr);
	if (!nest)
		return -EMSGSIZE;
	for (r = 0; r < n; r++) {
		entry = nla_nest_start(msg, NETCHANNEL_A_REASON_ENTRY);
		if (!entry ||
		    nla_put_string(msg, NETCHANNEL_A_REASON_NAME, names[r]) ||
		    nla_put_u64_64bit(msg, NETCHANNEL_A_REASON_COUNT, counts[r],
				      NETCHANNEL_A_REASON_PAD)) {
			nla_nest_cancel(msg, nest);
			return -EMSGSIZE;
		}
		nla_nest_end(msg, entry);
	}
	nla_nest_end(msg, nest);
	return 0;
}
EXPORT_SYMBOL_GPL(nc_nl_put_counters);

static int nc_put_stats(struct sk_buff *msg, struct nc_net *nn)
{
	const struct nc_cls *cls;
	struct nlattr *nest;

	cls = rcu_dereference_protected(nn->cls, lockdep_is_held(&nn->lock));
	if (nla_put_u32(msg, NETCHANNEL_A_GENERATION, nn->generation))
		return -EMSGSIZE;
	nest = nla_nest_start(msg, NETCHANNEL_A_STATS);
	if (!nest ||
	    nc_nl_put_counters(msg, NETCHANNEL_A_STATS_REASON, nn->stats,
			       nc_reason_names, __NETCHANNEL_REASON_MAX) ||
	    nla_put_u32(msg, NETCHANNEL_A_STATS_RULES, nn->nrules) ||
	    nla_put_u32(msg, NETCHANNEL_A_STATS_SHAPES, nc_cls_shapes(cls)) ||
	    nla_put_u32(msg, NETCHANNEL_A_STATS_DEVICES, nn->ndevs))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static int nc_nl_stats_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nc_net *nn = nc_net(genl_info_net(info));
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &nc_genl_family, 0,
				NETCHANNEL_CMD_STATS_GET);
	if (!hdr) {
		err = -EMSGSIZE;
		goto err_free;
	}
	mutex_lock(&nn->lock);
	err = nc_put_stats(msg, nn);
	mutex_unlock(&nn->lock);
	if (err)
		goto err_free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return err;
}

/* ---- family ---- */

/*
 * Every op needs CAP_NET_ADMIN in the netns's user namespace: a ruleset
 * and its counters say as much about a host as nftables', which also
 * keeps listing to the administrator.
 */
static const struct genl_ops nc_genl_ops[] = {
	{
		.cmd = NETCHANNEL_CMD_DEV_ATTACH,
		.doit = nc_nl_dev_attach_doit,
		.policy = nc_dev_policy,
		.maxattr = NETCHANNEL_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NETCHANNEL_CMD_DEV_DETACH,
		.doit = nc_nl_dev_detach_doit,
		.policy = nc_dev_policy,
		.maxattr = NETCHANNEL_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NETCHANNEL_CMD_DEV_GET,
		.dumpit = nc_nl_dev_get_dumpit,
		.policy = nc_empty_policy,
		.maxattr = NETCHANNEL_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NETCHANNEL_CMD_RULE_ADD,
		.doit = nc_nl_rule_add_doit,
		.policy = nc_rule_add_policy,
		.maxattr = NETCHANNEL_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NETCHANNEL_CMD_RULE_DEL,
		.doit = nc_nl_rule_del_doit,
		.policy = nc_rule_add_policy,
		.maxattr = NETCHANNEL_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NETCHANNEL_CMD_RULE_GET,
		.dumpit = nc_nl_rule_get_dumpit,
		.policy = nc_empty_policy,
		.maxattr = NETCHANNEL_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NETCHANNEL_CMD_RULE_FLUSH,
		.doit = nc_nl_rule_flush_doit,
		.policy = nc_empty_policy,
		.maxattr = NETCHANNEL_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NETCHANNEL_CMD_RULESET_REPLACE,
		.doit = nc_nl_ruleset_replace_doit,
		.policy = nc_ruleset_policy,
		.maxattr = NETCHANNEL_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NETCHANNEL_CMD_STATS_GET,
		.doit = nc_nl_stats_get_doit,
		.policy = nc_empty_policy,
		.maxattr = NETCHANNEL_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static const struct genl_multicast_group nc_genl_mcgrps[] = {
	{ .name = NETCHANNEL_MCGRP_MONITOR, },
};

static struct genl_family nc_genl_family __ro_after_init = {
	.name = NETCHANNEL_FAMILY_NAME,
	.version = NETCHANNEL_FAMILY_VERSION,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = nc_genl_ops,
	.n_ops = ARRAY_SIZE(nc_genl_ops),
	.resv_start_op = NETCHANNEL_CMD_STATS_GET + 1,
	.mcgrps = nc_genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(nc_genl_mcgrps),
};

int nc_nl_init(void)
{
	return genl_register_family(&nc_genl_family);
}

void nc_nl_exit(void)
{
	genl_unregister_family(&nc_genl_family);
}
