/* SPDX-License-Identifier: GPL-2.0 */
/*
 * netchannel core: the objects every part of the engine shares.
 *
 * Locking, in one place:
 *  - The data path (nc_rx_handler and everything it calls) runs under RCU
 *    (the receive path holds rcu_read_lock) and takes no lock.  It reads
 *    nc_net::cls, an immutable classifier, and the immutable rules and hook
 *    chains it points to.
 *  - Control-plane writers serialize on nc_net::lock.  Device attach and
 *    detach additionally hold RTNL, taken before nc_net::lock.
 *  - A new classifier is published with rcu_replace_pointer(); the old one
 *    and the rules only it referenced are freed after a grace period.
 */
#ifndef _NET_NETCHANNEL_NC_H
#define _NET_NETCHANNEL_NC_H

#include <linux/in6.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/rcupdate.h>
#include <linux/skbuff.h>
#include <linux/u64_stats_sync.h>
#include <net/netlink.h>
#include <linux/netchannel.h>

struct nc_dev;
struct nc_consumer;

/* An address of either family; IPv4 uses the first word, the rest is 0. */
union nc_addr {
	__be32 ip;
	__be32 ip6[4];
	struct in6_addr in6;
};

/* nc_key::flags */
#define NC_KEY_F_PORTS		0x01	/* sport/dport are valid */
#define NC_KEY_F_FRAG		0x02	/* packet is an IP fragment */
/* IP header sound, transport header not: only consumers' rx sees it */
#define NC_KEY_F_MALFORMED	0x04

/*
 * The flow key the parser fills and the classifier hashes.  Sized for IPv6
 * from day one and laid out as whole u32 words with no holes, so masking
 * and hashing work word by word.
 */
struct nc_key {
	union nc_addr src;
	union nc_addr dst;
	__be16 sport;
	__be16 dport;
	u32 iif;
	u32 oif;		/* route's egress device; only if a rule asks */
	u8 family;
	u8 proto;
	u8 flags;
	u8 pad;
};

#define NC_KEY_WORDS (sizeof(struct nc_key) / sizeof(u32))
static_assert(sizeof(struct nc_key) % sizeof(u32) == 0);

/* One field edit recorded by the rewrite hook for the checksum hook. */
enum nc_field {
	NC_FIELD_SADDR,
	NC_FIELD_DADDR,
	NC_FIELD_SPORT,
	NC_FIELD_DPORT,
	NC_FIELD_ICMP_ID,	/* ICMP/ICMPv6 echo identifier */
	__NC_FIELD_MAX,
};

struct nc_edit {
	u8 field;		/* enum nc_field */
	union nc_addr from;	/* old value; ports in from.ip's low half */
	union nc_addr to;
};

#define NC_MAX_EDITS 4

/*
 * Per-packet parse result and scratch space for the hook chain.  Lives on
 * the stack of the receive handler.
 */
struct nc_pkt {
	struct nc_key key;
	u16 nhoff;		/* network header, from skb->data */
	u16 thoff;		/* transport header, from skb->data */
	/* IP total length (v4) or 40 + payload (v6): past 64 KiB for BIG TCP */
	u32 l3len;
	bool l4hdr;		/* transport header present (not a later fragment) */
	u8 reason;		/* enum netchannel_reason, when malformed */
	u8 nedits;
	struct nc_edit edits[NC_MAX_EDITS];
};

/*
 * A clean parse state for a packet from device @iif.  The edit log is
 * valid up to nedits, so it is left as it is: clearing it would be a
 * few hundred bytes of stores per packet.
 */
static inline void nc_pkt_init(struct nc_pkt *pkt, int iif)
{
	memset(pkt, 0, offsetof(struct nc_pkt, edits));
	pkt->key.iif = iif;
}

int nc_parse(struct sk_buff *skb, struct nc_pkt *pkt);

/* ---- hook chain ---- */

enum nc_hook_ret {
	NC_HOOK_CONTINUE,	/* run the next hook */
	NC_HOOK_PASS,		/* hand the packet to the stack */
	NC_HOOK_DROP,		/* drop and count */
	NC_HOOK_STOLEN,		/* the hook took the skb */
};

