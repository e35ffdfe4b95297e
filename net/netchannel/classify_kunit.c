// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the tuple-space classifier against the obvious reference, a
 * linear scan of the rules in (prio, handle) order, on thousands of random
 * rules and packets; plus port-range edges and shape counting.
 */
#include <kunit/test.h>
#include <linux/list_sort.h>
#include <linux/prandom.h>

#include "nc.h"

struct nc_t_rules {
	struct list_head list;
	struct nc_cls *cls;
	u32 next_handle;
};

static int nc_t_rank_cmp(void *priv, const struct list_head *a,
			 const struct list_head *b)
{
	u64 ra = nc_rule_rank(list_entry(a, struct nc_rule, list));
	u64 rb = nc_rule_rank(list_entry(b, struct nc_rule, list));

	return ra < rb ? -1 : ra > rb;
}

static struct nc_rule *nc_t_rule(struct kunit *test, struct nc_t_rules *rs,
				 u32 prio)
{
	struct nc_rule *rule = nc_rule_alloc(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, rule);
	rule->handle = ++rs->next_handle;
	rule->prio = prio;
	list_add_tail(&rule->list, &rs->list);
	return rule;
}

static void nc_t_build(struct kunit *test, struct nc_t_rules *rs)
{
	list_sort(NULL, &rs->list, nc_t_rank_cmp);
	nc_cls_free(rs->cls);
	rs->cls = nc_cls_build(&rs->list, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(rs->cls));
}

static void nc_t_release(struct nc_t_rules *rs)
{
	struct nc_rule *rule, *tmp;

	nc_cls_free(rs->cls);
	list_for_each_entry_safe(rule, tmp, &rs->list, list) {
		list_del(&rule->list);
		nc_rule_free(rule);
	}
}

static const struct nc_rule *nc_t_linear(struct nc_t_rules *rs,
					 const struct nc_key *key)
{
	struct nc_rule *rule;

	list_for_each_entry(rule, &rs->list, list)
		if (nc_match_key(&rule->match, key))
			return rule;
	return NULL;
}

static u32 nc_t_rand(struct rnd_state *rnd, u32 n)
{
	return prandom_u32_state(rnd) % n;
}

/* Addresses come from small pools so that random rules and packets meet. */
static void nc_t_addr(struct rnd_state *rnd, u8 family, union nc_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (family == AF_INET) {
		a->ip = htonl(0x0a000000 | nc_t_rand(rnd, 4) << 16 |
			      nc_t_rand(rnd, 4) << 8 | nc_t_rand(rnd, 8));
		return;
	}
	a->ip6[0] = htonl(0x20010db8);
	a->ip6[1] = htonl(nc_t_rand(rnd, 4));
	a->ip6[3] = htonl(nc_t_rand(rnd, 8));
}

static void nc_t_prefix(struct rnd_state *rnd, u8 family, union nc_addr *a,
			u8 *plen)
{
	static const u8 v4[] = { 0, 8, 16, 22, 24, 29, 32 };
	static const u8 v6[] = { 0, 32, 48, 64, 96, 125, 128 };
	union nc_addr m;
	int i;

	nc_t_addr(rnd, family, a);
	*plen = family == AF_INET ? v4[nc_t_rand(rnd, ARRAY_SIZE(v4))] :
				    v6[nc_t_rand(rnd, ARRAY_SIZE(v6))];
	for (i = 0; i < 4; i++) {
		int bits = clamp_t(int, *plen - 32 * i, 0, 32);

		m.ip6[i] = bits ? htonl(~0U << (32 - bits)) : 0;
		a->ip6[i] &= m.ip6[i];
	}
}

static void nc_t_range(struct rnd_state *rnd, u16 *min, u16 *max)
{
	static const u32 widths[] = { 0, 1, 7, 100, 1000, 65535 };
	u32 w = widths[nc_t_rand(rnd, ARRAY_SIZE(widths))];

	*min = nc_t_rand(rnd, 1100);
	*max = min_t(u32, *min + w, 65535);
}

