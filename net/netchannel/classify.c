// SPDX-License-Identifier: GPL-2.0
/*
 * Rule classifier: tuple space search.
 *
 * Every rule is a set of (mask, masked key) pairs over struct nc_key; a port
 * range becomes the few prefix-aligned port blocks that cover it.  Pairs
 * with the same mask form a "shape", and each shape is a hash table of
 * masked keys.  A lookup masks the packet's key once per shape and probes
 * one bucket, so its cost grows with the number of distinct shapes, not
 * with the number of rules.  Shapes are visited in the order of the best
 * rule they hold, which lets the lookup stop as soon as no remaining shape
 * can beat the match it has.  A shape keeps only the key words its mask
 * covers, packed (an IPv4 prefix and a device are 3 of the 13 words):
 * masking, hashing and comparing touch those alone.
 *
 * A classifier is built from the control-plane rule list, never changed,
 * published under RCU and freed whole after a grace period.
 */
#include <linux/inetdevice.h>
#include <linux/jhash.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <net/ipv6.h>

#include "nc.h"

/* Bound on pairs after port-range expansion, to bound build memory. */
#define NC_CLS_MAX_ENTRIES	BIT(18)

struct nc_cls_entry {
	struct nc_cls_entry *next;	/* bucket chain */
	const struct nc_rule *rule;
	u32 key[NC_KEY_WORDS];		/* masked, packed as its shape's */
};

struct nc_shape {
	u32 mask[NC_KEY_WORDS];		/* the nonzero words of the mask, */
	u8 words[NC_KEY_WORDS];		/* and which words of a key they are */
	u8 nwords;
	u64 best;			/* lowest rule rank in this shape */
	u32 hmask;			/* buckets - 1 */
	struct nc_cls_entry **buckets;
};

struct nc_cls {
	struct nc_cls *retired;		/* nc_net::retired list */
	u32 seed;
	bool needs_oif;			/* some rule matches on oif */
	unsigned int nshapes;
	struct nc_shape *shapes;
	struct nc_cls_entry *entries;
	struct nc_cls_entry **buckets;
};

/* A rule expanded: one (mask, key) pair, used only while building. */
struct nc_pair {
	u32 mask[NC_KEY_WORDS];
	u32 key[NC_KEY_WORDS];
	const struct nc_rule *rule;
};

static void nc_addr_mask(union nc_addr *m, u8 family, u8 plen)
{
	int i;

	memset(m, 0, sizeof(*m));
	if (family == AF_INET) {
		m->ip = inet_make_mask(plen);
		return;
	}
	for (i = 0; i < 4; i++, plen = plen > 32 ? plen - 32 : 0)
		m->ip6[i] = inet_make_mask(min_t(u8, plen, 32));
}

static __be16 nc_port_mask(unsigned int plen)
{
	return htons((u16)(0xffff0000U >> plen));
}

/*
 * The largest prefix-aligned block starting at @lo that stays within @hi:
 * returns its prefix length, 0..16.
 */
static unsigned int nc_port_block(u32 lo, u32 hi)
{
	unsigned int bits = lo ? __ffs(lo) : 16;

	while (bits && lo + (1U << bits) - 1 > hi)
		bits--;
	return 16 - bits;
}

static unsigned int nc_port_blocks(u16 min, u16 max)
{
	unsigned int n = 0;
	u32 lo = min;

	while (lo <= max) {
		lo += 1U << (16 - nc_port_block(lo, max));
		n++;
	}
	return n;
}

/* How many pairs a rule expands into. */
static unsigned int nc_rule_npairs(const struct nc_match *m)
{
	unsigned int n = 1;

	if (m->present & NC_M_SPORT)
		n *= nc_port_blocks(m->sport_min, m->sport_max);
	if (m->present & NC_M_DPORT)
		n *= nc_port_blocks(m->dport_min, m->dport_max);
	return n;
}

/* Mask and key of everything but the ports. */
static void nc_rule_base(const struct nc_match *m, struct nc_key *mask,
			 struct nc_key *key)
{
	int i;

