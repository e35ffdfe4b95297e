// SPDX-License-Identifier: GPL-2.0
/*
 * The "netchannel_nat" generic netlink family: list and flush flows, set
 * and read timeouts and the flow limit, NAT counters, and the "monitor"
 * multicast group that announces every flow created and removed (NAT
 * logging).  Every op needs CAP_NET_ADMIN in the netns's user namespace.
 */
#include <net/genetlink.h>
#include <net/sock.h>

#include "nat.h"

#define NC_NAT_TIMEOUT_MAX	(7 * 86400)
#define NC_NAT_FLOWS_MAX	BIT(24)

static struct genl_family nc_nat_genl_family;

static const struct nla_policy nc_nat_empty_policy[NETCHANNEL_NAT_A_MAX + 1] = {
};

static const struct nla_policy nc_nat_timeout_policy[NETCHANNEL_NAT_A_MAX + 1] = {
	[NETCHANNEL_NAT_A_TIMEOUT_UDP]		= NLA_POLICY_MIN(NLA_U32, 1),
	[NETCHANNEL_NAT_A_TIMEOUT_ICMP]		= NLA_POLICY_MIN(NLA_U32, 1),
	[NETCHANNEL_NAT_A_TIMEOUT_TCP_EST]	= NLA_POLICY_MIN(NLA_U32, 1),
	[NETCHANNEL_NAT_A_TIMEOUT_TCP_TRANS]	= NLA_POLICY_MIN(NLA_U32, 1),
	[NETCHANNEL_NAT_A_MAX_MAPPINGS]		= NLA_POLICY_MIN(NLA_U32, 1),
	/* 0: no per-host limit */
	[NETCHANNEL_NAT_A_MAX_MAPPINGS_PER_HOST] = { .type = NLA_U32 },
};

