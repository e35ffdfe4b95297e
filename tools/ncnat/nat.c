// SPDX-License-Identifier: GPL-2.0
/*
 * The NAT verdicts and their arguments:
 *
 *   snat to ADDR[-ADDR] [ports P[-P]] [filtering eif|adf|apdf]
 *   masquerade [ports P[-P]] [filtering eif|adf|apdf]
 *   dnat to ADDR[:PORT]
 *   netmap to PREFIX
 *
 * carried in NETCHANNEL_A_RULE_ACTION as NETCHANNEL_NAT_A_ACT_*.  The
 * arguments may come in any order, each once; they are printed in the
 * order above.  NAT translates IPv4 only, so every address here is IPv4
 * and a rule with a NAT verdict may not be of family ip6.
 */
#include <arpa/inet.h>
#include <string.h>

#include "match.h"

/* Argument keywords, as bits of what a verdict takes. */
enum {
	NC_NAT_TO = 1 << 0,
	NC_NAT_PORTS = 1 << 1,
	NC_NAT_FILTERING = 1 << 2,
};

struct nc_nat_kind {
	const char *kw;		/* the verdict */
	unsigned int takes;	/* NC_NAT_* it accepts */
	const char *to;		/* what "to" takes, if it is required */
	const char *expect;	/* the argument words, for messages */
	int (*parse_to)(const struct nc_nat_kind *k, struct nc_args *a,
			const char *w, struct nc_rule *r);
};

/* ---- filtering ---- */

static const char *const nc_filterings[] = {
	[NETCHANNEL_NAT_FILTER_APDF] = "apdf",
	[NETCHANNEL_NAT_FILTER_ADF] = "adf",
	[NETCHANNEL_NAT_FILTER_EIF] = "eif",
};

#define NC_NFILTERINGS (sizeof(nc_filterings) / sizeof(nc_filterings[0]))

static int nc_nat_parse_filtering(struct nc_args *a, const char *w,
				  struct nc_nat_act *act)
{
	size_t i;

	for (i = 0; i < NC_NFILTERINGS; i++) {
		if (!strcmp(w, nc_filterings[i])) {
			act->filtering = (uint8_t)i;
			act->has_filtering = true;
			return 0;
		}
	}
	return nc_args_fail(a, NC_EXIT_USAGE,
			    "unknown filtering '%s' (expected eif, adf or apdf)",
			    w);
}

/* ---- addresses, ports ---- */

/* One IPv4 address (@len bytes of @s) into @addr, network order. */
static int nc_nat_addr(const struct nc_nat_kind *k, struct nc_args *a,
		       const char *word, const char *s, size_t len,
		       uint32_t *addr)
{
	char buf[INET6_ADDRSTRLEN + 1];
	uint8_t v6[16];

	if (len < sizeof(buf)) {
		memcpy(buf, s, len);
		buf[len] = '\0';
		if (inet_pton(AF_INET, buf, addr) == 1)
			return 0;
		if (inet_pton(AF_INET6, buf, v6) == 1)
			return nc_args_fail(a, NC_EXIT_USAGE,
					    "%s to '%s': %s is IPv6, NAT translates IPv4 only",
					    k->kw, word, buf);
	}
	return nc_args_fail(a, NC_EXIT_USAGE, "bad address '%s' for %s to",
			    word, k->kw);
}

/* snat to ADDR[-ADDR] */
static int nc_nat_parse_range(const struct nc_nat_kind *k, struct nc_args *a,
			      const char *w, struct nc_rule *r)
{
	struct nc_nat_act *act = &r->act;
	const char *dash = strchr(w, '-');
	char lo[INET_ADDRSTRLEN], hi[INET_ADDRSTRLEN];

	if (!dash) {
		if (nc_nat_addr(k, a, w, w, strlen(w), &act->addr_min))
			return -1;
		act->addr_max = act->addr_min;
		return 0;
	}
	if (nc_nat_addr(k, a, w, w, (size_t)(dash - w), &act->addr_min) ||
	    nc_nat_addr(k, a, w, dash + 1, strlen(dash + 1), &act->addr_max))
		return -1;
	if (ntohl(act->addr_min) > ntohl(act->addr_max)) {
		inet_ntop(AF_INET, &act->addr_min, lo, sizeof(lo));
		inet_ntop(AF_INET, &act->addr_max, hi, sizeof(hi));
		return nc_args_fail(a, NC_EXIT_USAGE,
				    "bad address range '%s' for %s: %s is above %s",
				    w, k->kw, lo, hi);
	}
	return 0;
}

