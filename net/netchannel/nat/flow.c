// SPDX-License-Identifier: GPL-2.0
/*
 * The flow table: both directions of every NAT session in one rhashtable,
 * creation under the per-netns lock, expiry by timeouts and a periodic
 * collector.  An expired flow is never used: lookups treat it as absent
 * even before the collector has unlinked it.
 */
#include <linux/jhash.h>
#include <linux/prefetch.h>
#include <linux/tcp.h>
#include <net/tcp.h>

#include "nat.h"

#define NC_NAT_GC_INTERVAL	HZ
/*
 * The collector checks each flow once per pass, touching its cache line:
 * with many flows a pass a second cost a busy router 7% of its CPU.  Passes
 * over more than this many flows come proportionally less often (an
 * expired flow is never used, so collecting it later only holds its memory
 * and port a little longer).
 */
#define NC_NAT_GC_PER_SEC	65536
/*
 * With no flow due earlier, the next pass comes this much later: passes
 * come when the first flow expires (the timeouts are a minute and more by
 * default), not every second, as conntrack's also adapt to its timeouts.
 */
#define NC_NAT_GC_IDLE		(60 * HZ)
/* flows walked between two reschedule points of a pass */
#define NC_NAT_WALK_CHUNK	1024

/* Own slab, so that `slabinfo` shows the per-mapping cost exactly. */
static struct kmem_cache *nc_nat_flow_cache __read_mostly;

/*
 * The key is 13 bytes: the default jhash would walk it byte by byte and
 * memcmp() compare it so; three words hash and compare in a few
 * instructions, which new flows (three to four lookups each) feel.
 */
static u32 nc_nat_tuple_hash(const void *data, u32 len, u32 seed)
{
	const struct nc_nat_tuple *t = data;

	return jhash_3words((__force u32)t->src, (__force u32)t->dst, t->ports,
			    seed ^ t->proto);
}

static int nc_nat_tuple_cmp(struct rhashtable_compare_arg *arg,
			    const void *obj)
{
	const struct nc_nat_tuple *a = arg->key;
	const struct nc_nat_tuple *b = &((const struct nc_nat_thash *)obj)->t;

	return a->src != b->src || a->dst != b->dst || a->ports != b->ports ||
	       a->proto != b->proto;
}

/*
 * No automatic shrinking: a table that held a burst of flows keeps its
 * buckets (as conntrack's fixed table does), so the next burst does not
 * pay for regrowing it from the minimum while it creates flows.
 */
static const struct rhashtable_params nc_nat_flow_params = {
	.head_offset = offsetof(struct nc_nat_thash, node),
	.key_offset = offsetof(struct nc_nat_thash, t),
	.key_len = NC_NAT_KEY_LEN,
	.hashfn = nc_nat_tuple_hash,
	.obj_cmpfn = nc_nat_tuple_cmp,
};

static bool nc_nat_expired(const struct nc_nat_flow *f)
{
	return time_after_eq(jiffies, READ_ONCE(f->expires));
}

/* Context: RCU read side.  Never returns an expired or unlinked flow. */
struct nc_nat_thash *nc_nat_lookup(struct nc_nat_net *nnn,
				   const struct nc_nat_tuple *t)
{
	struct nc_nat_thash *th;

	th = rhashtable_lookup(&nnn->flows, t, nc_nat_flow_params);
	if (!th || nc_nat_expired(nc_nat_flow_of(th)))
		return NULL;
	return th;
}

/*
 * Start loading the bucket that @t is about to be inserted in.  Context:
 * RCU read side (the table may be replaced meanwhile: then the load was
 * only wasted).
 */
void nc_nat_prefetch(struct nc_nat_net *nnn, const struct nc_nat_tuple *t)
{
	struct rhashtable *ht = &nnn->flows;
	struct bucket_table *tbl = rht_dereference_rcu(ht->tbl, ht);
	u32 hash = rht_key_hashfn(ht, tbl, t, nc_nat_flow_params);

	prefetch(rht_bucket(tbl, hash));
}

/*
 * Flows no reply has come back for yet are short-lived, as conntrack keeps
 * its unreplied entries, whatever the configured timeouts: a flood of
 * spoofed or unanswered first packets must not hold the table for hours.
 */
#define NC_NAT_UNREPLIED_UDP		30	/* also answered only once */
#define NC_NAT_UNREPLIED_TCP		60	/* no SYN, nothing back */
#define NC_NAT_TCP_SYN_SENT		120
#define NC_NAT_TCP_SYN_RECV		60
#define NC_NAT_TCP_FINS		120	/* FIN both ways: time-wait */
#define NC_NAT_TCP_RESET		10
/* An RST is believed within this distance of the sequence it must carry. */
#define NC_NAT_RST_WINDOW		65535
/*
 * A segment moves what a direction is known to have sent, or closes it
 * with a FIN, only within this distance of what it sent so far: a blind
 * attacker must guess the sequence to 1 in 2,048 to move it.
 */
