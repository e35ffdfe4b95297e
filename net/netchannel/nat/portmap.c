// SPDX-License-Identifier: GPL-2.0
/*
 * Port maps: which outside ports of one address and protocol are bound,
 * one bit per port.
 *
 * A new binding probes ports until one is free (nc_nat_pick_port()).  In
 * the bindings' hash table every probe is a lookup that misses the cache
 * on its bucket and on the binding it compares with, and behind a small
 * pool most probes of preserved ports hit a taken one: a quarter of the
 * cost of a new flow went there.  A bit test costs nothing.
 *
 * Every outside address with bindings has a struct nc_nat_addr counting
 * them.  The first NC_NAT_PORTMAPS_MAX of a netns also get a map (8 KiB),
 * made when the address gets its first binding, so a map always holds
 * every binding of its address; the others probe the table as before
 * (a big pool spreads its bindings thin, so they seldom collide).
 *
 * The receive path also asks, under RCU, whether a packet's destination is
 * an outside address at all, and then whether its port is bound, before it
 * looks for a binding of it: most packets without a flow are first packets
 * going out, and the small table of addresses stays in the cache where the
 * big one of bindings does not (nc_nat_out_bound()).
 *
 * Locking: changes under nc_nat_net::lock; lookups of the table and tests
 * of the maps also under RCU, so an address and its map are freed after a
 * grace period.
 */
#include <linux/jhash.h>
#include <linux/prefetch.h>
#include <linux/slab.h>

#include "nat.h"

struct nc_nat_addr {
	struct rhash_head node;
	__be32 addr;			/* key: addr and proto */
	u8 proto;
	u8 pad[3];
	u32 nbind;			/* bindings on this address */
	unsigned long *ports;		/* bound ports, or NULL: no map */
	/* negative cache: [full_min, full_max] had no free port (lock) */
	unsigned long full_until;	/* jiffies; 0: nothing cached */
	u16 full_min, full_max;
	struct rcu_head rcu;
};

#define NC_NAT_ADDR_KEY_LEN	(offsetofend(struct nc_nat_addr, pad) - \
				 offsetof(struct nc_nat_addr, addr))

/* Looked up per new flow: two words, not jhash2() and memcmp(). */
static u32 nc_nat_addr_hash(const void *data, u32 len, u32 seed)
{
	const struct nc_nat_addr *key = container_of(data, struct nc_nat_addr,
						     addr);

	return jhash_2words((__force u32)key->addr, key->proto, seed);
}

static int nc_nat_addr_cmp(struct rhashtable_compare_arg *arg,
			   const void *obj)
{
	const struct nc_nat_addr *key = container_of(arg->key,
						     struct nc_nat_addr, addr);
	const struct nc_nat_addr *a = obj;

	return key->addr != a->addr || key->proto != a->proto;
}

static const struct rhashtable_params nc_nat_addr_params = {
	.head_offset = offsetof(struct nc_nat_addr, node),
	.key_offset = offsetof(struct nc_nat_addr, addr),
	.key_len = NC_NAT_ADDR_KEY_LEN,
	.hashfn = nc_nat_addr_hash,
	.obj_cmpfn = nc_nat_addr_cmp,
};

static struct nc_nat_addr *nc_nat_addr_find(struct nc_nat_net *nnn,
					    __be32 addr, u8 proto)
{
	struct nc_nat_addr key = { .addr = addr, .proto = proto };

	return rhashtable_lookup_fast(&nnn->addrs, &key.addr,
				      nc_nat_addr_params);
}

/* @addr, if it has bindings for @proto.  Context: RCU read side. */
const struct nc_nat_addr *nc_nat_addr_lookup(struct nc_nat_net *nnn,
					     __be32 addr, u8 proto)
{
	return nc_nat_addr_find(nnn, addr, proto);
}

static void nc_nat_addr_free_rcu(struct rcu_head *head)
{
	struct nc_nat_addr *a = container_of(head, struct nc_nat_addr, rcu);

	bitmap_free(a->ports);
	kfree(a);
}

static void nc_nat_addr_free(struct nc_nat_net *nnn, struct nc_nat_addr *a)
{
	if (a->ports)
		nnn->nportmaps--;
	call_rcu(&a->rcu, nc_nat_addr_free_rcu);
}

/**
 * nc_nat_addr_get - the port accounting of an outside address
 * @nnn: the netns
 * @addr: outside address
 * @proto: protocol
 *
 * Context: nnn->lock held.  An address made here has no binding yet: the
 * caller binds a port of it with nc_nat_addr_bind() or gives it back with
 * nc_nat_addr_drop_unused().
 *
 * Return: the address, or NULL when memory is short.
 */
