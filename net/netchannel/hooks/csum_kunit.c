// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the rewrite and checksum hooks against full recomputation, on
 * random headers and random edits, for IPv4/IPv6 and TCP/UDP/ICMP, with
 * CHECKSUM_NONE, CHECKSUM_PARTIAL (incl. GSO) and CHECKSUM_COMPLETE skbs,
 * and the UDP zero-checksum rules.
 */
#include <kunit/test.h>
#include <linux/icmp.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/prandom.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/ip6_checksum.h>
#include <net/ip.h>

#include "../nc.h"

struct nc_t_case {
	u8 family;
	u8 proto;
	u8 summed;		/* CHECKSUM_NONE, _PARTIAL or _COMPLETE */
	bool udp_zero;
	bool gso;
};

static unsigned int nc_t_l4hdr(u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return sizeof(struct tcphdr);
	case IPPROTO_UDP:
		return sizeof(struct udphdr);
	default:
		return sizeof(struct icmphdr);
	}
}

static __sum16 *nc_t_check(u8 *l4, u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return &((struct tcphdr *)l4)->check;
	case IPPROTO_UDP:
		return &((struct udphdr *)l4)->check;
	default:
		return &((struct icmphdr *)l4)->checksum;
	}
}

/* Pseudo-header sum (not folded into the data) for @l4len bytes. */
static __sum16 nc_t_pseudo(const u8 *l3, u8 family, u8 proto,
			   unsigned int l4len, __wsum data)
{
	if (family == AF_INET) {
		const struct iphdr *iph = (const void *)l3;

		if (proto == IPPROTO_ICMP)
			return csum_fold(data);
		return csum_tcpudp_magic(iph->saddr, iph->daddr, l4len, proto,
					 data);
	}
	return csum_ipv6_magic(&((const struct ipv6hdr *)l3)->saddr,
			       &((const struct ipv6hdr *)l3)->daddr, l4len,
			       proto, data);
}

/* Does the transport checksum verify over the whole packet? */
static bool nc_t_l4_ok(const u8 *l3, unsigned int l3hl, unsigned int len,
		       u8 family, u8 proto)
{
	const u8 *l4 = l3 + l3hl;

	return !nc_t_pseudo(l3, family, proto, len - l3hl,
			    csum_partial(l4, len - l3hl, 0));
}

/* 0 and 0xffff are the same number in one's complement. */
static bool nc_t_same(__sum16 a, __sum16 b)
{
	return a == b || ((!a || a == CSUM_MANGLED_0) &&
			  (!b || b == CSUM_MANGLED_0));
}

