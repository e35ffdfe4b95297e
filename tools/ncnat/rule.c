// SPDX-License-Identifier: GPL-2.0
/*
 * A whole rule:
 *
 *   [prio N] MATCH... VERDICT
 *   VERDICT := accept | drop | snat ... | masquerade ... | dnat ... | netmap ...
 *
 * Parsing (the matches themselves are in match.c, the NAT verdicts'
 * arguments in nat.c), the verdict table, the NETCHANNEL_A_RULE nest both
 * ways, and printing as text, as a save line and as JSON.  A new verdict
 * is an entry of nc_verdicts[] with its argument functions.
 */
#include <string.h>

#include "match.h"

/* ---- verdicts ---- */

struct nc_verdict {
	const char *kw;
	uint32_t value;		/* enum netchannel_verdict, _nat_verdict */
	const struct nc_verdict_args *args;	/* NULL: takes none */
};

static const struct nc_verdict nc_verdicts[] = {
	{ "accept", NETCHANNEL_VERDICT_ACCEPT, NULL },
	{ "drop", NETCHANNEL_VERDICT_DROP, NULL },
	{ "snat", NETCHANNEL_VERDICT_SNAT, &nc_snat_args },
	{ "masquerade", NETCHANNEL_VERDICT_MASQUERADE, &nc_masquerade_args },
	{ "dnat", NETCHANNEL_VERDICT_DNAT, &nc_dnat_args },
	{ "netmap", NETCHANNEL_VERDICT_NETMAP, &nc_netmap_args },
};

#define NC_NVERDICTS (sizeof(nc_verdicts) / sizeof(nc_verdicts[0]))

static const struct nc_verdict *nc_verdict_find(const char *kw)
{
	size_t i;

	for (i = 0; i < NC_NVERDICTS; i++)
		if (!strcmp(nc_verdicts[i].kw, kw))
			return &nc_verdicts[i];
	return NULL;
}

static const struct nc_verdict *nc_verdict_lookup(uint32_t value)
{
	size_t i;

	for (i = 0; i < NC_NVERDICTS; i++)
		if (nc_verdicts[i].value == value)
			return &nc_verdicts[i];
	return NULL;
}

/* ---- parsing a whole rule ---- */

static int nc_rule_parse_prio(struct nc_args *a, struct nc_rule *r)
{
	const char *w = nc_args_peek(a);

	if (!w || strcmp(w, "prio"))
		return 0;
	nc_args_next(a);
	if (nc_args_value(a, "prio", &w))
		return -1;
	if (nc_parse_u32(w, UINT32_MAX, &r->prio))
		return nc_args_fail(a, NC_EXIT_USAGE,
				    "bad number '%s' for prio (expected 0..4294967295)",
				    w);
	r->has_prio = true;
	return 0;
}

static int nc_rule_parse_match(struct nc_args *a, struct nc_rule *r,
			       const struct nc_match *m)
{
	unsigned int bit = NC_M_BIT(m - nc_matches);

	if (r->present & bit)
		return nc_args_fail(a, NC_EXIT_USAGE,
				    "duplicate match '%s'", m->kw);
	if (m->ops->parse(m, a, r))
		return -1;
	r->present |= bit;
	return 0;
}

/*
 * The addresses decide the family: the kernel gets FAMILY whenever saddr
 * or daddr is set.  An explicit "family" or the other address must agree.
 */
static int nc_rule_infer_family(struct nc_args *a, struct nc_rule *r)
{
	static const enum nc_match_id ids[] = { NC_M_SADDR, NC_M_DADDR };
	bool explicit = r->present & NC_M_BIT(NC_M_FAMILY);
	char buf[INET6_ADDRSTRLEN + 8];
	const struct nc_prefix *p;
	const struct nc_match *m;
	size_t i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		m = &nc_matches[ids[i]];
		p = NC_CFIELD(m, r, struct nc_prefix);
		if (!(r->present & NC_M_BIT(ids[i])))
			continue;
		if (!(r->present & NC_M_BIT(NC_M_FAMILY))) {
			r->family = p->family;
			r->present |= NC_M_BIT(NC_M_FAMILY);
			continue;
		}
		if (r->family == p->family)
			continue;
		nc_prefix_str(p, buf, sizeof(buf));
		if (explicit)
			return nc_args_fail(a, NC_EXIT_USAGE,
					    "%s %s is %s but the rule says 'family %s'",
					    m->kw, buf, nc_ipv(p->family),
					    nc_family_name(r->family));
		return nc_args_fail(a, NC_EXIT_USAGE,
				    "%s %s is %s but saddr is %s", m->kw, buf,
				    nc_ipv(p->family), nc_ipv(r->family));
	}
	return 0;
}

static int nc_rule_parse_verdict(struct nc_args *a, struct nc_rule *r,
				 const struct nc_verdict *v)
{
	r->verdict = v->value;
	if (nc_rule_infer_family(a, r))
		return -1;
	if (v->args && v->args->parse(a, r))
		return -1;
	return nc_args_end(a, v->kw);
}