#define NC_NAT_SEQ_WINDOW		BIT(20)

static bool nc_nat_seq_near(u32 seq, u32 end, u32 window)
{
	return seq - end + window <= 2 * window;
}

static u32 nc_nat_tcp_timeout(const struct nc_nat_timeouts *to, u8 state,
			      u8 seen)
{
	u32 trans = READ_ONCE(to->tcp_trans);

	switch (state) {
	case NETCHANNEL_NAT_STATE_ESTABLISHED:
		return READ_ONCE(to->tcp_est);
	case NETCHANNEL_NAT_STATE_SYN:
		return min_t(u32, trans, NC_NAT_TCP_SYN_SENT);
	case NETCHANNEL_NAT_STATE_SYN_RECV:
		return min_t(u32, trans, NC_NAT_TCP_SYN_RECV);
	case NETCHANNEL_NAT_STATE_CLOSING:
		return min_t(u32, trans, seen & NC_NAT_SEEN_RST ?
			     NC_NAT_TCP_RESET : NC_NAT_TCP_FINS);
	case NETCHANNEL_NAT_STATE_NONE:
		if (!(seen & NC_NAT_SEEN_REPLY))
			return min_t(u32, trans, NC_NAT_UNREPLIED_TCP);
		fallthrough;
	default:
		return trans;
	}
}

static u32 nc_nat_timeout(const struct nc_nat_net *nnn,
			  const struct nc_nat_flow *f)
{
	const struct nc_nat_timeouts *to = &nnn->timeouts;
	union nc_nat_track tr = { .word = READ_ONCE(f->track.word) };

	switch (f->th[0].t.proto) {
	case IPPROTO_TCP:
		return nc_nat_tcp_timeout(to, tr.state, tr.seen);
	case IPPROTO_UDP:
		if (!(tr.seen & NC_NAT_SEEN_ASSURED))
			return min_t(u32, READ_ONCE(to->udp),
				     NC_NAT_UNREPLIED_UDP);
		return READ_ONCE(to->udp);
	default:
		return READ_ONCE(to->icmp);
	}
}

/* Does a packet travelling @dir come from the side that started @seen's flow? */
static bool nc_nat_from_initiator(u8 seen, enum nc_nat_dir dir)
{
	return (dir == NC_NAT_DIR_OUT) == !(seen & NC_NAT_SEEN_INBOUND);
}

static u8 nc_nat_end_bit(enum nc_nat_dir dir)
{
	return dir == NC_NAT_DIR_OUT ? NC_NAT_SEEN_END_OUT : NC_NAT_SEEN_END_IN;
}

/* Does @ack acknowledge (within @window) what the way @dir sent? */
static bool nc_nat_acks(const struct nc_nat_flow *f, u8 seen,
			enum nc_nat_dir dir, const struct tcphdr *th,
			u32 window)
{
	u32 end = READ_ONCE(f->way[dir].tcp_end);

	return th->ack && (seen & nc_nat_end_bit(dir)) &&
	       end - ntohl(th->ack_seq) <= window;
}

/*
 * May an RST travelling @dir end the flow?  A blind attacker knows the
 * ports (they are preserved) but not the sequence numbers: the RST must
 * carry a sequence near the highest one this way has sent, or acknowledge
 * exactly what the other way has sent, as an endpoint's RST does (RFC
 * 5961's reasoning; conntrack checks the window too).
 */
static bool nc_nat_rst_ok(const struct nc_nat_flow *f, u8 seen,
			  enum nc_nat_dir dir, const struct tcphdr *th)
{
	if ((seen & nc_nat_end_bit(dir)) &&
	    nc_nat_seq_near(ntohl(th->seq), READ_ONCE(f->way[dir].tcp_end),
			    NC_NAT_RST_WINDOW))
		return true;
	return nc_nat_acks(f, seen, !dir, th, 0);
}

/*
 * The state a TCP segment travelling @dir moves a flow to; @near: its
 * sequence is close to what this way sent (or it is the way's first).
 * Sets *@restart for a new connection on the tuple of a closed one.
 */
