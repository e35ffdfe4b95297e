// SPDX-License-Identifier: GPL-2.0
/*
 * Consumers: modules (the NAT) that add rule verdicts and keep their own
 * per-flow state.  The core knows them only through struct nc_consumer.
 *
 * The registry is an RCU list: the receive path walks it without a lock;
 * writers hold nc_consumers_lock.  nc_nets lists every netns's state so
 * that a consumer going away can take its rules out of all of them; it is
 * protected by the same mutex, taken after RTNL and before nc_net::lock.
 */
#include <linux/module.h>

#include "nc.h"

static DEFINE_MUTEX(nc_consumers_lock);
static LIST_HEAD(nc_consumers);
static LIST_HEAD(nc_nets);

static bool nc_verdicts_overlap(const struct nc_consumer *a,
				const struct nc_consumer *b)
{
	return a->verdict_min <= b->verdict_max &&
	       b->verdict_min <= a->verdict_max;
}

int nc_consumer_register(struct nc_consumer *c)
{
	struct nc_consumer *pos;
	int err = 0;

	if (c->verdict_min < NETCHANNEL_VERDICT_CONSUMER ||
	    c->verdict_min > c->verdict_max)
		return -EINVAL;
	mutex_lock(&nc_consumers_lock);
	list_for_each_entry(pos, &nc_consumers, list) {
		if (nc_verdicts_overlap(pos, c)) {
			err = -EEXIST;
			goto out;
		}
	}
	list_add_tail_rcu(&c->list, &nc_consumers);
out:
	mutex_unlock(&nc_consumers_lock);
	return err;
}
EXPORT_SYMBOL_GPL(nc_consumer_register);

/*
 * Take @c's rules out of every netns, then @c out of the receive path.
 * On return no CPU runs any of @c's code.
 */
void nc_consumer_unregister(struct nc_consumer *c)
{
	struct nc_net *nn;

	mutex_lock(&nc_consumers_lock);
	list_for_each_entry(nn, &nc_nets, all) {
		mutex_lock(&nn->lock);
		nc_ruleset_purge(nn, c);
		mutex_unlock(&nn->lock);
	}
	list_del_rcu(&c->list);
	mutex_unlock(&nc_consumers_lock);
	synchronize_rcu();
}
EXPORT_SYMBOL_GPL(nc_consumer_unregister);

/*
 * Rule edits hold the registry lock from building a rule to publishing it,
 * so a consumer cannot unregister between the two: its unregister would
 * miss the rule.  Lock order: RTNL, nc_consumers_lock, nc_net::lock.
 */
void nc_consumers_lock_edit(void)
{
	mutex_lock(&nc_consumers_lock);
}

void nc_consumers_unlock_edit(void)
{
	mutex_unlock(&nc_consumers_lock);
}

/* The consumer of a rule verdict.  Context: nc_consumers_lock_edit(). */
const struct nc_consumer *nc_consumer_find(u32 verdict)
{
	const struct nc_consumer *c;

	lockdep_assert_held(&nc_consumers_lock);
	list_for_each_entry(c, &nc_consumers, list)
		if (verdict >= c->verdict_min && verdict <= c->verdict_max)
			return c;
	return NULL;
}

/* Data path: let each consumer claim packets of flows it knows. */
enum nc_hook_ret nc_consumers_rx(struct nc_dev *ncd, struct sk_buff *skb,
				 struct nc_pkt *pkt)
{
	const struct nc_consumer *c;
	enum nc_hook_ret ret;

	list_for_each_entry_rcu(c, &nc_consumers, list) {
		if (!c->rx)
			continue;
		ret = c->rx(ncd, skb, pkt);
		if (ret != NC_HOOK_CONTINUE)
			return ret;
	}
	return NC_HOOK_CONTINUE;
}

void nc_consumers_netns_add(struct nc_net *nn)
{
	mutex_lock(&nc_consumers_lock);
	list_add_tail(&nn->all, &nc_nets);
	mutex_unlock(&nc_consumers_lock);
}

void nc_consumers_netns_del(struct nc_net *nn)
{
	mutex_lock(&nc_consumers_lock);
	list_del(&nn->all);
	mutex_unlock(&nc_consumers_lock);
}
