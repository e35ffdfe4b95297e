// SPDX-License-Identifier: GPL-2.0
/*
 * Address-dependent filtering (RFC 4787 REQ-8, `filtering adf`): a binding
 * lets a packet from a remote endpoint without a flow in when one of the
 * binding's flows goes to that remote address, from any port.
 *
 * Asking the binding's flow list costs a step per flow under nnn->lock for
 * every unsolicited packet: an inside host with thousands of flows on one
 * binding plus a flood from outside would make each packet that dear.  So
 * each netns keeps an index instead: per (binding, remote address), the
 * number of the binding's flows whose first packet went to that address.
 * The question is then one lookup, whatever the binding holds.
 *
 * An entry lives while its count is not zero.  A flow counts from just
 * before it joins its binding's list until it leaves it (expired flows
 * too, until they are collected, as the list held them), so the index
 * answers exactly what a walk of the list would.  Only bindings of
 * address-dependent filtering are indexed: the answer of the others does
 * not depend on the remote address.  An entry costs one small object per
 * (binding, remote address) pair, charged as the flow it comes with.
 *
 * The binding's address is the key: an entry goes with the last flow of
 * its binding to its remote, before the binding itself can go, so no entry
 * outlives its binding and names a later one at the same address.
 *
 * Locking: everything, lookups included, under nnn->lock, which makes the
 * counts exact; entries are still freed after a grace period, as an
 * rhashtable object must be.
 */
#include <linux/jhash.h>

#include "nat.h"

struct nc_nat_adf_key {
	const struct nc_nat_binding *b;
	__be32 remote;
};

struct nc_nat_adf {
	struct rhash_head node;
	const struct nc_nat_binding *b;
	__be32 remote;
	u32 count;			/* the binding's flows to @remote */
	struct rcu_head rcu;
};

static_assert(sizeof(struct nc_nat_adf) <= 40);

/* Own slab: 40-byte objects, visible in slabinfo. */
static struct kmem_cache *nc_nat_adf_cache __read_mostly;

static u32 nc_nat_adf_hashfn(const struct nc_nat_binding *b, __be32 remote,
			     u32 seed)
{
	unsigned long p = (unsigned long)b;

	return jhash_3words(lower_32_bits(p), upper_32_bits(p),
			    (__force u32)remote, seed);
}

static u32 nc_nat_adf_key_hash(const void *data, u32 len, u32 seed)
{
	const struct nc_nat_adf_key *k = data;

	return nc_nat_adf_hashfn(k->b, k->remote, seed);
}

static u32 nc_nat_adf_obj_hash(const void *data, u32 len, u32 seed)
{
	const struct nc_nat_adf *e = data;

	return nc_nat_adf_hashfn(e->b, e->remote, seed);
}

static int nc_nat_adf_cmp(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct nc_nat_adf_key *k = arg->key;
	const struct nc_nat_adf *e = obj;

	return e->b != k->b || e->remote != k->remote;
}

static const struct rhashtable_params nc_nat_adf_params = {
	.head_offset = offsetof(struct nc_nat_adf, node),
	.key_len = sizeof(struct nc_nat_adf_key),
	.hashfn = nc_nat_adf_key_hash,
	.obj_hashfn = nc_nat_adf_obj_hash,
	.obj_cmpfn = nc_nat_adf_cmp,
	.automatic_shrinking = true,
};

/* The remote address a flow speaks for: where its first packet went. */
static __be32 nc_nat_adf_remote(const struct nc_nat_flow *f)
{
	return f->th[NC_NAT_DIR_OUT].t.dst;
}

static struct nc_nat_adf *nc_nat_adf_find(struct nc_nat_net *nnn,
					  const struct nc_nat_binding *b,
					  __be32 remote)
{
	struct nc_nat_adf_key key = { .b = b, .remote = remote };

	return rhashtable_lookup_fast(&nnn->adf, &key, nc_nat_adf_params);
}