static int nc_nat_put_flow(struct sk_buff *msg, const struct nc_nat_flow *f)
{
	const struct nc_nat_tuple *o = &f->th[NC_NAT_DIR_OUT].t;
	const struct nc_nat_tuple *i = &f->th[NC_NAT_DIR_IN].t;
	const struct nc_nat_way *wo = &f->way[NC_NAT_DIR_OUT];
	const struct nc_nat_way *wi = &f->way[NC_NAT_DIR_IN];
	struct nlattr *nest;

	/* inside: who sent the first packet; outside: what replies go to */
	nest = nla_nest_start(msg, NETCHANNEL_NAT_A_FLOW);
	if (!nest ||
	    nla_put_u8(msg, NETCHANNEL_NAT_A_FLOW_PROTO, o->proto) ||
	    nla_put_be32(msg, NETCHANNEL_NAT_A_FLOW_IN_ADDR, o->src) ||
	    nla_put_u16(msg, NETCHANNEL_NAT_A_FLOW_IN_PORT, ntohs(o->sport)) ||
	    nla_put_be32(msg, NETCHANNEL_NAT_A_FLOW_OUT_ADDR, i->dst) ||
	    nla_put_u16(msg, NETCHANNEL_NAT_A_FLOW_OUT_PORT, ntohs(i->dport)) ||
	    nla_put_be32(msg, NETCHANNEL_NAT_A_FLOW_REM_ADDR, o->dst) ||
	    nla_put_u16(msg, NETCHANNEL_NAT_A_FLOW_REM_PORT, ntohs(o->dport)) ||
	    nla_put_u8(msg, NETCHANNEL_NAT_A_FLOW_STATE, READ_ONCE(f->track.state)) ||
	    nla_put_u32(msg, NETCHANNEL_NAT_A_FLOW_EXPIRES, nc_nat_expires_in(f)) ||
	    nla_put_u32(msg, NETCHANNEL_NAT_A_FLOW_RULE, f->rule) ||
	    nla_put_u8(msg, NETCHANNEL_NAT_A_FLOW_KIND, f->kind) ||
	    nla_put_u64_64bit(msg, NETCHANNEL_NAT_A_FLOW_PACKETS_OUT,
			      (u32)atomic_read(&wo->packets), NETCHANNEL_NAT_A_FLOW_PAD) ||
	    nla_put_u64_64bit(msg, NETCHANNEL_NAT_A_FLOW_BYTES_OUT,
			      atomic64_read(&wo->bytes), NETCHANNEL_NAT_A_FLOW_PAD) ||
	    nla_put_u64_64bit(msg, NETCHANNEL_NAT_A_FLOW_PACKETS_IN,
			      (u32)atomic_read(&wi->packets), NETCHANNEL_NAT_A_FLOW_PAD) ||
	    nla_put_u64_64bit(msg, NETCHANNEL_NAT_A_FLOW_BYTES_IN,
			      atomic64_read(&wi->bytes), NETCHANNEL_NAT_A_FLOW_PAD))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/* Room nc_nat_put_flow() needs: events allocate no more than that. */
static size_t nc_nat_flow_size(void)
{
	return nla_total_size(0) +			/* the nest */
	       3 * nla_total_size(sizeof(u8)) +	/* proto, state, kind */
	       5 * nla_total_size(sizeof(u32)) +	/* addresses, expiry, rule */
	       3 * nla_total_size(sizeof(u16)) +	/* ports */
	       4 * nla_total_size_64bit(sizeof(u64));	/* counters */
}

/*
 * A flow dump keeps its place in the table between messages: each part
 * costs what it sends, not a walk from the start (which made dumping N
 * flows cost N^2 / flows-per-message).  The table may change between
 * parts, so a long dump is a best-effort snapshot (flows come and go by
 * themselves); a resize restarts the walk and may repeat flows.
 */
struct nc_nat_dump {
	struct rhashtable_iter iter;
	bool pending;		/* iter's entry did not fit the last message */
};

static int nc_nat_nl_flow_get_start(struct netlink_callback *cb)
{
	struct nc_nat_net *nnn = nc_nat_net(sock_net(cb->skb->sk));
	struct nc_nat_dump *d;

	/* no NAT rule ever: no table, no flow */
	if (!nc_nat_has_tables(nnn))
		return 0;
	d = kzalloc(sizeof(*d), GFP_KERNEL_ACCOUNT);
	if (!d)
		return -ENOMEM;
	rhashtable_walk_enter(&nnn->flows, &d->iter);
	cb->args[0] = (long)d;
	return 0;
}

static int nc_nat_nl_flow_get_done(struct netlink_callback *cb)
{
	struct nc_nat_dump *d = (struct nc_nat_dump *)cb->args[0];

	if (d) {
		rhashtable_walk_exit(&d->iter);
		kfree(d);
	}
	return 0;
}

static int nc_nat_nl_flow_get_dumpit(struct sk_buff *skb,
				     struct netlink_callback *cb)
{
	struct nc_nat_dump *d = (struct nc_nat_dump *)cb->args[0];
	struct nc_nat_thash *th;
	void *hdr;

	if (!d)
		return 0;
	rhashtable_walk_start(&d->iter);
	th = d->pending ? rhashtable_walk_peek(&d->iter) :
			  rhashtable_walk_next(&d->iter);
	d->pending = false;
	for (; th; th = rhashtable_walk_next(&d->iter)) {
		if (IS_ERR(th)) {
			if (PTR_ERR(th) == -EAGAIN)
				continue;
			break;
		}
		if (th->t.dir != NC_NAT_DIR_OUT ||
		    !nc_nat_expires_in(nc_nat_flow_of(th)))
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &nc_nat_genl_family,
				  NLM_F_MULTI, NETCHANNEL_NAT_CMD_FLOW_GET);
		if (!hdr || nc_nat_put_flow(skb, nc_nat_flow_of(th))) {
			if (hdr)
				genlmsg_cancel(skb, hdr);
			d->pending = true;
			break;
		}
		genlmsg_end(skb, hdr);
	}
	rhashtable_walk_stop(&d->iter);
	return skb->len;
}

static int nc_nat_nl_flow_flush_doit(struct sk_buff *skb,
				     struct genl_info *info)
{
	struct nc_nat_net *nnn = nc_nat_net(genl_info_net(info));

	if (nc_nat_has_tables(nnn))
		nc_nat_flush(nnn);
	return 0;
}

/* A mapping limit past what the policy's 16-bit bounds can say. */
static int nc_nat_nl_mappings_range(const struct nlattr *a,
				    struct netlink_ext_ack *extack)
{
	if (!a || nla_get_u32(a) <= NC_NAT_FLOWS_MAX)
		return 0;
	NL_SET_ERR_MSG_ATTR(extack, a, "at most 16777216 mappings");
	return -ERANGE;
}

/*
 * Flows are charged to the memory cgroup of the netns's first NAT rule,
 * but a container's root must not size a table of 16M flows on its own
 * (nf_conntrack_max is read-only outside the initial netns): the netns's
 * admin may set any limit up to the default or up to the current one;
 * past both, it takes CAP_NET_ADMIN in the initial user namespace.  The
 * check and the store are one cmpxchg(), so a host lowering the limit
 * is never undone by a container restating the old value meanwhile.
 * Called before anything else is stored: a refusal changes nothing.
 */
