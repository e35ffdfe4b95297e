// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the packet parser on crafted good and bad packets, linear and
 * paged, IPv4 with options and fragments, IPv6 with extension headers.
 */
#include <kunit/test.h>
#include <linux/icmp.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "nc.h"

#define NC_T_SRC4 htonl(0xc0a80001)	/* 192.168.0.1 */
#define NC_T_DST4 htonl(0x0a000002)	/* 10.0.0.2 */

/* Build a linear skb holding @len bytes of @data as a received packet. */
static struct sk_buff *nc_t_skb(struct kunit *test, __be16 proto,
				const void *data, unsigned int len)
{
	struct sk_buff *skb = alloc_skb(len + 64, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reserve(skb, 64);
	skb_put_data(skb, data, len);
	skb->protocol = proto;
	skb_reset_network_header(skb);
	return skb;
}

static int nc_t_parse(struct sk_buff *skb, struct nc_pkt *pkt)
{
	memset(pkt, 0, sizeof(*pkt));
	return nc_parse(skb, pkt);
}

/* IPv4 header of @optlen option bytes, then @l4len bytes of transport. */
static unsigned int nc_t_ip4(u8 *buf, u8 proto, unsigned int optlen,
			     unsigned int l4len, __be16 frag)
{
	struct iphdr *iph = (struct iphdr *)buf;
	unsigned int hl = sizeof(*iph) + optlen;

	memset(buf, 0, hl + l4len);
	iph->version = 4;
	iph->ihl = hl / 4;
	iph->ttl = 64;
	iph->protocol = proto;
	iph->tot_len = htons(hl + l4len);
	iph->frag_off = frag;
	iph->saddr = NC_T_SRC4;
	iph->daddr = NC_T_DST4;
	if (optlen)
		memset(buf + sizeof(*iph), IPOPT_NOOP, optlen);
	iph->check = ip_fast_csum(iph, iph->ihl);
	return hl;
}

static void nc_t_ports(u8 *l4, u16 sport, u16 dport)
{
	((__be16 *)l4)[0] = htons(sport);
	((__be16 *)l4)[1] = htons(dport);
}

static void nc_parse_ipv4_tcp(struct kunit *test)
{
	u8 buf[80];
	unsigned int hl = nc_t_ip4(buf, IPPROTO_TCP, 0, 20, 0);
	struct sk_buff *skb;
	struct nc_pkt pkt;

	nc_t_ports(buf + hl, 1234, 80);
	((struct tcphdr *)(buf + hl))->doff = 5;
	skb = nc_t_skb(test, htons(ETH_P_IP), buf, hl + 20);
	KUNIT_EXPECT_EQ(test, nc_t_parse(skb, &pkt), 0);
	KUNIT_EXPECT_EQ(test, pkt.key.family, AF_INET);
	KUNIT_EXPECT_EQ(test, pkt.key.proto, IPPROTO_TCP);
	KUNIT_EXPECT_EQ(test, pkt.key.src.ip, NC_T_SRC4);
	KUNIT_EXPECT_EQ(test, pkt.key.dst.ip, NC_T_DST4);
	KUNIT_EXPECT_EQ(test, ntohs(pkt.key.sport), 1234);
	KUNIT_EXPECT_EQ(test, ntohs(pkt.key.dport), 80);
	KUNIT_EXPECT_EQ(test, pkt.key.flags, NC_KEY_F_PORTS);
	KUNIT_EXPECT_EQ(test, pkt.thoff, 20);
	kfree_skb(skb);
}

static void nc_parse_ipv4_options(struct kunit *test)
{
	u8 buf[80];
	unsigned int hl = nc_t_ip4(buf, IPPROTO_UDP, 12, 8, 0);
	struct sk_buff *skb;
	struct nc_pkt pkt;

	nc_t_ports(buf + hl, 53, 5353);
	skb = nc_t_skb(test, htons(ETH_P_IP), buf, hl + 8);
	KUNIT_EXPECT_EQ(test, nc_t_parse(skb, &pkt), 0);
	KUNIT_EXPECT_EQ(test, pkt.thoff, 32);
	KUNIT_EXPECT_EQ(test, ntohs(pkt.key.sport), 53);
	KUNIT_EXPECT_EQ(test, ntohs(pkt.key.dport), 5353);
	kfree_skb(skb);
}

static void nc_parse_ipv4_padding(struct kunit *test)
{
	u8 buf[80];
	unsigned int hl = nc_t_ip4(buf, IPPROTO_UDP, 0, 8, 0);
	struct sk_buff *skb;
	struct nc_pkt pkt;

	/* Ethernet pads short frames: trailing bytes beyond tot_len are fine */
	skb = nc_t_skb(test, htons(ETH_P_IP), buf, hl + 8 + 18);
	KUNIT_EXPECT_EQ(test, nc_t_parse(skb, &pkt), 0);
	KUNIT_EXPECT_EQ(test, pkt.l3len, hl + 8);
	kfree_skb(skb);
}

static void nc_parse_ipv4_fragments(struct kunit *test)
{
	u8 buf[80];
	unsigned int hl = nc_t_ip4(buf, IPPROTO_UDP, 0, 16, htons(IP_MF));
	struct sk_buff *skb;
	struct nc_pkt pkt;

	nc_t_ports(buf + hl, 7, 9);
	skb = nc_t_skb(test, htons(ETH_P_IP), buf, hl + 16);
	KUNIT_EXPECT_EQ(test, nc_t_parse(skb, &pkt), 0);
	KUNIT_EXPECT_EQ(test, pkt.key.flags, NC_KEY_F_FRAG | NC_KEY_F_PORTS);
	KUNIT_EXPECT_EQ(test, ntohs(pkt.key.dport), 9);
	kfree_skb(skb);

	/* a later fragment: bytes where ports would be are payload */
	hl = nc_t_ip4(buf, IPPROTO_UDP, 0, 16, htons(2));
	nc_t_ports(buf + hl, 7, 9);
	skb = nc_t_skb(test, htons(ETH_P_IP), buf, hl + 16);
	KUNIT_EXPECT_EQ(test, nc_t_parse(skb, &pkt), 0);
	KUNIT_EXPECT_EQ(test, pkt.key.flags, NC_KEY_F_FRAG);
	KUNIT_EXPECT_EQ(test, pkt.key.dport, 0);
	KUNIT_EXPECT_FALSE(test, pkt.l4hdr);
	kfree_skb(skb);
}

static void nc_parse_ipv4_other_protos(struct kunit *test)
{
	u8 buf[80];
	unsigned int hl = nc_t_ip4(buf, IPPROTO_ICMP, 0, 8, 0);
	struct sk_buff *skb;
	struct nc_pkt pkt;

	skb = nc_t_skb(test, htons(ETH_P_IP), buf, hl + 8);
	KUNIT_EXPECT_EQ(test, nc_t_parse(skb, &pkt), 0);
	KUNIT_EXPECT_EQ(test, pkt.key.proto, IPPROTO_ICMP);
	KUNIT_EXPECT_EQ(test, pkt.key.flags, 0);
	KUNIT_EXPECT_TRUE(test, pkt.l4hdr);
	kfree_skb(skb);

	hl = nc_t_ip4(buf, IPPROTO_GRE, 0, 4, 0);
	skb = nc_t_skb(test, htons(ETH_P_IP), buf, hl + 4);
	KUNIT_EXPECT_EQ(test, nc_t_parse(skb, &pkt), 0);
	KUNIT_EXPECT_EQ(test, pkt.key.proto, IPPROTO_GRE);
	kfree_skb(skb);
}

struct nc_t_bad {
	const char *name;
	unsigned int len;		/* bytes handed to the parser */
	void (*mangle)(u8 *buf);
	u8 proto;
	unsigned int l4len;
	enum netchannel_reason reason;
	unsigned int optlen;
};

static void nc_t_v6(u8 *buf)
{
	buf[0] = 0x65;
}

static void nc_t_ihl4(u8 *buf)
{
	buf[0] = 0x44;
}

static void nc_t_totlen_big(u8 *buf)
{
	((struct iphdr *)buf)->tot_len = htons(200);
}

static void nc_t_totlen_small(u8 *buf)
{
	((struct iphdr *)buf)->tot_len = htons(12);
}

static void nc_t_doff4(u8 *buf)
{
	((struct tcphdr *)(buf + 20))->doff = 4;
}

static void nc_t_tcp_short(u8 *buf)
{
	((struct iphdr *)buf)->tot_len = htons(20 + 12);
}

static void nc_t_bad_csum(u8 *buf)
{
	((struct iphdr *)buf)->check ^= htons(1);
}

static const struct nc_t_bad nc_t_bad4[] = {
	{ "short header", 12, NULL, IPPROTO_UDP, 8, NETCHANNEL_REASON_TRUNCATED },
	{ "version 6 in IPv4", 28, nc_t_v6, IPPROTO_UDP, 8,
	  NETCHANNEL_REASON_BAD_VERSION },
	{ "ihl 4", 28, nc_t_ihl4, IPPROTO_UDP, 8, NETCHANNEL_REASON_BAD_IHL },
	{ "tot_len past the end", 28, nc_t_totlen_big, IPPROTO_UDP, 8,
	  NETCHANNEL_REASON_BAD_LENGTH },
	{ "tot_len inside the header", 28, nc_t_totlen_small, IPPROTO_UDP, 8,
	  NETCHANNEL_REASON_BAD_LENGTH },
	{ "options past the end", 22, NULL, IPPROTO_UDP, 0,
	  NETCHANNEL_REASON_BAD_LENGTH, 8 },
	{ "tcp doff 4", 40, nc_t_doff4, IPPROTO_TCP, 20,
	  NETCHANNEL_REASON_BAD_L4 },
	{ "tcp header cut", 40, nc_t_tcp_short, IPPROTO_TCP, 20,
	  NETCHANNEL_REASON_TRUNCATED },
	{ "udp header cut", 24, NULL, IPPROTO_UDP, 4,
	  NETCHANNEL_REASON_TRUNCATED },
	{ "header checksum", 28, nc_t_bad_csum, IPPROTO_UDP, 8,
	  NETCHANNEL_REASON_BAD_CSUM },
};

static void nc_parse_ipv4_bad(struct kunit *test)
{
	struct sk_buff *skb;
	struct nc_pkt pkt;
	u8 buf[80];
	int i;

	for (i = 0; i < ARRAY_SIZE(nc_t_bad4); i++) {
		const struct nc_t_bad *t = &nc_t_bad4[i];
		struct iphdr *iph = (struct iphdr *)buf;

		nc_t_ip4(buf, t->proto, t->optlen, t->l4len, 0);
		if (t->proto == IPPROTO_TCP)
			((struct tcphdr *)(buf + 20))->doff = 5;
		if (t->mangle)
			t->mangle(buf);
		/* each case breaks one thing: the header checksum holds */
		if (t->reason != NETCHANNEL_REASON_BAD_CSUM && iph->ihl >= 5) {
			iph->check = 0;
			iph->check = ip_fast_csum(iph, iph->ihl);
		}
		skb = nc_t_skb(test, htons(ETH_P_IP), buf, t->len);
		KUNIT_EXPECT_EQ_MSG(test, nc_t_parse(skb, &pkt), -EINVAL,
				    "case %s", t->name);
		KUNIT_EXPECT_EQ_MSG(test, pkt.reason, t->reason, "case %s",
				    t->name);
		/* the parser never changes what it cannot classify */
		KUNIT_EXPECT_EQ_MSG(test, skb->len, t->len, "case %s", t->name);
		kfree_skb(skb);
	}
}

static void nc_parse_not_ip(struct kunit *test)
{
	u8 buf[28] = { 0 };
	struct sk_buff *skb = nc_t_skb(test, htons(ETH_P_ARP), buf, sizeof(buf));
	struct nc_pkt pkt;

	KUNIT_EXPECT_EQ(test, nc_t_parse(skb, &pkt), -EPFNOSUPPORT);
	kfree_skb(skb);
}

/* Headers split across the linear area and a page fragment. */
static void nc_parse_paged(struct kunit *test)
{
	u8 buf[80];
	unsigned int hl = nc_t_ip4(buf, IPPROTO_UDP, 0, 8, 0);
	struct sk_buff *skb;
	struct nc_pkt pkt;
	struct page *page;

	nc_t_ports(buf + hl, 4000, 4001);
	skb = nc_t_skb(test, htons(ETH_P_IP), buf, 10);
	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	memcpy(page_address(page), buf + 10, hl + 8 - 10);
	skb_add_rx_frag(skb, 0, page, 0, hl + 8 - 10, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, nc_t_parse(skb, &pkt), 0);
	KUNIT_EXPECT_EQ(test, ntohs(pkt.key.sport), 4000);
	KUNIT_EXPECT_EQ(test, ntohs(pkt.key.dport), 4001);
	kfree_skb(skb);
}

/* IPv6 header followed by @n extension headers and then @proto. */
static unsigned int nc_t_ip6(u8 *buf, const u8 *exts, int n, u8 proto,
			     unsigned int l4len, __be16 frag)
{
	struct ipv6hdr *ip6h = (struct ipv6hdr *)buf;
	unsigned int off = sizeof(*ip6h);
	u8 *next = &ip6h->nexthdr;
	int i;

	memset(buf, 0, 200);
	ip6h->version = 6;
	ip6h->hop_limit = 64;
	ip6h->saddr.s6_addr[0] = 0x20;
	ip6h->saddr.s6_addr[15] = 1;
	ip6h->daddr.s6_addr[0] = 0x20;
	ip6h->daddr.s6_addr[15] = 2;
	for (i = 0; i < n; i++) {
		*next = exts[i];
		next = buf + off;
		if (exts[i] == NEXTHDR_FRAGMENT) {
			*(__be16 *)(buf + off + 2) = frag;
			off += 8;
		} else {
			buf[off + 1] = 1;	/* 16 bytes: PadN fills it */
			buf[off + 2] = 1;
			buf[off + 3] = 12;
			off += 16;
		}
	}
	*next = proto;
	ip6h->payload_len = htons(off - sizeof(*ip6h) + l4len);
	return off;
}

static void nc_parse_ipv6_exthdrs(struct kunit *test)
{
	static const u8 exts[] = { NEXTHDR_HOP, NEXTHDR_DEST };
	u8 buf[200];
	unsigned int off = nc_t_ip6(buf, exts, 2, IPPROTO_TCP, 20, 0);
	struct sk_buff *skb;
	struct nc_pkt pkt;

	nc_t_ports(buf + off, 22, 2222);
	((struct tcphdr *)(buf + off))->doff = 5;
	skb = nc_t_skb(test, htons(ETH_P_IPV6), buf, off + 20);
	KUNIT_EXPECT_EQ(test, nc_t_parse(skb, &pkt), 0);
	KUNIT_EXPECT_EQ(test, pkt.key.family, AF_INET6);
	KUNIT_EXPECT_EQ(test, pkt.key.proto, IPPROTO_TCP);
	KUNIT_EXPECT_EQ(test, pkt.thoff, 40 + 32);
	KUNIT_EXPECT_EQ(test, ntohs(pkt.key.sport), 22);
	KUNIT_EXPECT_EQ(test, pkt.key.src.in6.s6_addr[15], 1);
	KUNIT_EXPECT_EQ(test, pkt.key.dst.in6.s6_addr[15], 2);
	kfree_skb(skb);
}

static void nc_parse_ipv6_fragments(struct kunit *test)
{
	static const u8 exts[] = { NEXTHDR_FRAGMENT };
	unsigned int off;
	struct sk_buff *skb;
	struct nc_pkt pkt;
	u8 buf[200];

	off = nc_t_ip6(buf, exts, 1, IPPROTO_UDP, 16, htons(IP6_MF));
	nc_t_ports(buf + off, 1000, 2000);
	skb = nc_t_skb(test, htons(ETH_P_IPV6), buf, off + 16);
	KUNIT_EXPECT_EQ(test, nc_t_parse(skb, &pkt), 0);
	KUNIT_EXPECT_EQ(test, pkt.key.flags, NC_KEY_F_FRAG | NC_KEY_F_PORTS);
	KUNIT_EXPECT_EQ(test, ntohs(pkt.key.dport), 2000);
	kfree_skb(skb);

	off = nc_t_ip6(buf, exts, 1, IPPROTO_UDP, 16, htons(8 << 3));
	nc_t_ports(buf + off, 1000, 2000);
	skb = nc_t_skb(test, htons(ETH_P_IPV6), buf, off + 16);
	KUNIT_EXPECT_EQ(test, nc_t_parse(skb, &pkt), 0);
	KUNIT_EXPECT_EQ(test, pkt.key.flags, NC_KEY_F_FRAG);
	KUNIT_EXPECT_EQ(test, pkt.key.proto, IPPROTO_UDP);
	kfree_skb(skb);
}

static void nc_parse_ipv6_bad(struct kunit *test)
{
	static const u8 exts[] = { NEXTHDR_HOP };
	unsigned int off;
	struct sk_buff *skb;
	struct nc_pkt pkt;
	u8 buf[200];

	/* extension header claims more bytes than the packet has */
	off = nc_t_ip6(buf, exts, 1, IPPROTO_UDP, 0, 0);
	buf[40 + 1] = 20;
	skb = nc_t_skb(test, htons(ETH_P_IPV6), buf, off);
	KUNIT_EXPECT_EQ(test, nc_t_parse(skb, &pkt), -EINVAL);
	KUNIT_EXPECT_EQ(test, pkt.reason, NETCHANNEL_REASON_BAD_EXTHDR);
	kfree_skb(skb);

	/* payload length beyond the packet */
	off = nc_t_ip6(buf, NULL, 0, IPPROTO_UDP, 8, 0);
	((struct ipv6hdr *)buf)->payload_len = htons(100);
	skb = nc_t_skb(test, htons(ETH_P_IPV6), buf, off + 8);
	KUNIT_EXPECT_EQ(test, nc_t_parse(skb, &pkt), -EINVAL);
	KUNIT_EXPECT_EQ(test, pkt.reason, NETCHANNEL_REASON_BAD_LENGTH);
	kfree_skb(skb);

	/* IPv4 version nibble on an IPv6 ethertype */
	off = nc_t_ip6(buf, NULL, 0, IPPROTO_UDP, 8, 0);
	buf[0] = 0x45;
	skb = nc_t_skb(test, htons(ETH_P_IPV6), buf, off + 8);
	KUNIT_EXPECT_EQ(test, nc_t_parse(skb, &pkt), -EINVAL);
	KUNIT_EXPECT_EQ(test, pkt.reason, NETCHANNEL_REASON_BAD_VERSION);
	kfree_skb(skb);

	/* shorter than the fixed header */
	skb = nc_t_skb(test, htons(ETH_P_IPV6), buf, 30);
	KUNIT_EXPECT_EQ(test, nc_t_parse(skb, &pkt), -EINVAL);
	KUNIT_EXPECT_EQ(test, pkt.reason, NETCHANNEL_REASON_TRUNCATED);
	kfree_skb(skb);
}

static void nc_parse_ipv6_icmp(struct kunit *test)
{
	u8 buf[200];
	unsigned int off = nc_t_ip6(buf, NULL, 0, IPPROTO_ICMPV6, 8, 0);
	struct sk_buff *skb;
	struct nc_pkt pkt;

	skb = nc_t_skb(test, htons(ETH_P_IPV6), buf, off + 8);
	KUNIT_EXPECT_EQ(test, nc_t_parse(skb, &pkt), 0);
	KUNIT_EXPECT_EQ(test, pkt.key.proto, IPPROTO_ICMPV6);
	KUNIT_EXPECT_EQ(test, pkt.key.flags, 0);
	kfree_skb(skb);
}

static struct kunit_case nc_parse_cases[] = {
	KUNIT_CASE(nc_parse_ipv4_tcp),
	KUNIT_CASE(nc_parse_ipv4_options),
	KUNIT_CASE(nc_parse_ipv4_padding),
	KUNIT_CASE(nc_parse_ipv4_fragments),
	KUNIT_CASE(nc_parse_ipv4_other_protos),
	KUNIT_CASE(nc_parse_ipv4_bad),
	KUNIT_CASE(nc_parse_not_ip),
	KUNIT_CASE(nc_parse_paged),
	KUNIT_CASE(nc_parse_ipv6_exthdrs),
	KUNIT_CASE(nc_parse_ipv6_fragments),
	KUNIT_CASE(nc_parse_ipv6_bad),
	KUNIT_CASE(nc_parse_ipv6_icmp),
	{}
};

static struct kunit_suite nc_parse_suite = {
	.name = "netchannel-parse",
	.test_cases = nc_parse_cases,
};

kunit_test_suite(nc_parse_suite);
