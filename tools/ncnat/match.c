// SPDX-License-Identifier: GPL-2.0
/*
 * The match keywords:
 *
 *   family ip|ip6 | iif DEV | oif DEV | proto tcp|udp|icmp|icmpv6|NUM
 *   | saddr PREFIX | daddr PREFIX | sport P[-P] | dport P[-P]
 *
 * Each is one entry of nc_matches[]: its keyword, its netlink attributes,
 * and how to parse, encode, decode and print it.  A new match is an entry
 * and its functions here; rule.c does not change.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <string.h>

#include "match.h"

/* ---- family ---- */

static const struct {
	const char *name;
	uint8_t af;
} nc_families[] = {
	{ "ip", AF_INET },
	{ "ip6", AF_INET6 },
};

const char *nc_family_name(uint8_t af)
{
	size_t i;

	for (i = 0; i < sizeof(nc_families) / sizeof(nc_families[0]); i++)
		if (nc_families[i].af == af)
			return nc_families[i].name;
	return NULL;
}

static int nc_family_parse(const struct nc_match *m, struct nc_args *a,
			   struct nc_rule *r)
{
	const char *w;
	size_t i;

	if (nc_args_value(a, m->kw, &w))
		return -1;
	for (i = 0; i < sizeof(nc_families) / sizeof(nc_families[0]); i++) {
		if (!strcmp(w, nc_families[i].name)) {
			r->family = nc_families[i].af;
			return 0;
		}
	}
	return nc_args_fail(a, NC_EXIT_USAGE,
			    "unknown family '%s' (expected ip or ip6)", w);
}

static void nc_family_fmt(const struct nc_match *m, const struct nc_rule *r,
			  struct nc_val *v)
{
	const char *name = nc_family_name(*NC_CFIELD(m, r, uint8_t));

	if (name) {
		snprintf(v->str, sizeof(v->str), "%s", name);
	} else {
		v->is_num = true;
		v->num = *NC_CFIELD(m, r, uint8_t);
	}
}

/* ---- u8 scalars (family, proto) ---- */

static int nc_u8_put(const struct nc_match *m, struct nl_msg *msg,
		     const struct nc_rule *r)
{
	return nla_put_u8(msg, m->attr, *NC_CFIELD(m, r, uint8_t));
}

static int nc_u8_get(const struct nc_match *m, struct nlattr **tb,
		     struct nc_rule *r)
{
	if (!tb[m->attr])
		return 0;
	*NC_FIELD(m, r, uint8_t) = nla_get_u8(tb[m->attr]);
	return 1;
}

/* ---- iif, oif ---- */

/* A device name, or failing that an ifindex number (as printed for a
 * device that is gone), so that save | load round-trips. */
int nc_ifname_resolve(const char *name, uint32_t *ifindex)
{
	unsigned int idx = if_nametoindex(name);

	if (idx) {
		*ifindex = idx;
		return 0;
	}
	if (!nc_parse_u32(name, UINT32_MAX, ifindex) && *ifindex)
		return 0;
	return -1;
}

static int nc_dev_parse(const struct nc_match *m, struct nc_args *a,
			struct nc_rule *r)
{
	/* Resolved later, once we are in the right netns. */
	return nc_args_value(a, m->kw, &NC_FIELD(m, r, struct nc_ifref)->name);
}

static int nc_dev_put(const struct nc_match *m, struct nl_msg *msg,
		      const struct nc_rule *r)
{
	const struct nc_ifref *dev = NC_CFIELD(m, r, struct nc_ifref);

	return nla_put_u32(msg, m->attr, dev->ifindex);
}

static int nc_dev_get(const struct nc_match *m, struct nlattr **tb,
		      struct nc_rule *r)
{
	if (!tb[m->attr])
		return 0;
	NC_FIELD(m, r, struct nc_ifref)->ifindex = nla_get_u32(tb[m->attr]);
	return 1;
}

static void nc_dev_fmt(const struct nc_match *m, const struct nc_rule *r,
		       struct nc_val *v)
{
	char name[IF_NAMESIZE];
	uint32_t idx = NC_CFIELD(m, r, struct nc_ifref)->ifindex;

