// SPDX-License-Identifier: GPL-2.0
/*
 * netchannel_nat: NAT on netchannel hooks.  Registers the NAT verdicts and
 * the flow-table receive hook with the core, per-netns flow tables, and
 * the "netchannel_nat" generic netlink family.
 */
#include <linux/memcontrol.h>
#include <linux/module.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "nat.h"

static unsigned int nc_nat_net_id __read_mostly;

const char * const nc_nat_reason_names[__NC_NAT_R_MAX] = {
	[NC_NAT_R_CREATED]		= "flows-created",
	[NC_NAT_R_EXPIRED]		= "flows-expired",
	[NC_NAT_R_TABLE_FULL]		= "table-full",
	[NC_NAT_R_NO_PORT]		= "no-port",
	[NC_NAT_R_FILTERED]		= "filtered",
	[NC_NAT_R_NOMEM]		= "nomem",
	[NC_NAT_R_ICMP_BAD_CSUM]	= "icmp-bad-checksum",
	[NC_NAT_R_ICMP_NO_FLOW]		= "icmp-no-flow",
	[NC_NAT_R_ICMP_XLATED]		= "icmp-translated",
	[NC_NAT_R_PUNT_TTL]		= "punt-ttl",
	[NC_NAT_R_PUNT_MTU]		= "punt-mtu",
	[NC_NAT_R_PUNT_ROUTE]		= "punt-route",
	[NC_NAT_R_FRAGMENTED]		= "fragmented",
	[NC_NAT_R_FORWARDED]		= "forwarded",
	[NC_NAT_R_NETMAP]		= "netmap",
	[NC_NAT_R_NO_ADDR]		= "no-address",
	[NC_NAT_R_UNSUPPORTED]		= "unsupported-protocol",
	[NC_NAT_R_EARLY_DROP]		= "early-drop",
	[NC_NAT_R_HOST_LIMIT]		= "host-limit",
	[NC_NAT_R_TCP_RST_IGNORED]	= "tcp-rst-ignored",
	[NC_NAT_R_ICMP_MISMATCH]	= "icmp-mismatch",
	[NC_NAT_R_MASQ_FLUSHED]		= "masq-flushed",
	[NC_NAT_R_SOURCE_ROUTE]		= "source-route",
	[NC_NAT_R_IPSEC]		= "ipsec",
	[NC_NAT_R_HAIRPIN_DEV]		= "hairpin-wrong-dev",
	[NC_NAT_R_NETMAP_LOCAL]		= "netmap-local",
	[NC_NAT_R_FRAG_PASSED]		= "frag-passed",
	[NC_NAT_R_FRAG_WHOLE]		= "frag-unassembled",
};

struct nc_nat_net *nc_nat_net(const struct net *net)
{
	return net_generic(net, nc_nat_net_id);
}

static int __net_init nc_nat_net_init(struct net *net)
{
	struct nc_nat_net *nnn = nc_nat_net(net);

	nnn->net = net;
	spin_lock_init(&nnn->lock);
	INIT_LIST_HEAD(&nnn->netmaps);
	mutex_init(&nnn->fragsel_lock);
	nnn->max_flows = NC_NAT_FLOWS_DEFAULT;
	nnn->timeouts.udp = 300;
	nnn->timeouts.icmp = 60;
	nnn->timeouts.tcp_est = 7440;
	nnn->timeouts.tcp_trans = 240;
	nnn->stats = nc_counters_alloc(__NC_NAT_R_MAX);
	if (!nnn->stats)
		return -ENOMEM;
	return 0;
}

/**
 * nc_nat_tables_get - the netns's NAT tables, made on first use
 * @nnn: the netns
 *
 * A netns pays for flow and binding tables and the collector only once it
 * has a NAT rule.  The memory its packets make flows with is charged to
 * the memory cgroup of whoever added that first rule (the netns's admin),
 * whatever task a packet interrupts (nc_nat_charge()).
 *
 * Context: process, nc_net::lock held (the rule being added).
 * Return: 0 or -ENOMEM.
 */
int nc_nat_tables_get(struct nc_nat_net *nnn)
{
	int err;

	if (nnn->tables)
		return 0;
	err = nc_nat_bindings_init(nnn);
	if (err)
		return err;
	err = nc_nat_flows_init(nnn);
	if (err) {
		nc_nat_bindings_exit(nnn);
		return err;
	}
	nnn->memcg = get_mem_cgroup_from_mm(current->mm);
	/* the tables before any rule that packets could see */
	smp_store_release(&nnn->tables, true);
	return 0;
}

static void __net_exit nc_nat_net_exit(struct net *net)
{
	struct nc_nat_net *nnn = nc_nat_net(net);

	if (nnn->tables) {
		nc_nat_flows_exit(nnn);
		nc_nat_bindings_exit(nnn);
		mem_cgroup_put(nnn->memcg);
	}
	nc_nat_claims_exit(nnn);
	nc_nat_frag_exit(nnn);
	free_percpu(nnn->stats);
}

static struct pernet_operations nc_nat_net_ops = {
	.init = nc_nat_net_init,
	.exit = nc_nat_net_exit,
	.id = &nc_nat_net_id,
	.size = sizeof(struct nc_nat_net),
};

static int __init nc_nat_init(void)
{
	int err;

	BUILD_BUG_ON(__NC_NAT_R_MAX > NC_COUNTERS_MAX);
	err = nc_nat_flow_cache_init();
	if (err)
		return err;
	err = nc_nat_binding_cache_init();
	if (err)
		goto err_cache;
	err = nc_nat_adf_cache_init();
	if (err)
		goto err_bcache;
	err = register_pernet_subsys(&nc_nat_net_ops);
	if (err)
		goto err_acache;
	err = nc_nat_masq_init();
	if (err)
		goto err_pernet;
	err = nc_nat_nl_init();
	if (err)
		goto err_masq;
	err = nc_consumer_register(&nc_nat_consumer);
	if (err)
		goto err_nl;
	pr_info("netchannel: NAT loaded (flow %zu bytes, binding %zu bytes)\n",
		sizeof(struct nc_nat_flow), sizeof(struct nc_nat_binding));
	return 0;

err_nl:
	nc_nat_nl_exit();
err_masq:
	nc_nat_masq_exit();
err_pernet:
	unregister_pernet_subsys(&nc_nat_net_ops);
err_acache:
	nc_nat_adf_cache_exit();
err_bcache:
	nc_nat_binding_cache_exit();
err_cache:
	nc_nat_flow_cache_exit();
	return err;
}

static void __exit nc_nat_exit(void)
{
	/* NAT rules go and no CPU runs our hooks any more */
	nc_consumer_unregister(&nc_nat_consumer);
	nc_nat_nl_exit();
	nc_nat_masq_exit();
	/* flows of every netns go; their RCU callbacks have run */
	unregister_pernet_subsys(&nc_nat_net_ops);
	rcu_barrier();
	nc_nat_adf_cache_exit();
	nc_nat_binding_cache_exit();
	nc_nat_flow_cache_exit();
}

module_init(nc_nat_init);
module_exit(nc_nat_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("netchannel NAT without conntrack");
MODULE_AUTHOR("The netchannel developers");
MODULE_ALIAS_GENL_FAMILY(NETCHANNEL_NAT_FAMILY_NAME);
