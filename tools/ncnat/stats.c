// SPDX-License-Identifier: GPL-2.0
/*
 * ncnat stats: per-netns counters and the drop/pass reasons; and the
 * decoding of a list of REASON_ENTRY { NAME, COUNT }, which the NAT
 * family uses for its counters too.
 */
#include <stdlib.h>
#include <string.h>

#include "ncnat.h"

struct nc_stats {
	uint32_t generation;
	uint32_t rules;
	uint32_t shapes;
	uint32_t devices;
	struct nc_reasons reasons;
	bool got;		/* a reply came */
};

static struct nla_policy nc_stats_policy[NETCHANNEL_A_STATS_MAX + 1] = {
	[NETCHANNEL_A_STATS_REASON] = { .type = NLA_NESTED },
	[NETCHANNEL_A_STATS_RULES] = { .type = NLA_U32 },
	[NETCHANNEL_A_STATS_SHAPES] = { .type = NLA_U32 },
	[NETCHANNEL_A_STATS_DEVICES] = { .type = NLA_U32 },
};

static struct nla_policy nc_reason_policy[NETCHANNEL_A_REASON_MAX + 1] = {
	[NETCHANNEL_A_REASON_NAME] = { .type = NLA_STRING },
	[NETCHANNEL_A_REASON_COUNT] = { .type = NLA_U64 },
};

static uint32_t nc_u32_or_0(struct nlattr *attr)
{
	return attr ? nla_get_u32(attr) : 0;
}

/* One REASON_ENTRY { NAME, COUNT }. */
static int nc_reason_get(struct nc_reasons *rs, struct nlattr *entry)
{
	struct nlattr *tb[NETCHANNEL_A_REASON_MAX + 1];
	struct nc_reason *r;

	if (nla_parse_nested(tb, NETCHANNEL_A_REASON_MAX, entry,
			     nc_reason_policy) ||
	    !tb[NETCHANNEL_A_REASON_NAME])
		return -1;
	r = realloc(rs->v, (rs->n + 1) * sizeof(*r));
	if (!r)
		return -1;
	rs->v = r;
	r = &rs->v[rs->n++];
	snprintf(r->name, sizeof(r->name), "%s",
		 (char *)nla_data(tb[NETCHANNEL_A_REASON_NAME]));
	r->count = tb[NETCHANNEL_A_REASON_COUNT] ?
		   nla_get_u64(tb[NETCHANNEL_A_REASON_COUNT]) : 0;
	return 0;
}

/* Appends the REASON_ENTRY nests of @list to @rs; -1 if malformed. */
int nc_reasons_get(struct nlattr *list, struct nc_reasons *rs)
{
	struct nlattr *entry;
	int rem;

	nla_for_each_nested(entry, list, rem) {
		if (nla_type(entry) != NETCHANNEL_A_REASON_ENTRY)
			continue;
		if (nc_reason_get(rs, entry))
			return -1;
	}
	return 0;
}

static int nc_stats_reply(struct nlattr **tb, void *arg)
{
	struct nlattr *sb[NETCHANNEL_A_STATS_MAX + 1];
	struct nc_stats *st = arg;

	st->generation = nc_u32_or_0(tb[NETCHANNEL_A_GENERATION]);
	if (!tb[NETCHANNEL_A_STATS])
		return -1;
	st->got = true;
	if (nla_parse_nested(sb, NETCHANNEL_A_STATS_MAX, tb[NETCHANNEL_A_STATS],
			     nc_stats_policy))
		return -1;
	st->rules = nc_u32_or_0(sb[NETCHANNEL_A_STATS_RULES]);
	st->shapes = nc_u32_or_0(sb[NETCHANNEL_A_STATS_SHAPES]);
	st->devices = nc_u32_or_0(sb[NETCHANNEL_A_STATS_DEVICES]);
	if (sb[NETCHANNEL_A_STATS_REASON])
		return nc_reasons_get(sb[NETCHANNEL_A_STATS_REASON],
				      &st->reasons);
	return 0;
}

static void nc_stats_print(const struct nc_stats *st)
{
	size_t i;

	printf("generation %u rules %u shapes %u devices %u\n", st->generation,
	       st->rules, st->shapes, st->devices);
	for (i = 0; i < st->reasons.n; i++)
		printf("reason %s %llu\n", st->reasons.v[i].name,
		       (unsigned long long)st->reasons.v[i].count);
}

static void nc_stats_json(const struct nc_stats *st)
{
	struct nc_json j;
	size_t i;

	nc_json_init(&j, stdout);
	nc_json_open(&j, '{');
	nc_json_ku64(&j, "generation", st->generation);
	nc_json_ku64(&j, "rules", st->rules);
	nc_json_ku64(&j, "shapes", st->shapes);
	nc_json_ku64(&j, "devices", st->devices);
	nc_json_key(&j, "drops");
	nc_json_open(&j, '{');
	for (i = 0; i < st->reasons.n; i++)
		nc_json_ku64(&j, st->reasons.v[i].name,
			     st->reasons.v[i].count);
	nc_json_close(&j, '}');
	nc_json_close(&j, '}');
	nc_json_finish(&j);
}

int nc_stats_main(struct nc_ctx *ctx, struct nc_args *a)
{
	struct nc_stats st = { 0 };
	int ret;

	if (nc_args_end(a, "stats"))
		return nc_args_report(a);
	ret = nc_ctx_do(ctx, nc_nl_msg(NETCHANNEL_CMD_STATS_GET, 0, 0),
			nc_stats_reply, &st);
	if (!ret && !st.got) {
		nc_err("the kernel sent no statistics");
		ret = NC_EXIT_FAIL;
	}
	if (!ret && ctx->json)
		nc_stats_json(&st);
	else if (!ret)
		nc_stats_print(&st);
	free(st.reasons.v);
	return ret;
}
