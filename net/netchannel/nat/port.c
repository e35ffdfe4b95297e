// SPDX-License-Identifier: GPL-2.0
/*
 * Bindings and port allocation.
 *
 * A binding maps one inside endpoint to one outside address:port for as
 * long as any flow uses it, whatever the remote end (endpoint-independent
 * mapping, RFC 4787 REQ-1 / RFC 5382 REQ-1).  The outside port is the
 * inside one when that is free and in range (port preservation), otherwise
 * a random one (RFC 6056, algorithm 1), and an outside endpoint never
 * serves two inside endpoints (no overloading).
 *
 * All changes happen under nc_nat_net::lock; bindings die with their last
 * flow.
 */
#include <linux/jhash.h>
#include <linux/prandom.h>
#include <linux/random.h>

#include "nat.h"

/* Own slab: 56-byte objects, not kmalloc-64's, and visible in slabinfo. */
static struct kmem_cache *nc_nat_binding_cache __read_mostly;

static bool nc_nat_ep_eq(const struct nc_nat_ep *a, const struct nc_nat_ep *b)
{
	return a->addr == b->addr && a->port == b->port && a->proto == b->proto;
}

/* Port and protocol of an endpoint as one word, for hashing. */
static u32 nc_nat_ep_word(const struct nc_nat_ep *ep)
{
	return (__force u16)ep->port | (u32)ep->proto << 16;
}

/*
 * Hashes of a few words and word compares instead of jhash2() and
 * memcmp() over the key; as for flows, no shrinking.
 */
static u32 nc_nat_bind_in_hash(const void *data, u32 len, u32 seed)
{
	const struct nc_nat_in_key *k = data;

	return jhash_3words((__force u32)k->ep.addr, nc_nat_ep_word(&k->ep),
			    (__force u32)k->out_addr, seed);
}

static u32 nc_nat_bind_out_hash(const void *data, u32 len, u32 seed)
{
	const struct nc_nat_ep *ep = data;

	return jhash_2words((__force u32)ep->addr, nc_nat_ep_word(ep), seed);
}

static int nc_nat_bind_in_cmp(struct rhashtable_compare_arg *arg,
			      const void *obj)
{
	const struct nc_nat_in_key *a = arg->key;
	const struct nc_nat_in_key *b = &((const struct nc_nat_binding *)obj)->in;

	return !nc_nat_ep_eq(&a->ep, &b->ep) || a->out_addr != b->out_addr;
}

static int nc_nat_bind_out_cmp(struct rhashtable_compare_arg *arg,
			       const void *obj)
{
	return !nc_nat_ep_eq(arg->key, &((const struct nc_nat_binding *)obj)->out);
}

static const struct rhashtable_params nc_nat_bind_in_params = {
	.head_offset = offsetof(struct nc_nat_binding, in_node),
	.key_offset = offsetof(struct nc_nat_binding, in),
	.key_len = sizeof(struct nc_nat_in_key),
	.hashfn = nc_nat_bind_in_hash,
	.obj_cmpfn = nc_nat_bind_in_cmp,
};

static const struct rhashtable_params nc_nat_bind_out_params = {
	.head_offset = offsetof(struct nc_nat_binding, out_node),
	.key_offset = offsetof(struct nc_nat_binding, out),
	.key_len = sizeof(struct nc_nat_ep),
	.hashfn = nc_nat_bind_out_hash,
	.obj_cmpfn = nc_nat_bind_out_cmp,
};

/**
 * nc_nat_pick_port - choose a port in [@min, @max]
 * @want: the inside port, kept when it is in range and free
 * @min: range start
 * @max: range end
 * @rnd: random start offset
 * @taken: is a port in use?
 * @next: NULL, or the first port from @port to @last that @taken may call
 *	free (above @last: none), so that the scan skips what is known taken
 * @ctx: for @taken and @next
 *
 * The work is bounded whatever the load of the range: the kept port, up to
 * NC_NAT_PORT_TRIES random ones, then a scan that tests at most
 * NC_NAT_PORT_SCAN ports.  A flood of new flows to an exhausted range
 * costs each packet that much, not a walk through 65,536 ports under the
 * lock.  With @next the scan may find the last free port of a nearly
 * full range; without, such a range may be reported without a port.
 *
 * Return: the port; -ENOSPC when every port of the range was tested (or
 * skipped by @next) and found taken; -EAGAIN when the bounded search
 * gave up first, which says nothing about the rest of the range.
 */