/* dnat to ADDR[:PORT] */
static int nc_nat_parse_endpoint(const struct nc_nat_kind *k,
				 struct nc_args *a, const char *w,
				 struct nc_rule *r)
{
	struct nc_nat_act *act = &r->act;
	const char *colon = strchr(w, ':');
	uint32_t port;

	if (w[0] == '[')
		return nc_args_fail(a, NC_EXIT_USAGE,
				    "%s to '%s' is IPv6, NAT translates IPv4 only",
				    k->kw, w);
	/* more than one colon: an IPv6 address, which nc_nat_addr() refuses */
	if (!colon || strchr(colon + 1, ':')) {
		if (nc_nat_addr(k, a, w, w, strlen(w), &act->addr_min))
			return -1;
		act->addr_max = act->addr_min;
		return 0;
	}
	if (nc_nat_addr(k, a, w, w, (size_t)(colon - w), &act->addr_min))
		return -1;
	act->addr_max = act->addr_min;
	if (nc_parse_u32(colon + 1, 65535, &port) || !port)
		return nc_args_fail(a, NC_EXIT_USAGE,
				    "bad port in '%s' for %s to (expected ADDR:PORT, PORT 1..65535)",
				    w, k->kw);
	act->port_min = (uint16_t)port;
	act->port_max = (uint16_t)port;
	act->has_port = true;
	return 0;
}

/*
 * netmap to PREFIX.  The rule's saddr is the other side of the 1:1 map:
 * an IPv4 prefix of the same length (the kernel checks this too).
 */
static int nc_nat_parse_prefix(const struct nc_nat_kind *k, struct nc_args *a,
			       const char *w, struct nc_rule *r)
{
	struct nc_prefix *p = &r->act.prefix;

	if (nc_prefix_parse(a, w, p))
		return -1;
	if (p->family != AF_INET)
		return nc_args_fail(a, NC_EXIT_USAGE,
				    "%s to '%s' is IPv6, NAT translates IPv4 only",
				    k->kw, w);
	if (!(r->present & NC_M_BIT(NC_M_SADDR)) ||
	    r->saddr.family != AF_INET)
		return nc_args_fail(a, NC_EXIT_USAGE,
				    "%s to '%s' needs an IPv4 saddr match of the same length (/%u): the prefix it maps",
				    k->kw, w, p->len);
	if (r->saddr.len != p->len)
		return nc_args_fail(a, NC_EXIT_USAGE,
				    "%s to '%s' maps saddr 1:1 and needs the same prefix length (saddr is /%u)",
				    k->kw, w, r->saddr.len);
	return 0;
}

/* ports P[-P]: the outside ports; 0 is not a port a mapping can take. */
static int nc_nat_parse_ports(const struct nc_nat_kind *k, struct nc_args *a,
			      const char *w, struct nc_nat_act *act)
{
	struct nc_range rg;

	if (nc_range_word(a, "ports", w, &rg))
		return -1;
	if (!rg.min)
		return nc_args_fail(a, NC_EXIT_USAGE,
				    "bad port '%s' for %s ports (expected P or MIN-MAX, each 1..65535)",
				    w, k->kw);
	act->port_min = rg.min;
	act->port_max = rg.max;
	act->has_ports = true;
	return 0;
}

/* ---- parsing ---- */

static unsigned int nc_nat_keyword(const char *w)
{
	if (!strcmp(w, "to"))
		return NC_NAT_TO;
	if (!strcmp(w, "ports"))
		return NC_NAT_PORTS;
	if (!strcmp(w, "filtering"))
		return NC_NAT_FILTERING;
	return 0;
}

static int nc_nat_parse_arg(const struct nc_nat_kind *k, struct nc_args *a,
			    unsigned int id, const char *w, struct nc_rule *r)
{
	switch (id) {
	case NC_NAT_TO:
		r->act.has_to = true;
		return k->parse_to(k, a, w, r);
	case NC_NAT_PORTS:
		return nc_nat_parse_ports(k, a, w, &r->act);
	default:
		return nc_nat_parse_filtering(a, w, &r->act);
	}
}