enum nc_hook_kind {
	NC_HOOK_FILTER,
	NC_HOOK_REWRITE,
	NC_HOOK_CSUM,
	__NC_HOOK_KIND_MAX,
	NC_HOOK_CONSUMER = __NC_HOOK_KIND_MAX,	/* a consumer's own, unregistered */
};

struct nc_hook;

/**
 * struct nc_hook_type - a kind of per-packet hook
 * @kind: registry slot
 * @name: for messages
 * @run: runs under RCU in softirq; may replace *pskb only via
 *	skb_ensure_writable-style helpers that keep the pointer
 */
struct nc_hook_type {
	enum nc_hook_kind kind;
	const char *name;
	enum nc_hook_ret (*run)(struct sk_buff *skb, struct nc_pkt *pkt,
				const struct nc_hook *hook);
};

/* Arguments of the rewrite hook: which fields to set, and to what. */
struct nc_rewrite {
	u32 fields;		/* BIT(enum nc_field) */
	union nc_addr saddr;
	union nc_addr daddr;
	__be16 sport;
	__be16 dport;
};

struct nc_hook {
	const struct nc_hook_type *type;
	union {
		u32 verdict;			/* filter */
		struct nc_rewrite rewrite;	/* rewrite */
		const void *priv;		/* a consumer's hook */
	};
};

/* An immutable list of hooks, run in order. */
struct nc_chain {
	unsigned int len;
	struct nc_hook hooks[] __counted_by(len);
};

int nc_hook_type_register(const struct nc_hook_type *type);
void nc_hook_type_unregister(const struct nc_hook_type *type);
const struct nc_hook_type *nc_hook_type_get(enum nc_hook_kind kind);
struct nc_chain *nc_chain_alloc(unsigned int len, gfp_t gfp);
enum nc_hook_ret nc_chain_run(const struct nc_chain *chain,
			      struct sk_buff *skb, struct nc_pkt *pkt);

extern const struct nc_hook_type nc_hook_filter;
extern const struct nc_hook_type nc_hook_rewrite;
extern const struct nc_hook_type nc_hook_csum;
int nc_hooks_init(void);
void nc_hooks_exit(void);

/* Checksum and rewrite helpers, also used directly by consumers. */
bool nc_rewrite_field(struct sk_buff *skb, struct nc_pkt *pkt,
		      enum nc_field field, const union nc_addr *to);
bool nc_csum_apply(struct sk_buff *skb, struct nc_pkt *pkt);

/* ---- rules and classifier ---- */

/* nc_match::present */
#define NC_M_FAMILY	BIT(0)
#define NC_M_IIF	BIT(1)
#define NC_M_PROTO	BIT(2)
#define NC_M_SADDR	BIT(3)
#define NC_M_DADDR	BIT(4)
#define NC_M_SPORT	BIT(5)
#define NC_M_DPORT	BIT(6)
#define NC_M_OIF	BIT(7)

struct nc_match {
	u32 present;
	u32 iif;
	u32 oif;
	u8 family;
	u8 proto;
	u8 saddr_len;
	u8 daddr_len;
	union nc_addr saddr;
	union nc_addr daddr;
	u16 sport_min, sport_max;
	u16 dport_min, dport_max;
};

/*
 * Per-CPU counter arrays: written only by the owning CPU in softirq, summed
 * over all CPUs on read.
 */
struct nc_counters {
	struct u64_stats_sync syncp;
	u64_stats_t v[];
};

/* Most counters one array may hold (the NAT's reasons are the most). */
#define NC_COUNTERS_MAX 32

struct nc_counters __percpu *nc_counters_alloc(unsigned int n);
/*
 * Inline: a forwarded packet counts three to five times, and on 64-bit
 * machines this is one per-CPU add.  Context: softirq (the receive path),
 * or with bottom halves disabled.
 */