static struct sk_buff *nc_t_packet(struct kunit *test, struct rnd_state *rnd,
				   const struct nc_t_case *c, unsigned int *hl,
				   unsigned int *len)
{
	unsigned int payload = 1 + prandom_u32_state(rnd) % 200;
	unsigned int l4len = nc_t_l4hdr(c->proto) + payload;
	struct sk_buff *skb;
	u8 *l3, *l4;
	__sum16 *check;

	*hl = c->family == AF_INET ? sizeof(struct iphdr) :
				     sizeof(struct ipv6hdr);
	*len = *hl + l4len;
	skb = alloc_skb(*len + 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reserve(skb, 64);
	l3 = skb_put(skb, *len);
	prandom_bytes_state(rnd, l3, *len);
	skb_reset_network_header(skb);
	skb_set_transport_header(skb, *hl);
	l4 = l3 + *hl;
	if (c->family == AF_INET) {
		struct iphdr *iph = (void *)l3;

		iph->version = 4;
		iph->ihl = 5;
		iph->frag_off = 0;
		iph->protocol = c->proto;
		iph->tot_len = htons(*len);
		iph->check = 0;
		iph->check = ip_fast_csum(iph, 5);
		skb->protocol = htons(ETH_P_IP);
	} else {
		struct ipv6hdr *ip6h = (void *)l3;

		ip6h->version = 6;
		ip6h->nexthdr = c->proto;
		ip6h->payload_len = htons(l4len);
		skb->protocol = htons(ETH_P_IPV6);
	}
	if (c->proto == IPPROTO_TCP)
		((struct tcphdr *)l4)->doff = 5;
	if (c->proto == IPPROTO_UDP)
		((struct udphdr *)l4)->len = htons(l4len);
	check = nc_t_check(l4, c->proto);
	*check = 0;
	if (c->summed == CHECKSUM_PARTIAL) {
		/* as a local socket leaves it: pseudo header only */
		*check = ~nc_t_pseudo(l3, c->family, c->proto, l4len, 0);
		skb->ip_summed = CHECKSUM_PARTIAL;
		skb->csum_start = skb_headroom(skb) + *hl;
		skb->csum_offset = (u8 *)check - l4;
		if (c->gso) {
			skb_shinfo(skb)->gso_size = 100;
			skb_shinfo(skb)->gso_type = c->family == AF_INET ?
				SKB_GSO_TCPV4 : SKB_GSO_TCPV6;
		}
	} else if (!c->udp_zero) {
		*check = nc_t_pseudo(l3, c->family, c->proto, l4len,
				     csum_partial(l4, l4len, 0));
		if (c->proto == IPPROTO_UDP && !*check)
			*check = CSUM_MANGLED_0;
	}
	if (c->summed == CHECKSUM_COMPLETE) {
		skb->ip_summed = CHECKSUM_COMPLETE;
		skb->csum = skb_checksum(skb, 0, skb->len, 0);
	}
	return skb;
}

/* Apply 1..4 random edits through the rewrite and checksum hooks. */
static unsigned int nc_t_edit(struct kunit *test, struct rnd_state *rnd,
			      struct sk_buff *skb, struct nc_pkt *pkt)
{
	unsigned int edited = 0;
	unsigned int fields = 1 + prandom_u32_state(rnd) % 31;
	union nc_addr to;
	int f;

	memset(pkt, 0, sizeof(*pkt));
	KUNIT_ASSERT_EQ(test, nc_parse(skb, pkt), 0);
	for (f = 0; f < __NC_FIELD_MAX; f++) {
		bool port = f == NC_FIELD_SPORT || f == NC_FIELD_DPORT;

		if (!(fields & BIT(f)))
			continue;
		if (port && !(pkt->key.flags & NC_KEY_F_PORTS))
			continue;
		if (f == NC_FIELD_ICMP_ID && pkt->key.proto != IPPROTO_ICMP &&
		    pkt->key.proto != IPPROTO_ICMPV6)
			continue;
		prandom_bytes_state(rnd, &to, sizeof(to));
		KUNIT_ASSERT_TRUE(test, nc_rewrite_field(skb, pkt, f, &to));
		edited |= BIT(f);
	}
	KUNIT_ASSERT_TRUE(test, nc_csum_apply(skb, pkt));
	return edited;
}

static void nc_t_run_case(struct kunit *test, const struct nc_t_case *c,
			  struct rnd_state *rnd)
{
	unsigned int hl, len, edited;
	struct sk_buff *skb;
	struct nc_pkt pkt;
	__sum16 *check;
	u8 *l3;

	skb = nc_t_packet(test, rnd, c, &hl, &len);
	edited = nc_t_edit(test, rnd, skb, &pkt);
	l3 = skb->data;
	check = nc_t_check(l3 + hl, c->proto);

	if (c->family == AF_INET)
		KUNIT_EXPECT_EQ(test, ip_fast_csum(l3, 5), 0);
	if (c->udp_zero) {
		KUNIT_EXPECT_EQ(test, *check, 0);
	} else if (c->summed == CHECKSUM_PARTIAL) {
		/* still the pseudo-header sum, of the new addresses */
		__sum16 want = ~nc_t_pseudo(l3, c->family, c->proto,
					    len - hl, 0);

		KUNIT_EXPECT_TRUE(test, nc_t_same(*check, want));
	} else {
		KUNIT_EXPECT_TRUE(test, nc_t_l4_ok(l3, hl, len, c->family,
						   c->proto));
		if (c->proto == IPPROTO_UDP)
			KUNIT_EXPECT_NE(test, *check, 0);
	}
	if (c->summed == CHECKSUM_COMPLETE)
		KUNIT_EXPECT_EQ_MSG(test, csum_fold(skb->csum),
				    csum_fold(skb_checksum(skb, 0, skb->len, 0)),
				    "family %u proto %u edits %x", c->family,
				    c->proto, edited);
	kfree_skb(skb);
}

static const struct nc_t_case nc_t_cases[] = {
	{ AF_INET, IPPROTO_TCP, CHECKSUM_NONE },
	{ AF_INET, IPPROTO_UDP, CHECKSUM_NONE },
	{ AF_INET, IPPROTO_ICMP, CHECKSUM_NONE },
	{ AF_INET6, IPPROTO_TCP, CHECKSUM_NONE },
	{ AF_INET6, IPPROTO_UDP, CHECKSUM_NONE },
	{ AF_INET6, IPPROTO_ICMPV6, CHECKSUM_NONE },
	{ AF_INET, IPPROTO_TCP, CHECKSUM_COMPLETE },
	{ AF_INET, IPPROTO_UDP, CHECKSUM_COMPLETE },
	{ AF_INET, IPPROTO_ICMP, CHECKSUM_COMPLETE },
	{ AF_INET6, IPPROTO_TCP, CHECKSUM_COMPLETE },
	{ AF_INET6, IPPROTO_UDP, CHECKSUM_COMPLETE },
	{ AF_INET6, IPPROTO_ICMPV6, CHECKSUM_COMPLETE },
	{ AF_INET, IPPROTO_TCP, CHECKSUM_PARTIAL },
	{ AF_INET, IPPROTO_UDP, CHECKSUM_PARTIAL },
	{ AF_INET6, IPPROTO_TCP, CHECKSUM_PARTIAL },
	{ AF_INET6, IPPROTO_UDP, CHECKSUM_PARTIAL },
	{ AF_INET, IPPROTO_TCP, CHECKSUM_PARTIAL, false, true },
	{ AF_INET6, IPPROTO_TCP, CHECKSUM_PARTIAL, false, true },
	{ AF_INET, IPPROTO_UDP, CHECKSUM_NONE, true },
	{ AF_INET, IPPROTO_UDP, CHECKSUM_COMPLETE, true },
};

static void nc_csum_random(struct kunit *test)
{
	struct rnd_state rnd;
	int i, round;

	prandom_seed_state(&rnd, 0x63736d);
	for (round = 0; round < 200; round++)
		for (i = 0; i < ARRAY_SIZE(nc_t_cases); i++)
			nc_t_run_case(test, &nc_t_cases[i], &rnd);
}

/* A UDP checksum that comes out 0 after an edit is sent as 0xffff. */
static void nc_csum_udp_mangled_zero(struct kunit *test)
{
	static const struct nc_t_case c = { AF_INET, IPPROTO_UDP,
					    CHECKSUM_NONE };
	unsigned int hl, len, tries;
	struct rnd_state rnd;
	struct sk_buff *skb;
	struct nc_pkt pkt;
	struct udphdr *uh;
	union nc_addr to;
	__be16 old;
	u32 sum;
	u16 want;

	prandom_seed_state(&rnd, 0x7a65726f);
	for (tries = 0; tries < 50; tries++) {
		skb = nc_t_packet(test, &rnd, &c, &hl, &len);
		memset(&pkt, 0, sizeof(pkt));
		KUNIT_ASSERT_EQ(test, nc_parse(skb, &pkt), 0);
		uh = (struct udphdr *)(skb->data + hl);
		/* choose the new port that makes the checksum come out as 0 */
		old = uh->source;
		sum = ntohs(old) + ntohs((__force __be16)uh->check);
		want = (sum & 0xffff) + (sum >> 16);	/* end-around carry */
		if (!want || want == ntohs(old)) {
			kfree_skb(skb);
			continue;
		}
		memset(&to, 0, sizeof(to));
		*(__be16 *)&to = htons(want);
		KUNIT_ASSERT_TRUE(test, nc_rewrite_field(skb, &pkt,
							 NC_FIELD_SPORT, &to));
		KUNIT_ASSERT_TRUE(test, nc_csum_apply(skb, &pkt));
		uh = (struct udphdr *)(skb->data + hl);
		KUNIT_EXPECT_NE(test, uh->check, 0);
		KUNIT_EXPECT_TRUE(test, nc_t_l4_ok(skb->data, hl, len, AF_INET,
						   IPPROTO_UDP));
		kfree_skb(skb);
	}
}

/* The edit log keeps the flow key in step with the packet. */
static void nc_csum_key_follows(struct kunit *test)
{
	static const struct nc_t_case c = { AF_INET6, IPPROTO_TCP,
					    CHECKSUM_NONE };
	unsigned int hl, len;
	struct rnd_state rnd;
	struct sk_buff *skb;
	struct nc_pkt pkt;
	union nc_addr to;

	prandom_seed_state(&rnd, 1);
	skb = nc_t_packet(test, &rnd, &c, &hl, &len);
	memset(&pkt, 0, sizeof(pkt));
	KUNIT_ASSERT_EQ(test, nc_parse(skb, &pkt), 0);
	prandom_bytes_state(&rnd, &to, sizeof(to));
	KUNIT_ASSERT_TRUE(test, nc_rewrite_field(skb, &pkt, NC_FIELD_DADDR,
						 &to));
	KUNIT_EXPECT_EQ(test, memcmp(&pkt.key.dst, &to, 16), 0);
	KUNIT_EXPECT_EQ(test, memcmp(&ipv6_hdr(skb)->daddr, &to, 16), 0);
	KUNIT_EXPECT_EQ(test, pkt.nedits, 1);
	KUNIT_ASSERT_TRUE(test, nc_csum_apply(skb, &pkt));
	KUNIT_EXPECT_EQ(test, pkt.nedits, 0);
	KUNIT_EXPECT_TRUE(test, nc_t_l4_ok(skb->data, hl, len, AF_INET6,
					   IPPROTO_TCP));
	kfree_skb(skb);
}

static struct kunit_case nc_csum_cases[] = {
	KUNIT_CASE(nc_csum_random),
	KUNIT_CASE(nc_csum_udp_mangled_zero),
	KUNIT_CASE(nc_csum_key_follows),
	{}
};

static struct kunit_suite nc_csum_suite = {
	.name = "netchannel-csum",
	.test_cases = nc_csum_cases,
};

kunit_test_suite(nc_csum_suite);
