// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: port allocation and bindings (preservation, random choice, no
 * overloading, exhaustion, endpoint-independent mapping), a full table
 * calling the collector early, ICMP error quote translation checked
 * against full checksum recomputation, and the set of fragments NAT
 * reassembles.
 */
#include <kunit/test.h>
#include <linux/icmp.h>
#include <linux/delay.h>
#include <linux/ip.h>
#include <linux/prandom.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/ip.h>

#include "nat.h"

static DECLARE_BITMAP(nc_t_taken, 65536);

static bool nc_t_is_taken(void *ctx, u16 port)
{
	unsigned int *probes = ctx;

	if (probes)
		(*probes)++;
	return test_bit(port, nc_t_taken);
}

static void nc_nat_port_preserve(struct kunit *test)
{
	bitmap_zero(nc_t_taken, 65536);
	KUNIT_EXPECT_EQ(test, nc_nat_pick_port(5000, 1024, 65535, 7,
					       nc_t_is_taken, NULL, NULL), 5000);
	set_bit(5000, nc_t_taken);
	KUNIT_EXPECT_NE(test, nc_nat_pick_port(5000, 1024, 65535, 7,
					       nc_t_is_taken, NULL, NULL), 5000);
	/* out of range: never kept */
	KUNIT_EXPECT_NE(test, nc_nat_pick_port(80, 1024, 65535, 7,
					       nc_t_is_taken, NULL, NULL), 80);
}

static void nc_nat_port_random_in_range(struct kunit *test)
{
	struct rnd_state rnd;
	int i, p, first = -1;
	bool differ = false;

	bitmap_zero(nc_t_taken, 65536);
	set_bit(2000, nc_t_taken);
	prandom_seed_state(&rnd, 42);
	for (i = 0; i < 1000; i++) {
		p = nc_nat_pick_port(2000, 2000, 2999, prandom_u32_state(&rnd),
				     nc_t_is_taken, NULL, NULL);
		KUNIT_ASSERT_GE(test, p, 2001);
		KUNIT_ASSERT_LE(test, p, 2999);
		if (first < 0)
			first = p;
		differ |= p != first;
	}
	/* RFC 6056: the choice is not predictable from the last one */
	KUNIT_EXPECT_TRUE(test, differ);
}

static void nc_nat_port_exhaustion(struct kunit *test)
{
	int i, p;

	bitmap_zero(nc_t_taken, 65536);
	for (i = 0; i < 16; i++) {
		p = nc_nat_pick_port(3000, 3000, 3015, i * 7919,
				     nc_t_is_taken, NULL, NULL);
		KUNIT_ASSERT_GE(test, p, 3000);
		KUNIT_ASSERT_LE(test, p, 3015);
		KUNIT_ASSERT_FALSE(test, test_bit(p, nc_t_taken));
		set_bit(p, nc_t_taken);
	}
	KUNIT_EXPECT_EQ(test, nc_nat_pick_port(3000, 3000, 3015, 1,
					       nc_t_is_taken, NULL, NULL), -ENOSPC);
}

/* A @next that knows nothing: every port may be free. */
static u32 nc_t_next_any(void *ctx, u16 port, u16 last)
{
	return port;
}

/*
 * A range ending at 65535, all taken though @next calls each port maybe
 * free (a port forward's or a local socket's port): the scan must not
 * step past 65535 to port 0, below the range.
 */
static void nc_nat_port_top_of_range(struct kunit *test)
{
	u32 rnd;

	bitmap_zero(nc_t_taken, 65536);
	bitmap_set(nc_t_taken, 65530, 6);
	for (rnd = 0; rnd < 64; rnd++)
		KUNIT_EXPECT_EQ(test, nc_nat_pick_port(65530, 65530, 65535,
						       rnd * 7919,
						       nc_t_is_taken,
						       nc_t_next_any, NULL),
				-ENOSPC);
}

/*
 * A block of 1,024 taken ports (as port preservation leaves) and a quarter
 * of the rest taken: a pick takes about 1 / (1 - 0.26) probes, not a walk
 * through the block whenever the random start falls into it.
 */
static void nc_nat_port_cluster(struct kunit *test)
{
	unsigned int probes = 0, picks = 1000, i;
	struct rnd_state rnd;
	int p;

	bitmap_zero(nc_t_taken, 65536);
	bitmap_set(nc_t_taken, 1024, 1024);
	for (i = 2048; i < 65536; i += 4)
		set_bit(i, nc_t_taken);
	prandom_seed_state(&rnd, 7);
	for (i = 0; i < picks; i++) {
		p = nc_nat_pick_port(1500, 1024, 65535, prandom_u32_state(&rnd),
				     nc_t_is_taken, NULL, &probes);
		KUNIT_ASSERT_GE(test, p, 2048);
		KUNIT_ASSERT_FALSE(test, test_bit(p, nc_t_taken));
	}
	/* the preserved port's probe, then ~1.35 random ones per pick */
	KUNIT_EXPECT_LT(test, probes, picks * 3);
}

static struct nc_nat_net *nc_t_nnn(struct kunit *test)
{
	struct nc_nat_net *nnn = kunit_kzalloc(test, sizeof(*nnn), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, nnn);
	nnn->net = &init_net;	/* whose sockets the allocator avoids */
	spin_lock_init(&nnn->lock);
	mutex_init(&nnn->fragsel_lock);	/* the collector empties the set */
	KUNIT_ASSERT_EQ(test, nc_nat_bindings_init(nnn), 0);
	return nnn;
}

static struct nc_nat_ep nc_t_ep(u32 addr, u16 port)
{
	struct nc_nat_ep ep = {
		.addr = htonl(addr),
		.port = htons(port),
		.proto = IPPROTO_UDP,
	};

	return ep;
}

/*
 * Bindings with one fake flow each, so that they persist.  @maps: whether
 * the outside address gets a port map or its probes ask the table.
 * Context: nnn->lock held, so a failed check returns instead of asserting
 * (an assertion would end the test with the lock held).
 */