static int nc_nat_nl_set_max_mappings(const struct sk_buff *skb,
				      struct nc_nat_net *nnn,
				      const struct nlattr *a,
				      struct netlink_ext_ack *extack)
{
	bool admin = netlink_capable(skb, CAP_NET_ADMIN);
	u32 v = nla_get_u32(a), cur = READ_ONCE(nnn->max_flows);

	do {
		if (!admin && v > max_t(u32, cur, NC_NAT_FLOWS_DEFAULT)) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "raising max-mappings past 262144 and past its current value needs CAP_NET_ADMIN in the initial user namespace");
			return -EPERM;
		}
	} while (!try_cmpxchg(&nnn->max_flows, &cur, v));
	return 0;
}

static int nc_nat_nl_timeout_set_doit(struct sk_buff *skb,
				      struct genl_info *info)
{
	struct nc_nat_net *nnn = nc_nat_net(genl_info_net(info));
	struct nlattr **a = info->attrs;
	int i, err;

	if (!a[NETCHANNEL_NAT_A_TIMEOUT_UDP] &&
	    !a[NETCHANNEL_NAT_A_TIMEOUT_ICMP] &&
	    !a[NETCHANNEL_NAT_A_TIMEOUT_TCP_EST] &&
	    !a[NETCHANNEL_NAT_A_TIMEOUT_TCP_TRANS] &&
	    !a[NETCHANNEL_NAT_A_MAX_MAPPINGS] &&
	    !a[NETCHANNEL_NAT_A_MAX_MAPPINGS_PER_HOST]) {
		NL_SET_ERR_MSG(info->extack, "nothing to set");
		return -EINVAL;
	}
	for (i = NETCHANNEL_NAT_A_TIMEOUT_UDP;
	     i <= NETCHANNEL_NAT_A_TIMEOUT_TCP_TRANS; i++) {
		if (a[i] && nla_get_u32(a[i]) > NC_NAT_TIMEOUT_MAX) {
			NL_SET_ERR_MSG_ATTR(info->extack, a[i],
					    "timeouts are at most 7 days");
			return -ERANGE;
		}
	}
	err = nc_nat_nl_mappings_range(a[NETCHANNEL_NAT_A_MAX_MAPPINGS],
				       info->extack);
	if (!err)
		err = nc_nat_nl_mappings_range(a[NETCHANNEL_NAT_A_MAX_MAPPINGS_PER_HOST],
					       info->extack);
	if (!err && a[NETCHANNEL_NAT_A_MAX_MAPPINGS])
		err = nc_nat_nl_set_max_mappings(skb, nnn,
						 a[NETCHANNEL_NAT_A_MAX_MAPPINGS],
						 info->extack);
	if (err)
		return err;
	/* each value is read on its own by the data path; no lock needed */
	if (a[NETCHANNEL_NAT_A_TIMEOUT_UDP])
		WRITE_ONCE(nnn->timeouts.udp,
			   nla_get_u32(a[NETCHANNEL_NAT_A_TIMEOUT_UDP]));
	if (a[NETCHANNEL_NAT_A_TIMEOUT_ICMP])
		WRITE_ONCE(nnn->timeouts.icmp,
			   nla_get_u32(a[NETCHANNEL_NAT_A_TIMEOUT_ICMP]));
	if (a[NETCHANNEL_NAT_A_TIMEOUT_TCP_EST])
		WRITE_ONCE(nnn->timeouts.tcp_est,
			   nla_get_u32(a[NETCHANNEL_NAT_A_TIMEOUT_TCP_EST]));
	if (a[NETCHANNEL_NAT_A_TIMEOUT_TCP_TRANS])
		WRITE_ONCE(nnn->timeouts.tcp_trans,
			   nla_get_u32(a[NETCHANNEL_NAT_A_TIMEOUT_TCP_TRANS]));
	if (a[NETCHANNEL_NAT_A_MAX_MAPPINGS_PER_HOST])
		WRITE_ONCE(nnn->max_per_host,
			   nla_get_u32(a[NETCHANNEL_NAT_A_MAX_MAPPINGS_PER_HOST]));
	return 0;
}