static void nc_t_random_match(struct rnd_state *rnd, struct nc_match *m)
{
	static const u8 protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP,
				     IPPROTO_ICMPV6 };
	u32 r = nc_t_rand(rnd, 10);

	memset(m, 0, sizeof(*m));
	if (r < 8) {
		m->present |= NC_M_FAMILY;
		m->family = r < 5 ? AF_INET : AF_INET6;
		if (nc_t_rand(rnd, 10) < 5) {
			m->present |= NC_M_SADDR;
			nc_t_prefix(rnd, m->family, &m->saddr, &m->saddr_len);
		}
		if (nc_t_rand(rnd, 10) < 5) {
			m->present |= NC_M_DADDR;
			nc_t_prefix(rnd, m->family, &m->daddr, &m->daddr_len);
		}
	}
	if (nc_t_rand(rnd, 10) < 2) {
		m->present |= NC_M_IIF;
		m->iif = 1 + nc_t_rand(rnd, 3);
	}
	if (nc_t_rand(rnd, 10) < 3 || hweight32(m->present) < 2) {
		m->present |= NC_M_SPORT;
		nc_t_range(rnd, &m->sport_min, &m->sport_max);
	}
	if (nc_t_rand(rnd, 10) < 4) {
		m->present |= NC_M_DPORT;
		nc_t_range(rnd, &m->dport_min, &m->dport_max);
	}
	if (nc_t_rand(rnd, 10) < 5) {
		m->present |= NC_M_PROTO;
		m->proto = protos[nc_t_rand(rnd, m->present &
					    (NC_M_SPORT | NC_M_DPORT) ? 2 : 4)];
	}
}

static void nc_t_random_key(struct rnd_state *rnd, struct nc_key *key)
{
	static const u8 protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP,
				     IPPROTO_ICMPV6, IPPROTO_GRE };

	memset(key, 0, sizeof(*key));
	key->family = nc_t_rand(rnd, 2) ? AF_INET : AF_INET6;
	key->iif = 1 + nc_t_rand(rnd, 3);
	key->proto = protos[nc_t_rand(rnd, ARRAY_SIZE(protos))];
	nc_t_addr(rnd, key->family, &key->src);
	nc_t_addr(rnd, key->family, &key->dst);
	if (key->proto == IPPROTO_TCP || key->proto == IPPROTO_UDP) {
		if (nc_t_rand(rnd, 20)) {
			key->flags = NC_KEY_F_PORTS;
			key->sport = htons(nc_t_rand(rnd, 10) ?
					   nc_t_rand(rnd, 1200) :
					   prandom_u32_state(rnd));
			key->dport = htons(nc_t_rand(rnd, 10) ?
					   nc_t_rand(rnd, 1200) :
					   prandom_u32_state(rnd));
		} else {
			key->flags = NC_KEY_F_FRAG;	/* later fragment */
		}
	}
}

static void nc_cls_random_vs_linear(struct kunit *test)
{
	struct nc_t_rules rs = { .list = LIST_HEAD_INIT(rs.list) };
	unsigned int i, hits = 0, round;
	struct rnd_state rnd;
	struct nc_key key;

	prandom_seed_state(&rnd, 0x6e657463);
	for (round = 0; round < 3; round++) {
		unsigned int nrules = round == 0 ? 50 : 1500;

		for (i = 0; i < nrules; i++) {
			struct nc_rule *rule;

			rule = nc_t_rule(test, &rs, nc_t_rand(&rnd, 8));
			nc_t_random_match(&rnd, &rule->match);
		}
		nc_t_build(test, &rs);
		for (i = 0; i < 4000; i++) {
			const struct nc_rule *want, *got;

			nc_t_random_key(&rnd, &key);
			want = nc_t_linear(&rs, &key);
			got = nc_cls_lookup(rs.cls, &key);
			KUNIT_ASSERT_PTR_EQ_MSG(test, got, want,
						"round %u packet %u", round, i);
			hits += !!want;
		}
	}
	/* the test means something only if both outcomes are common */
	KUNIT_EXPECT_GT(test, hits, 2000U);
	KUNIT_EXPECT_LT(test, hits, 11500U);
	kunit_info(test, "%u rules, %u shapes, %u of 12000 packets matched\n",
		   rs.next_handle, nc_cls_shapes(rs.cls), hits);
	nc_t_release(&rs);
}

static void nc_cls_empty(struct kunit *test)
{
	struct nc_t_rules rs = { .list = LIST_HEAD_INIT(rs.list) };
	struct nc_key key = { .family = AF_INET };

	nc_t_build(test, &rs);
	KUNIT_EXPECT_EQ(test, nc_cls_shapes(rs.cls), 0U);
	KUNIT_EXPECT_NULL(test, nc_cls_lookup(rs.cls, &key));
	nc_t_release(&rs);
}