static u8 nc_nat_tcp_next(const struct nc_nat_flow *f, u8 state, u8 *seen,
			  enum nc_nat_dir dir, const struct tcphdr *th,
			  bool near, bool *restart)
{
	bool init = nc_nat_from_initiator(*seen, dir);
	u8 fin = dir == NC_NAT_DIR_OUT ? NC_NAT_SEEN_FIN_OUT :
					 NC_NAT_SEEN_FIN_IN;

	if (th->syn && !th->ack) {
		if (init && state != NETCHANNEL_NAT_STATE_ESTABLISHED &&
		    state != NETCHANNEL_NAT_STATE_SYN_RECV) {
			*restart = state != NETCHANNEL_NAT_STATE_NONE &&
				   state != NETCHANNEL_NAT_STATE_SYN;
			return NETCHANNEL_NAT_STATE_SYN;
		}
		return state;
	}
	if (th->syn) {
		/* the answer to the first SYN: the handshake is not done */
		if (!init && state == NETCHANNEL_NAT_STATE_SYN)
			return NETCHANNEL_NAT_STATE_SYN_RECV;
		return state;
	}
	if (th->fin) {
		if (!near)
			return state;
		*seen |= fin;
		if ((*seen & NC_NAT_SEEN_FIN_OUT) && (*seen & NC_NAT_SEEN_FIN_IN))
			return NETCHANNEL_NAT_STATE_CLOSING;
		return NETCHANNEL_NAT_STATE_FIN;
	}
	/*
	 * The initiator's ACK of exactly the SYN-ACK completes a handshake;
	 * a flow picked up mid-way (no SYN seen) is established once the
	 * other side acknowledges data the initiator really sent.
	 */
	if (state == NETCHANNEL_NAT_STATE_SYN_RECV && init &&
	    nc_nat_acks(f, *seen, !dir, th, 0))
		return NETCHANNEL_NAT_STATE_ESTABLISHED;
	if (state == NETCHANNEL_NAT_STATE_NONE && !init &&
	    nc_nat_acks(f, *seen, !dir, th, NC_NAT_SEQ_WINDOW))
		return NETCHANNEL_NAT_STATE_ESTABLISHED;
	return state;
}

/*
 * Follow a TCP flow from its segments' flags and sequence numbers, with
 * no window tracking: each update of state and seen bits is one
 * cmpxchg(), so segments of both ways on two CPUs lose none.
 * Return: false for a RST that was not believed (the flow is kept).
 */
static bool nc_nat_tcp_track(struct nc_nat_flow *f, enum nc_nat_dir dir,
			     const struct tcphdr *th, unsigned int seglen)
{
	u8 end_bit = nc_nat_end_bit(dir);
	union nc_nat_track old = { .word = READ_ONCE(f->track.word) }, new;
	u32 end = ntohl(th->seq) + seglen + th->syn + th->fin;
	u32 prev = READ_ONCE(f->way[dir].tcp_end);
	bool near, restart;

	/*
	 * What this way sent moves only by segments near it (racing writers
	 * keep one); an RST is judged by it, so it never moves it.
	 */
	near = !(old.seen & end_bit) ||
	       nc_nat_seq_near(ntohl(th->seq), prev, NC_NAT_SEQ_WINDOW);
	if (!th->rst && near && (!(old.seen & end_bit) || after(end, prev)))
		WRITE_ONCE(f->way[dir].tcp_end, end);
	do {
		new = old;
		restart = false;
		if (!nc_nat_from_initiator(old.seen, dir))
			new.seen |= NC_NAT_SEEN_REPLY;
		if (th->rst) {
			if (!nc_nat_rst_ok(f, old.seen, dir, th))
				return false;
			new.state = NETCHANNEL_NAT_STATE_CLOSING;
			new.seen |= NC_NAT_SEEN_RST;
		} else {
			if (near)
				new.seen |= end_bit;
			new.state = nc_nat_tcp_next(f, old.state, &new.seen, dir,
						    th, near, &restart);
		}
		/* a new connection: nothing of the old one's sequences */
		if (restart)
			new.seen = (new.seen & ~(NC_NAT_SEEN_FIN_OUT |
						 NC_NAT_SEEN_FIN_IN |
						 NC_NAT_SEEN_RST |
						 NC_NAT_SEEN_END_OUT |
						 NC_NAT_SEEN_END_IN)) | end_bit;
		if (new.word == old.word)
			return true;
	} while (!try_cmpxchg(&f->track.word, &old.word, new.word));
	if (restart)
		WRITE_ONCE(f->way[dir].tcp_end, end);
	return true;
}

/*
 * Other protocols note that the answering side spoke, and then that the
 * initiator spoke again: only that makes a flow assured (not evictable,
 * full timeout), as conntrack asks a UDP flow for traffic both ways.
 */
