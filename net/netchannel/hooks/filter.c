// SPDX-License-Identifier: GPL-2.0
/*
 * Filter hook: the accept or drop verdict of a rule.  Accept hands the
 * packet to the stack unchanged; matching stops at the first rule either
 * way, as in nftables.
 */
#include "../nc.h"

static enum nc_hook_ret nc_filter_run(struct sk_buff *skb, struct nc_pkt *pkt,
				      const struct nc_hook *hook)
{
	if (hook->verdict == NETCHANNEL_VERDICT_DROP) {
		pkt->reason = NETCHANNEL_REASON_RULE_DROP;
		return NC_HOOK_DROP;
	}
	return NC_HOOK_PASS;
}

const struct nc_hook_type nc_hook_filter = {
	.kind = NC_HOOK_FILTER,
	.name = "filter",
	.run = nc_filter_run,
};