int nc_nat_pick_port(u16 want, u16 min, u16 max, u32 rnd,
		     bool (*taken)(void *ctx, u16 port),
		     u32 (*next)(void *ctx, u16 port, u16 last), void *ctx)
{
	u32 n = (u32)max - min + 1, i, port, start, last, tested = 0;

	if (want >= min && want <= max && !taken(ctx, want))
		return want;
	/*
	 * A fresh random port per try: probing upwards from one random start
	 * walks through whole clusters of taken ports (a block of preserved
	 * ports, earlier picks next to each other), which made new flows
	 * spend most of their time here.  Random tries need 1 / (1 - load)
	 * of them on average.
	 */
	for (i = 0; i < NC_NAT_PORT_TRIES; i++) {
		port = min + reciprocal_scale(rnd, n);
		if (!taken(ctx, port))
			return port;
		rnd = next_pseudo_random32(rnd);
	}
	/* from a random start to @max, then from @min to the start */
	start = min + reciprocal_scale(rnd, n);
	port = start;
	last = max;
	for (;;) {
		/* (@next takes a u16: past 65535 is past @last, not port 0) */
		if (next && port <= last)
			port = next(ctx, port, last);
		if (port > last) {
			if (last != max || start == min)
				return -ENOSPC;
			port = min;
			last = start - 1;
			continue;
		}
		if (!taken(ctx, port))
			return port;
		if (++tested >= NC_NAT_PORT_SCAN)
			return -EAGAIN;
		port++;		/* u32: past 65535 without wrapping */
	}
}

struct nc_nat_probe {
	struct nc_nat_net *nnn;
	const struct nc_nat_addr *addr;
	struct nc_nat_ep ep;
	struct nc_nat_ep peer;		/* where the first packet goes */
};

/* Bound, or the port of a port forward or a local socket (claim.c)? */
static bool nc_nat_out_taken(void *ctx, u16 port)
{
	struct nc_nat_probe *p = ctx;
	int taken = nc_nat_addr_taken(p->addr, port);

	if (taken > 0)
		return true;
	p->ep.port = htons(port);
	if (taken < 0 && rhashtable_lookup_fast(&p->nnn->bind_out, &p->ep,
						nc_nat_bind_out_params))
		return true;
	return nc_nat_claimed(p->nnn, &p->ep, p->peer.addr, p->peer.port);
}

static u32 nc_nat_out_next(void *ctx, u16 port, u16 last)
{
	struct nc_nat_probe *p = ctx;

	return nc_nat_addr_next_free(p->addr, port, last);
}

/* Context: RCU read side or nnn->lock. */
struct nc_nat_binding *nc_nat_binding_by_out(struct nc_nat_net *nnn,
					     const struct nc_nat_ep *out)
{
	return rhashtable_lookup_fast(&nnn->bind_out, out, nc_nat_bind_out_params);
}

/**
 * nc_nat_out_bound - is an outside endpoint bound, and by what binding?
 * @nnn: the netns
 * @out: the outside endpoint (a packet's destination)
 * @bp: NULL, or set to the binding, or to NULL when the endpoint is free
 *
 * Every binding is found by its outside endpoint, whatever its filtering:
 * a packet of an inside host to another one's outside endpoint is
 * hairpinned to that binding's inside endpoint (nc_nat_hairpin()).  The
 * port map answers first, so that packets to unbound ports cost no lookup
 * in a table whose bucket is not in the cache.  A binding's bit is set
 * after it enters the table and cleared before it leaves, so a reader that
 * sees the bit but not the binding raced with its removal.  Without @bp, a
 * set bit is the whole answer.
 * Context: RCU read side or nnn->lock.
 * Return: whether @out is bound.
 */
bool nc_nat_out_bound(struct nc_nat_net *nnn, const struct nc_nat_ep *out,
		      struct nc_nat_binding **bp)
{
	struct nc_nat_binding *b = NULL;
	const struct nc_nat_addr *a;
	int taken = 0;

	a = nc_nat_addr_lookup(nnn, out->addr, out->proto);
	if (a)
		taken = nc_nat_addr_taken(a, ntohs(out->port));
	if (taken && (taken < 0 || bp))
		b = nc_nat_binding_by_out(nnn, out);
	if (bp)
		*bp = b;
	return taken > 0 || b;
}