static void nc_nat_note(struct nc_nat_flow *f, enum nc_nat_dir dir)
{
	union nc_nat_track old = { .word = READ_ONCE(f->track.word) }, new;

	do {
		new = old;
		if (!nc_nat_from_initiator(old.seen, dir))
			new.seen |= NC_NAT_SEEN_REPLY;
		else if (old.seen & NC_NAT_SEEN_REPLY)
			new.seen |= NC_NAT_SEEN_ASSURED;
		if (new.word == old.word)
			return;
	} while (!try_cmpxchg(&f->track.word, &old.word, new.word));
}

/*
 * Would a flow expiring at @expires be collected late?  Sets @when to the
 * pass it needs: then, or the earliest pass the rate limit allows.
 * Context: any (racy reads; the caller checks again under the lock).
 */
static bool nc_nat_gc_late(const struct nc_nat_net *nnn,
			   unsigned long expires, unsigned long *when)
{
	unsigned long earliest = READ_ONCE(nnn->gc_earliest);

	*when = time_before(expires, earliest) ? earliest : expires;
	return time_before(*when, READ_ONCE(nnn->gc_next));
}

/* Have the next pass at @when.  Context: nnn->lock held. */
static void nc_nat_gc_at(struct nc_nat_net *nnn, unsigned long when)
{
	unsigned long now = jiffies;

	WRITE_ONCE(nnn->gc_next, when);
	mod_delayed_work(system_power_efficient_wq, &nnn->gc,
			 time_after(when, now) ? when - now : 0);
}

/*
 * A flow now expires at @expires: bring the next pass forward if it would
 * come later.  Rare: new flows expire after older ones unless timeouts
 * were shortened, and packets push expiry out except when TCP closes.
 * Context: nnn->lock held.
 */
static void nc_nat_gc_due(struct nc_nat_net *nnn, unsigned long expires)
{
	unsigned long when;

	if (nc_nat_gc_late(nnn, expires, &when))
		nc_nat_gc_at(nnn, when);
}

/**
 * nc_nat_touch - account a packet to its flow and push out its expiry
 * @nnn: the netns
 * @f: the flow
 * @dir: direction the packet travels
 * @skb: the packet (before translation)
 * @pkt: its parse state
 *
 * Context: RCU read side, softirq.
 */
void nc_nat_touch(struct nc_nat_net *nnn, struct nc_nat_flow *f,
		  enum nc_nat_dir dir, const struct sk_buff *skb,
		  const struct nc_pkt *pkt)
{
	struct nc_nat_way *way = &f->way[dir];
	unsigned long expires, when;
	const struct tcphdr *th;
	unsigned int hl;

	if (pkt->key.proto == IPPROTO_TCP && pkt->l4hdr) {
		th = (const struct tcphdr *)(skb->data + pkt->thoff);
		hl = pkt->thoff + th->doff * 4;
		if (!nc_nat_tcp_track(f, dir, th, pkt->l3len > hl ?
				      pkt->l3len - hl : 0)) {
			/* forwarded (the endpoint judges it), nothing more */
			nc_nat_count(nnn, NC_NAT_R_TCP_RST_IGNORED);
			return;
		}
	} else {
		nc_nat_note(f, dir);
	}
	atomic_inc(&way->packets);
	atomic64_add(pkt->l3len, &way->bytes);
	expires = jiffies + nc_nat_timeout(nnn, f) * HZ;
	/* one store per jiffy at most: the line is shared by both ways */
	if (READ_ONCE(f->expires) != expires) {
		WRITE_ONCE(f->expires, expires);
		if (unlikely(nc_nat_gc_late(nnn, expires, &when))) {
			spin_lock_bh(&nnn->lock);
			nc_nat_gc_due(nnn, expires);
			spin_unlock_bh(&nnn->lock);
		}
	}
}

u32 nc_nat_expires_in(const struct nc_nat_flow *f)
{
	long left = (long)(READ_ONCE(f->expires) - jiffies);

	return left > 0 ? DIV_ROUND_UP(left, HZ) : 0;
}

/*
 * Flows per first-packet source (an inside host for source NAT, a remote
 * one for dnat), for the per-host share of the table (RFC 6888 REQ-4).
 * Kept whether or not a limit is set, so that setting one applies at
 * once to what is there.  All under nnn->lock.
 */
struct nc_nat_host {
	struct rhash_head node;
	__be32 addr;
	u32 nflows;
	struct rcu_head rcu;
};

static const struct rhashtable_params nc_nat_host_params = {
	.head_offset = offsetof(struct nc_nat_host, node),
	.key_offset = offsetof(struct nc_nat_host, addr),
	.key_len = sizeof(__be32),
	.automatic_shrinking = true,
};

