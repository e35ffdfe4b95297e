/* SPDX-License-Identifier: GPL-2.0 */
/*
 * netchannel NAT: a consumer of the netchannel core with its own per-flow
 * state instead of conntrack.
 *
 * Objects:
 *  - a flow (struct nc_nat_flow) is one session: both directions' tuples
 *    hang in one rhashtable, so a packet in either direction costs one
 *    lookup, as in the netfilter flowtable.  A tuple is the packet as it
 *    arrives; the packet leaves as the inverse of the other direction's
 *    tuple, which covers SNAT, DNAT and hairpinning alike.
 *  - a binding (struct nc_nat_binding) is an endpoint-independent mapping
 *    (RFC 4787 REQ-1) of an inside endpoint to an outside address:port,
 *    shared by the flows of that endpoint; it also decides which inbound
 *    packets from new remote endpoints are let in (filtering).
 *
 * Locking: lookups are RCU only.  Creating and removing flows and
 * bindings takes nc_nat_net::lock (a BH spinlock: the receive path creates
 * flows in softirq).  A flow's per-packet fields (expiry, state, counters,
 * cached routes) are written without a lock: last writer wins, which is
 * what a timestamp needs.  Its packet and byte counters are atomic adds:
 * two CPUs do carry one flow (senders on two CPUs of a veth, RPS off), and
 * a plain increment lost counts there; the add lands on a line the packet
 * writes anyway, as conntrack's accounting does (nf_ct_acct).
 */
#ifndef _NET_NETCHANNEL_NAT_H
#define _NET_NETCHANNEL_NAT_H

#include <linux/rhashtable.h>
#include <linux/sched/mm.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/netchannel_nat.h>

#include "../nc.h"

/*
 * Default limit of flows per netns; `ncnat timeout set` changes it, past
 * it only with CAP_NET_ADMIN in the initial user namespace.
 */
#define NC_NAT_FLOWS_DEFAULT	262144

enum nc_nat_dir {
	NC_NAT_DIR_OUT,		/* as the flow's first packet travelled */
	NC_NAT_DIR_IN,		/* replies */
};

/* One direction of a flow as its packets arrive; the hash key. */
struct nc_nat_tuple {
	__be32 src;
	__be32 dst;
	union {
		struct {
			__be16 sport;	/* ICMP echo: the identifier, */
			__be16 dport;	/* in both ports */
		};
		u32 ports;		/* both, for hashing and compares */
	};
	u8 proto;
	u8 dir;			/* enum nc_nat_dir; not part of the key */
};

#define NC_NAT_KEY_LEN offsetof(struct nc_nat_tuple, dir)

struct nc_nat_thash {
	struct rhash_head node;
	struct nc_nat_tuple t;
};

/* Per-direction state of a flow, written on the fast path. */
struct nc_nat_way {
	struct dst_entry __rcu *dst;	/* cached route of the translated packet */
	/*
	 * Both counters are updated by packets on any CPU (a socket's
	 * senders on two CPUs, RPS): atomic, so none is lost.  Packets in
	 * 32 bits, so that the TCP sequence fits beside it in the flow's
	 * two cache lines; the count wraps after 2^32 packets.
	 */
	atomic64_t bytes;
	atomic_t packets;
	u32 tcp_end;	/* TCP: highest sequence sent this way, plus one */
};

struct nc_nat_binding;

/*
 * What packets taught us of a flow, changed by packets on any CPU: both
 * bytes move together by cmpxchg() on @word, so no update is lost.
 */
union nc_nat_track {
	struct {
		u8 state;	/* enum netchannel_nat_state */
		u8 seen;	/* NC_NAT_SEEN_* */
	};
	u16 word;
};

/*
 * Two cache lines (checked below): the size of a flow is most of the
 * memory a mapping costs.  The first line holds what lookups and the
 * collector read (both tuples, expiry, state), so a lookup and the
 * collector's check of a flow touch one line; the second what a packet
 * writes besides its expiry (counters) and the route it goes by.
 */