/* NAT rules are IPv4: name the match that says otherwise. */
static int nc_nat_check_family(const struct nc_nat_kind *k, struct nc_args *a,
			       const struct nc_rule *r)
{
	static const enum nc_match_id ids[] = { NC_M_SADDR, NC_M_DADDR };
	char buf[INET6_ADDRSTRLEN + 8];
	const struct nc_prefix *p;
	size_t i;

	if (!(r->present & NC_M_BIT(NC_M_FAMILY)) || r->family == AF_INET)
		return 0;
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		p = NC_CFIELD(&nc_matches[ids[i]], r, struct nc_prefix);
		if (!(r->present & NC_M_BIT(ids[i])))
			continue;
		nc_prefix_str(p, buf, sizeof(buf));
		return nc_args_fail(a, NC_EXIT_USAGE,
				    "%s translates IPv4 only, but %s %s is %s",
				    k->kw, nc_matches[ids[i]].kw, buf,
				    nc_ipv(p->family));
	}
	return nc_args_fail(a, NC_EXIT_USAGE,
			    "%s translates IPv4 only, but the rule says 'family %s'",
			    k->kw, nc_family_name(r->family));
}

static int nc_nat_parse(const struct nc_nat_kind *k, struct nc_args *a,
			struct nc_rule *r)
{
	unsigned int seen = 0, id;
	const char *w, *val;

	if (nc_nat_check_family(k, a, r))
		return -1;
	while ((w = nc_args_next(a))) {
		id = nc_nat_keyword(w);
		if (!(id & k->takes))
			return nc_args_fail(a, NC_EXIT_USAGE,
					    "unexpected word '%s' after '%s' (expected %s)",
					    w, k->kw, k->expect);
		if (seen & id)
			return nc_args_fail(a, NC_EXIT_USAGE,
					    "duplicate '%s' in %s", w, k->kw);
		seen |= id;
		if (nc_args_value(a, w, &val) ||
		    nc_nat_parse_arg(k, a, id, val, r))
			return -1;
	}
	if (k->to && !(seen & NC_NAT_TO))
		return nc_args_fail(a, NC_EXIT_USAGE, "%s needs 'to %s'",
				    k->kw, k->to);
	return 0;
}

static const struct nc_nat_kind nc_snat = {
	"snat", NC_NAT_TO | NC_NAT_PORTS | NC_NAT_FILTERING, "ADDR[-ADDR]",
	"to, ports or filtering", nc_nat_parse_range,
};
static const struct nc_nat_kind nc_masquerade = {
	"masquerade", NC_NAT_PORTS | NC_NAT_FILTERING, NULL,
	"ports or filtering", NULL,
};
static const struct nc_nat_kind nc_dnat = {
	"dnat", NC_NAT_TO, "ADDR[:PORT]", "to", nc_nat_parse_endpoint,
};
static const struct nc_nat_kind nc_netmap = {
	"netmap", NC_NAT_TO, "PREFIX", "to", nc_nat_parse_prefix,
};

static int nc_snat_parse(struct nc_args *a, struct nc_rule *r)
{
	return nc_nat_parse(&nc_snat, a, r);
}

static int nc_masquerade_parse(struct nc_args *a, struct nc_rule *r)
{
	return nc_nat_parse(&nc_masquerade, a, r);
}

static int nc_dnat_parse(struct nc_args *a, struct nc_rule *r)
{
	return nc_nat_parse(&nc_dnat, a, r);
}

static int nc_netmap_parse(struct nc_args *a, struct nc_rule *r)
{
	return nc_nat_parse(&nc_netmap, a, r);
}

/* ---- netlink: NETCHANNEL_A_RULE_ACTION ---- */