static struct nc_nat_host *nc_nat_host_get(struct nc_nat_net *nnn,
					   __be32 addr)
{
	struct nc_nat_host *h;

	h = rhashtable_lookup_fast(&nnn->hosts, &addr, nc_nat_host_params);
	if (h)
		return h;
	h = kzalloc(sizeof(*h), GFP_ATOMIC | __GFP_ACCOUNT);
	if (!h)
		return NULL;
	h->addr = addr;
	if (rhashtable_insert_fast(&nnn->hosts, &h->node, nc_nat_host_params)) {
		kfree(h);
		return NULL;
	}
	return h;
}

static void nc_nat_host_put(struct nc_nat_net *nnn, struct nc_nat_host *h)
{
	if (h->nflows)
		return;
	rhashtable_remove_fast(&nnn->hosts, &h->node, nc_nat_host_params);
	kfree_rcu(h, rcu);
}

/**
 * nc_nat_host_full - has a source all the flows its share allows?
 * @nnn: the netns
 * @addr: the source of a first packet
 *
 * Context: nnn->lock held.
 */
bool nc_nat_host_full(struct nc_nat_net *nnn, __be32 addr)
{
	u32 limit = READ_ONCE(nnn->max_per_host);
	struct nc_nat_host *h;

	if (!limit)
		return false;
	h = rhashtable_lookup_fast(&nnn->hosts, &addr, nc_nat_host_params);
	return h && h->nflows >= limit;
}

/* A flow leaves its source's count.  Context: nnn->lock held. */
static void nc_nat_host_leave(struct nc_nat_net *nnn,
			      const struct nc_nat_flow *f)
{
	__be32 addr = f->th[NC_NAT_DIR_OUT].t.src;
	struct nc_nat_host *h;

	h = rhashtable_lookup_fast(&nnn->hosts, &addr, nc_nat_host_params);
	if (WARN_ON_ONCE(!h || !h->nflows))
		return;
	h->nflows--;
	nc_nat_host_put(nnn, h);
}

static void nc_nat_flow_free_rcu(struct rcu_head *head)
{
	struct nc_nat_flow *f = container_of(head, struct nc_nat_flow, rcu);

	nc_nat_way_release(&f->way[0]);
	nc_nat_way_release(&f->way[1]);
	kmem_cache_free(nc_nat_flow_cache, f);
}

/* Unlink and free a flow.  Context: nnn->lock held. */
static void nc_nat_flow_remove(struct nc_nat_net *nnn, struct nc_nat_flow *f,
			       bool expired)
{
	lockdep_assert_held(&nnn->lock);
	if (f->flags & NC_NAT_F_DEAD)
		return;
	/* nc_nat_walk() reads it unlocked */
	WRITE_ONCE(f->flags, f->flags | NC_NAT_F_DEAD);
	rhashtable_remove_fast(&nnn->flows, &f->th[0].node, nc_nat_flow_params);
	rhashtable_remove_fast(&nnn->flows, &f->th[1].node, nc_nat_flow_params);
	nc_nat_binding_leave(nnn, f);
	nc_nat_host_leave(nnn, f);
	atomic_dec(&nnn->nflows);
	if (expired)
		nc_nat_count(nnn, NC_NAT_R_EXPIRED);
	nc_nat_notify(nnn, f, NETCHANNEL_NAT_CMD_FLOW_DEL);
	call_rcu(&f->rcu, nc_nat_flow_free_rcu);
}

/* An expired flow still in the table blocks a new one with its tuple. */
static int nc_nat_insert_one(struct nc_nat_net *nnn, struct nc_nat_thash *th)
{
	struct nc_nat_thash *old;

	old = rhashtable_lookup_get_insert_fast(&nnn->flows, &th->node,
						nc_nat_flow_params);
	if (IS_ERR(old))
		return PTR_ERR(old);
	if (!old)
		return 0;
	if (!nc_nat_expired(nc_nat_flow_of(old)))
		return -EEXIST;
	nc_nat_flow_remove(nnn, nc_nat_flow_of(old), true);
	return rhashtable_insert_fast(&nnn->flows, &th->node,
				      nc_nat_flow_params);
}

/**
 * nc_nat_table_full - may no new flow be made?
 * @nnn: the netns
 *
 * Expired flows count until the collector removes them, and a pass over
 * N x 65,536 flows comes only every N + 1 seconds: a full table asks for a
 * pass now (at most one per interval) instead of refusing new flows until
 * then.  Context: any.
 */
bool nc_nat_table_full(struct nc_nat_net *nnn)
{
	unsigned long last;

	if (atomic_read(&nnn->nflows) < READ_ONCE(nnn->max_flows))
		return false;
	last = READ_ONCE(nnn->gc_kicked);
	if (time_after_eq(jiffies, last + NC_NAT_GC_INTERVAL)) {
		WRITE_ONCE(nnn->gc_kicked, jiffies);
		mod_delayed_work(system_power_efficient_wq, &nnn->gc, 0);
	}
	return true;
}