static void nc_t_eim_locked(struct kunit *test, struct nc_nat_net *nnn,
			    bool maps)
{
	struct nc_nat_binding *a, *a2, *b, *c, *full, *found;
	struct nc_nat_flow fa = {}, fa2 = {}, fb = {}, fc = {};
	struct nc_nat_ep in_a = nc_t_ep(0x0a000001, 4000);
	struct nc_nat_ep in_b = nc_t_ep(0x0a000002, 4000);
	struct nc_nat_ep in_c = nc_t_ep(0x0a000003, 4000);
	__be32 out = htonl(0xc0000201);

	a = nc_nat_bind(nnn, &in_a, NULL, out, 4000, 4001, 0);
	KUNIT_EXPECT_NOT_NULL(test, a);
	if (!a)
		return;
	nc_nat_binding_join(a, &fa);
	/* the same inside endpoint keeps its outside port (EIM) */
	a2 = nc_nat_bind(nnn, &in_a, NULL, out, 4000, 4001, 0);
	KUNIT_EXPECT_PTR_EQ(test, a, a2);
	/* a binding with flows left stays when one of them goes */
	nc_nat_binding_join(a, &fa2);
	nc_nat_binding_unlink(&fa2);
	KUNIT_EXPECT_FALSE(test, fa2.flags & NC_NAT_F_BOUND);
	nc_nat_binding_put(nnn, a);
	KUNIT_EXPECT_TRUE(test, nc_nat_out_bound(nnn, &a->out, &found));
	KUNIT_EXPECT_PTR_EQ(test, found, a);
	/* another inside endpoint never shares it (no overloading) */
	b = nc_nat_bind(nnn, &in_b, NULL, out, 4000, 4001, 0);
	KUNIT_EXPECT_NOT_NULL(test, b);
	if (!b)
		return;
	nc_nat_binding_join(b, &fb);
	KUNIT_EXPECT_EQ(test, ntohs(b->out.port), 4001);
	/* the range is exhausted */
	full = nc_nat_bind(nnn, &in_c, NULL, out, 4000, 4001, 0);
	KUNIT_EXPECT_NULL(test, full);
	/* the outside endpoint is bound */
	KUNIT_EXPECT_TRUE(test, nc_nat_out_bound(nnn, &b->out, &found));
	KUNIT_EXPECT_PTR_EQ(test, found, b);
	/* a binding dies with its last flow, and frees its port */
	nc_nat_binding_unlink(&fa);
	nc_nat_binding_put(nnn, a);
	c = nc_nat_bind(nnn, &in_c, NULL, out, 4000, 4001, 0);
	KUNIT_EXPECT_NOT_NULL(test, c);
	if (!c)
		return;
	nc_nat_binding_join(c, &fc);
	KUNIT_EXPECT_EQ(test, ntohs(c->out.port), 4000);
	nc_nat_binding_unlink(&fb);
	nc_nat_binding_put(nnn, b);
	nc_nat_binding_unlink(&fc);
	nc_nat_binding_put(nnn, c);
	/* the address went with its last binding, and its map */
	KUNIT_EXPECT_EQ(test, atomic_read(&nnn->addrs.nelems), 0);
	KUNIT_EXPECT_EQ(test, nnn->nportmaps, maps ? 0 : NC_NAT_PORTMAPS_MAX);
}

static void nc_t_eim(struct kunit *test, bool maps)
{
	struct nc_nat_net *nnn = nc_t_nnn(test);

	if (!maps)
		nnn->nportmaps = NC_NAT_PORTMAPS_MAX;
	spin_lock_bh(&nnn->lock);
	nc_t_eim_locked(test, nnn, maps);
	spin_unlock_bh(&nnn->lock);
	rcu_barrier();
	nc_nat_bindings_exit(nnn);
}

static void nc_nat_bindings_eim(struct kunit *test)
{
	nc_t_eim(test, true);
}

static void nc_nat_bindings_eim_nomap(struct kunit *test)
{
	nc_t_eim(test, false);
}

/*
 * Bindings of every filtering are found by their outside endpoint, on an
 * address with a port map or without: hairpinning needs the inside
 * endpoint of any of them.
 */
static void nc_t_by_out(struct kunit *test, bool maps)
{
	struct nc_nat_net *nnn = nc_t_nnn(test);
	struct nc_nat_ep in_a = nc_t_ep(0x0a000001, 4000);
	struct nc_nat_ep in_b = nc_t_ep(0x0a000002, 4001);
	struct nc_nat_ep unbound = nc_t_ep(0xc0000201, 4002);
	struct nc_nat_binding *a, *b, *found;
	struct nc_nat_flow fa = {}, fb = {};

	if (!maps)
		nnn->nportmaps = NC_NAT_PORTMAPS_MAX;
	spin_lock_bh(&nnn->lock);
	a = nc_nat_bind(nnn, &in_a, NULL, unbound.addr, 4000, 4002,
			NETCHANNEL_NAT_FILTER_APDF);
	b = a ? nc_nat_bind(nnn, &in_b, NULL, unbound.addr, 4000, 4002,
			    NETCHANNEL_NAT_FILTER_ADF) : NULL;
	KUNIT_EXPECT_NOT_NULL(test, a);
	KUNIT_EXPECT_NOT_NULL(test, b);
	if (!a || !b) {
		if (a)
			nc_nat_binding_put(nnn, a);
		goto out;
	}
	nc_nat_binding_join(a, &fa);
	nc_nat_binding_join(b, &fb);
	KUNIT_EXPECT_EQ(test, atomic_read(&nnn->bind_out.nelems), 2);
	KUNIT_EXPECT_TRUE(test, nc_nat_out_bound(nnn, &a->out, &found));
	KUNIT_EXPECT_PTR_EQ(test, found, a);
	KUNIT_EXPECT_TRUE(test, nc_nat_out_bound(nnn, &b->out, &found));
	KUNIT_EXPECT_PTR_EQ(test, found, b);
	KUNIT_EXPECT_FALSE(test, nc_nat_out_bound(nnn, &unbound, &found));
	KUNIT_EXPECT_NULL(test, found);
	/* without asking for the binding: the same answers */
	KUNIT_EXPECT_TRUE(test, nc_nat_out_bound(nnn, &a->out, NULL));
	KUNIT_EXPECT_TRUE(test, nc_nat_out_bound(nnn, &b->out, NULL));
	KUNIT_EXPECT_FALSE(test, nc_nat_out_bound(nnn, &unbound, NULL));
	/* the port is free again when its binding goes */
	unbound.port = a->out.port;
	nc_nat_binding_unlink(&fa);
	nc_nat_binding_put(nnn, a);
	KUNIT_EXPECT_FALSE(test, nc_nat_out_bound(nnn, &unbound, &found));
	nc_nat_binding_unlink(&fb);
	nc_nat_binding_put(nnn, b);
	KUNIT_EXPECT_EQ(test, atomic_read(&nnn->bind_out.nelems), 0);
out:
	spin_unlock_bh(&nnn->lock);
	rcu_barrier();
	nc_nat_bindings_exit(nnn);
}

static void nc_nat_bindings_by_out(struct kunit *test)
{
	nc_t_by_out(test, true);
}

static void nc_nat_bindings_by_out_nomap(struct kunit *test)
{
	nc_t_by_out(test, false);
}

/* ---- ICMP quotes ---- */

#define NC_T_OUT	0xc0000201	/* outside address */
#define NC_T_REM	0xcb007107	/* remote */
#define NC_T_IN		0x0a000005	/* inside host */

/* ---- address-dependent filtering ---- */