struct nc_nat_flow {
	struct nc_nat_thash th[2];
	unsigned long expires;		/* jiffies */
	u32 rule;			/* handle of the creating rule */
	u8 kind;			/* verdict of the creating rule */
	u8 flags;			/* NC_NAT_F_*; lock */
	union nc_nat_track track;
	struct nc_nat_way way[2];
	/*
	 * Only the lock holder uses bnode, and not once the flow is dead:
	 * then it makes room for the RCU head.  There is no room for a
	 * pointer to the binding: the flow's tuples hold its key.
	 */
	union {
		struct hlist_node bnode;	/* in its binding's flows; lock */
		struct rcu_head rcu;		/* after unlinking */
	};
};

#define NC_NAT_F_DEAD	BIT(0)		/* unlinked (read unlocked by walks) */
#define NC_NAT_F_BOUND	BIT(1)		/* in a binding's flows */
/*
 * Set before the flow is in the table and never changed, so the fast path
 * reads them without the lock:
 */
/* both ways arrive on and leave by one device (its route's) */
#define NC_NAT_F_HAIRPIN	BIT(2)
/* the initiator's packets wait for the other side (nc_nat_create()) */
#define NC_NAT_F_HELD		BIT(3)

/* How nc_nat_flow_create() starts a flow. */
#define NC_NAT_NEW_INBOUND	BIT(0)	/* a binding let its first packet in */
#define NC_NAT_NEW_HAIRPIN	BIT(1)	/* NC_NAT_F_HAIRPIN */
#define NC_NAT_NEW_HELD		BIT(2)	/* NC_NAT_F_HELD */

#define NC_NAT_SEEN_REPLY	BIT(0)	/* the answering side sent a packet */
#define NC_NAT_SEEN_FIN_OUT	BIT(1)	/* TCP FIN, NC_NAT_DIR_OUT */
#define NC_NAT_SEEN_FIN_IN	BIT(2)	/* TCP FIN, NC_NAT_DIR_IN */
#define NC_NAT_SEEN_END_OUT	BIT(3)	/* way[OUT].tcp_end is set */
#define NC_NAT_SEEN_END_IN	BIT(4)	/* way[IN].tcp_end is set */
#define NC_NAT_SEEN_RST		BIT(5)	/* TCP: closed by an RST */
/* made by a packet travelling NC_NAT_DIR_IN (a binding let it in) */
#define NC_NAT_SEEN_INBOUND	BIT(6)
/* the initiator spoke again after a reply (not TCP) */
#define NC_NAT_SEEN_ASSURED	BIT(7)

static_assert(offsetofend(struct nc_nat_flow, track) <= 64);
static_assert(sizeof(struct nc_nat_flow) <= 128);

/* An endpoint; the key of a binding by its outside endpoint. */
struct nc_nat_ep {
	__be32 addr;
	__be16 port;
	u8 proto;
	u8 pad;			/* zero; not hashed or compared */
};

/* Key of a binding by its inside endpoint: with the pool address it uses. */
struct nc_nat_in_key {
	struct nc_nat_ep ep;
	__be32 out_addr;
};

struct nc_nat_binding {
	struct rhash_head in_node;	/* by inside endpoint */
	struct rhash_head out_node;	/* by outside endpoint */
	struct nc_nat_in_key in;
	struct nc_nat_ep out;
	u8 filtering;			/* enum netchannel_nat_filtering */
	/* a binding is freed when its last flow leaves: the list is empty */
	union {
		struct hlist_head flows;	/* lock */
		struct rcu_head rcu;		/* after unlinking */
	};
};

static_assert(sizeof(struct nc_nat_binding) <= 56);

/* A NAT rule's arguments (nc_rule::priv, immutable). */
struct nc_nat_rule {
	u32 verdict;
	__be32 addr_min, addr_max;	/* snat pool; dnat target */
	u16 port_min, port_max;		/* snat/masquerade range; dnat port */
	u8 filtering;
	__be32 prefix;			/* netmap target */
	u8 plen;
	__be32 from_prefix;		/* netmap source (the rule's saddr) */
	struct list_head netmap;	/* nc_nat_net::netmaps, if netmap */
	struct nc_nat_net *nnn;
	const struct nc_rule *rule;	/* the rule this belongs to */
	struct rcu_head rcu;
};