/*
 * May @f go to make room?  What conntrack calls unassured: no reply came
 * back, or a TCP handshake is not complete; TCP sessions already closed;
 * and what has expired.
 */
static bool nc_nat_evictable(const struct nc_nat_flow *f)
{
	union nc_nat_track tr = { .word = READ_ONCE(f->track.word) };

	if (nc_nat_expired(f) || !(tr.seen & NC_NAT_SEEN_REPLY))
		return true;
	if (f->th[0].t.proto == IPPROTO_UDP)
		return !(tr.seen & NC_NAT_SEEN_ASSURED);
	return f->th[0].t.proto == IPPROTO_TCP &&
	       (tr.state == NETCHANNEL_NAT_STATE_NONE ||
		tr.state == NETCHANNEL_NAT_STATE_SYN ||
		tr.state == NETCHANNEL_NAT_STATE_SYN_RECV ||
		tr.state == NETCHANNEL_NAT_STATE_CLOSING);
}

/*
 * A full table looks through this many flows for one to evict, in at most
 * this many buckets (a table much bigger than its limit is mostly empty).
 */
#define NC_NAT_EARLY_FLOWS	16
#define NC_NAT_EARLY_BUCKETS	64

/*
 * Make room in a full table by removing one evictable flow from a few
 * buckets from a random one on, as conntrack's early drop does: a flood
 * of first packets then replaces its own flows, not the answered ones.
 * The work is bounded whatever the table holds.
 * Context: nnn->lock held, RCU read side.
 */
static bool nc_nat_early_drop(struct nc_nat_net *nnn)
{
	unsigned int i, hash, seen = 0;
	struct bucket_table *tbl;
	struct nc_nat_thash *th;
	struct rhash_head *pos;

	tbl = rht_dereference_rcu(nnn->flows.tbl, &nnn->flows);
	hash = reciprocal_scale(get_random_u32(), tbl->size);
	for (i = 0; i < min_t(unsigned int, tbl->size, NC_NAT_EARLY_BUCKETS);
	     i++) {
		rht_for_each_entry_rcu(th, pos, tbl, hash, node) {
			struct nc_nat_flow *f = nc_nat_flow_of(th);

			if (nc_nat_evictable(f)) {
				nc_nat_flow_remove(nnn, f, false);
				nc_nat_count(nnn, NC_NAT_R_EARLY_DROP);
				return true;
			}
			if (++seen == NC_NAT_EARLY_FLOWS)
				return false;
		}
		hash = (hash + 1) & (tbl->size - 1);
	}
	return false;
}

/**
 * nc_nat_room - may a new flow be made, after an early drop if need be?
 * @nnn: the netns
 *
 * Context: nnn->lock held, RCU read side.
 */
bool nc_nat_room(struct nc_nat_net *nnn)
{
	return !nc_nat_table_full(nnn) || nc_nat_early_drop(nnn);
}

/**
 * nc_nat_flow_create - make a flow from its two tuples
 * @nnn: the netns
 * @orig: the first packet's tuple (NC_NAT_DIR_OUT)
 * @reply: the tuple replies will arrive with (NC_NAT_DIR_IN)
 * @r: the creating rule's arguments
 * @handle: the creating rule's handle
 * @b: binding the flow uses, or NULL; on failure the caller puts it
 * @how: NC_NAT_NEW_*: NC_NAT_NEW_INBOUND when the first packet travels
 *	NC_NAT_DIR_IN (a binding let it in): the answering side is then the
 *	one behind the NAT; the hairpin flags (nc_nat_create())
 * @why: set to the reason when returning NULL
 *
 * Context: nnn->lock held, BH disabled.
 */
struct nc_nat_flow *nc_nat_flow_create(struct nc_nat_net *nnn,
				       const struct nc_nat_tuple *orig,
				       const struct nc_nat_tuple *reply,
				       const struct nc_nat_rule *r, u32 handle,
				       struct nc_nat_binding *b, unsigned int how,
				       enum nc_nat_reason *why)
{
	struct nc_nat_host *h = NULL;
	struct nc_nat_flow *f;
	u32 limit;