/**
 * nc_nat_bind - the binding of an inside endpoint, made if needed
 * @nnn: the netns
 * @in: inside endpoint (addr, port, proto)
 * @peer: NULL, or the endpoint the first packet goes to (its replies'
 *	source): a local socket connected to it keeps its port
 * @out_addr: outside address to map to
 * @port_min: outside port range start
 * @port_max: outside port range end
 * @filtering: inbound filtering of a new binding
 *
 * Context: nnn->lock held.  A new binding has no flow yet: the caller adds
 * one or drops it with nc_nat_binding_put().
 *
 * An address whose range was found exhausted answers so without a scan
 * until one of its ports is freed or a second passes (nc_nat_addr_full()).
 *
 * Return: the binding, or NULL when the range is exhausted or memory short.
 */
struct nc_nat_binding *nc_nat_bind(struct nc_nat_net *nnn,
				   const struct nc_nat_ep *in,
				   const struct nc_nat_ep *peer, __be32 out_addr,
				   u16 port_min, u16 port_max, u8 filtering)
{
	struct nc_nat_probe probe = { .nnn = nnn };
	struct nc_nat_binding *b;
	struct nc_nat_in_key key = { .ep = *in, .out_addr = out_addr };
	struct nc_nat_addr *a;
	int port;

	lockdep_assert_held(&nnn->lock);
	key.ep.pad = 0;
	/*
	 * The address first (it exists if the binding does): for a new
	 * inside endpoint, the binding lookup and the test of the port it
	 * would keep both miss the cache, so the bit loads meanwhile.
	 */
	a = nc_nat_addr_get(nnn, out_addr, in->proto);
	if (!a)
		return NULL;
	nc_nat_addr_prefetch(a, ntohs(in->port));
	b = rhashtable_lookup_fast(&nnn->bind_in, &key, nc_nat_bind_in_params);
	if (b)
		return b;

	if (nc_nat_addr_full(a, port_min, port_max))
		goto err_addr;
	probe.addr = a;
	probe.ep.addr = out_addr;
	probe.ep.proto = in->proto;
	if (peer)
		probe.peer = *peer;
	port = nc_nat_pick_port(ntohs(in->port), port_min, port_max,
				get_random_u32(), nc_nat_out_taken,
				nc_nat_out_next, &probe);
	if (port < 0) {
		/* only a range walked to its end is known full */
		if (port == -ENOSPC)
			nc_nat_addr_set_full(a, port_min, port_max);
		goto err_addr;
	}
	b = kmem_cache_zalloc(nc_nat_binding_cache, GFP_ATOMIC | __GFP_ACCOUNT);
	if (!b)
		goto err_addr;
	b->in = key;
	b->out.addr = out_addr;
	b->out.port = htons(port);
	b->out.proto = in->proto;
	b->filtering = filtering;
	INIT_HLIST_HEAD(&b->flows);
	if (rhashtable_insert_fast(&nnn->bind_in, &b->in_node,
				   nc_nat_bind_in_params))
		goto err_free;
	if (rhashtable_insert_fast(&nnn->bind_out, &b->out_node,
				   nc_nat_bind_out_params)) {
		rhashtable_remove_fast(&nnn->bind_in, &b->in_node,
				       nc_nat_bind_in_params);
		goto err_free;
	}
	nc_nat_addr_bind(a, port);
	return b;

err_free:
	kmem_cache_free(nc_nat_binding_cache, b);
err_addr:
	nc_nat_addr_drop_unused(nnn, a);
	return NULL;
}

/*
 * May a packet from a remote endpoint that has no flow yet come in through
 * this binding?  @t is the packet's tuple (src = the remote endpoint).
 * Bounded work: address-dependent filtering asks its index (adf.c), not
 * the binding's flows.  Context: nnn->lock held.
 */
bool nc_nat_binding_admits(struct nc_nat_net *nnn,
			   const struct nc_nat_binding *b,
			   const struct nc_nat_tuple *t)
{
	switch (b->filtering) {
	case NETCHANNEL_NAT_FILTER_EIF:
		return true;
	case NETCHANNEL_NAT_FILTER_ADF:
		return nc_nat_adf_admits(nnn, b, t->src);
	default:
		/*
		 * the exact remote endpoint would have found its flow
		 * (nc_nat_inbound_new() drops these before the lock)
		 */
		return false;
	}
}