/* Parses the words after "rule add", up to the end of @a. */
int nc_rule_parse(struct nc_args *a, struct nc_rule *r)
{
	const struct nc_verdict *v;
	const struct nc_match *m;
	const char *w;

	memset(r, 0, sizeof(*r));
	if (nc_rule_parse_prio(a, r))
		return -1;
	while ((w = nc_args_next(a))) {
		m = nc_match_find(w);
		if (m) {
			if (nc_rule_parse_match(a, r, m))
				return -1;
			continue;
		}
		v = nc_verdict_find(w);
		if (v)
			return nc_rule_parse_verdict(a, r, v);
		if (!strcmp(w, "prio"))
			return nc_args_fail(a, NC_EXIT_USAGE,
					    "'prio' must come first, right after 'rule add'");
		return nc_args_fail(a, NC_EXIT_USAGE,
				    "unknown keyword '%s' in rule", w);
	}
	return nc_args_fail(a, NC_EXIT_USAGE,
			    "missing verdict (accept, drop, snat, masquerade, dnat or netmap) at the end of the rule");
}

/* Turns device names into ifindexes; call inside the target netns. */
int nc_rule_resolve(struct nc_rule *r, char *err, size_t len)
{
	static const enum nc_match_id ids[] = { NC_M_IIF, NC_M_OIF };
	struct nc_ifref *dev;
	size_t i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		dev = NC_FIELD(&nc_matches[ids[i]], r, struct nc_ifref);
		if (!(r->present & NC_M_BIT(ids[i])) || !dev->name)
			continue;
		if (nc_ifname_resolve(dev->name, &dev->ifindex)) {
			snprintf(err, len, "unknown device '%s'", dev->name);
			return -1;
		}
	}
	return 0;
}

/* ---- netlink encoding ---- */

static int nc_rule_put_body(struct nl_msg *msg, const struct nc_rule *r)
{
	const struct nc_verdict *v = nc_verdict_lookup(r->verdict);
	int i;

	if (r->has_handle &&
	    nla_put_u32(msg, NETCHANNEL_A_RULE_HANDLE, r->handle))
		return -1;
	if (r->has_prio && nla_put_u32(msg, NETCHANNEL_A_RULE_PRIO, r->prio))
		return -1;
	for (i = 0; i < NC_M_COUNT; i++)
		if ((r->present & NC_M_BIT(i)) &&
		    nc_matches[i].ops->put(&nc_matches[i], msg, r))
			return -1;
	if (r->verdict &&
	    nla_put_u32(msg, NETCHANNEL_A_RULE_VERDICT, r->verdict))
		return -1;
	if (v && v->args && v->args->put(msg, r))
		return -1;
	return 0;
}

/* Appends one NETCHANNEL_A_RULE nest; -1 if @msg has no room. */
int nc_rule_put(struct nl_msg *msg, const struct nc_rule *r)
{
	struct nlattr *nest = nla_nest_start(msg, NETCHANNEL_A_RULE);

	if (!nest)
		return -1;
	if (nc_rule_put_body(msg, r)) {
		nla_nest_cancel(msg, nest);
		return -1;
	}
	return nla_nest_end(msg, nest) < 0 ? -1 : 0;
}

static struct nla_policy nc_rule_policy[NETCHANNEL_A_RULE_MAX + 1] = {
	[NETCHANNEL_A_RULE_HANDLE] = { .type = NLA_U32 },
	[NETCHANNEL_A_RULE_PRIO] = { .type = NLA_U32 },
	[NETCHANNEL_A_RULE_FAMILY] = { .type = NLA_U8 },
	[NETCHANNEL_A_RULE_IIF] = { .type = NLA_U32 },
	[NETCHANNEL_A_RULE_PROTO] = { .type = NLA_U8 },
	[NETCHANNEL_A_RULE_SADDR] = { .minlen = 4, .maxlen = 16 },
	[NETCHANNEL_A_RULE_SADDR_LEN] = { .type = NLA_U8 },
	[NETCHANNEL_A_RULE_DADDR] = { .minlen = 4, .maxlen = 16 },
	[NETCHANNEL_A_RULE_DADDR_LEN] = { .type = NLA_U8 },
	[NETCHANNEL_A_RULE_SPORT_MIN] = { .type = NLA_U16 },
	[NETCHANNEL_A_RULE_SPORT_MAX] = { .type = NLA_U16 },
	[NETCHANNEL_A_RULE_DPORT_MIN] = { .type = NLA_U16 },
	[NETCHANNEL_A_RULE_DPORT_MAX] = { .type = NLA_U16 },
	[NETCHANNEL_A_RULE_VERDICT] = { .type = NLA_U32 },
	[NETCHANNEL_A_RULE_PACKETS] = { .type = NLA_U64 },
	[NETCHANNEL_A_RULE_BYTES] = { .type = NLA_U64 },
	[NETCHANNEL_A_RULE_OIF] = { .type = NLA_U32 },
	[NETCHANNEL_A_RULE_ACTION] = { .type = NLA_NESTED },
};