static inline void nc_counters_add(struct nc_counters __percpu *c,
				   unsigned int i, u64 val)
{
	struct nc_counters *s = this_cpu_ptr(c);

	u64_stats_update_begin(&s->syncp);
	u64_stats_add(&s->v[i], val);
	u64_stats_update_end(&s->syncp);
}

void nc_counters_read(struct nc_counters __percpu *c, unsigned int n,
		      u64 *out);

static inline void nc_counters_inc(struct nc_counters __percpu *c,
				   unsigned int i)
{
	nc_counters_add(c, i, 1);
}

/* nc_rule::stats */
enum { NC_RULE_PACKETS, NC_RULE_BYTES, NC_RULE_NSTATS };

/*
 * A rule.  Immutable once in a ruleset except for its per-CPU counters, so
 * successive classifiers share it and its counters survive edits of other
 * rules.  Freed by RCU when it leaves the ruleset.
 */
struct nc_rule {
	struct list_head list;		/* nc_net::rules, under nc_net::lock */
	u32 handle;
	u32 prio;
	u32 verdict;			/* enum netchannel_verdict */
	struct nc_match match;
	struct nc_chain *chain;
	const struct nc_consumer *consumer;	/* for consumer verdicts */
	void *priv;				/* the consumer's */
	bool published;			/* rule_publish() ran; lock */
	struct nc_counters __percpu *stats;	/* NC_RULE_* */
	struct rcu_head rcu;
};

static inline u64 nc_rule_rank(const struct nc_rule *rule)
{
	return (u64)rule->prio << 32 | rule->handle;
}

bool nc_match_key(const struct nc_match *m, const struct nc_key *key);

struct nc_cls;
struct nc_cls *nc_cls_build(struct list_head *rules, gfp_t gfp);
void nc_cls_free(struct nc_cls *cls);
unsigned int nc_cls_retire(struct nc_cls **list, struct nc_cls *cls);
void nc_cls_free_retired(struct nc_cls **list);
struct nc_rule *nc_cls_lookup(const struct nc_cls *cls,
			      const struct nc_key *key);
unsigned int nc_cls_shapes(const struct nc_cls *cls);
bool nc_cls_needs_oif(const struct nc_cls *cls);
u32 nc_route_oif(struct sk_buff *skb, const struct nc_pkt *pkt);

struct nc_rule *nc_rule_alloc(gfp_t gfp);
void nc_rule_free(struct nc_rule *rule);
void nc_rules_free(struct list_head *rules);

/* ---- per-netns state ---- */

struct nc_net {
	struct net *net;
	struct list_head all;		/* every nc_net, for consumer exit */
	struct mutex lock;		/* serializes control-plane writers */
	struct nc_cls __rcu *cls;
	/*
	 * Classifiers replaced by rule additions, which free no rule and so
	 * need not wait for readers: freed together after one grace period
	 * once NC_CLS_RETIRED_MAX have gathered, or by the next edit that
	 * waits anyway.  A batch of single-rule additions then pays one
	 * grace period per NC_CLS_RETIRED_MAX rules instead of one each.
	 */
	struct nc_cls *retired;		/* lock */
	/*
	 * Set when a consumer went away and the classifier without its rules
	 * could not be built: with no classifier, attached devices drop
	 * everything until a ruleset is committed again (fail closed).
	 */
	bool fail_closed;		/* lock to write */
	struct list_head rules;		/* in (prio, handle) order; lock */
	u32 nrules;			/* lock */
	u32 next_handle;		/* lock */
	u32 generation;			/* lock; never 0 */
	struct list_head devs;		/* RTNL and lock to change */
	u32 ndevs;
	struct nc_counters __percpu *stats;	/* by enum netchannel_reason */
};

struct nc_net *nc_net(const struct net *net);
void nc_net_changed(struct nc_net *nn);
extern const char * const nc_reason_names[__NETCHANNEL_REASON_MAX];

int nc_netns_init(void);
void nc_netns_exit(void);

/* Ruleset edits, nc_net::lock held by the caller. */
int nc_ruleset_add(struct nc_net *nn, struct nc_rule *rule,
		   struct netlink_ext_ack *extack);
int nc_ruleset_del(struct nc_net *nn, u32 handle,
		   struct netlink_ext_ack *extack);