enum nc_nat_reason {
	NC_NAT_R_CREATED,		/* flows created */
	NC_NAT_R_EXPIRED,		/* flows collected */
	NC_NAT_R_TABLE_FULL,		/* new flow dropped: limit reached */
	NC_NAT_R_NO_PORT,		/* new flow dropped: range exhausted */
	NC_NAT_R_FILTERED,		/* unsolicited inbound dropped */
	NC_NAT_R_NOMEM,
	NC_NAT_R_ICMP_BAD_CSUM,		/* ICMP error with a bad checksum */
	NC_NAT_R_ICMP_NO_FLOW,		/* ICMP error about no known flow */
	NC_NAT_R_ICMP_XLATED,		/* ICMP errors translated */
	NC_NAT_R_PUNT_TTL,		/* TTL <= 1: time exceeded sent, dropped */
	NC_NAT_R_PUNT_MTU,		/* DF and too big: frag needed sent, dropped */
	NC_NAT_R_PUNT_ROUTE,		/* no unicast route: translated, to stack */
	NC_NAT_R_FRAGMENTED,		/* forwarded in fragments */
	NC_NAT_R_FORWARDED,		/* forwarded by the fast path */
	NC_NAT_R_NETMAP,		/* packets of netmap rules */
	NC_NAT_R_NO_ADDR,		/* masquerade: egress has no address */
	NC_NAT_R_UNSUPPORTED,		/* source NAT of a portless protocol */
	NC_NAT_R_EARLY_DROP,		/* unreplied flow evicted: table full */
	NC_NAT_R_HOST_LIMIT,		/* new flow dropped: its host's share */
	NC_NAT_R_TCP_RST_IGNORED,	/* RST out of window: state kept */
	NC_NAT_R_ICMP_MISMATCH,		/* ICMP error not to the quote's sender */
	NC_NAT_R_MASQ_FLUSHED,		/* masquerade flows of a lost address */
	NC_NAT_R_SOURCE_ROUTE,		/* LSRR/SSRR or broken IP options */
	NC_NAT_R_IPSEC,			/* forwarded through an IPsec bundle */
	NC_NAT_R_HAIRPIN_DEV,		/* hairpin flow's packet on another device */
	NC_NAT_R_NETMAP_LOCAL,		/* mapped back to the router's address */
	NC_NAT_R_FRAG_PASSED,		/* fragment no NAT flow has: not reassembled */
	NC_NAT_R_FRAG_WHOLE,		/* fragment reached a NAT rule unreassembled */
	__NC_NAT_R_MAX,
};

extern const char * const nc_nat_reason_names[__NC_NAT_R_MAX];

struct nc_nat_timeouts {
	u32 udp, icmp, tcp_est, tcp_trans;	/* seconds */
};

struct nc_nat_net {
	struct net *net;
	spinlock_t lock;			/* flows and bindings writers */
	struct rhashtable flows;		/* struct nc_nat_thash */
	struct rhashtable bind_in;		/* by inside endpoint */
	struct rhashtable bind_out;		/* by outside endpoint */
	struct rhashtable addrs;		/* outside addresses; RCU */
	struct rhashtable adf;			/* ADF remotes per binding; lock */
	/* per port: dnat rules forwarding it (TCP, UDP); see claim.c */
	u32 *claims[2];
	u32 nportmaps;				/* addresses with a map; lock */
	atomic_t nflows;
	atomic_t nrules;			/* NAT rules in the ruleset */
	u32 max_flows;
	u32 max_per_host;			/* flows one source may own; 0: any */
	struct rhashtable hosts;		/* struct nc_nat_host; lock */
	struct nc_nat_timeouts timeouts;
	struct list_head netmaps;		/* RCU; writers: lock */
	/* the fragments NAT reassembles; see frag.c */
	struct nc_nat_fragsel __rcu *fragsel;	/* RCU; writers: fragsel_lock */
	bool fragsel_all;			/* writers: fragsel_lock */
	struct mutex fragsel_lock;
	struct delayed_work gc;
	unsigned long gc_next;			/* jiffies: next pass; lock */
	unsigned long gc_earliest;		/* and its rate limit; lock */
	unsigned long gc_kicked;		/* jiffies of the last early pass */
	struct nc_counters __percpu *stats;	/* enum nc_nat_reason */
	/* the tables above exist (from the first NAT rule on) */
	bool tables;
	struct mem_cgroup *memcg;		/* charged for flows */
};

