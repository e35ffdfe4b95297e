// SPDX-License-Identifier: GPL-2.0
/*
 * Masquerade and renumbering: a masquerade flow keeps the outside address
 * its egress device had when the flow started.  When that address goes
 * (PPPoE or DHCP renumbering) or its device goes down, the flow would
 * black-hole until it expired, and a keepalive never lets it expire.  As
 * netfilter's masquerade does with conntrack entries, the flows of
 * masquerade rules whose outside address was lost are removed then, and
 * hairpin flows through it: the next packet of the session makes a new
 * flow with the new address.
 * Their bindings die with their last flow.
 *
 * Both notifier chains run in process context under RTNL; the walk may
 * sleep between chunks and takes nnn->lock per removal.
 */
#include <linux/inetdevice.h>
#include <linux/netdevice.h>
#include <linux/notifier.h>
#include <net/route.h>

#include "nat.h"

/* What a walk removes: masquerade flows out by @addr, or via @dev. */
struct nc_nat_masq_lost {
	struct net *net;
	const struct net_device *dev;	/* NULL: by address */
	__be32 addr;
};

/* The outside address of a flow: where its replies arrive. */
static __be32 nc_nat_outside(const struct nc_nat_flow *f)
{
	return f->th[NC_NAT_DIR_IN].t.dst;
}

/*
 * Hairpin flows go too when the address they hairpin through is lost:
 * both their endpoints are on it, so they would outlive it with no
 * address of the router left to answer on.
 */
static bool nc_nat_masq_want(const struct nc_nat_flow *f, void *ctx)
{
	const struct nc_nat_masq_lost *lost = ctx;
	bool hairpin = f->flags & NC_NAT_F_HAIRPIN;
	struct net_device *dev;
	__be32 out;

	if (f->kind != NETCHANNEL_VERDICT_MASQUERADE && !hairpin)
		return false;
	out = nc_nat_outside(f);
	if (!lost->dev)
		return out == lost->addr;
	dev = __ip_dev_find(lost->net, out, false);
	/* a hairpin through an snat pool address the router never held stays */
	if (hairpin)
		return dev == lost->dev;
	/* an address of the device going down, or one no longer ours */
	return !dev || dev == lost->dev;
}

static void nc_nat_masq_flush(struct net *net, struct nc_nat_masq_lost *lost)
{
	struct nc_nat_net *nnn = nc_nat_net(net);
	unsigned int n;

	if (!atomic_read(&nnn->nflows))
		return;
	lost->net = net;
	n = nc_nat_walk(nnn, nc_nat_masq_want, lost, false);
	if (n) {
		local_bh_disable();	/* the counters' writers are softirqs */
		nc_counters_add(nnn->stats, NC_NAT_R_MASQ_FLUSHED, n);
		local_bh_enable();
	}
}

/* An IPv4 address was deleted.  Context: process, RTNL held. */
static int nc_nat_inetaddr_event(struct notifier_block *nb,
				 unsigned long event, void *ptr)
{
	struct in_ifaddr *ifa = ptr;
	struct net *net = dev_net(ifa->ifa_dev->dev);
	struct nc_nat_masq_lost lost = { .addr = ifa->ifa_local };
	bool still;

	if (event != NETDEV_DOWN)
		return NOTIFY_DONE;
	/* another device may hold the same address: then it is not lost */
	rcu_read_lock();
	still = __ip_dev_find(net, ifa->ifa_local, false);
	rcu_read_unlock();
	if (!still)
		nc_nat_masq_flush(net, &lost);
	return NOTIFY_DONE;
}

/* A device went down (or is going away).  Context: process, RTNL held. */
static int nc_nat_netdev_event(struct notifier_block *nb,
			       unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct nc_nat_masq_lost lost = { .dev = dev };

	if (event == NETDEV_DOWN)
		nc_nat_masq_flush(dev_net(dev), &lost);
	return NOTIFY_DONE;
}

static struct notifier_block nc_nat_inetaddr_notifier = {
	.notifier_call = nc_nat_inetaddr_event,
};

static struct notifier_block nc_nat_netdev_notifier = {
	.notifier_call = nc_nat_netdev_event,
};

/* After the per-netns state exists: events reach every netns at once. */
int nc_nat_masq_init(void)
{
	int err;

	err = register_netdevice_notifier(&nc_nat_netdev_notifier);
	if (err)
		return err;
	err = register_inetaddr_notifier(&nc_nat_inetaddr_notifier);
	if (err)
		goto err_netdev;
	return 0;

err_netdev:
	unregister_netdevice_notifier(&nc_nat_netdev_notifier);
	return err;
}

void nc_nat_masq_exit(void)
{
	unregister_inetaddr_notifier(&nc_nat_inetaddr_notifier);
	unregister_netdevice_notifier(&nc_nat_netdev_notifier);
}
