// SPDX-License-Identifier: GPL-2.0
/*
 * Hook chains: a registry of hook types and the loop that runs a rule's
 * immutable chain on a packet.  Chains are built when a rule is created and
 * never change afterwards, so running one needs no lock beyond the RCU read
 * side the receive path already holds.
 */
#include <linux/slab.h>

#include "nc.h"

static DEFINE_MUTEX(nc_hook_types_lock);
static const struct nc_hook_type __rcu *nc_hook_types[__NC_HOOK_KIND_MAX];

int nc_hook_type_register(const struct nc_hook_type *type)
{
	int err = 0;

	if (WARN_ON(type->kind >= __NC_HOOK_KIND_MAX))
		return -EINVAL;
	mutex_lock(&nc_hook_types_lock);
	if (rcu_access_pointer(nc_hook_types[type->kind]))
		err = -EEXIST;
	else
		rcu_assign_pointer(nc_hook_types[type->kind], type);
	mutex_unlock(&nc_hook_types_lock);
	return err;
}
EXPORT_SYMBOL_GPL(nc_hook_type_register);

void nc_hook_type_unregister(const struct nc_hook_type *type)
{
	mutex_lock(&nc_hook_types_lock);
	if (rcu_access_pointer(nc_hook_types[type->kind]) == type)
		RCU_INIT_POINTER(nc_hook_types[type->kind], NULL);
	mutex_unlock(&nc_hook_types_lock);
	/* chains keep pointers to types: their owners free chains first */
	synchronize_rcu();
}
EXPORT_SYMBOL_GPL(nc_hook_type_unregister);

/* The registered type of @kind, for building chains (control plane). */
const struct nc_hook_type *nc_hook_type_get(enum nc_hook_kind kind)
{
	const struct nc_hook_type *type;

	if (kind >= __NC_HOOK_KIND_MAX)
		return NULL;
	mutex_lock(&nc_hook_types_lock);
	type = rcu_dereference_protected(nc_hook_types[kind],
					 lockdep_is_held(&nc_hook_types_lock));
	mutex_unlock(&nc_hook_types_lock);
	return type;
}

struct nc_chain *nc_chain_alloc(unsigned int len, gfp_t gfp)
{
	struct nc_chain *chain;

	chain = kzalloc(struct_size(chain, hooks, len), gfp);
	if (chain)
		chain->len = len;
	return chain;
}
EXPORT_SYMBOL_GPL(nc_chain_alloc);

/**
 * nc_chain_run - run the hooks of a chain on a packet, in order
 * @chain: the rule's chain
 * @skb: the packet
 * @pkt: its parse state
 *
 * Stops at the first hook that does not return NC_HOOK_CONTINUE; a chain
 * that runs to its end hands the packet to the stack.
 */
enum nc_hook_ret nc_chain_run(const struct nc_chain *chain,
			      struct sk_buff *skb, struct nc_pkt *pkt)
{
	enum nc_hook_ret ret;
	unsigned int i;

	for (i = 0; i < chain->len; i++) {
		const struct nc_hook *hook = &chain->hooks[i];

		ret = hook->type->run(skb, pkt, hook);
		if (ret != NC_HOOK_CONTINUE)
			return ret;
	}
	return NC_HOOK_PASS;
}

/* The core's own hook types; consumers register theirs on top. */
static const struct nc_hook_type *const nc_core_hooks[] = {
	&nc_hook_filter, &nc_hook_rewrite, &nc_hook_csum,
};

int nc_hooks_init(void)
{
	int i, err;

	for (i = 0; i < ARRAY_SIZE(nc_core_hooks); i++) {
		err = nc_hook_type_register(nc_core_hooks[i]);
		if (err)
			goto err_unwind;
	}
	return 0;

err_unwind:
	while (--i >= 0)
		nc_hook_type_unregister(nc_core_hooks[i]);
	return err;
}

void nc_hooks_exit(void)
{
	int i;

	for (i = ARRAY_SIZE(nc_core_hooks) - 1; i >= 0; i--)
		nc_hook_type_unregister(nc_core_hooks[i]);
}