/* @f, going to @remote, joins @b as nc_nat_flow_create() has it join. */
static void nc_t_adf_join(struct kunit *test, struct nc_nat_net *nnn,
			  struct nc_nat_binding *b, struct nc_nat_flow *f,
			  u32 remote)
{
	f->th[NC_NAT_DIR_OUT].t.dst = htonl(remote);
	KUNIT_EXPECT_EQ(test, nc_nat_adf_join(nnn, b, f), 0);
	nc_nat_binding_join(b, f);
}

/* ... and leaves it as nc_nat_binding_leave() has it leave. */
static void nc_t_adf_leave(struct nc_nat_net *nnn, struct nc_nat_binding *b,
			   struct nc_nat_flow *f)
{
	nc_nat_binding_unlink(f);
	nc_nat_adf_leave(nnn, b, f);
	nc_nat_binding_put(nnn, b);
}

static bool nc_t_admits(struct nc_nat_net *nnn, struct nc_nat_binding *b,
			u32 remote)
{
	struct nc_nat_tuple t = {
		.src = htonl(remote), .sport = htons(9), .proto = IPPROTO_UDP,
	};

	return nc_nat_binding_admits(nnn, b, &t);
}

/*
 * Address-dependent filtering asks an index, not the binding's flows: a
 * remote address is let in while any flow of that binding goes to it,
 * until the last such flow leaves, and through no other binding.
 */
static void nc_nat_adf_index(struct kunit *test)
{
	struct nc_nat_net *nnn = nc_t_nnn(test);
	struct nc_nat_ep in[2] = {
		nc_t_ep(NC_T_IN, 4000), nc_t_ep(NC_T_IN + 1, 4000),
	};
	struct nc_nat_flow fa[3] = {}, fb = {};
	struct nc_nat_binding *bd[2] = {}, *a, *b;
	int i;

	spin_lock_bh(&nnn->lock);
	for (i = 0; i < 2; i++) {
		bd[i] = nc_nat_bind(nnn, &in[i], NULL, htonl(NC_T_OUT), 4000,
				    4001, NETCHANNEL_NAT_FILTER_ADF);
		KUNIT_EXPECT_NOT_NULL(test, bd[i]);
	}
	a = bd[0];
	b = bd[1];
	if (!a || !b) {
		/* no flow joined them: a put frees them */
		for (i = 0; i < 2; i++)
			if (bd[i])
				nc_nat_binding_put(nnn, bd[i]);
		goto out;
	}
	nc_t_adf_join(test, nnn, a, &fa[0], NC_T_REM);
	nc_t_adf_join(test, nnn, a, &fa[1], NC_T_REM);
	nc_t_adf_join(test, nnn, a, &fa[2], NC_T_REM + 1);
	nc_t_adf_join(test, nnn, b, &fb, NC_T_REM + 2);
	/* one entry per binding and remote address, not per flow */
	KUNIT_EXPECT_EQ(test, atomic_read(&nnn->adf.nelems), 3);
	KUNIT_EXPECT_TRUE(test, nc_t_admits(nnn, a, NC_T_REM));
	KUNIT_EXPECT_TRUE(test, nc_t_admits(nnn, a, NC_T_REM + 1));
	KUNIT_EXPECT_FALSE(test, nc_t_admits(nnn, a, NC_T_REM + 2));
	KUNIT_EXPECT_TRUE(test, nc_t_admits(nnn, b, NC_T_REM + 2));
	KUNIT_EXPECT_FALSE(test, nc_t_admits(nnn, b, NC_T_REM));
	/* the remote stays while one of its two flows is left */
	nc_t_adf_leave(nnn, a, &fa[0]);
	KUNIT_EXPECT_TRUE(test, nc_t_admits(nnn, a, NC_T_REM));
	nc_t_adf_leave(nnn, a, &fa[1]);
	KUNIT_EXPECT_FALSE(test, nc_t_admits(nnn, a, NC_T_REM));
	KUNIT_EXPECT_TRUE(test, nc_t_admits(nnn, a, NC_T_REM + 1));
	nc_t_adf_leave(nnn, a, &fa[2]);
	nc_t_adf_leave(nnn, b, &fb);
	KUNIT_EXPECT_EQ(test, atomic_read(&nnn->adf.nelems), 0);
out:
	spin_unlock_bh(&nnn->lock);
	rcu_barrier();
	nc_nat_bindings_exit(nnn);
}

/* A netns's flow table for the collector's cases: no flow, udp @udp s. */
static struct nc_nat_net *nc_t_flows(struct kunit *test, u32 udp)
{
	struct nc_nat_net *nnn = nc_t_nnn(test);

	nnn->net = &init_net;
	nnn->stats = nc_counters_alloc(__NC_NAT_R_MAX);
	KUNIT_ASSERT_NOT_NULL(test, nnn->stats);
	nnn->max_flows = 2;
	nnn->timeouts.udp = udp;
	KUNIT_ASSERT_EQ(test, nc_nat_flows_init(nnn), 0);
	return nnn;
}

static void nc_t_flows_exit(struct nc_nat_net *nnn)
{
	nc_nat_flows_exit(nnn);
	nc_nat_bindings_exit(nnn);
	free_percpu(nnn->stats);
}

/* A dnat flow from host @src's @proto port @sport, or NULL and @why. */
static struct nc_nat_flow *nc_t_proto_flow(struct nc_nat_net *nnn, u32 src,
					   u16 sport, u8 proto,
					   enum nc_nat_reason *why)
{
	const struct nc_nat_rule r = { .verdict = NETCHANNEL_VERDICT_DNAT };
	struct nc_nat_tuple t = {
		.src = htonl(src), .dst = htonl(0xc0000202),
		.sport = htons(sport), .dport = htons(53),
		.proto = proto,
	}, reply;
	struct nc_nat_flow *f;

	nc_nat_invert(&t, &reply);
	rcu_read_lock();
	spin_lock_bh(&nnn->lock);
	f = nc_nat_flow_create(nnn, &t, &reply, &r, 0, NULL, 0, why);
	spin_unlock_bh(&nnn->lock);
	rcu_read_unlock();
	return f;
}

/* The same for UDP. */
static struct nc_nat_flow *nc_t_flow_from(struct nc_nat_net *nnn, u32 src,
					  u16 sport, enum nc_nat_reason *why)
{
	return nc_t_proto_flow(nnn, src, sport, IPPROTO_UDP, why);
}

/* The same from the inside host 10.0.0.1, which must succeed. */
static struct nc_nat_flow *nc_t_flow(struct kunit *test,
				     struct nc_nat_net *nnn, u16 sport)
{
	enum nc_nat_reason why;
	struct nc_nat_flow *f = nc_t_flow_from(nnn, 0x0a000001, sport, &why);