	if (if_indextoname(idx, name)) {
		snprintf(v->str, sizeof(v->str), "%s", name);
	} else {
		v->is_num = true;
		v->num = idx;
	}
}

/* ---- proto ---- */

static const struct {
	const char *name;
	uint8_t num;
} nc_protos[] = {
	{ "tcp", IPPROTO_TCP },
	{ "udp", IPPROTO_UDP },
	{ "icmp", IPPROTO_ICMP },
	{ "icmpv6", IPPROTO_ICMPV6 },
};

static int nc_proto_parse(const struct nc_match *m, struct nc_args *a,
			  struct nc_rule *r)
{
	const char *w;
	uint32_t num;
	size_t i;

	if (nc_args_value(a, m->kw, &w))
		return -1;
	for (i = 0; i < sizeof(nc_protos) / sizeof(nc_protos[0]); i++) {
		if (!strcmp(w, nc_protos[i].name)) {
			r->proto = nc_protos[i].num;
			return 0;
		}
	}
	if (nc_parse_u32(w, 255, &num))
		return nc_args_fail(a, NC_EXIT_USAGE,
				    "unknown protocol '%s' (expected tcp, udp, icmp, icmpv6 or 0..255)",
				    w);
	r->proto = (uint8_t)num;
	return 0;
}

static void nc_proto_fmt(const struct nc_match *m, const struct nc_rule *r,
			 struct nc_val *v)
{
	uint8_t num = *NC_CFIELD(m, r, uint8_t);
	size_t i;

	for (i = 0; i < sizeof(nc_protos) / sizeof(nc_protos[0]); i++) {
		if (nc_protos[i].num == num) {
			snprintf(v->str, sizeof(v->str), "%s",
				 nc_protos[i].name);
			return;
		}
	}
	v->is_num = true;
	v->num = num;
}

/* ---- saddr, daddr ---- */

static unsigned int nc_addr_bytes(uint8_t af)
{
	return af == AF_INET ? 4 : 16;
}

const char *nc_ipv(uint8_t af)
{
	return af == AF_INET ? "IPv4" : "IPv6";
}

/* Clears the host bits of @p; returns true if any was set. */
static bool nc_prefix_mask(struct nc_prefix *p)
{
	unsigned int i, bit;
	bool dirty = false;
	uint8_t keep;

	for (i = 0; i < nc_addr_bytes(p->family); i++) {
		bit = i * 8;
		if (p->len >= bit + 8)
			continue;
		keep = p->len <= bit ? 0 : (uint8_t)(0xff << (8 - (p->len - bit)));
		if (p->addr[i] & ~keep)
			dirty = true;
		p->addr[i] &= keep;
	}
	return dirty;
}

void nc_prefix_str(const struct nc_prefix *p, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	if (!inet_ntop(p->family, p->addr, addr, sizeof(addr)))
		snprintf(addr, sizeof(addr), "?");
	snprintf(buf, len, "%s/%u", addr, p->len);
}

/* ADDR or ADDR/LEN, into @p. */
int nc_prefix_parse(struct nc_args *a, const char *w, struct nc_prefix *p)
{
	char addr[INET6_ADDRSTRLEN + 1], net[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(w, '/');
	size_t alen = slash ? (size_t)(slash - w) : strlen(w);
	uint32_t plen, max;

	memset(p, 0, sizeof(*p));
	if (alen >= sizeof(addr))
		return nc_args_fail(a, NC_EXIT_USAGE, "bad address '%s'", w);
	memcpy(addr, w, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, p->addr) == 1)
		p->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, p->addr) == 1)
		p->family = AF_INET6;
	else
		return nc_args_fail(a, NC_EXIT_USAGE, "bad address '%s'", w);
	max = nc_addr_bytes(p->family) * 8;
	plen = max;
	if (slash && nc_parse_u32(slash + 1, 255, &plen))
		return nc_args_fail(a, NC_EXIT_USAGE,
				    "bad prefix length in '%s'", w);
	if (plen > max)
		return nc_args_fail(a, NC_EXIT_USAGE,
				    "prefix length %u too long in '%s' (at most %u for %s)",
				    plen, w, max, nc_ipv(p->family));
	p->len = (uint8_t)plen;
	if (nc_prefix_mask(p)) {
		nc_prefix_str(p, net, sizeof(net));
		return nc_args_fail(a, NC_EXIT_USAGE,
				    "host bits set in '%s' (did you mean %s?)",
				    w, net);
	}
	return 0;
}