struct nc_nat_net *nc_nat_net(const struct net *net);

/*
 * Anything to do in this netns?  Saves defrag and lookups when not.  No
 * rule and no flow also means the tables may not exist (the acquire pairs
 * with nc_nat_rule_init(): a rule counted has its tables).
 */
static inline bool nc_nat_active(struct nc_nat_net *nnn)
{
	return atomic_read_acquire(&nnn->nrules) || atomic_read(&nnn->nflows);
}

/*
 * Allocations a packet makes are the netns admin's, not those of the
 * task it interrupted: charge them to the memcg nc_nat_tables_get() kept.
 */
static inline struct mem_cgroup *nc_nat_charge(struct nc_nat_net *nnn)
{
	return set_active_memcg(nnn->memcg);
}

int nc_nat_tables_get(struct nc_nat_net *nnn);

/* Has a NAT rule ever made the tables?  For the control plane. */
static inline bool nc_nat_has_tables(struct nc_nat_net *nnn)
{
	/* pairs with the release in nc_nat_tables_get() */
	return smp_load_acquire(&nnn->tables);
}

static inline void nc_nat_count(struct nc_nat_net *nnn, enum nc_nat_reason r)
{
	nc_counters_inc(nnn->stats, r);
}

/* flow.c */
int nc_nat_flow_cache_init(void);
void nc_nat_flow_cache_exit(void);
int nc_nat_flows_init(struct nc_nat_net *nnn);
void nc_nat_flows_exit(struct nc_nat_net *nnn);
struct nc_nat_thash *nc_nat_lookup(struct nc_nat_net *nnn,
				   const struct nc_nat_tuple *t);
void nc_nat_prefetch(struct nc_nat_net *nnn, const struct nc_nat_tuple *t);
struct nc_nat_flow *nc_nat_flow_create(struct nc_nat_net *nnn,
				       const struct nc_nat_tuple *orig,
				       const struct nc_nat_tuple *reply,
				       const struct nc_nat_rule *r, u32 handle,
				       struct nc_nat_binding *b, unsigned int how,
				       enum nc_nat_reason *why);
bool nc_nat_table_full(struct nc_nat_net *nnn);
bool nc_nat_room(struct nc_nat_net *nnn);
bool nc_nat_host_full(struct nc_nat_net *nnn, __be32 addr);
void nc_nat_flush(struct nc_nat_net *nnn);
unsigned int nc_nat_walk(struct nc_nat_net *nnn,
			 bool (*want)(const struct nc_nat_flow *f, void *ctx),
			 void *ctx, bool expired);
void nc_nat_gc_work(struct work_struct *work);
void nc_nat_touch(struct nc_nat_net *nnn, struct nc_nat_flow *f,
		  enum nc_nat_dir dir, const struct sk_buff *skb,
		  const struct nc_pkt *pkt);
u32 nc_nat_expires_in(const struct nc_nat_flow *f);

static inline struct nc_nat_flow *nc_nat_flow_of(struct nc_nat_thash *th)
{
	return container_of(th, struct nc_nat_flow, th[th->t.dir]);
}

/* port.c */
int nc_nat_binding_cache_init(void);
void nc_nat_binding_cache_exit(void);
struct nc_nat_binding *nc_nat_bind(struct nc_nat_net *nnn,
				   const struct nc_nat_ep *in,
				   const struct nc_nat_ep *peer, __be32 out_addr,
				   u16 port_min, u16 port_max, u8 filtering);
struct nc_nat_binding *nc_nat_binding_by_out(struct nc_nat_net *nnn,
					     const struct nc_nat_ep *out);
bool nc_nat_out_bound(struct nc_nat_net *nnn, const struct nc_nat_ep *out,
		      struct nc_nat_binding **bp);
bool nc_nat_binding_admits(struct nc_nat_net *nnn,
			   const struct nc_nat_binding *b,
			   const struct nc_nat_tuple *t);