	KUNIT_ASSERT_NOT_NULL(test, f);
	return f;
}

static u64 nc_t_count(struct nc_nat_net *nnn, enum nc_nat_reason r)
{
	u64 v[__NC_NAT_R_MAX];

	nc_counters_read(nnn->stats, __NC_NAT_R_MAX, v);
	return v[r];
}

/* As if a reply had come back: no longer evictable, full timeout. */
static void nc_t_replied(struct nc_nat_net *nnn, struct nc_nat_flow *f)
{
	f->track.seen |= NC_NAT_SEEN_REPLY | NC_NAT_SEEN_ASSURED;
	WRITE_ONCE(f->expires, jiffies + nnn->timeouts.udp * HZ);
}

/* Wait up to @ms for the collector to leave @n flows. */
static void nc_t_collected(struct kunit *test, struct nc_nat_net *nnn,
			   unsigned int ms, int n)
{
	unsigned int i;

	for (i = 0; i < ms / 20 && atomic_read(&nnn->nflows) != n; i++)
		msleep(20);
	KUNIT_EXPECT_EQ(test, atomic_read(&nnn->nflows), n);
}

/*
 * A table full of expired flows the collector has not reached: the next
 * pass is a minute away (as for a big table), yet asking for room brings
 * it now and the flows go.
 */
static void nc_nat_full_table_collects(struct kunit *test)
{
	struct nc_nat_net *nnn = nc_t_flows(test, 30);
	int i;

	for (i = 0; i < 2; i++)
		WRITE_ONCE(nc_t_flow(test, nnn, 4000 + i)->expires, jiffies - 1);
	mod_delayed_work(system_power_efficient_wq, &nnn->gc, 60 * HZ);
	KUNIT_EXPECT_TRUE(test, nc_nat_table_full(nnn));
	nc_t_collected(test, nnn, 1000, 0);
	KUNIT_EXPECT_FALSE(test, nc_nat_table_full(nnn));
	nc_t_flows_exit(nnn);
}

/*
 * The collector comes when the first flow expires, not every second (and
 * at least once a minute): a flow due later leaves the next pass where it
 * is, a pass plans the next one for the first expiry it saw, and a flow
 * due sooner brings the pass forward and goes then.
 */
static void nc_nat_gc_follows_expiry(struct kunit *test)
{
	struct nc_nat_net *nnn = nc_t_flows(test, 300);
	unsigned long idle = READ_ONCE(nnn->gc_next);
	struct nc_nat_flow *f;

	nnn->max_flows = 3;
	KUNIT_EXPECT_TRUE(test, time_after(idle, jiffies + 50 * HZ));
	nnn->timeouts.udp = 20;
	f = nc_t_flow(test, nnn, 4001);
	KUNIT_EXPECT_EQ(test, READ_ONCE(nnn->gc_next), READ_ONCE(f->expires));
	/* unanswered, so due in 30 s: after the pass, which stays */
	nnn->timeouts.udp = 300;
	nc_t_flow(test, nnn, 4000);
	KUNIT_EXPECT_EQ(test, READ_ONCE(nnn->gc_next), READ_ONCE(f->expires));
	mod_delayed_work(system_power_efficient_wq, &nnn->gc, 0);
	flush_delayed_work(&nnn->gc);
	KUNIT_EXPECT_EQ(test, READ_ONCE(nnn->gc_next), READ_ONCE(f->expires));
	KUNIT_EXPECT_EQ(test, atomic_read(&nnn->nflows), 2);

	nnn->timeouts.udp = 1;
	nc_t_flow(test, nnn, 4002);
	KUNIT_EXPECT_TRUE(test, time_before_eq(READ_ONCE(nnn->gc_next),
					       jiffies + 2 * HZ));
	nc_t_collected(test, nnn, 4000, 2);
	nc_t_flows_exit(nnn);
}

/*
 * A flow nothing answered lives 30 s at most, whatever the UDP timeout:
 * a flood of first packets must not hold the table for long.
 */
static void nc_nat_unreplied_short(struct kunit *test)
{
	struct nc_nat_net *nnn = nc_t_flows(test, 300);
	struct nc_nat_flow *f = nc_t_flow(test, nnn, 4000);

	KUNIT_EXPECT_EQ(test, nc_nat_expires_in(f), 30);
	nnn->timeouts.udp = 10;
	f = nc_t_flow(test, nnn, 4001);
	KUNIT_EXPECT_EQ(test, nc_nat_expires_in(f), 10);
	nc_t_flows_exit(nnn);
}

/*
 * A full table makes room by evicting an unanswered flow (counted), and
 * refuses when every flow was answered.
 */
static void nc_nat_early_drop_unreplied(struct kunit *test)
{
	struct nc_nat_net *nnn = nc_t_flows(test, 300);
	enum nc_nat_reason why = NC_NAT_R_CREATED;
	struct nc_nat_flow *a, *b;

	a = nc_t_flow(test, nnn, 4000);
	b = nc_t_flow(test, nnn, 4001);
	KUNIT_EXPECT_TRUE(test, nc_nat_table_full(nnn));
	/* the table holds 2: a third replaces one of the unanswered two */
	KUNIT_EXPECT_NOT_NULL(test, nc_t_flow_from(nnn, 0x0a000002, 4002, &why));
	KUNIT_EXPECT_EQ(test, atomic_read(&nnn->nflows), 2);
	KUNIT_EXPECT_EQ(test, nc_t_count(nnn, NC_NAT_R_EARLY_DROP),
			1);
	nc_nat_flush(nnn);
	nc_t_replied(nnn, nc_t_flow(test, nnn, 4000));
	nc_t_replied(nnn, nc_t_flow(test, nnn, 4001));
	KUNIT_EXPECT_NULL(test, nc_t_flow_from(nnn, 0x0a000002, 4002, &why));
	KUNIT_EXPECT_EQ(test, why, NC_NAT_R_TABLE_FULL);
	KUNIT_EXPECT_EQ(test, atomic_read(&nnn->nflows), 2);
	nc_t_flows_exit(nnn);
}

/* A source's share of the table; other sources are not held back. */
static void nc_nat_per_host_limit(struct kunit *test)
{
	struct nc_nat_net *nnn = nc_t_flows(test, 300);
	enum nc_nat_reason why = NC_NAT_R_CREATED;

	nnn->max_flows = 10;
	nnn->max_per_host = 2;
	nc_t_flow(test, nnn, 4000);
	nc_t_flow(test, nnn, 4001);
	KUNIT_EXPECT_NULL(test, nc_t_flow_from(nnn, 0x0a000001, 4002, &why));
	KUNIT_EXPECT_EQ(test, why, NC_NAT_R_HOST_LIMIT);
	KUNIT_EXPECT_NOT_NULL(test, nc_t_flow_from(nnn, 0x0a000002, 4002, &why));
	/* a flow gone gives its host room again */
	nc_nat_flush(nnn);
	KUNIT_EXPECT_EQ(test, atomic_read(&nnn->hosts.nelems), 0);
	nc_t_flow(test, nnn, 4003);
	nc_t_flow(test, nnn, 4004);
	nc_t_flows_exit(nnn);
}

