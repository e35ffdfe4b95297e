// SPDX-License-Identifier: GPL-2.0
/*
 * Device attach and the receive hook.
 *
 * The engine sits in a device's rx_handler slot, the earliest point of the
 * receive path where a packet already has its protocol and network header
 * set, and before any protocol handler sees it.  Devices are attached and
 * detached under RTNL and nc_net::lock (in that order); the receive hook
 * itself takes no lock.
 */
#include <linux/if_vlan.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>

#include "nc.h"

static rx_handler_result_t nc_rx_drop(struct nc_dev *ncd, struct sk_buff *skb,
				      enum netchannel_reason reason)
{
	nc_counters_inc(ncd->nn->stats, reason);
	nc_counters_inc(ncd->stats, NC_DEV_DROPPED);
	kfree_skb(skb);
	return RX_HANDLER_CONSUMED;
}

static struct nc_rule *nc_rule_lookup(const struct nc_cls *cls,
				      struct sk_buff *skb, struct nc_pkt *pkt)
{
	if (nc_cls_needs_oif(cls))
		pkt->key.oif = nc_route_oif(skb, pkt);
	return nc_cls_lookup(cls, &pkt->key);
}

/**
 * nc_rule_match - the rule the rule table gives a received packet
 * @ncd: the device it was received on
 * @skb: the packet
 * @pkt: its parse state (its key's oif is filled in if rules need it)
 *
 * What the receive handler looks up after the consumers' hooks, for a
 * consumer that must know before it takes a packet whether a rule would
 * (NAT: a port forward comes before a binding of its port).
 * Context: RCU read side (the receive path).
 * Return: the rule, or NULL.
 */
const struct nc_rule *nc_rule_match(struct nc_dev *ncd, struct sk_buff *skb,
				    struct nc_pkt *pkt)
{
	const struct nc_cls *cls = rcu_dereference(ncd->nn->cls);

	return cls ? nc_rule_lookup(cls, skb, pkt) : NULL;
}
EXPORT_SYMBOL_GPL(nc_rule_match);

static rx_handler_result_t nc_rx_handler(struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb;
	struct nc_dev *ncd = rcu_dereference(skb->dev->rx_handler_data);
	const struct nc_cls *cls;
	const struct nc_rule *rule;
	struct nc_pkt pkt;
	unsigned int len;
	int err;

	/* looped back, or for another host's MAC (the stack drops those) */
	if (unlikely(skb->pkt_type == PACKET_LOOPBACK ||
		     skb->pkt_type == PACKET_OTHERHOST))
		return RX_HANDLER_PASS;
	/*
	 * A tag still here is one no vlan device took (vlan_do_receive()
	 * ran before this hook): the core marks such a frame for another
	 * host once we pass it, and it must not be routed by us either.
	 * Priority-tagged frames (VID 0) are the untagged network's.
	 */
	if (unlikely(skb_vlan_tag_present(skb) && skb_vlan_tag_get_id(skb)))
		return RX_HANDLER_PASS;
	nc_counters_inc(ncd->stats, NC_DEV_SEEN);

	/*
	 * Hooks edit packets in place (and reassembly queues them), so a
	 * packet another holder still reads is copied first, as the bridge
	 * and macvlan receive handlers do; cloned data is copied before any
	 * write by skb_ensure_writable().
	 */
	skb = skb_share_check(skb, GFP_ATOMIC);
	if (unlikely(!skb)) {
		nc_counters_inc(ncd->nn->stats, NETCHANNEL_REASON_NOMEM);
		nc_counters_inc(ncd->stats, NC_DEV_DROPPED);
		return RX_HANDLER_CONSUMED;
	}
	*pskb = skb;

	nc_pkt_init(&pkt, skb->dev->ifindex);
	len = skb->len;
	err = nc_parse(skb, &pkt);
	if (unlikely(err)) {
		if (err == -EINVAL)
			nc_counters_inc(ncd->nn->stats, pkt.reason);
		/*
		 * A sound IP header with a broken transport one is forwarded
		 * by the stack as it is: a consumer that translates such
		 * traffic may refuse it rather than let it leave untranslated.
		 */
		if (err == -EINVAL && pkt.key.family) {
			pkt.key.flags |= NC_KEY_F_MALFORMED;
			if (nc_consumers_rx(ncd, skb, &pkt) == NC_HOOK_DROP) {
				/* its reason is counted above */
				nc_counters_inc(ncd->stats, NC_DEV_DROPPED);
				kfree_skb(skb);
				return RX_HANDLER_CONSUMED;
			}
		}
		goto pass;
	}
	/* link-layer padding is not payload: off before any hook reads it */
	if (unlikely(skb->len > pkt.l3len) &&
	    pskb_trim_rcsum(skb, pkt.l3len))
		return nc_rx_drop(ncd, skb, NETCHANNEL_REASON_NOMEM);

	/* flows a consumer already knows skip the rule table */
	switch (nc_consumers_rx(ncd, skb, &pkt)) {
	case NC_HOOK_CONTINUE:
		break;
	case NC_HOOK_DROP:
		return nc_rx_drop(ncd, skb, pkt.reason);
	case NC_HOOK_STOLEN:
		nc_counters_inc(ncd->stats, NC_DEV_MATCHED);
		return RX_HANDLER_CONSUMED;
	default:
		nc_counters_inc(ncd->stats, NC_DEV_MATCHED);
		goto pass;
	}

	cls = rcu_dereference(ncd->nn->cls);
	if (!cls) {
		if (unlikely(READ_ONCE(ncd->nn->fail_closed)))
			return nc_rx_drop(ncd, skb, NETCHANNEL_REASON_NOMEM);
		goto pass;
	}
	rule = nc_rule_lookup(cls, skb, &pkt);
	if (!rule)
		goto pass;
	nc_counters_inc(ncd->stats, NC_DEV_MATCHED);
	nc_counters_inc(rule->stats, NC_RULE_PACKETS);
	nc_counters_add(rule->stats, NC_RULE_BYTES, len);

	switch (nc_chain_run(rule->chain, skb, &pkt)) {
	case NC_HOOK_DROP:
		return nc_rx_drop(ncd, skb, pkt.reason);
	case NC_HOOK_STOLEN:
		return RX_HANDLER_CONSUMED;
	default:
		break;
	}
pass:
	nc_counters_inc(ncd->stats, NC_DEV_PASSED);
	return RX_HANDLER_PASS;
}