void nc_nat_binding_join(struct nc_nat_binding *b, struct nc_nat_flow *f);
void nc_nat_binding_unlink(struct nc_nat_flow *f);
void nc_nat_binding_leave(struct nc_nat_net *nnn, struct nc_nat_flow *f);
void nc_nat_binding_put(struct nc_nat_net *nnn, struct nc_nat_binding *b);
int nc_nat_bindings_init(struct nc_nat_net *nnn);
void nc_nat_bindings_exit(struct nc_nat_net *nnn);
/* random ports tried before nc_nat_pick_port() scans the range */
#define NC_NAT_PORT_TRIES	16
/* most ports the scan then tests: the work of one packet is bounded */
#define NC_NAT_PORT_SCAN	64
int nc_nat_pick_port(u16 want, u16 min, u16 max, u32 rnd,
		     bool (*taken)(void *ctx, u16 port),
		     u32 (*next)(void *ctx, u16 port, u16 last), void *ctx);

/* adf.c */
int nc_nat_adf_join(struct nc_nat_net *nnn, const struct nc_nat_binding *b,
		    const struct nc_nat_flow *f);
void nc_nat_adf_leave(struct nc_nat_net *nnn, const struct nc_nat_binding *b,
		      const struct nc_nat_flow *f);
bool nc_nat_adf_admits(struct nc_nat_net *nnn, const struct nc_nat_binding *b,
		       __be32 remote);
int nc_nat_adf_init(struct nc_nat_net *nnn);
void nc_nat_adf_exit(struct nc_nat_net *nnn);
int nc_nat_adf_cache_init(void);
void nc_nat_adf_cache_exit(void);

/* claim.c */
int nc_nat_claim_prepare(struct nc_nat_net *nnn, const struct nc_rule *rule);
void nc_nat_claim_publish(struct nc_nat_net *nnn, const struct nc_rule *rule);
void nc_nat_claim_withdraw(struct nc_nat_net *nnn, const struct nc_rule *rule);
void nc_nat_claims_exit(struct nc_nat_net *nnn);
bool nc_nat_local_sock(struct net *net, u8 proto, __be32 saddr, __be16 sport,
		       __be32 daddr, __be16 dport);
bool nc_nat_forward_first(struct nc_nat_net *nnn, struct nc_dev *ncd,
			  struct sk_buff *skb, struct nc_pkt *pkt,
			  const struct nc_nat_tuple *t);
bool nc_nat_claimed(struct nc_nat_net *nnn, const struct nc_nat_ep *out,
		    __be32 remote, __be16 rport);

/* portmap.c */
#define NC_NAT_PORTMAPS_MAX	256	/* 2 MiB of port maps per netns */
struct nc_nat_addr;
struct nc_nat_addr *nc_nat_addr_get(struct nc_nat_net *nnn, __be32 addr,
				    u8 proto);
void nc_nat_addr_drop_unused(struct nc_nat_net *nnn, struct nc_nat_addr *a);
const struct nc_nat_addr *nc_nat_addr_lookup(struct nc_nat_net *nnn,
					     __be32 addr, u8 proto);
int nc_nat_addr_taken(const struct nc_nat_addr *a, u16 port);
u32 nc_nat_addr_next_free(const struct nc_nat_addr *a, u16 port, u16 last);
bool nc_nat_addr_full(const struct nc_nat_addr *a, u16 min, u16 max);
void nc_nat_addr_set_full(struct nc_nat_addr *a, u16 min, u16 max);
void nc_nat_addr_prefetch(const struct nc_nat_addr *a, u16 port);
void nc_nat_addr_bind(struct nc_nat_addr *a, u16 port);
void nc_nat_addr_unbind(struct nc_nat_net *nnn, __be32 addr, u8 proto,
			u16 port);
int nc_nat_addrs_init(struct nc_nat_net *nnn);
void nc_nat_addrs_exit(struct nc_nat_net *nnn);

/* xlate.c */
struct icmphdr;
bool nc_nat_echo_ports(const struct icmphdr *ih, struct nc_nat_tuple *t);
bool nc_nat_tuple_of(const struct sk_buff *skb, const struct nc_pkt *pkt,
		     struct nc_nat_tuple *t);
void nc_nat_invert(const struct nc_nat_tuple *t, struct nc_nat_tuple *inv);
bool nc_nat_xlate(struct sk_buff *skb, struct nc_pkt *pkt,
		  const struct nc_nat_tuple *from,
		  const struct nc_nat_tuple *to);
