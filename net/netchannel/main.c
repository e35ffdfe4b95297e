// SPDX-License-Identifier: GPL-2.0
/*
 * netchannel: a flow classifier at the earliest receive point of chosen
 * devices, running per-rule hook chains (filter, rewrite, checksum) on
 * matching packets without netfilter or conntrack.
 */
#include <linux/module.h>
#include <net/genetlink.h>

#include "nc.h"

static int __init nc_init(void)
{
	int err;

	err = nc_hooks_init();
	if (err)
		return err;
	err = nc_netns_init();
	if (err)
		goto err_hooks;
	err = nc_dev_init();
	if (err)
		goto err_netns;
	err = nc_nl_init();
	if (err)
		goto err_dev;
	pr_info("netchannel: engine loaded\n");
	return 0;

err_dev:
	nc_dev_exit();
err_netns:
	nc_netns_exit();
err_hooks:
	nc_hooks_exit();
	return err;
}

static void __exit nc_exit(void)
{
	/* no new configuration, then detach every device and free rules */
	nc_nl_exit();
	nc_netns_exit();
	nc_dev_exit();
	nc_hooks_exit();
	rcu_barrier();
}

module_init(nc_init);
module_exit(nc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("netchannel flow classifier, filter and NAT engine");
MODULE_AUTHOR("The netchannel developers");
MODULE_ALIAS_GENL_FAMILY(NETCHANNEL_FAMILY_NAME);