static struct nc_dev *nc_dev_of(const struct net_device *dev)
{
	if (rtnl_dereference(dev->rx_handler) != nc_rx_handler)
		return NULL;
	return rtnl_dereference(dev->rx_handler_data);
}

/**
 * nc_dev_attach - put the receive hook on @dev
 * @nn: the netns @dev is in
 * @dev: the device
 * @extack: for the reason of a refusal
 *
 * Context: RTNL and nn->lock held.
 */
int nc_dev_attach(struct nc_net *nn, struct net_device *dev,
		  struct netlink_ext_ack *extack)
{
	struct nc_dev *ncd;
	int err;

	ASSERT_RTNL();
	lockdep_assert_held(&nn->lock);
	if (nc_dev_of(dev)) {
		NL_SET_ERR_MSG(extack, "device is already attached");
		return -EEXIST;
	}
	if (dev->flags & IFF_LOOPBACK) {
		NL_SET_ERR_MSG(extack, "loopback devices cannot be attached");
		return -EOPNOTSUPP;
	}
	if (netdev_is_rx_handler_busy(dev)) {
		NL_SET_ERR_MSG(extack,
			       "device already has a receive handler (bridge, bond or team port, macvlan/ipvlan lower device, or similar)");
		return -EBUSY;
	}

	ncd = kzalloc(sizeof(*ncd), GFP_KERNEL_ACCOUNT);
	if (!ncd)
		return -ENOMEM;
	ncd->stats = nc_counters_alloc(NC_DEV_NSTATS);
	if (!ncd->stats) {
		err = -ENOMEM;
		goto err_free;
	}
	ncd->dev = dev;
	ncd->nn = nn;
	err = netdev_rx_handler_register(dev, nc_rx_handler, ncd);
	if (err) {
		NL_SET_ERR_MSG(extack, "could not register the receive handler");
		goto err_free;
	}
	list_add_tail(&ncd->list, &nn->devs);
	nn->ndevs++;
	nc_net_changed(nn);
	return 0;

err_free:
	free_percpu(ncd->stats);
	kfree(ncd);
	return err;
}

/* Context: RTNL and ncd->nn->lock held. */
static void nc_dev_release(struct nc_dev *ncd)
{
	/* waits for every CPU to leave the receive hook */
	netdev_rx_handler_unregister(ncd->dev);
	list_del(&ncd->list);
	ncd->nn->ndevs--;
	nc_net_changed(ncd->nn);
	free_percpu(ncd->stats);
	kfree(ncd);
}

/* Context: RTNL and nn->lock held. */
int nc_dev_detach(struct nc_net *nn, struct net_device *dev,
		  struct netlink_ext_ack *extack)
{
	struct nc_dev *ncd = nc_dev_of(dev);

	ASSERT_RTNL();
	lockdep_assert_held(&nn->lock);
	if (!ncd || ncd->nn != nn) {
		NL_SET_ERR_MSG(extack, "device is not attached");
		return -ENOENT;
	}
	nc_dev_release(ncd);
	return 0;
}

/* Detach everything of one netns: netns exit and module unload. */
void nc_dev_detach_all(struct nc_net *nn)
{
	struct nc_dev *ncd, *tmp;

	rtnl_lock();
	mutex_lock(&nn->lock);
	list_for_each_entry_safe(ncd, tmp, &nn->devs, list)
		nc_dev_release(ncd);
	mutex_unlock(&nn->lock);
	rtnl_unlock();
}

/*
 * A device going away, or moving to another netns (which unregisters it
 * from the old one first), loses the hook; rules naming it stay.
 */
static int nc_dev_event(struct notifier_block *nb, unsigned long event,
			void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct nc_dev *ncd;
	struct nc_net *nn;

	if (event != NETDEV_UNREGISTER)
		return NOTIFY_DONE;
	ncd = nc_dev_of(dev);
	if (!ncd)
		return NOTIFY_DONE;
	nn = ncd->nn;
	mutex_lock(&nn->lock);
	nc_dev_release(ncd);
	mutex_unlock(&nn->lock);
	return NOTIFY_OK;
}

static struct notifier_block nc_dev_notifier = {
	.notifier_call = nc_dev_event,
};

int nc_dev_init(void)
{
	return register_netdevice_notifier(&nc_dev_notifier);
}

void nc_dev_exit(void)
{
	unregister_netdevice_notifier(&nc_dev_notifier);
}
