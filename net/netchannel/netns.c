// SPDX-License-Identifier: GPL-2.0
/*
 * Per-network-namespace state.  Each netns has its own rules, classifier,
 * attached devices and counters; nothing is shared between namespaces.
 */
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "nc.h"

static unsigned int nc_net_id __read_mostly;

const char * const nc_reason_names[__NETCHANNEL_REASON_MAX] = {
	[NETCHANNEL_REASON_TRUNCATED]	= "truncated",
	[NETCHANNEL_REASON_BAD_VERSION]	= "bad-version",
	[NETCHANNEL_REASON_BAD_IHL]	= "bad-ihl",
	[NETCHANNEL_REASON_BAD_LENGTH]	= "bad-length",
	[NETCHANNEL_REASON_BAD_EXTHDR]	= "bad-exthdr",
	[NETCHANNEL_REASON_BAD_L4]	= "bad-l4",
	[NETCHANNEL_REASON_RULE_DROP]	= "rule-drop",
	[NETCHANNEL_REASON_NOMEM]	= "nomem",
	[NETCHANNEL_REASON_CONSUMER]	= "consumer",
	[NETCHANNEL_REASON_BAD_CSUM]	= "bad-csum",
	[NETCHANNEL_REASON_XFRM_POLICY]	= "xfrm-policy",
};

struct nc_net *nc_net(const struct net *net)
{
	return net_generic(net, nc_net_id);
}

/* Any configuration change: dumps in progress see NLM_F_DUMP_INTR. */
void nc_net_changed(struct nc_net *nn)
{
	lockdep_assert_held(&nn->lock);
	if (!++nn->generation)
		nn->generation = 1;
}

static int __net_init nc_net_init(struct net *net)
{
	struct nc_net *nn = nc_net(net);

	nn->stats = nc_counters_alloc(__NETCHANNEL_REASON_MAX);
	if (!nn->stats)
		return -ENOMEM;
	nn->net = net;
	mutex_init(&nn->lock);
	INIT_LIST_HEAD(&nn->rules);
	INIT_LIST_HEAD(&nn->devs);
	nn->next_handle = 1;
	nn->generation = 1;
	nc_consumers_netns_add(nn);
	return 0;
}

static void __net_exit nc_net_exit(struct net *net)
{
	struct nc_net *nn = nc_net(net);

	/* devices of a dying netns are gone already; on rmmod they are not */
	nc_consumers_netns_del(nn);
	nc_dev_detach_all(nn);
	nc_ruleset_release(nn);
	free_percpu(nn->stats);
	mutex_destroy(&nn->lock);
}

static struct pernet_operations nc_net_ops = {
	.init = nc_net_init,
	.exit = nc_net_exit,
	.id = &nc_net_id,
	.size = sizeof(struct nc_net),
};

int nc_netns_init(void)
{
	return register_pernet_subsys(&nc_net_ops);
}

void nc_netns_exit(void)
{
	unregister_pernet_subsys(&nc_net_ops);
}