	memset(mask, 0, sizeof(*mask));
	memset(key, 0, sizeof(*key));
	if (m->present & NC_M_FAMILY) {
		mask->family = 0xff;
		key->family = m->family;
	}
	if (m->present & NC_M_IIF) {
		mask->iif = ~0U;
		key->iif = m->iif;
	}
	if (m->present & NC_M_OIF) {
		mask->oif = ~0U;
		key->oif = m->oif;
	}
	if (m->present & NC_M_PROTO) {
		mask->proto = 0xff;
		key->proto = m->proto;
	}
	if (m->present & NC_M_SADDR)
		nc_addr_mask(&mask->src, m->family, m->saddr_len);
	if (m->present & NC_M_DADDR)
		nc_addr_mask(&mask->dst, m->family, m->daddr_len);
	for (i = 0; i < 4; i++) {
		key->src.ip6[i] = m->saddr.ip6[i] & mask->src.ip6[i];
		key->dst.ip6[i] = m->daddr.ip6[i] & mask->dst.ip6[i];
	}
	if (m->present & (NC_M_SPORT | NC_M_DPORT)) {
		/* packets without ports never match a port rule */
		mask->flags = NC_KEY_F_PORTS;
		key->flags = NC_KEY_F_PORTS;
	}
}

static void nc_pair_set(struct nc_pair *p, const struct nc_key *mask,
			const struct nc_key *key, const struct nc_rule *rule)
{
	memcpy(p->mask, mask, sizeof(p->mask));
	memcpy(p->key, key, sizeof(p->key));
	p->rule = rule;
}

/* Expand the destination port range of one source-port block. */
static struct nc_pair *nc_expand_dport(struct nc_pair *p,
				       const struct nc_rule *rule,
				       struct nc_key *mask, struct nc_key *key)
{
	const struct nc_match *m = &rule->match;
	unsigned int plen;
	u32 lo;

	if (!(m->present & NC_M_DPORT)) {
		nc_pair_set(p++, mask, key, rule);
		return p;
	}
	for (lo = m->dport_min; lo <= m->dport_max; lo += 1U << (16 - plen)) {
		plen = nc_port_block(lo, m->dport_max);
		mask->dport = nc_port_mask(plen);
		key->dport = htons(lo);
		nc_pair_set(p++, mask, key, rule);
	}
	return p;
}

static struct nc_pair *nc_rule_expand(struct nc_pair *p,
				      const struct nc_rule *rule)
{
	const struct nc_match *m = &rule->match;
	struct nc_key mask, key;
	unsigned int plen;
	u32 lo;

	nc_rule_base(m, &mask, &key);
	if (!(m->present & NC_M_SPORT))
		return nc_expand_dport(p, rule, &mask, &key);
	for (lo = m->sport_min; lo <= m->sport_max; lo += 1U << (16 - plen)) {
		plen = nc_port_block(lo, m->sport_max);
		mask.sport = nc_port_mask(plen);
		key.sport = htons(lo);
		p = nc_expand_dport(p, rule, &mask, &key);
	}
	return p;
}

/* Sort pairs by mask, then key, then rank: shapes and duplicates group. */
static int nc_pair_cmp(const void *a, const void *b)
{
	const struct nc_pair *x = a, *y = b;
	u64 rx, ry;
	int d;

	d = memcmp(x->mask, y->mask, sizeof(x->mask));
	if (d)
		return d;
	d = memcmp(x->key, y->key, sizeof(x->key));
	if (d)
		return d;
	rx = nc_rule_rank(x->rule);
	ry = nc_rule_rank(y->rule);
	return rx < ry ? -1 : rx > ry;
}

static int nc_shape_cmp(const void *a, const void *b)
{
	const struct nc_shape *x = a, *y = b;

	return x->best < y->best ? -1 : x->best > y->best;
}

static void nc_shape_init(struct nc_shape *s, const u32 *mask)
{
	unsigned int w;

	s->nwords = 0;
	for (w = 0; w < NC_KEY_WORDS; w++) {
		if (!mask[w])
			continue;
		s->mask[s->nwords] = mask[w];
		s->words[s->nwords++] = w;
	}
}

/* The words of @key that @s looks at, masked, into @m; their hash. */
static u32 nc_shape_pack(const struct nc_shape *s, const u32 *key, u32 *m,
			 u32 seed)
{
	unsigned int i;

	for (i = 0; i < s->nwords; i++)
		m[i] = key[s->words[i]] & s->mask[i];
	return jhash2(m, s->nwords, seed);
}