enum nc_hook_ret nc_nat_rx(struct nc_dev *ncd, struct sk_buff *skb,
			   struct nc_pkt *pkt);
enum nc_hook_ret nc_nat_new_flow(struct sk_buff *skb, struct nc_pkt *pkt,
				 const struct nc_nat_rule *r, u32 handle);

/* icmp.c */
enum nc_hook_ret nc_nat_icmp_error(struct nc_nat_net *nnn,
				   struct sk_buff *skb, struct nc_pkt *pkt);
bool nc_nat_icmp_quotes(const struct sk_buff *skb, const struct nc_pkt *pkt);
int nc_nat_icmp_inner(struct sk_buff *skb, unsigned int ioff,
		      unsigned int qlen, const struct nc_nat_tuple *to);

/* frag.c */
bool nc_nat_frag_publish(struct nc_nat_net *nnn, const struct nc_nat_rule *r);
void nc_nat_frag_forget(struct nc_nat_net *nnn);
void nc_nat_frag_exit(struct nc_nat_net *nnn);
bool nc_nat_frag_wanted(struct nc_nat_net *nnn, const struct sk_buff *skb,
			const struct nc_pkt *pkt);

/* fwd.c */
enum nc_hook_ret nc_nat_forward(struct nc_nat_net *nnn,
				struct nc_nat_flow *f, enum nc_nat_dir dir,
				struct sk_buff *skb, struct nc_pkt *pkt);
bool nc_nat_for_router(struct net *net, const struct net_device *dev,
		       __be32 addr);
enum nc_hook_ret nc_nat_forward_xlated(struct nc_nat_net *nnn,
				       struct nc_nat_flow *f,
				       enum nc_nat_dir dir,
				       struct sk_buff *skb,
				       struct nc_pkt *pkt);
enum nc_hook_ret nc_nat_first_check(struct nc_nat_net *nnn,
				    struct sk_buff *skb, struct nc_pkt *pkt,
				    struct dst_entry *dst);
enum nc_hook_ret nc_nat_drop_nomem(struct nc_nat_net *nnn, struct nc_pkt *pkt);
enum nc_hook_ret nc_nat_forward_stateless(struct nc_nat_net *nnn,
					  struct sk_buff *skb,
					  struct nc_pkt *pkt,
					  enum nc_field field,
					  const union nc_addr *to);
struct dst_entry *nc_nat_input_route(struct sk_buff *skb, __be32 saddr,
				     __be32 daddr);
void nc_nat_way_cache(struct nc_nat_way *way, struct dst_entry *dst);
void nc_nat_way_release(struct nc_nat_way *way);

/* xfrm.c: IPsec for what the fast path forwards (none without CONFIG_XFRM) */
#if IS_ENABLED(CONFIG_XFRM)
bool nc_nat_xfrm_fwd(struct sk_buff *skb);
struct dst_entry *nc_nat_xfrm_out(struct sk_buff *skb,
				  const struct nc_pkt *pkt,
				  struct dst_entry *dst,
				  const struct nc_nat_tuple *out);
#else
static inline bool nc_nat_xfrm_fwd(struct sk_buff *skb)
{
	return true;
}

static inline struct dst_entry *nc_nat_xfrm_out(struct sk_buff *skb,
						const struct nc_pkt *pkt,
						struct dst_entry *dst,
						const struct nc_nat_tuple *out)
{
	return dst;
}
#endif

/* rule.c */
extern struct nc_consumer nc_nat_consumer;
enum nc_hook_ret nc_nat_netmap_reverse(struct nc_nat_net *nnn,
				       struct sk_buff *skb,
				       struct nc_pkt *pkt);
bool nc_nat_netmap_addr(struct nc_nat_net *nnn, __be32 addr, bool reverse,
			__be32 *to);

/* masq.c */
int nc_nat_masq_init(void);
void nc_nat_masq_exit(void);

/* netlink.c */
int nc_nat_nl_init(void);
void nc_nat_nl_exit(void);
void nc_nat_notify(struct nc_nat_net *nnn, const struct nc_nat_flow *f,
		   u8 cmd);

#endif /* _NET_NETCHANNEL_NAT_H */