static int nc_addr_parse(const struct nc_match *m, struct nc_args *a,
			 struct nc_rule *r)
{
	const char *w;

	if (nc_args_value(a, m->kw, &w))
		return -1;
	return nc_prefix_parse(a, w, NC_FIELD(m, r, struct nc_prefix));
}

static int nc_addr_put(const struct nc_match *m, struct nl_msg *msg,
		       const struct nc_rule *r)
{
	const struct nc_prefix *p = NC_CFIELD(m, r, struct nc_prefix);

	if (nla_put(msg, m->attr, (int)nc_addr_bytes(p->family), p->addr))
		return -1;
	return nla_put_u8(msg, m->attr2, p->len);
}

static int nc_addr_get(const struct nc_match *m, struct nlattr **tb,
		       struct nc_rule *r)
{
	struct nc_prefix *p = NC_FIELD(m, r, struct nc_prefix);
	int len;

	if (!tb[m->attr])
		return 0;
	len = nla_len(tb[m->attr]);
	if (len != 4 && len != 16)
		return -1;
	p->family = len == 4 ? AF_INET : AF_INET6;
	memcpy(p->addr, nla_data(tb[m->attr]), (size_t)len);
	p->len = tb[m->attr2] ? nla_get_u8(tb[m->attr2]) : (uint8_t)(len * 8);
	return p->len <= len * 8 ? 1 : -1;
}

static void nc_addr_fmt(const struct nc_match *m, const struct nc_rule *r,
			struct nc_val *v)
{
	nc_prefix_str(NC_CFIELD(m, r, struct nc_prefix), v->str,
		      sizeof(v->str));
}

/* ---- sport, dport ---- */

/* One port of @word: the @len bytes at @part. */
static int nc_port_parse1(struct nc_args *a, const char *kw, const char *word,
			  const char *part, size_t len, uint16_t *port)
{
	char buf[8];
	uint32_t v;

	if (len >= sizeof(buf))
		goto bad;
	memcpy(buf, part, len);
	buf[len] = '\0';
	if (nc_parse_u32(buf, 65535, &v))
		goto bad;
	*port = (uint16_t)v;
	return 0;
bad:
	return nc_args_fail(a, NC_EXIT_USAGE,
			    "bad port '%s' for %s (expected P or MIN-MAX, each 0..65535)",
			    word, kw);
}

/* P or MIN-MAX (@w) for keyword @kw into @rg. */
int nc_range_word(struct nc_args *a, const char *kw, const char *w,
		  struct nc_range *rg)
{
	const char *dash = strchr(w, '-');

	if (!dash) {
		if (nc_port_parse1(a, kw, w, w, strlen(w), &rg->min))
			return -1;
		rg->max = rg->min;
		return 0;
	}
	if (nc_port_parse1(a, kw, w, w, (size_t)(dash - w), &rg->min) ||
	    nc_port_parse1(a, kw, w, dash + 1, strlen(dash + 1), &rg->max))
		return -1;
	if (rg->min > rg->max)
		return nc_args_fail(a, NC_EXIT_USAGE,
				    "bad port range '%s' for %s: %u is greater than %u",
				    w, kw, rg->min, rg->max);
	return 0;
}

static int nc_range_parse(const struct nc_match *m, struct nc_args *a,
			  struct nc_rule *r)
{
	const char *w;

	if (nc_args_value(a, m->kw, &w))
		return -1;
	return nc_range_word(a, m->kw, w, NC_FIELD(m, r, struct nc_range));
}