static int nc_nat_nl_timeout_get_doit(struct sk_buff *skb,
				      struct genl_info *info)
{
	struct nc_nat_net *nnn = nc_nat_net(genl_info_net(info));
	const struct nc_nat_timeouts *to = &nnn->timeouts;
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &nc_nat_genl_family, 0,
				NETCHANNEL_NAT_CMD_TIMEOUT_GET);
	if (!hdr ||
	    nla_put_u32(msg, NETCHANNEL_NAT_A_TIMEOUT_UDP, READ_ONCE(to->udp)) ||
	    nla_put_u32(msg, NETCHANNEL_NAT_A_TIMEOUT_ICMP, READ_ONCE(to->icmp)) ||
	    nla_put_u32(msg, NETCHANNEL_NAT_A_TIMEOUT_TCP_EST,
			READ_ONCE(to->tcp_est)) ||
	    nla_put_u32(msg, NETCHANNEL_NAT_A_TIMEOUT_TCP_TRANS,
			READ_ONCE(to->tcp_trans)) ||
	    nla_put_u32(msg, NETCHANNEL_NAT_A_MAX_MAPPINGS,
			READ_ONCE(nnn->max_flows)) ||
	    nla_put_u32(msg, NETCHANNEL_NAT_A_MAX_MAPPINGS_PER_HOST,
			READ_ONCE(nnn->max_per_host)) ||
	    nla_put_u32(msg, NETCHANNEL_NAT_A_MAPPINGS,
			atomic_read(&nnn->nflows)) ||
	    nc_nl_put_counters(msg, NETCHANNEL_NAT_A_STATS, nnn->stats,
			       nc_nat_reason_names, __NC_NAT_R_MAX)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/**
 * nc_nat_notify - announce a flow on the monitor group
 * @nnn: the netns
 * @f: the flow
 * @cmd: NETCHANNEL_NAT_CMD_FLOW_NEW or _DEL
 *
 * Context: any; allocates atomically, only what one flow needs, and only
 * when someone listens.
 */
void nc_nat_notify(struct nc_nat_net *nnn, const struct nc_nat_flow *f,
		   u8 cmd)
{
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&nc_nat_genl_family, nnn->net, 0))
		return;
	/* under nnn->lock in softirq: small, and dropped if it fails */
	msg = genlmsg_new(nc_nat_flow_size(), GFP_ATOMIC);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &nc_nat_genl_family, 0, cmd);
	if (!hdr || nc_nat_put_flow(msg, f)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&nc_nat_genl_family, nnn->net, msg, 0, 0,
				GFP_ATOMIC);
}

static const struct genl_ops nc_nat_genl_ops[] = {
	{
		.cmd = NETCHANNEL_NAT_CMD_FLOW_GET,
		.start = nc_nat_nl_flow_get_start,
		.dumpit = nc_nat_nl_flow_get_dumpit,
		.done = nc_nat_nl_flow_get_done,
		.policy = nc_nat_empty_policy,
		.maxattr = NETCHANNEL_NAT_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NETCHANNEL_NAT_CMD_FLOW_FLUSH,
		.doit = nc_nat_nl_flow_flush_doit,
		.policy = nc_nat_empty_policy,
		.maxattr = NETCHANNEL_NAT_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NETCHANNEL_NAT_CMD_TIMEOUT_SET,
		.doit = nc_nat_nl_timeout_set_doit,
		.policy = nc_nat_timeout_policy,
		.maxattr = NETCHANNEL_NAT_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NETCHANNEL_NAT_CMD_TIMEOUT_GET,
		.doit = nc_nat_nl_timeout_get_doit,
		.policy = nc_nat_empty_policy,
		.maxattr = NETCHANNEL_NAT_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static const struct genl_multicast_group nc_nat_genl_mcgrps[] = {
	/* mappings name inside hosts: CAP_NET_ADMIN over the netns to listen */
	{ .name = NETCHANNEL_NAT_MCGRP_MONITOR, .flags = GENL_MCAST_CAP_NET_ADMIN, },
};

static struct genl_family nc_nat_genl_family __ro_after_init = {
	.name = NETCHANNEL_NAT_FAMILY_NAME,
	.version = NETCHANNEL_NAT_FAMILY_VERSION,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = nc_nat_genl_ops,
	.n_ops = ARRAY_SIZE(nc_nat_genl_ops),
	.resv_start_op = NETCHANNEL_NAT_CMD_TIMEOUT_GET + 1,
	.mcgrps = nc_nat_genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(nc_nat_genl_mcgrps),
};

int nc_nat_nl_init(void)
{
	return genl_register_family(&nc_nat_genl_family);
}

void nc_nat_nl_exit(void)
{
	genl_unregister_family(&nc_nat_genl_family);
}