int nc_ruleset_replace(struct nc_net *nn, struct list_head *rules,
		       struct netlink_ext_ack *extack);
void nc_ruleset_purge(struct nc_net *nn, const struct nc_consumer *c);
void nc_ruleset_release(struct nc_net *nn);

/* ---- devices ---- */

/* nc_dev::stats */
enum {
	NC_DEV_SEEN,
	NC_DEV_MATCHED,
	NC_DEV_PASSED,
	NC_DEV_DROPPED,
	NC_DEV_NSTATS,
};

struct nc_dev {
	struct list_head list;		/* nc_net::devs */
	struct net_device *dev;
	struct nc_net *nn;
	struct nc_counters __percpu *stats;	/* NC_DEV_* */
};

int nc_dev_attach(struct nc_net *nn, struct net_device *dev,
		  struct netlink_ext_ack *extack);
int nc_dev_detach(struct nc_net *nn, struct net_device *dev,
		  struct netlink_ext_ack *extack);
void nc_dev_detach_all(struct nc_net *nn);
int nc_dev_init(void);
void nc_dev_exit(void);

/* ---- consumers ---- */

/**
 * struct nc_consumer - a module that adds verdicts and per-flow state
 * @name: for messages
 * @verdict_min: first rule verdict it implements (>= NETCHANNEL_VERDICT_CONSUMER)
 * @verdict_max: last one
 * @rx: data path, under RCU, before the rule table: handles packets of
 *	flows it already knows.  Returns NC_HOOK_CONTINUE for any other
 *	packet; it may re-parse @pkt (e.g. after reassembly).
 * @rule_init: control path, RTNL held: check a rule with one of its
 *	verdicts and build rule->chain and rule->priv from the rule's
 *	attributes (NETCHANNEL_A_RULE_* table @tb)
 * @rule_fill: put the consumer's attributes of @rule into a dump
 * @rule_publish: optional, nc_net::lock held: @rule is about to be seen by
 *	packets (its ruleset is built and is published next, which cannot
 *	fail): make live what the consumer keeps outside the classifier.
 *	True when no packet may see that state's older version together
 *	with the new classifier: the core waits for a grace period first.
 * @rule_destroy: free rule->priv; no reader can see the rule any more
 * @list: in the registry
 *
 * Unregistering removes every rule that uses the consumer's verdicts from
 * every netns first, so a consumer module can always be unloaded.
 */
struct nc_consumer {
	const char *name;
	u32 verdict_min;
	u32 verdict_max;
	enum nc_hook_ret (*rx)(struct nc_dev *ncd, struct sk_buff *skb,
			       struct nc_pkt *pkt);
	int (*rule_init)(struct net *net, struct nc_rule *rule,
			 struct nlattr **tb, struct netlink_ext_ack *extack);
	int (*rule_fill)(struct sk_buff *msg, const struct nc_rule *rule);
	bool (*rule_publish)(struct nc_rule *rule);
	void (*rule_destroy)(struct nc_rule *rule);
	struct list_head list;
};

int nc_consumer_register(struct nc_consumer *c);
void nc_consumer_unregister(struct nc_consumer *c);
void nc_consumers_lock_edit(void);
void nc_consumers_unlock_edit(void);
const struct nc_consumer *nc_consumer_find(u32 verdict);
enum nc_hook_ret nc_consumers_rx(struct nc_dev *ncd, struct sk_buff *skb,
				 struct nc_pkt *pkt);
const struct nc_rule *nc_rule_match(struct nc_dev *ncd, struct sk_buff *skb,
				    struct nc_pkt *pkt);
void nc_consumers_netns_add(struct nc_net *nn);
void nc_consumers_netns_del(struct nc_net *nn);

/* ---- generic netlink ---- */

int nc_nl_put_counters(struct sk_buff *msg, int attr,
		       struct nc_counters __percpu *c,
		       const char * const *names, unsigned int n);
int nc_nl_init(void);
void nc_nl_exit(void);

#endif /* _NET_NETCHANNEL_NC_H */