static int nc_range_put(const struct nc_match *m, struct nl_msg *msg,
			const struct nc_rule *r)
{
	const struct nc_range *rg = NC_CFIELD(m, r, struct nc_range);

	if (nla_put_u16(msg, m->attr, rg->min))
		return -1;
	return nla_put_u16(msg, m->attr2, rg->max);
}

static int nc_range_get(const struct nc_match *m, struct nlattr **tb,
			struct nc_rule *r)
{
	struct nc_range *rg = NC_FIELD(m, r, struct nc_range);

	if (!tb[m->attr])
		return 0;
	rg->min = nla_get_u16(tb[m->attr]);
	rg->max = tb[m->attr2] ? nla_get_u16(tb[m->attr2]) : rg->min;
	return 1;
}

static void nc_range_fmt(const struct nc_match *m, const struct nc_rule *r,
			 struct nc_val *v)
{
	const struct nc_range *rg = NC_CFIELD(m, r, struct nc_range);

	if (rg->min == rg->max) {
		v->is_num = true;
		v->num = rg->min;
	} else {
		snprintf(v->str, sizeof(v->str), "%u-%u", rg->min, rg->max);
	}
}

/* ---- the match table ---- */

static const struct nc_match_ops nc_family_ops = {
	nc_family_parse, nc_u8_put, nc_u8_get, nc_family_fmt,
};
static const struct nc_match_ops nc_dev_ops = {
	nc_dev_parse, nc_dev_put, nc_dev_get, nc_dev_fmt,
};
static const struct nc_match_ops nc_proto_ops = {
	nc_proto_parse, nc_u8_put, nc_u8_get, nc_proto_fmt,
};
static const struct nc_match_ops nc_addr_ops = {
	nc_addr_parse, nc_addr_put, nc_addr_get, nc_addr_fmt,
};
static const struct nc_match_ops nc_range_ops = {
	nc_range_parse, nc_range_put, nc_range_get, nc_range_fmt,
};

const struct nc_match nc_matches[NC_M_COUNT] = {
	[NC_M_FAMILY] = { "family", NETCHANNEL_A_RULE_FAMILY, 0,
			  offsetof(struct nc_rule, family), &nc_family_ops },
	[NC_M_IIF] = { "iif", NETCHANNEL_A_RULE_IIF, 0,
		       offsetof(struct nc_rule, iif), &nc_dev_ops },
	[NC_M_OIF] = { "oif", NETCHANNEL_A_RULE_OIF, 0,
		       offsetof(struct nc_rule, oif), &nc_dev_ops },
	[NC_M_PROTO] = { "proto", NETCHANNEL_A_RULE_PROTO, 0,
			 offsetof(struct nc_rule, proto), &nc_proto_ops },
	[NC_M_SADDR] = { "saddr", NETCHANNEL_A_RULE_SADDR,
			 NETCHANNEL_A_RULE_SADDR_LEN,
			 offsetof(struct nc_rule, saddr), &nc_addr_ops },
	[NC_M_DADDR] = { "daddr", NETCHANNEL_A_RULE_DADDR,
			 NETCHANNEL_A_RULE_DADDR_LEN,
			 offsetof(struct nc_rule, daddr), &nc_addr_ops },
	[NC_M_SPORT] = { "sport", NETCHANNEL_A_RULE_SPORT_MIN,
			 NETCHANNEL_A_RULE_SPORT_MAX,
			 offsetof(struct nc_rule, sport), &nc_range_ops },
	[NC_M_DPORT] = { "dport", NETCHANNEL_A_RULE_DPORT_MIN,
			 NETCHANNEL_A_RULE_DPORT_MAX,
			 offsetof(struct nc_rule, dport), &nc_range_ops },
};

const struct nc_match *nc_match_find(const char *kw)
{
	int i;

	for (i = 0; i < NC_M_COUNT; i++)
		if (!strcmp(nc_matches[i].kw, kw))
			return &nc_matches[i];
	return NULL;
}