static int nc_nat_put_body(struct nl_msg *msg, const struct nc_rule *r)
{
	const struct nc_nat_act *act = &r->act;

	if (r->verdict == NETCHANNEL_VERDICT_NETMAP)
		return nla_put(msg, NETCHANNEL_NAT_A_ACT_PREFIX, 4,
			       act->prefix.addr) ||
		       nla_put_u8(msg, NETCHANNEL_NAT_A_ACT_PREFIX_LEN,
				  act->prefix.len);
	if (act->has_to &&
	    nla_put(msg, NETCHANNEL_NAT_A_ACT_ADDR_MIN, 4, &act->addr_min))
		return -1;
	/* a single address is its own range: the kernel's default */
	if (r->verdict == NETCHANNEL_VERDICT_SNAT &&
	    act->addr_max != act->addr_min &&
	    nla_put(msg, NETCHANNEL_NAT_A_ACT_ADDR_MAX, 4, &act->addr_max))
		return -1;
	if ((act->has_ports || act->has_port) &&
	    nla_put_u16(msg, NETCHANNEL_NAT_A_ACT_PORT_MIN, act->port_min))
		return -1;
	if (act->has_ports &&
	    nla_put_u16(msg, NETCHANNEL_NAT_A_ACT_PORT_MAX, act->port_max))
		return -1;
	if (act->has_filtering &&
	    nla_put_u8(msg, NETCHANNEL_NAT_A_ACT_FILTERING, act->filtering))
		return -1;
	return 0;
}

static int nc_nat_put(struct nl_msg *msg, const struct nc_rule *r)
{
	const struct nc_nat_act *act = &r->act;
	struct nlattr *nest;

	/* masquerade with no arguments: no nest (libnl trims empty ones) */
	if (!act->has_to && !act->has_port && !act->has_ports &&
	    !act->has_filtering)
		return 0;
	nest = nla_nest_start(msg, NETCHANNEL_A_RULE_ACTION);
	if (!nest)
		return -1;
	if (nc_nat_put_body(msg, r)) {
		nla_nest_cancel(msg, nest);
		return -1;
	}
	return nla_nest_end(msg, nest) < 0 ? -1 : 0;
}

static struct nla_policy nc_nat_act_policy[NETCHANNEL_NAT_A_ACT_MAX + 1] = {
	[NETCHANNEL_NAT_A_ACT_ADDR_MIN] = { .type = NLA_U32 },
	[NETCHANNEL_NAT_A_ACT_ADDR_MAX] = { .type = NLA_U32 },
	[NETCHANNEL_NAT_A_ACT_PORT_MIN] = { .type = NLA_U16 },
	[NETCHANNEL_NAT_A_ACT_PORT_MAX] = { .type = NLA_U16 },
	[NETCHANNEL_NAT_A_ACT_FILTERING] = { .type = NLA_U8 },
	[NETCHANNEL_NAT_A_ACT_PREFIX] = { .type = NLA_U32 },
	[NETCHANNEL_NAT_A_ACT_PREFIX_LEN] = { .type = NLA_U8 },
};

static void nc_nat_get_be32(struct nlattr *attr, uint32_t *v)
{
	memcpy(v, nla_data(attr), sizeof(*v));
}

/* Decodes the kernel's nest; -1 if it is malformed. */
static int nc_nat_get(struct nlattr *nest, struct nc_rule *r)
{
	struct nlattr *tb[NETCHANNEL_NAT_A_ACT_MAX + 1];
	struct nc_nat_act *act = &r->act;
	bool dnat = r->verdict == NETCHANNEL_VERDICT_DNAT;

	if (nla_parse_nested(tb, NETCHANNEL_NAT_A_ACT_MAX, nest,
			     nc_nat_act_policy))
		return -1;
	if (tb[NETCHANNEL_NAT_A_ACT_PREFIX]) {
		act->has_to = true;
		act->prefix.family = AF_INET;
		memcpy(act->prefix.addr, nla_data(tb[NETCHANNEL_NAT_A_ACT_PREFIX]), 4);
		act->prefix.len = tb[NETCHANNEL_NAT_A_ACT_PREFIX_LEN] ?
			nla_get_u8(tb[NETCHANNEL_NAT_A_ACT_PREFIX_LEN]) : 32;
		if (act->prefix.len > 32)
			return -1;
	}
	if (tb[NETCHANNEL_NAT_A_ACT_ADDR_MIN]) {
		act->has_to = true;
		nc_nat_get_be32(tb[NETCHANNEL_NAT_A_ACT_ADDR_MIN], &act->addr_min);
		act->addr_max = act->addr_min;
	}
	if (tb[NETCHANNEL_NAT_A_ACT_ADDR_MAX])
		nc_nat_get_be32(tb[NETCHANNEL_NAT_A_ACT_ADDR_MAX], &act->addr_max);
	if (tb[NETCHANNEL_NAT_A_ACT_PORT_MIN]) {
		act->port_min = nla_get_u16(tb[NETCHANNEL_NAT_A_ACT_PORT_MIN]);
		act->port_max = tb[NETCHANNEL_NAT_A_ACT_PORT_MAX] ?
			nla_get_u16(tb[NETCHANNEL_NAT_A_ACT_PORT_MAX]) :
			act->port_min;
		act->has_port = dnat;
		act->has_ports = !dnat;
	}
	if (tb[NETCHANNEL_NAT_A_ACT_FILTERING]) {
		act->filtering = nla_get_u8(tb[NETCHANNEL_NAT_A_ACT_FILTERING]);
		act->has_filtering = true;
	}
	return 0;
}