static void nc_rule_get_meta(struct nlattr **tb, struct nc_rule *r)
{
	if (tb[NETCHANNEL_A_RULE_HANDLE]) {
		r->handle = nla_get_u32(tb[NETCHANNEL_A_RULE_HANDLE]);
		r->has_handle = true;
	}
	if (tb[NETCHANNEL_A_RULE_PRIO]) {
		r->prio = nla_get_u32(tb[NETCHANNEL_A_RULE_PRIO]);
		r->has_prio = true;
	}
	if (tb[NETCHANNEL_A_RULE_VERDICT])
		r->verdict = nla_get_u32(tb[NETCHANNEL_A_RULE_VERDICT]);
	if (tb[NETCHANNEL_A_RULE_PACKETS] || tb[NETCHANNEL_A_RULE_BYTES])
		r->has_counters = true;
	if (tb[NETCHANNEL_A_RULE_PACKETS])
		r->packets = nla_get_u64(tb[NETCHANNEL_A_RULE_PACKETS]);
	if (tb[NETCHANNEL_A_RULE_BYTES])
		r->bytes = nla_get_u64(tb[NETCHANNEL_A_RULE_BYTES]);
}

/* Decodes a NETCHANNEL_A_RULE nest from the kernel; -1 if malformed. */
int nc_rule_get(struct nlattr *nest, struct nc_rule *r)
{
	struct nlattr *tb[NETCHANNEL_A_RULE_MAX + 1];
	const struct nc_verdict *v;
	int i, ret;

	memset(r, 0, sizeof(*r));
	if (nla_parse_nested(tb, NETCHANNEL_A_RULE_MAX, nest, nc_rule_policy))
		return -1;
	nc_rule_get_meta(tb, r);
	for (i = 0; i < NC_M_COUNT; i++) {
		ret = nc_matches[i].ops->get(&nc_matches[i], tb, r);
		if (ret < 0)
			return -1;
		if (ret)
			r->present |= NC_M_BIT(i);
	}
	v = nc_verdict_lookup(r->verdict);
	if (v && v->args && tb[NETCHANNEL_A_RULE_ACTION] &&
	    v->args->get(tb[NETCHANNEL_A_RULE_ACTION], r))
		return -1;
	return 0;
}

/* ---- printing ---- */

static void nc_rule_print_verdict(FILE *f, const struct nc_rule *r)
{
	const struct nc_verdict *v = nc_verdict_lookup(r->verdict);

	if (!v) {
		fprintf(f, " verdict %u", r->verdict);
		return;
	}
	fprintf(f, " %s", v->kw);
	if (v->args)
		v->args->print(f, r);
}

void nc_rule_print(FILE *f, const struct nc_rule *r, enum nc_rule_style style)
{
	struct nc_val val;
	int i;

	if (style == NC_RULE_SAVE)
		fprintf(f, "rule add prio %u", r->prio);
	else
		fprintf(f, "handle %u prio %u", r->handle, r->prio);
	for (i = 0; i < NC_M_COUNT; i++) {
		if (!(r->present & NC_M_BIT(i)))
			continue;
		memset(&val, 0, sizeof(val));
		nc_matches[i].ops->fmt(&nc_matches[i], r, &val);
		if (val.is_num)
			fprintf(f, " %s %llu", nc_matches[i].kw,
				(unsigned long long)val.num);
		else
			fprintf(f, " %s %s", nc_matches[i].kw, val.str);
	}
	nc_rule_print_verdict(f, r);
	if (style == NC_RULE_LIST)
		fprintf(f, " packets %llu bytes %llu",
			(unsigned long long)r->packets,
			(unsigned long long)r->bytes);
	fputc('\n', f);
}

void nc_rule_json(struct nc_json *j, const struct nc_rule *r)
{
	const struct nc_verdict *v = nc_verdict_lookup(r->verdict);
	struct nc_val val;
	int i;

	nc_json_open(j, '{');
	nc_json_ku64(j, "handle", r->handle);
	nc_json_ku64(j, "prio", r->prio);
	for (i = 0; i < NC_M_COUNT; i++) {
		if (!(r->present & NC_M_BIT(i)))
			continue;
		memset(&val, 0, sizeof(val));
		nc_matches[i].ops->fmt(&nc_matches[i], r, &val);
		nc_json_key(j, nc_matches[i].kw);
		if (val.is_num)
			nc_json_u64(j, val.num);
		else
			nc_json_str(j, val.str);
	}
	if (v)
		nc_json_kstr(j, "verdict", v->kw);
	else
		nc_json_ku64(j, "verdict", r->verdict);
	if (v && v->args)
		v->args->json(j, r);
	nc_json_ku64(j, "packets", r->packets);
	nc_json_ku64(j, "bytes", r->bytes);
	nc_json_close(j, '}');
}