/**
 * nc_nat_adf_join - count a flow that is about to join its binding
 * @nnn: the netns
 * @b: the binding
 * @f: the flow, not yet in @b's list
 *
 * Context: nnn->lock held, the memcg of nc_nat_charge() active.
 * Return: 0, or -ENOMEM (or an rhashtable error): the flow must not join.
 */
int nc_nat_adf_join(struct nc_nat_net *nnn, const struct nc_nat_binding *b,
		    const struct nc_nat_flow *f)
{
	__be32 remote = nc_nat_adf_remote(f);
	struct nc_nat_adf *e;
	int err;

	lockdep_assert_held(&nnn->lock);
	if (b->filtering != NETCHANNEL_NAT_FILTER_ADF)
		return 0;
	e = nc_nat_adf_find(nnn, b, remote);
	if (e) {
		e->count++;
		return 0;
	}
	e = kmem_cache_alloc(nc_nat_adf_cache, GFP_ATOMIC | __GFP_ACCOUNT);
	if (!e)
		return -ENOMEM;
	e->b = b;
	e->remote = remote;
	e->count = 1;
	err = rhashtable_insert_fast(&nnn->adf, &e->node, nc_nat_adf_params);
	if (err) {
		/* never in the table: nobody saw it */
		kmem_cache_free(nc_nat_adf_cache, e);
		return err;
	}
	return 0;
}

static void nc_nat_adf_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(nc_nat_adf_cache,
			container_of(head, struct nc_nat_adf, rcu));
}

/**
 * nc_nat_adf_leave - a flow counted by nc_nat_adf_join() leaves @b
 * @nnn: the netns
 * @b: the binding
 * @f: the flow
 *
 * Context: nnn->lock held.
 */
void nc_nat_adf_leave(struct nc_nat_net *nnn, const struct nc_nat_binding *b,
		      const struct nc_nat_flow *f)
{
	struct nc_nat_adf *e;

	lockdep_assert_held(&nnn->lock);
	if (b->filtering != NETCHANNEL_NAT_FILTER_ADF)
		return;
	e = nc_nat_adf_find(nnn, b, nc_nat_adf_remote(f));
	if (WARN_ON_ONCE(!e))
		return;
	if (--e->count)
		return;
	rhashtable_remove_fast(&nnn->adf, &e->node, nc_nat_adf_params);
	call_rcu(&e->rcu, nc_nat_adf_free_rcu);
}

/**
 * nc_nat_adf_admits - has @b a flow to @remote?
 * @nnn: the netns
 * @b: a binding of address-dependent filtering
 * @remote: the source address of a packet without a flow
 *
 * One lookup, however many flows @b has.  Context: nnn->lock held.
 */
bool nc_nat_adf_admits(struct nc_nat_net *nnn, const struct nc_nat_binding *b,
		       __be32 remote)
{
	lockdep_assert_held(&nnn->lock);
	return nc_nat_adf_find(nnn, b, remote);
}

int nc_nat_adf_init(struct nc_nat_net *nnn)
{
	return rhashtable_init(&nnn->adf, &nc_nat_adf_params);
}

/* Each flow's leave removed its entry: one left over is a counting bug. */
static void nc_nat_adf_stale(void *ptr, void *arg)
{
	WARN_ON_ONCE(1);
	kmem_cache_free(nc_nat_adf_cache, ptr);
}

/* After every flow is gone. */
void nc_nat_adf_exit(struct nc_nat_net *nnn)
{
	rhashtable_free_and_destroy(&nnn->adf, nc_nat_adf_stale, NULL);
}

int nc_nat_adf_cache_init(void)
{
	nc_nat_adf_cache = KMEM_CACHE(nc_nat_adf, SLAB_ACCOUNT);
	return nc_nat_adf_cache ? 0 : -ENOMEM;
}

/* After every netns's entries are gone and their RCU callbacks ran. */
void nc_nat_adf_cache_exit(void)
{
	kmem_cache_destroy(nc_nat_adf_cache);
}