static void nc_t_ip(struct iphdr *iph, u8 proto, unsigned int len,
		    u32 src, u32 dst)
{
	memset(iph, 0, sizeof(*iph));
	iph->version = 4;
	iph->ihl = 5;
	iph->ttl = 64;
	iph->protocol = proto;
	iph->tot_len = htons(len);
	iph->saddr = htonl(src);
	iph->daddr = htonl(dst);
	iph->check = ip_fast_csum(iph, 5);
}

/*
 * An ICMP port unreachable from the remote quoting the whole translated
 * datagram (@qproto, @l4len bytes of transport), as the router receives it.
 */
static struct sk_buff *nc_t_error(struct kunit *test, u8 qproto,
				  unsigned int l4len, bool udp_zero)
{
	unsigned int len = 20 + 8 + 20 + l4len;
	struct sk_buff *skb = alloc_skb(len, GFP_KERNEL);
	struct iphdr *outer, *inner;
	struct icmphdr *ih;
	u8 *l4;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	outer = skb_put_zero(skb, len);
	ih = (struct icmphdr *)(outer + 1);
	inner = (struct iphdr *)(ih + 1);
	l4 = (u8 *)(inner + 1);
	get_random_bytes(l4, l4len);
	nc_t_ip(inner, qproto, 20 + l4len, NC_T_OUT, NC_T_REM);
	if (qproto == IPPROTO_UDP) {
		struct udphdr *uh = (struct udphdr *)l4;

		uh->source = htons(40000);
		uh->dest = htons(53);
		uh->len = htons(l4len);
		uh->check = 0;
		if (!udp_zero)
			uh->check = csum_tcpudp_magic(inner->saddr,
						      inner->daddr, l4len,
						      IPPROTO_UDP,
						      csum_partial(l4, l4len, 0));
	} else if (qproto == IPPROTO_TCP) {
		struct tcphdr *th = (struct tcphdr *)l4;

		th->source = htons(40000);
		th->dest = htons(443);
		th->doff = 5;
		th->check = 0;
		th->check = csum_tcpudp_magic(inner->saddr, inner->daddr,
					      l4len, IPPROTO_TCP,
					      csum_partial(l4, l4len, 0));
	} else {
		struct icmphdr *eh = (struct icmphdr *)l4;

		eh->type = ICMP_ECHO;
		eh->code = 0;
		eh->un.echo.id = htons(40000);
		eh->checksum = 0;
		eh->checksum = csum_fold(csum_partial(l4, l4len, 0));
	}
	ih->type = ICMP_DEST_UNREACH;
	ih->code = ICMP_PORT_UNREACH;
	ih->checksum = csum_fold(csum_partial(ih, len - 20, 0));
	nc_t_ip(outer, IPPROTO_ICMP, len, NC_T_REM, NC_T_OUT);
	skb->protocol = htons(ETH_P_IP);
	skb_reset_network_header(skb);
	return skb;
}

static void nc_t_check_quote(struct kunit *test, u8 qproto,
			     unsigned int l4len, bool udp_zero)
{
	struct sk_buff *skb = nc_t_error(test, qproto, l4len, udp_zero);
	struct nc_nat_tuple to = {
		.src = htonl(NC_T_IN), .dst = htonl(NC_T_REM),
		.sport = htons(5555), .dport = htons(qproto == IPPROTO_ICMP ?
						     5555 : 53),
		.proto = qproto,
	};
	struct iphdr *inner = (struct iphdr *)(skb->data + 28);
	u8 *l4 = (u8 *)(inner + 1);

	KUNIT_ASSERT_EQ(test, nc_nat_icmp_inner(skb, 28, skb->len - 28, &to),
			0);
	KUNIT_EXPECT_EQ(test, inner->saddr, to.src);
	KUNIT_EXPECT_EQ(test, inner->daddr, to.dst);
	KUNIT_EXPECT_EQ(test, ip_fast_csum(inner, 5), 0);
	/* the ICMP checksum verifies over the whole message */
	KUNIT_EXPECT_EQ(test, csum_fold(csum_partial(skb->data + 20,
						     skb->len - 20, 0)), 0);
	if (qproto == IPPROTO_ICMP) {
		KUNIT_EXPECT_EQ(test, ((struct icmphdr *)l4)->un.echo.id,
				to.sport);
		KUNIT_EXPECT_EQ(test, csum_fold(csum_partial(l4, l4len, 0)), 0);
	} else {
		KUNIT_EXPECT_EQ(test, ((__be16 *)l4)[0], to.sport);
		KUNIT_EXPECT_EQ(test, ((__be16 *)l4)[1], to.dport);
	}
	if (udp_zero)
		KUNIT_EXPECT_EQ(test, ((struct udphdr *)l4)->check, 0);
	else if (qproto != IPPROTO_ICMP)
		KUNIT_EXPECT_EQ(test, csum_tcpudp_magic(inner->saddr,
							inner->daddr, l4len,
							qproto,
							csum_partial(l4, l4len,
								     0)), 0);
	kfree_skb(skb);
}

static void nc_nat_icmp_quote_udp(struct kunit *test)
{
	int i;

	for (i = 0; i < 50; i++)
		nc_t_check_quote(test, IPPROTO_UDP, 8 + i, false);
}

static void nc_nat_icmp_quote_udp_zero(struct kunit *test)
{
	nc_t_check_quote(test, IPPROTO_UDP, 12, true);
}

static void nc_nat_icmp_quote_tcp(struct kunit *test)
{
	int i;

	for (i = 0; i < 50; i++)
		nc_t_check_quote(test, IPPROTO_TCP, 20, false);
}

static void nc_nat_icmp_quote_echo(struct kunit *test)
{
	int i;

	for (i = 0; i < 50; i++)
		nc_t_check_quote(test, IPPROTO_ICMP, 8 + i, false);
}