/* ---- printing ---- */

/* The value of "to" as the grammar writes it. */
static void nc_nat_to_str(const struct nc_rule *r, char *buf, size_t len)
{
	const struct nc_nat_act *act = &r->act;
	char lo[INET_ADDRSTRLEN], hi[INET_ADDRSTRLEN];

	if (r->verdict == NETCHANNEL_VERDICT_NETMAP) {
		nc_prefix_str(&act->prefix, buf, len);
		return;
	}
	inet_ntop(AF_INET, &act->addr_min, lo, sizeof(lo));
	inet_ntop(AF_INET, &act->addr_max, hi, sizeof(hi));
	if (act->has_port)
		snprintf(buf, len, "%s:%u", lo, act->port_min);
	else if (r->verdict == NETCHANNEL_VERDICT_SNAT &&
		 act->addr_max != act->addr_min)
		snprintf(buf, len, "%s-%s", lo, hi);
	else
		snprintf(buf, len, "%s", lo);
}

static const char *nc_nat_filtering_name(uint8_t f, char *buf, size_t len)
{
	if (f < NC_NFILTERINGS)
		return nc_filterings[f];
	snprintf(buf, len, "%u", f);
	return buf;
}

static void nc_nat_ports_str(const struct nc_nat_act *act, char *buf,
			     size_t len)
{
	if (act->port_min == act->port_max)
		snprintf(buf, len, "%u", act->port_min);
	else
		snprintf(buf, len, "%u-%u", act->port_min, act->port_max);
}

static void nc_nat_print(FILE *f, const struct nc_rule *r)
{
	const struct nc_nat_act *act = &r->act;
	char buf[2 * INET_ADDRSTRLEN + 8];

	if (act->has_to) {
		nc_nat_to_str(r, buf, sizeof(buf));
		fprintf(f, " to %s", buf);
	}
	if (act->has_ports) {
		nc_nat_ports_str(act, buf, sizeof(buf));
		fprintf(f, " ports %s", buf);
	}
	if (act->has_filtering)
		fprintf(f, " filtering %s",
			nc_nat_filtering_name(act->filtering, buf, sizeof(buf)));
}

static void nc_nat_json(struct nc_json *j, const struct nc_rule *r)
{
	const struct nc_nat_act *act = &r->act;
	char buf[2 * INET_ADDRSTRLEN + 8];

	if (act->has_to) {
		nc_nat_to_str(r, buf, sizeof(buf));
		nc_json_kstr(j, "to", buf);
	}
	if (act->has_ports && act->port_min == act->port_max) {
		nc_json_ku64(j, "ports", act->port_min);
	} else if (act->has_ports) {
		nc_nat_ports_str(act, buf, sizeof(buf));
		nc_json_kstr(j, "ports", buf);
	}
	if (act->has_filtering)
		nc_json_kstr(j, "filtering",
			     nc_nat_filtering_name(act->filtering, buf,
						   sizeof(buf)));
}

const struct nc_verdict_args nc_snat_args = {
	nc_snat_parse, nc_nat_put, nc_nat_get, nc_nat_print, nc_nat_json,
};
const struct nc_verdict_args nc_masquerade_args = {
	nc_masquerade_parse, nc_nat_put, nc_nat_get, nc_nat_print, nc_nat_json,
};
const struct nc_verdict_args nc_dnat_args = {
	nc_dnat_parse, nc_nat_put, nc_nat_get, nc_nat_print, nc_nat_json,
};
const struct nc_verdict_args nc_netmap_args = {
	nc_netmap_parse, nc_nat_put, nc_nat_get, nc_nat_print, nc_nat_json,
};