struct nc_nat_addr *nc_nat_addr_get(struct nc_nat_net *nnn, __be32 addr,
				    u8 proto)
{
	struct nc_nat_addr *a;

	lockdep_assert_held(&nnn->lock);
	a = nc_nat_addr_find(nnn, addr, proto);
	if (a)
		return a;
	a = kzalloc(sizeof(*a), GFP_ATOMIC | __GFP_ACCOUNT);
	if (!a)
		return NULL;
	a->addr = addr;
	a->proto = proto;
	if (nnn->nportmaps < NC_NAT_PORTMAPS_MAX) {
		/* without a map the table answers: slower, still right */
		a->ports = bitmap_zalloc(U16_MAX + 1, GFP_ATOMIC | __GFP_NOWARN | __GFP_ACCOUNT);
		if (a->ports)
			nnn->nportmaps++;
	}
	if (rhashtable_insert_fast(&nnn->addrs, &a->node, nc_nat_addr_params)) {
		nc_nat_addr_free(nnn, a);
		return NULL;
	}
	return a;
}

/* Give back an address no binding uses.  Context: nnn->lock held. */
void nc_nat_addr_drop_unused(struct nc_nat_net *nnn, struct nc_nat_addr *a)
{
	lockdep_assert_held(&nnn->lock);
	if (a->nbind)
		return;
	rhashtable_remove_fast(&nnn->addrs, &a->node, nc_nat_addr_params);
	nc_nat_addr_free(nnn, a);
}

/*
 * Is @port of @a bound?  -1: the address has no map, ask the table.
 * Context: nnn->lock, or RCU read side (a racing change may be missed,
 * as by any lookup).
 */
int nc_nat_addr_taken(const struct nc_nat_addr *a, u16 port)
{
	return a->ports ? test_bit(port, a->ports) : -1;
}

/*
 * The first port from @port to @last whose bit is clear (above @last:
 * none); every port on an address without a map.  Context: nnn->lock.
 */
u32 nc_nat_addr_next_free(const struct nc_nat_addr *a, u16 port, u16 last)
{
	if (!a->ports)
		return port;
	return find_next_zero_bit(a->ports, (unsigned long)last + 1, port);
}

/*
 * Was a range covering [@min, @max] found exhausted, with no port of @a
 * freed since, less than a second ago?  Then a flood of first packets to
 * it costs each one this test, not a scan.  The second bounds how long a
 * port that a closed socket or a deleted port forward gave back stays
 * unused.  Context: nnn->lock held.
 */
bool nc_nat_addr_full(const struct nc_nat_addr *a, u16 min, u16 max)
{
	return a->full_until && time_before(jiffies, a->full_until) &&
	       a->full_min <= min && max <= a->full_max;
}

/* No port of [@min, @max] was found free.  Context: nnn->lock held. */
void nc_nat_addr_set_full(struct nc_nat_addr *a, u16 min, u16 max)
{
	a->full_until = jiffies + HZ ?: 1;
	a->full_min = min;
	a->full_max = max;
}

/* Start loading the bit of @port, if @a has a map. */
void nc_nat_addr_prefetch(const struct nc_nat_addr *a, u16 port)
{
	if (a->ports)
		prefetch(&a->ports[BIT_WORD(port)]);
}

/* A binding took @port of @a.  Context: nnn->lock held. */
void nc_nat_addr_bind(struct nc_nat_addr *a, u16 port)
{
	a->nbind++;
	if (a->ports)
		set_bit(port, a->ports);	/* no torn store: RCU readers */
}

/* The binding of @port of @addr is gone.  Context: nnn->lock held. */
void nc_nat_addr_unbind(struct nc_nat_net *nnn, __be32 addr, u8 proto,
			u16 port)
{
	struct nc_nat_addr *a = nc_nat_addr_find(nnn, addr, proto);

	if (WARN_ON_ONCE(!a || !a->nbind))
		return;
	if (a->ports)
		clear_bit(port, a->ports);
	a->full_until = 0;	/* a port is free again */
	a->nbind--;
	nc_nat_addr_drop_unused(nnn, a);
}

int nc_nat_addrs_init(struct nc_nat_net *nnn)
{
	nnn->nportmaps = 0;
	return rhashtable_init(&nnn->addrs, &nc_nat_addr_params);
}

static void nc_nat_addr_destroy(void *ptr, void *arg)
{
	nc_nat_addr_free(arg, ptr);
}

/* After every binding is gone; frees what a leak would leave. */
void nc_nat_addrs_exit(struct nc_nat_net *nnn)
{
	rhashtable_free_and_destroy(&nnn->addrs, nc_nat_addr_destroy, nnn);
}