	lockdep_assert_held(&nnn->lock);
	f = kmem_cache_zalloc(nc_nat_flow_cache, GFP_ATOMIC | __GFP_ACCOUNT);
	if (!f) {
		*why = NC_NAT_R_NOMEM;
		return NULL;
	}
	f->th[0].t = *orig;
	f->th[0].t.dir = NC_NAT_DIR_OUT;
	f->th[1].t = *reply;
	f->th[1].t.dir = NC_NAT_DIR_IN;
	f->rule = handle;
	f->kind = r->verdict;
	if (how & NC_NAT_NEW_INBOUND)
		f->track.seen = NC_NAT_SEEN_INBOUND;
	if (how & NC_NAT_NEW_HAIRPIN)
		f->flags |= NC_NAT_F_HAIRPIN;
	if (how & NC_NAT_NEW_HELD)
		f->flags |= NC_NAT_F_HELD;
	f->expires = jiffies + nc_nat_timeout(nnn, f) * HZ;
	/*
	 * Join the binding first: an early drop, or replacing an expired
	 * flow of the same binding below, would otherwise see it empty and
	 * free it under us.  Its filtering's index counts it first: that
	 * may need memory, and a flow it does not count must not exist.
	 */
	if (b) {
		if (nc_nat_adf_join(nnn, b, f)) {
			/* in no table yet: nobody saw it */
			kmem_cache_free(nc_nat_flow_cache, f);
			*why = NC_NAT_R_NOMEM;
			return NULL;
		}
		nc_nat_binding_join(b, f);
	}
	*why = NC_NAT_R_TABLE_FULL;
	if (!nc_nat_room(nnn))
		goto err;
	/* counted from here on, so removals below cannot free it */
	*why = NC_NAT_R_NOMEM;
	h = nc_nat_host_get(nnn, orig->src);
	if (!h)
		goto err;
	limit = READ_ONCE(nnn->max_per_host);
	*why = NC_NAT_R_HOST_LIMIT;
	if (limit && h->nflows >= limit)
		goto err;
	h->nflows++;
	/* a clash on a live tuple: that (outside) endpoint is in use */
	*why = NC_NAT_R_NO_PORT;
	if (nc_nat_insert_one(nnn, &f->th[0]))
		goto err_host;
	if (nc_nat_insert_one(nnn, &f->th[1])) {
		rhashtable_remove_fast(&nnn->flows, &f->th[0].node,
				       nc_nat_flow_params);
		goto err_host;
	}
	atomic_inc(&nnn->nflows);
	nc_nat_gc_due(nnn, f->expires);
	nc_nat_count(nnn, NC_NAT_R_CREATED);
	nc_nat_notify(nnn, f, NETCHANNEL_NAT_CMD_FLOW_NEW);
	return f;

err_host:
	h->nflows--;
err:
	/* readers may have found the first tuple: free after a grace period */
	if (b) {
		nc_nat_binding_unlink(f);
		nc_nat_adf_leave(nnn, b, f);
	}
	if (h)
		nc_nat_host_put(nnn, h);
	call_rcu(&f->rcu, nc_nat_flow_free_rcu);
	return NULL;
}

/*
 * Walk the flows (by their first tuples) and remove those @want (given
 * @ctx) picks; returns how many.  The walk drops the RCU read side and
 * the CPU every NC_NAT_WALK_CHUNK entries, but only while it stands on an
 * entry still in the table: rhashtable_walk_start() finds its place again
 * by that entry and, without it, skips one of the bucket.  (A flow others
 * remove during the pause still costs that: the collector catches the
 * skipped one next time, a flush walks again.)
 * Context: process, no locks held.
 */