/* RFC 792 quotes: only 8 bytes of TCP, its checksum not among them */
static void nc_nat_icmp_quote_short_tcp(struct kunit *test)
{
	struct sk_buff *skb = nc_t_error(test, IPPROTO_TCP, 20, false);
	struct nc_nat_tuple to = {
		.src = htonl(NC_T_IN), .dst = htonl(NC_T_REM),
		.sport = htons(5555), .dport = htons(443),
		.proto = IPPROTO_TCP,
	};
	unsigned int len = 20 + 8 + 20 + 8;
	struct icmphdr *ih;

	/* cut the quote to 8 transport bytes; redo the ICMP checksum */
	skb_trim(skb, len);
	ih = (struct icmphdr *)(skb->data + 20);
	ih->checksum = 0;
	ih->checksum = csum_fold(csum_partial(ih, len - 20, 0));
	KUNIT_ASSERT_EQ(test, nc_nat_icmp_inner(skb, 28, 28, &to), 0);
	KUNIT_EXPECT_EQ(test, ip_fast_csum(skb->data + 28, 5), 0);
	KUNIT_EXPECT_EQ(test, csum_fold(csum_partial(ih, len - 20, 0)), 0);
	KUNIT_EXPECT_EQ(test, ((__be16 *)(skb->data + 48))[0], to.sport);
	/* too short to edit */
	KUNIT_EXPECT_EQ(test, nc_nat_icmp_inner(skb, 28, 20 + 4, &to),
			-EINVAL);
	kfree_skb(skb);
}

#define NC_T_SYN	BIT(0)
#define NC_T_ACK	BIT(1)
#define NC_T_FIN	BIT(2)
#define NC_T_RST	BIT(3)

/* A TCP segment of @f travelling @dir, with @len bytes of data; its state */
static u8 nc_t_seg(struct kunit *test, struct nc_nat_net *nnn,
		   struct nc_nat_flow *f, enum nc_nat_dir dir,
		   unsigned int flags, u32 seq, u32 ack, unsigned int len)
{
	struct nc_pkt pkt = {
		.key = { .family = AF_INET, .proto = IPPROTO_TCP },
		.thoff = 20, .l3len = 40 + len, .l4hdr = true,
	};
	struct sk_buff *skb = alloc_skb(64, GFP_KERNEL);
	struct tcphdr *th;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_put_zero(skb, 40);
	th = (struct tcphdr *)(skb->data + 20);
	th->doff = 5;
	th->seq = htonl(seq);
	th->ack_seq = htonl(ack);
	th->syn = !!(flags & NC_T_SYN);
	th->ack = !!(flags & NC_T_ACK);
	th->fin = !!(flags & NC_T_FIN);
	th->rst = !!(flags & NC_T_RST);
	/* as from the receive path: softirq, RCU read side */
	local_bh_disable();
	rcu_read_lock();
	nc_nat_touch(nnn, f, dir, skb, &pkt);
	rcu_read_unlock();
	local_bh_enable();
	kfree_skb(skb);
	return READ_ONCE(f->track.state);
}

/* @f expires in @secs, give or take the second a slow host may take */
static void nc_t_expires_in(struct kunit *test, struct nc_nat_flow *f,
			    u32 secs)
{
	u32 left = nc_nat_expires_in(f);

	KUNIT_EXPECT_LE(test, left, secs);
	KUNIT_EXPECT_GE(test, left, secs - 1);
}

/*
 * A connection closed by FINs both ways, then a new one on the same ports
 * (a client reusing its port): the new SYN starts the flow over, its
 * handshake establishes it with the established timeout, and the old
 * connection's sequences no longer count: an RST carrying one is not
 * believed, one of the new connection is.
 */
static void nc_nat_tcp_restart(struct kunit *test)
{
	const enum nc_nat_dir o = NC_NAT_DIR_OUT, i = NC_NAT_DIR_IN;
	struct nc_nat_net *nnn = nc_t_flows(test, 300);
	enum nc_nat_reason why;
	struct nc_nat_flow *f;

	nnn->timeouts.tcp_est = 7440;
	nnn->timeouts.tcp_trans = 240;
	f = nc_t_proto_flow(nnn, 0x0a000001, 4000, IPPROTO_TCP, &why);
	KUNIT_ASSERT_NOT_NULL(test, f);
	KUNIT_EXPECT_EQ(test, nc_t_seg(test, nnn, f, o, NC_T_SYN, 1000, 0, 0),
			NETCHANNEL_NAT_STATE_SYN);
	KUNIT_EXPECT_EQ(test, nc_t_seg(test, nnn, f, i, NC_T_SYN | NC_T_ACK,
				       5000, 1001, 0),
			NETCHANNEL_NAT_STATE_SYN_RECV);
	KUNIT_EXPECT_EQ(test, nc_t_seg(test, nnn, f, o, NC_T_ACK, 1001, 5001,
				       100),
			NETCHANNEL_NAT_STATE_ESTABLISHED);
	nc_t_expires_in(test, f, 7440);
	/* the server closes first, then the client */
	KUNIT_EXPECT_EQ(test, nc_t_seg(test, nnn, f, i, NC_T_FIN | NC_T_ACK,
				       5001, 1101, 0),
			NETCHANNEL_NAT_STATE_FIN);
	KUNIT_EXPECT_EQ(test, nc_t_seg(test, nnn, f, o, NC_T_FIN | NC_T_ACK,
				       1101, 5002, 0),
			NETCHANNEL_NAT_STATE_CLOSING);
	nc_t_expires_in(test, f, 120);

	/* a new connection on the tuple */
	KUNIT_EXPECT_EQ(test, nc_t_seg(test, nnn, f, o, NC_T_SYN, 3000000000U, 0, 0),
			NETCHANNEL_NAT_STATE_SYN);
	KUNIT_EXPECT_EQ(test, nc_t_seg(test, nnn, f, i, NC_T_SYN | NC_T_ACK,
				       2000000000U, 3000000001U, 0),
			NETCHANNEL_NAT_STATE_SYN_RECV);
	KUNIT_EXPECT_EQ(test, nc_t_seg(test, nnn, f, o, NC_T_ACK, 3000000001U,
				       2000000001U, 0),
			NETCHANNEL_NAT_STATE_ESTABLISHED);
	nc_t_expires_in(test, f, 7440);
	/* the old connection's sequence: forwarded, the flow stays */
	KUNIT_EXPECT_EQ(test, nc_t_seg(test, nnn, f, i, NC_T_RST, 5002, 0, 0),
			NETCHANNEL_NAT_STATE_ESTABLISHED);
	KUNIT_EXPECT_EQ(test, nc_t_count(nnn, NC_NAT_R_TCP_RST_IGNORED), 1);
	/* the new one's ends it */
	KUNIT_EXPECT_EQ(test, nc_t_seg(test, nnn, f, i, NC_T_RST, 2000000001U, 0, 0),
			NETCHANNEL_NAT_STATE_CLOSING);
	nc_t_expires_in(test, f, 10);
	nc_t_flows_exit(nnn);
}