static void nc_cls_priority(struct kunit *test)
{
	struct nc_t_rules rs = { .list = LIST_HEAD_INIT(rs.list) };
	struct nc_rule *all, *specific, *same;
	struct nc_key key = { .family = AF_INET, .proto = IPPROTO_TCP,
			      .flags = NC_KEY_F_PORTS };

	all = nc_t_rule(test, &rs, 10);			/* handle 1 */
	specific = nc_t_rule(test, &rs, 5);		/* handle 2 */
	specific->match.present = NC_M_DPORT;
	specific->match.dport_min = 80;
	specific->match.dport_max = 80;
	same = nc_t_rule(test, &rs, 5);			/* handle 3 */
	same->match = specific->match;
	nc_t_build(test, &rs);

	key.dport = htons(80);
	KUNIT_EXPECT_PTR_EQ(test, nc_cls_lookup(rs.cls, &key), specific);
	key.dport = htons(81);
	KUNIT_EXPECT_PTR_EQ(test, nc_cls_lookup(rs.cls, &key), all);
	/* lower priority value wins over lower handle */
	all->prio = 1;
	nc_t_build(test, &rs);
	key.dport = htons(80);
	KUNIT_EXPECT_PTR_EQ(test, nc_cls_lookup(rs.cls, &key), all);
	nc_t_release(&rs);
}

static void nc_cls_port_edges(struct kunit *test)
{
	struct nc_t_rules rs = { .list = LIST_HEAD_INIT(rs.list) };
	struct nc_key key = { .family = AF_INET, .proto = IPPROTO_UDP,
			      .flags = NC_KEY_F_PORTS };
	static const u16 probes[] = { 0, 1, 2, 999, 1000, 1999, 2000, 65534,
				      65535 };
	struct nc_rule *wide, *mid;
	int i;

	wide = nc_t_rule(test, &rs, 2);
	wide->match.present = NC_M_SPORT;
	wide->match.sport_min = 1;
	wide->match.sport_max = 65535;
	mid = nc_t_rule(test, &rs, 1);
	mid->match.present = NC_M_SPORT;
	mid->match.sport_min = 1000;
	mid->match.sport_max = 1999;
	nc_t_build(test, &rs);

	for (i = 0; i < ARRAY_SIZE(probes); i++) {
		key.sport = htons(probes[i]);
		KUNIT_EXPECT_PTR_EQ_MSG(test, nc_cls_lookup(rs.cls, &key),
					nc_t_linear(&rs, &key), "port %u",
					probes[i]);
	}
	key.sport = htons(0);
	KUNIT_EXPECT_NULL(test, nc_cls_lookup(rs.cls, &key));
	key.sport = htons(1500);
	KUNIT_EXPECT_PTR_EQ(test, nc_cls_lookup(rs.cls, &key), mid);
	/* no ports (a later fragment, ICMP) never matches a port rule */
	key.flags = NC_KEY_F_FRAG;
	KUNIT_EXPECT_NULL(test, nc_cls_lookup(rs.cls, &key));
	nc_t_release(&rs);
}

/* Cost follows shapes, not rules: 10,000 host/port rules are one shape. */
static void nc_cls_shapes_not_rules(struct kunit *test)
{
	struct nc_t_rules rs = { .list = LIST_HEAD_INIT(rs.list) };
	struct nc_key key = { .family = AF_INET, .proto = IPPROTO_TCP,
			      .flags = NC_KEY_F_PORTS };
	struct nc_rule *rule, *last = NULL;
	unsigned int i;

	for (i = 0; i < 10000; i++) {
		rule = nc_t_rule(test, &rs, 0);
		rule->match.present = NC_M_FAMILY | NC_M_DADDR | NC_M_DPORT;
		rule->match.family = AF_INET;
		rule->match.daddr.ip = htonl(0x0a000000 + i);
		rule->match.daddr_len = 32;
		rule->match.dport_min = 1000 + i % 50;
		rule->match.dport_max = 1000 + i % 50;
		last = rule;
	}
	nc_t_build(test, &rs);
	KUNIT_EXPECT_EQ(test, nc_cls_shapes(rs.cls), 1U);
	key.dst.ip = last->match.daddr.ip;
	key.dport = htons(last->match.dport_min);
	KUNIT_EXPECT_PTR_EQ(test, nc_cls_lookup(rs.cls, &key), last);
	key.dport = htons(last->match.dport_min + 1);
	KUNIT_EXPECT_NULL(test, nc_cls_lookup(rs.cls, &key));
	nc_t_release(&rs);
}

static struct kunit_case nc_cls_cases[] = {
	KUNIT_CASE(nc_cls_random_vs_linear),
	KUNIT_CASE(nc_cls_empty),
	KUNIT_CASE(nc_cls_priority),
	KUNIT_CASE(nc_cls_port_edges),
	KUNIT_CASE(nc_cls_shapes_not_rules),
	{}
};

static struct kunit_suite nc_cls_suite = {
	.name = "netchannel-classify",
	.test_cases = nc_cls_cases,
};

kunit_test_suite(nc_cls_suite);