unsigned int nc_nat_walk(struct nc_nat_net *nnn,
			 bool (*want)(const struct nc_nat_flow *f, void *ctx),
			 void *ctx, bool expired)
{
	struct rhashtable_iter iter;
	struct nc_nat_thash *th;
	unsigned int n = 0, removed = 0;

	rhashtable_walk_enter(&nnn->flows, &iter);
	rhashtable_walk_start(&iter);
	for (;;) {
		struct nc_nat_flow *f;

		th = rhashtable_walk_next(&iter);
		if (!th)
			break;
		if (IS_ERR(th)) {
			if (PTR_ERR(th) == -EAGAIN)
				continue;
			break;
		}
		f = nc_nat_flow_of(th);
		if (th->t.dir == NC_NAT_DIR_OUT && want(f, ctx)) {
			spin_lock_bh(&nnn->lock);
			nc_nat_flow_remove(nnn, f, expired);
			spin_unlock_bh(&nnn->lock);
			removed++;
		}
		if (++n >= NC_NAT_WALK_CHUNK &&
		    !(READ_ONCE(f->flags) & NC_NAT_F_DEAD)) {
			n = 0;
			rhashtable_walk_stop(&iter);
			cond_resched();
			rhashtable_walk_start(&iter);
		}
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
	return removed;
}

static bool nc_nat_any(const struct nc_nat_flow *f, void *ctx)
{
	return true;
}

/* walks a flush makes at most: traffic keeps making flows meanwhile */
#define NC_NAT_FLUSH_WALKS	3

/*
 * Remove every flow (ncnat flow flush, netns exit): walks again while
 * flows are left that a walk could have skipped (see nc_nat_walk()) and
 * the last walk found some, but a bounded number of times: under steady
 * traffic new flows appear as fast as a walk removes them, and a flush
 * that waited for an empty table never returned.  Flows made during the
 * flush may stay; netns exit comes after every device left.
 */
void nc_nat_flush(struct nc_nat_net *nnn)
{
	int i;

	for (i = 0; i < NC_NAT_FLUSH_WALKS; i++)
		if (!nc_nat_walk(nnn, nc_nat_any, NULL, false) ||
		    !atomic_read(&nnn->nflows))
			break;
}

/* The collector's pick: expired flows; notes when the next one expires. */
static bool nc_nat_gc_want(const struct nc_nat_flow *f, void *ctx)
{
	unsigned long *next = ctx, expires = READ_ONCE(f->expires);

	if (time_after_eq(jiffies, expires))
		return true;
	if (time_before(expires, *next))
		*next = expires;
	return false;
}

/*
 * A pass removes the expired flows and comes back when the first of the
 * others expires, but passes over N x 65,536 flows at most every N + 1
 * seconds.  A flow made or pushed to expire earlier meanwhile brings the
 * pass forward (nc_nat_gc_due()); one the walk has already passed does so
 * too, as gc_next is far off while the walk runs.
 */
void nc_nat_gc_work(struct work_struct *work)
{
	struct nc_nat_net *nnn = container_of(to_delayed_work(work),
					      struct nc_nat_net, gc);
	unsigned long idle, next, rate = NC_NAT_GC_INTERVAL;
	u32 n = atomic_read(&nnn->nflows);

	spin_lock_bh(&nnn->lock);
	idle = jiffies + NC_NAT_GC_IDLE;
	WRITE_ONCE(nnn->gc_next, idle);
	spin_unlock_bh(&nnn->lock);
	next = idle;

	nc_nat_walk(nnn, nc_nat_gc_want, &next, true);
	if (n > NC_NAT_GC_PER_SEC)
		rate = NC_NAT_GC_INTERVAL * (n / NC_NAT_GC_PER_SEC + 1);

	spin_lock_bh(&nnn->lock);
	WRITE_ONCE(nnn->gc_earliest, jiffies + rate);
	if (time_before(next, nnn->gc_earliest))
		next = nnn->gc_earliest;
	/* brought forward while the walk ran */
	if (nnn->gc_next != idle && time_before(nnn->gc_next, next))
		next = nnn->gc_next;
	nc_nat_gc_at(nnn, next);
	spin_unlock_bh(&nnn->lock);
	nc_nat_frag_forget(nnn);
}

int nc_nat_flow_cache_init(void)
{
	nc_nat_flow_cache = KMEM_CACHE(nc_nat_flow, SLAB_ACCOUNT);
	return nc_nat_flow_cache ? 0 : -ENOMEM;
}

/* After every netns's flows are gone and their RCU callbacks ran. */
void nc_nat_flow_cache_exit(void)
{
	kmem_cache_destroy(nc_nat_flow_cache);
}

int nc_nat_flows_init(struct nc_nat_net *nnn)
{
	int err;

	err = rhashtable_init(&nnn->flows, &nc_nat_flow_params);
	if (err)
		return err;
	err = rhashtable_init(&nnn->hosts, &nc_nat_host_params);
	if (err) {
		rhashtable_destroy(&nnn->flows);
		return err;
	}
	INIT_DELAYED_WORK(&nnn->gc, nc_nat_gc_work);
	nnn->gc_kicked = jiffies - NC_NAT_GC_INTERVAL;
	nnn->gc_earliest = jiffies;
	/* the first flow brings the first pass forward */
	nnn->gc_next = jiffies + NC_NAT_GC_IDLE;
	queue_delayed_work(system_power_efficient_wq, &nnn->gc,
			   NC_NAT_GC_IDLE);
	return 0;
}

void nc_nat_flows_exit(struct nc_nat_net *nnn)
{
	cancel_delayed_work_sync(&nnn->gc);
	/* no device is attached any more: nothing makes flows meanwhile */
	while (atomic_read(&nnn->nflows))
		nc_nat_walk(nnn, nc_nat_any, NULL, false);
	rcu_barrier();
	rhashtable_destroy(&nnn->hosts);
	rhashtable_destroy(&nnn->flows);
}