/* Would NAT reassemble a UDP (or @proto) fragment from @src to @dst? */
static bool nc_t_frag(struct nc_nat_net *nnn, struct sk_buff *skb,
		      u32 src, u32 dst, u8 proto)
{
	struct nc_pkt pkt = {
		.key = {
			.src.ip = htonl(src), .dst.ip = htonl(dst),
			.family = AF_INET, .proto = proto,
			.flags = NC_KEY_F_FRAG,
		},
	};
	bool wanted;

	rcu_read_lock();
	wanted = nc_nat_frag_wanted(nnn, skb, &pkt);
	rcu_read_unlock();
	return wanted;
}

#define NC_T_LAN	0x0a010203	/* 10.1.2.3 */
#define NC_T_WAN	0xc6336407	/* 198.51.100.7 */
#define NC_T_OTHER	0xc0a80101	/* 192.168.1.1 */
#define NC_T_POOL	0xcb00710a	/* 203.0.113.10 */

struct nc_t_frag {
	struct nc_nat_net nnn;
	struct nc_rule rule;
	struct nc_nat_rule r;
	struct sk_buff *skb;
};

static struct nc_t_frag *nc_t_frag_init(struct kunit *test)
{
	struct nc_t_frag *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->skb = alloc_skb(0, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->skb);
	t->skb->dev = init_net.loopback_dev;	/* no address of the test's */
	t->nnn.net = &init_net;
	mutex_init(&t->nnn.fragsel_lock);
	t->r.rule = &t->rule;
	atomic_set(&t->nnn.nrules, 1);
	return t;
}

static void nc_t_frag_exit(struct nc_t_frag *t)
{
	nc_nat_frag_exit(&t->nnn);
	kfree_skb(t->skb);
}

/* publish a rule: @verdict, saddr @s/@slen, daddr @d/@dlen, @filtering */
static bool nc_t_frag_rule(struct nc_t_frag *t, u32 verdict, u32 s, u8 slen,
			   u32 d, u8 dlen, u8 filtering)
{
	struct nc_match *m = &t->rule.match;

	m->present = (slen ? NC_M_SADDR : 0) | (dlen ? NC_M_DADDR : 0);
	m->saddr.ip = htonl(s);
	m->saddr_len = slen;
	m->daddr.ip = htonl(d);
	m->daddr_len = dlen;
	t->r.verdict = verdict;
	t->r.filtering = filtering;
	t->r.from_prefix = m->saddr.ip;
	return nc_nat_frag_publish(&t->nnn, &t->r);
}

static bool nc_t_frag_udp(struct nc_t_frag *t, u32 src, u32 dst)
{
	return nc_t_frag(&t->nnn, t->skb, src, dst, IPPROTO_UDP);
}

/*
 * The set as snat rules make it: the selector and the pool, repeated
 * rules listed once, the cap at exactly 64 pairs, and emptied only once
 * NAT has neither a rule nor a flow.
 */
static void nc_nat_frag_set(struct kunit *test)
{
	struct nc_t_frag *t = nc_t_frag_init(test);
	unsigned int i;

	KUNIT_EXPECT_FALSE(test, nc_t_frag_udp(t, NC_T_LAN, NC_T_WAN));
	KUNIT_EXPECT_TRUE(test, nc_t_frag(&t->nnn, t->skb, NC_T_OTHER, NC_T_WAN,
					  IPPROTO_ICMP));
	/* saddr 10.0.0.0/8 snat to 203.0.113.10-203.0.113.20, 100 times */
	t->r.addr_min = htonl(NC_T_POOL);
	t->r.addr_max = htonl(NC_T_POOL + 10);
	/* the set grew: the core waits a grace period; not again after */
	KUNIT_EXPECT_TRUE(test, nc_t_frag_rule(t, NETCHANNEL_VERDICT_SNAT,
					       0x0a000000, 8, 0, 0,
					       NETCHANNEL_NAT_FILTER_APDF));
	for (i = 0; i < 100; i++)
		KUNIT_EXPECT_FALSE(test,
				   nc_t_frag_rule(t, NETCHANNEL_VERDICT_SNAT,
						  0x0a000000, 8, 0, 0,
						  NETCHANNEL_NAT_FILTER_APDF));
	KUNIT_EXPECT_FALSE(test, t->nnn.fragsel_all);
	KUNIT_EXPECT_TRUE(test, nc_t_frag_udp(t, NC_T_LAN, NC_T_WAN));
	KUNIT_EXPECT_TRUE(test, nc_t_frag_udp(t, NC_T_WAN, NC_T_POOL));
	KUNIT_EXPECT_TRUE(test, nc_t_frag_udp(t, NC_T_WAN, NC_T_POOL + 10));
	KUNIT_EXPECT_FALSE(test, nc_t_frag_udp(t, NC_T_WAN, NC_T_POOL + 11));
	KUNIT_EXPECT_FALSE(test, nc_t_frag_udp(t, NC_T_WAN, NC_T_POOL - 1));
	KUNIT_EXPECT_FALSE(test, nc_t_frag_udp(t, NC_T_OTHER, NC_T_WAN));

	/*
	 * dnat rules from 10.0.0.0/8 to 192.0.2.1 (one pair for all: any
	 * source, as hairpins let any inside host in) forwarding to
	 * 172.16.0.i (one pair each): 64 pairs with 61 of them, the 62nd is
	 * past the cap
	 */
	for (i = 0; i < 61; i++) {
		t->r.addr_min = htonl(0xac100000 + i);
		t->r.addr_max = t->r.addr_min;
		nc_t_frag_rule(t, NETCHANNEL_VERDICT_DNAT, 0x0a000000, 8,
			       0xc0000201, 32, NETCHANNEL_NAT_FILTER_APDF);
	}
	KUNIT_EXPECT_FALSE(test, t->nnn.fragsel_all);
	KUNIT_EXPECT_TRUE(test, nc_t_frag_udp(t, NC_T_OTHER, 0xc0000201));
	KUNIT_EXPECT_TRUE(test, nc_t_frag_udp(t, 0xac100000 + 60, NC_T_OTHER));
	KUNIT_EXPECT_FALSE(test, nc_t_frag_udp(t, 0xac100000 + 61, NC_T_OTHER));
	t->r.addr_min = htonl(0xac100000 + 61);
	t->r.addr_max = t->r.addr_min;
	/* turning to every fragment is growing; nothing grows after */
	KUNIT_EXPECT_TRUE(test, nc_t_frag_rule(t, NETCHANNEL_VERDICT_DNAT,
					       0x0a000000, 8, 0xc0000201, 32,
					       NETCHANNEL_NAT_FILTER_APDF));
	KUNIT_EXPECT_TRUE(test, t->nnn.fragsel_all);
	t->r.addr_min = htonl(0xac100000 + 62);
	t->r.addr_max = t->r.addr_min;
	KUNIT_EXPECT_FALSE(test, nc_t_frag_rule(t, NETCHANNEL_VERDICT_DNAT,
						0x0a000000, 8, 0xc0000201, 32,
						NETCHANNEL_NAT_FILTER_APDF));
	KUNIT_EXPECT_TRUE(test, nc_t_frag_udp(t, NC_T_OTHER, NC_T_WAN));

	/* a flow left: kept */
	atomic_set(&t->nnn.nrules, 0);
	atomic_set(&t->nnn.nflows, 1);
	nc_nat_frag_forget(&t->nnn);
	KUNIT_EXPECT_TRUE(test, nc_t_frag_udp(t, NC_T_OTHER, NC_T_WAN));
	atomic_set(&t->nnn.nflows, 0);
	nc_nat_frag_forget(&t->nnn);
	KUNIT_EXPECT_FALSE(test, t->nnn.fragsel_all);
	KUNIT_EXPECT_FALSE(test, nc_t_frag_udp(t, NC_T_LAN, NC_T_WAN));
	KUNIT_EXPECT_FALSE(test, nc_t_frag_udp(t, NC_T_OTHER, NC_T_WAN));
	nc_t_frag_exit(t);
}