static bool nc_shape_equal(const struct nc_shape *s, const u32 *a,
			   const u32 *b)
{
	unsigned int i;

	for (i = 0; i < s->nwords; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static bool nc_same_mask(const struct nc_pair *a, const struct nc_pair *b)
{
	return !memcmp(a->mask, b->mask, sizeof(a->mask));
}

/* Count shapes and distinct entries of sorted pairs. */
static void nc_pairs_count(const struct nc_pair *pairs, unsigned int n,
			   unsigned int *nshapes, unsigned int *nentries)
{
	unsigned int i;

	*nshapes = 0;
	*nentries = 0;
	for (i = 0; i < n; i++) {
		if (!i || !nc_same_mask(&pairs[i], &pairs[i - 1]))
			(*nshapes)++;
		if (!i || !nc_same_mask(&pairs[i], &pairs[i - 1]) ||
		    memcmp(pairs[i].key, pairs[i - 1].key, sizeof(pairs[i].key)))
			(*nentries)++;
	}
}

/* Size each shape's bucket array: a power of two at least its entries. */
static unsigned int nc_shapes_size(struct nc_cls *cls,
				   const struct nc_pair *pairs, unsigned int n)
{
	unsigned int i, s = 0, count = 0, total = 0;

	for (i = 0; i <= n; i++) {
		if (i && (i == n || !nc_same_mask(&pairs[i], &pairs[i - 1]))) {
			cls->shapes[s].hmask = roundup_pow_of_two(count) - 1;
			total += cls->shapes[s].hmask + 1;
			s++;
			count = 0;
		}
		if (i < n)
			count++;
	}
	return total;
}

/* Fill shapes and hash tables from sorted pairs. */
static void nc_cls_fill(struct nc_cls *cls, const struct nc_pair *pairs,
			unsigned int n)
{
	struct nc_cls_entry **buckets = cls->buckets;
	struct nc_cls_entry *e = cls->entries;
	struct nc_shape *shape = NULL;
	unsigned int i;
	u32 h;

	for (i = 0; i < n; i++) {
		const struct nc_pair *p = &pairs[i];

		if (!i || !nc_same_mask(p, &pairs[i - 1])) {
			shape = shape ? shape + 1 : cls->shapes;
			nc_shape_init(shape, p->mask);
			shape->best = U64_MAX;
			shape->buckets = buckets;
			buckets += shape->hmask + 1;
		} else if (!memcmp(p->key, pairs[i - 1].key, sizeof(p->key))) {
			/* same match, worse rank: can never win here */
			continue;
		}
		h = nc_shape_pack(shape, p->key, e->key, cls->seed) &
		    shape->hmask;
		e->rule = p->rule;
		e->next = shape->buckets[h];
		shape->buckets[h] = e;
		shape->best = min(shape->best, nc_rule_rank(p->rule));
		e++;
	}
	sort(cls->shapes, cls->nshapes, sizeof(*cls->shapes), nc_shape_cmp,
	     NULL);
}

static struct nc_pair *nc_pairs_build(struct list_head *rules,
				      unsigned int *npairs, bool *needs_oif,
				      gfp_t gfp)
{
	struct nc_pair *pairs, *p;
	struct nc_rule *rule;
	unsigned int n = 0;

	list_for_each_entry(rule, rules, list) {
		n += nc_rule_npairs(&rule->match);
		if (rule->match.present & NC_M_OIF)
			*needs_oif = true;
		if (n > NC_CLS_MAX_ENTRIES)
			return ERR_PTR(-E2BIG);
	}
	pairs = kvmalloc_array(max(n, 1U), sizeof(*pairs), gfp);
	if (!pairs)
		return ERR_PTR(-ENOMEM);
	p = pairs;
	list_for_each_entry(rule, rules, list)
		p = nc_rule_expand(p, rule);
	sort(pairs, n, sizeof(*pairs), nc_pair_cmp, NULL);
	*npairs = n;
	return pairs;
}

/**
 * nc_cls_build - build a classifier for a rule list
 * @rules: nc_rule list; must not change during the call
 * @gfp: allocation flags
 *
 * Return: the classifier, ERR_PTR(-E2BIG) when port ranges expand to too
 * many entries, or ERR_PTR(-ENOMEM).
 */
struct nc_cls *nc_cls_build(struct list_head *rules, gfp_t gfp)
{
	unsigned int npairs, nentries, nbuckets;
	struct nc_pair *pairs;
	bool needs_oif = false;
	struct nc_cls *cls;

	pairs = nc_pairs_build(rules, &npairs, &needs_oif, gfp);
	if (IS_ERR(pairs))
		return ERR_CAST(pairs);

	cls = kzalloc(sizeof(*cls), gfp);
	if (!cls)
		goto err_pairs;
	cls->seed = get_random_u32();
	cls->needs_oif = needs_oif;
	nc_pairs_count(pairs, npairs, &cls->nshapes, &nentries);
	cls->shapes = kvcalloc(max(cls->nshapes, 1U), sizeof(*cls->shapes), gfp);
	cls->entries = kvmalloc_array(max(nentries, 1U),
				      sizeof(*cls->entries), gfp);
	if (!cls->shapes || !cls->entries)
		goto err_cls;
	nbuckets = nc_shapes_size(cls, pairs, npairs);
	cls->buckets = kvcalloc(max(nbuckets, 1U), sizeof(*cls->buckets), gfp);
	if (!cls->buckets)
		goto err_cls;
	nc_cls_fill(cls, pairs, npairs);
	kvfree(pairs);
	return cls;

err_cls:
	nc_cls_free(cls);
err_pairs:
	kvfree(pairs);
	return ERR_PTR(-ENOMEM);
}

/*
 * Keep a replaced classifier on @list until a grace period has passed;
 * returns how many the list holds.
 */
unsigned int nc_cls_retire(struct nc_cls **list, struct nc_cls *cls)
{
	unsigned int n = 1;

	if (!cls)
		return 0;
	cls->retired = *list;
	*list = cls;
	for (cls = cls->retired; cls; cls = cls->retired)
		n++;
	return n;
}

/* Free the retired classifiers of @list, after a grace period. */
void nc_cls_free_retired(struct nc_cls **list)
{
	struct nc_cls *cls = *list, *next;

	for (; cls; cls = next) {
		next = cls->retired;
		nc_cls_free(cls);
	}
	*list = NULL;
}

/* Free a classifier no reader can see any more. */
void nc_cls_free(struct nc_cls *cls)
{
	if (!cls)
		return;
	kvfree(cls->buckets);
	kvfree(cls->entries);
	kvfree(cls->shapes);
	kfree(cls);
}

unsigned int nc_cls_shapes(const struct nc_cls *cls)
{
	return cls ? cls->nshapes : 0;
}

/* Must the receive path find the egress device before a lookup? */
bool nc_cls_needs_oif(const struct nc_cls *cls)
{
	return cls->needs_oif;
}

/**
 * nc_cls_lookup - the first rule, in (prio, handle) order, matching @key
 * @cls: classifier, under rcu_read_lock (or the writer's lock)
 * @key: flow key from nc_parse()
 *
 * Return: the rule, or NULL when none matches.
 */
struct nc_rule *nc_cls_lookup(const struct nc_cls *cls,
			      const struct nc_key *key)
{
	const struct nc_rule *best = NULL;
	const u32 *k = (const u32 *)key;
	u64 best_rank = U64_MAX;
	u32 m[NC_KEY_WORDS];
	unsigned int i;
	u32 h;

	for (i = 0; i < cls->nshapes; i++) {
		const struct nc_shape *s = &cls->shapes[i];
		const struct nc_cls_entry *e;

		if (s->best >= best_rank)
			break;
		h = nc_shape_pack(s, k, m, cls->seed);
		for (e = s->buckets[h & s->hmask]; e; e = e->next) {
			if (!nc_shape_equal(s, e->key, m))
				continue;
			if (nc_rule_rank(e->rule) < best_rank) {
				best = e->rule;
				best_rank = nc_rule_rank(best);
			}
			break;
		}
	}
	return (struct nc_rule *)best;
}

static bool nc_prefix_match(const union nc_addr *a, const union nc_addr *p,
			    u8 family, u8 plen)
{
	union nc_addr m;
	int i;

	nc_addr_mask(&m, family, plen);
	for (i = 0; i < 4; i++)
		if ((a->ip6[i] ^ p->ip6[i]) & m.ip6[i])
			return false;
	return true;
}

static bool nc_port_in(__be16 port, u16 min, u16 max)
{
	u16 p = ntohs(port);

	return p >= min && p <= max;
}

/**
 * nc_match_key - does one rule's match accept a key?
 * @m: the rule's match
 * @key: flow key from nc_parse()
 *
 * The straightforward definition of a match; the classifier must agree
 * with it, which KUnit checks on random rules and packets.
 */
bool nc_match_key(const struct nc_match *m, const struct nc_key *key)
{
	bool ports = key->flags & NC_KEY_F_PORTS;

	if ((m->present & NC_M_FAMILY) && key->family != m->family)
		return false;
	if ((m->present & NC_M_IIF) && key->iif != m->iif)
		return false;
	if ((m->present & NC_M_OIF) && key->oif != m->oif)
		return false;
	if ((m->present & NC_M_PROTO) && key->proto != m->proto)
		return false;
	if ((m->present & NC_M_SADDR) &&
	    !nc_prefix_match(&key->src, &m->saddr, m->family, m->saddr_len))
		return false;
	if ((m->present & NC_M_DADDR) &&
	    !nc_prefix_match(&key->dst, &m->daddr, m->family, m->daddr_len))
		return false;
	if ((m->present & NC_M_SPORT) &&
	    (!ports || !nc_port_in(key->sport, m->sport_min, m->sport_max)))
		return false;
	if ((m->present & NC_M_DPORT) &&
	    (!ports || !nc_port_in(key->dport, m->dport_min, m->dport_max)))
		return false;
	return true;
}