/* @f (not yet in the table, or live) uses @b.  Context: nnn->lock held. */
void nc_nat_binding_join(struct nc_nat_binding *b, struct nc_nat_flow *f)
{
	hlist_add_head(&f->bnode, &b->flows);
	f->flags |= NC_NAT_F_BOUND;
}

/* @f, which joined a binding, leaves it; the caller puts the binding. */
void nc_nat_binding_unlink(struct nc_nat_flow *f)
{
	hlist_del(&f->bnode);
	f->flags &= ~NC_NAT_F_BOUND;
}

/*
 * The binding of a flow, by the key its tuples hold: the inside endpoint
 * is the first packet's source, the pool address where replies go (for
 * outbound, inbound and hairpinned flows alike).  Context: nnn->lock held.
 */
static struct nc_nat_binding *nc_nat_binding_of(struct nc_nat_net *nnn,
						const struct nc_nat_flow *f)
{
	const struct nc_nat_tuple *o = &f->th[NC_NAT_DIR_OUT].t;
	struct nc_nat_in_key key = {
		.ep = { .addr = o->src, .port = o->sport, .proto = o->proto },
		.out_addr = f->th[NC_NAT_DIR_IN].t.dst,
	};

	return rhashtable_lookup_fast(&nnn->bind_in, &key,
				      nc_nat_bind_in_params);
}

/*
 * A flow that is going leaves its binding, if it has one, and the binding
 * goes with its last flow.  Context: nnn->lock held.
 */
void nc_nat_binding_leave(struct nc_nat_net *nnn, struct nc_nat_flow *f)
{
	struct nc_nat_binding *b;

	if (!(f->flags & NC_NAT_F_BOUND))
		return;
	b = nc_nat_binding_of(nnn, f);
	nc_nat_binding_unlink(f);
	if (WARN_ON_ONCE(!b))
		return;
	nc_nat_adf_leave(nnn, b, f);
	nc_nat_binding_put(nnn, b);
}

static void nc_nat_binding_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(nc_nat_binding_cache,
			container_of(head, struct nc_nat_binding, rcu));
}

/* Drop a binding that no flow uses any more.  Context: nnn->lock held. */
void nc_nat_binding_put(struct nc_nat_net *nnn, struct nc_nat_binding *b)
{
	lockdep_assert_held(&nnn->lock);
	if (!hlist_empty(&b->flows))
		return;
	/* the bit first: see nc_nat_out_bound() */
	nc_nat_addr_unbind(nnn, b->out.addr, b->out.proto, ntohs(b->out.port));
	rhashtable_remove_fast(&nnn->bind_in, &b->in_node,
			       nc_nat_bind_in_params);
	rhashtable_remove_fast(&nnn->bind_out, &b->out_node,
			       nc_nat_bind_out_params);
	call_rcu(&b->rcu, nc_nat_binding_free_rcu);
}

int nc_nat_binding_cache_init(void)
{
	nc_nat_binding_cache = KMEM_CACHE(nc_nat_binding, SLAB_ACCOUNT);
	return nc_nat_binding_cache ? 0 : -ENOMEM;
}

/* After every binding is gone and its RCU callback ran. */
void nc_nat_binding_cache_exit(void)
{
	kmem_cache_destroy(nc_nat_binding_cache);
}

int nc_nat_bindings_init(struct nc_nat_net *nnn)
{
	int err;

	err = rhashtable_init(&nnn->bind_in, &nc_nat_bind_in_params);
	if (err)
		return err;
	err = rhashtable_init(&nnn->bind_out, &nc_nat_bind_out_params);
	if (err)
		goto err_in;
	err = nc_nat_addrs_init(nnn);
	if (err)
		goto err_out;
	err = nc_nat_adf_init(nnn);
	if (err)
		goto err_addrs;
	return 0;

err_addrs:
	nc_nat_addrs_exit(nnn);
err_out:
	rhashtable_destroy(&nnn->bind_out);
err_in:
	rhashtable_destroy(&nnn->bind_in);
	return err;
}

/* After every flow is gone, so is every binding. */
void nc_nat_bindings_exit(struct nc_nat_net *nnn)
{
	nc_nat_adf_exit(nnn);
	nc_nat_addrs_exit(nnn);
	rhashtable_destroy(&nnn->bind_out);
	rhashtable_destroy(&nnn->bind_in);
}