/*
 * Each kind's pairs: masquerade its selector only, and any remote once
 * its filtering lets others in; dnat its address from any source, and
 * its target's replies; netmap both prefixes; a rule without an address
 * selector takes every fragment.
 */
static void nc_nat_frag_kinds(struct kunit *test)
{
	struct nc_t_frag *t = nc_t_frag_init(test);

	/* saddr 10.0.2.0/24 daddr 198.51.100.0/24 masquerade */
	nc_t_frag_rule(t, NETCHANNEL_VERDICT_MASQUERADE, 0x0a000200, 24,
		       0xc6336400, 24, NETCHANNEL_NAT_FILTER_APDF);
	KUNIT_EXPECT_TRUE(test, nc_t_frag_udp(t, 0x0a0002ff, NC_T_WAN));
	KUNIT_EXPECT_FALSE(test, nc_t_frag_udp(t, 0x0a000301, NC_T_WAN));
	KUNIT_EXPECT_FALSE(test, nc_t_frag_udp(t, 0x0a000201, NC_T_OTHER));
	KUNIT_EXPECT_FALSE(test, nc_t_frag_udp(t, NC_T_WAN, 0x0a000201));
	/* the same with filtering eif: a remote it never named */
	nc_t_frag_rule(t, NETCHANNEL_VERDICT_MASQUERADE, 0x0a000200, 24,
		       0xc6336400, 24, NETCHANNEL_NAT_FILTER_EIF);
	KUNIT_EXPECT_TRUE(test, nc_t_frag_udp(t, 0x0a000201, NC_T_OTHER));
	KUNIT_EXPECT_FALSE(test, nc_t_frag_udp(t, 0x0a000301, NC_T_OTHER));

	/*
	 * saddr 198.51.100.0/24 daddr 192.0.2.1 dnat to 10.0.3.4: any
	 * source (hairpins), and the target's replies
	 */
	t->r.addr_min = htonl(0x0a000304);
	t->r.addr_max = t->r.addr_min;
	nc_t_frag_rule(t, NETCHANNEL_VERDICT_DNAT, 0xc6336400, 24,
		       0xc0000201, 32, NETCHANNEL_NAT_FILTER_APDF);
	KUNIT_EXPECT_TRUE(test, nc_t_frag_udp(t, NC_T_OTHER, 0xc0000201));
	KUNIT_EXPECT_FALSE(test, nc_t_frag_udp(t, NC_T_OTHER, 0xc0000202));
	KUNIT_EXPECT_TRUE(test, nc_t_frag_udp(t, 0x0a000304, NC_T_OTHER));
	KUNIT_EXPECT_FALSE(test, nc_t_frag_udp(t, 0x0a000305, NC_T_OTHER));

	/* saddr 10.0.5.0/24 netmap to 203.0.113.0/24 */
	t->r.prefix = htonl(0xcb007100);
	t->r.plen = 24;
	nc_t_frag_rule(t, NETCHANNEL_VERDICT_NETMAP, 0x0a000500, 24, 0, 0,
		       NETCHANNEL_NAT_FILTER_APDF);
	KUNIT_EXPECT_TRUE(test, nc_t_frag_udp(t, 0x0a000509, NC_T_OTHER));
	KUNIT_EXPECT_TRUE(test, nc_t_frag_udp(t, NC_T_OTHER, 0xcb0071ff));
	KUNIT_EXPECT_FALSE(test, nc_t_frag_udp(t, NC_T_OTHER, 0xcb007200));
	KUNIT_EXPECT_FALSE(test, t->nnn.fragsel_all);

	/* oif wan masquerade: no address selector */
	nc_t_frag_rule(t, NETCHANNEL_VERDICT_MASQUERADE, 0, 0, 0, 0,
		       NETCHANNEL_NAT_FILTER_APDF);
	KUNIT_EXPECT_TRUE(test, t->nnn.fragsel_all);
	KUNIT_EXPECT_TRUE(test, nc_t_frag_udp(t, NC_T_OTHER, NC_T_WAN));
	nc_t_frag_exit(t);
}

static struct kunit_case nc_nat_cases[] = {
	KUNIT_CASE(nc_nat_frag_set),
	KUNIT_CASE(nc_nat_frag_kinds),
	KUNIT_CASE(nc_nat_port_preserve),
	KUNIT_CASE(nc_nat_port_random_in_range),
	KUNIT_CASE(nc_nat_port_exhaustion),
	KUNIT_CASE(nc_nat_port_top_of_range),
	KUNIT_CASE(nc_nat_port_cluster),
	KUNIT_CASE(nc_nat_bindings_eim),
	KUNIT_CASE(nc_nat_bindings_eim_nomap),
	KUNIT_CASE(nc_nat_bindings_by_out),
	KUNIT_CASE(nc_nat_bindings_by_out_nomap),
	KUNIT_CASE(nc_nat_adf_index),
	KUNIT_CASE(nc_nat_full_table_collects),
	KUNIT_CASE(nc_nat_gc_follows_expiry),
	KUNIT_CASE(nc_nat_unreplied_short),
	KUNIT_CASE(nc_nat_early_drop_unreplied),
	KUNIT_CASE(nc_nat_per_host_limit),
	KUNIT_CASE(nc_nat_tcp_restart),
	KUNIT_CASE(nc_nat_icmp_quote_udp),
	KUNIT_CASE(nc_nat_icmp_quote_udp_zero),
	KUNIT_CASE(nc_nat_icmp_quote_tcp),
	KUNIT_CASE(nc_nat_icmp_quote_echo),
	KUNIT_CASE(nc_nat_icmp_quote_short_tcp),
	{}
};

static struct kunit_suite nc_nat_suite = {
	.name = "netchannel-nat",
	.test_cases = nc_nat_cases,
};

kunit_test_suite(nc_nat_suite);
