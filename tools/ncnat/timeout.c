// SPDX-License-Identifier: GPL-2.0
/*
 * ncnat timeout set KEY VALUE [KEY VALUE]... | timeout list
 *
 *   KEY := udp | icmp | tcp-est | tcp-trans   (seconds)
 *        | max-mappings                        (mappings per netns)
 *        | max-mappings-per-host               (per first-packet source; 0: any)
 *
 * The per-netns NAT timeouts and mapping limit, and with them the NAT
 * counters (flows created, expired, dropped for want of a port, ...).
 */
#include <stdlib.h>
#include <string.h>

#include "ncnat.h"

struct nc_timeout_key {
	const char *kw;
	int attr;		/* NETCHANNEL_NAT_A_* */
	const char *what;	/* its unit, for messages */
	uint32_t min;		/* smallest value accepted */
};

/* In printing order; "mappings" (read only) follows them. */
static const struct nc_timeout_key nc_timeout_keys[] = {
	{ "udp", NETCHANNEL_NAT_A_TIMEOUT_UDP, "seconds", 1 },
	{ "icmp", NETCHANNEL_NAT_A_TIMEOUT_ICMP, "seconds", 1 },
	{ "tcp-est", NETCHANNEL_NAT_A_TIMEOUT_TCP_EST, "seconds", 1 },
	{ "tcp-trans", NETCHANNEL_NAT_A_TIMEOUT_TCP_TRANS, "seconds", 1 },
	{ "max-mappings", NETCHANNEL_NAT_A_MAX_MAPPINGS, "mappings", 1 },
	{ "max-mappings-per-host", NETCHANNEL_NAT_A_MAX_MAPPINGS_PER_HOST,
	  "mappings, 0 for no limit", 0 },
};

#define NC_NKEYS (sizeof(nc_timeout_keys) / sizeof(nc_timeout_keys[0]))

static const struct nc_timeout_key *nc_timeout_key(const char *w)
{
	size_t i;

	/* "max" as the README's short form of max-mappings */
	if (!strcmp(w, "max"))
		w = "max-mappings";
	for (i = 0; i < NC_NKEYS; i++)
		if (!strcmp(nc_timeout_keys[i].kw, w))
			return &nc_timeout_keys[i];
	return NULL;
}

/* ---- timeout set ---- */

struct nc_timeout_set {
	bool has[NC_NKEYS];
	uint32_t val[NC_NKEYS];
};

static int nc_timeout_set_parse(struct nc_args *a, struct nc_timeout_set *ts)
{
	const struct nc_timeout_key *k;
	const char *w, *v;
	size_t i;

	if (!nc_args_more(a))
		return nc_args_fail(a, NC_EXIT_USAGE,
				    "missing 'udp|icmp|tcp-est|tcp-trans SECONDS', 'max-mappings N' or 'max-mappings-per-host N' after 'timeout set'");
	while ((w = nc_args_next(a))) {
		k = nc_timeout_key(w);
		if (!k)
			return nc_args_fail(a, NC_EXIT_USAGE,
					    "unknown timeout '%s' (expected udp, icmp, tcp-est, tcp-trans, max-mappings or max-mappings-per-host)",
					    w);
		i = (size_t)(k - nc_timeout_keys);
		if (ts->has[i])
			return nc_args_fail(a, NC_EXIT_USAGE,
					    "duplicate '%s'", k->kw);
		if (nc_args_value(a, w, &v))
			return -1;
		if (nc_parse_u32(v, UINT32_MAX, &ts->val[i]) ||
		    ts->val[i] < k->min)
			return nc_args_fail(a, NC_EXIT_USAGE,
					    "bad number '%s' for %s (expected %s, at least %u)",
					    v, k->kw, k->what, k->min);
		ts->has[i] = true;
	}
	return 0;
}

static int nc_timeout_set(struct nc_ctx *ctx, struct nc_args *a)
{
	struct nc_timeout_set ts = { 0 };
	struct nl_msg *msg;
	size_t i;

	if (nc_timeout_set_parse(a, &ts))
		return nc_args_report(a);
	msg = nc_nl_fam_msg(NC_FAM_NAT, NETCHANNEL_NAT_CMD_TIMEOUT_SET, 0, 0);
	for (i = 0; msg && i < NC_NKEYS; i++) {
		if (ts.has[i] &&
		    nla_put_u32(msg, nc_timeout_keys[i].attr, ts.val[i])) {
			nlmsg_free(msg);
			nc_err("out of memory");
			msg = NULL;
		}
	}
	return nc_ctx_do(ctx, msg, NULL, NULL);
}

/* ---- timeout list ---- */

struct nc_timeouts {
	bool got;		/* a reply came */
	uint32_t val[NC_NKEYS];
	uint32_t mappings;
	struct nc_reasons counters;
};

static int nc_timeout_reply(struct nlattr **tb, void *arg)
{
	struct nc_timeouts *to = arg;
	size_t i;

	for (i = 0; i < NC_NKEYS; i++) {
		if (!tb[nc_timeout_keys[i].attr])
			return -1;
		to->val[i] = nla_get_u32(tb[nc_timeout_keys[i].attr]);
	}
	if (tb[NETCHANNEL_NAT_A_MAPPINGS])
		to->mappings = nla_get_u32(tb[NETCHANNEL_NAT_A_MAPPINGS]);
	to->got = true;
	if (tb[NETCHANNEL_NAT_A_STATS])
		return nc_reasons_get(tb[NETCHANNEL_NAT_A_STATS],
				      &to->counters);
	return 0;
}

static void nc_timeouts_print(const struct nc_timeouts *to)
{
	size_t i;

	for (i = 0; i < NC_NKEYS; i++)
		printf("%s %u\n", nc_timeout_keys[i].kw, to->val[i]);
	printf("mappings %u\n", to->mappings);
	for (i = 0; i < to->counters.n; i++)
		printf("reason %s %llu\n", to->counters.v[i].name,
		       (unsigned long long)to->counters.v[i].count);
}

static void nc_timeouts_json(const struct nc_timeouts *to)
{
	struct nc_json j;
	size_t i;

	nc_json_init(&j, stdout);
	nc_json_open(&j, '{');
	for (i = 0; i < NC_NKEYS; i++)
		nc_json_ku64(&j, nc_timeout_keys[i].kw, to->val[i]);
	nc_json_ku64(&j, "mappings", to->mappings);
	nc_json_key(&j, "counters");
	nc_json_open(&j, '{');
	for (i = 0; i < to->counters.n; i++)
		nc_json_ku64(&j, to->counters.v[i].name,
			     to->counters.v[i].count);
	nc_json_close(&j, '}');
	nc_json_close(&j, '}');
	nc_json_finish(&j);
}

static int nc_timeout_list(struct nc_ctx *ctx, struct nc_args *a)
{
	struct nc_timeouts to = { 0 };
	int ret;

	if (nc_args_end(a, "list"))
		return nc_args_report(a);
	ret = nc_ctx_do(ctx, nc_nl_fam_msg(NC_FAM_NAT,
					   NETCHANNEL_NAT_CMD_TIMEOUT_GET, 0, 0),
			nc_timeout_reply, &to);
	if (!ret && !to.got) {
		nc_err("the kernel sent no timeouts");
		ret = NC_EXIT_FAIL;
	}
	if (!ret && ctx->json)
		nc_timeouts_json(&to);
	else if (!ret)
		nc_timeouts_print(&to);
	free(to.counters.v);
	return ret;
}

static const struct nc_cmd nc_timeout_cmds[] = {
	{ "set", nc_timeout_set },
	{ "list", nc_timeout_list },
	{ NULL, NULL }
};

int nc_timeout_main(struct nc_ctx *ctx, struct nc_args *a)
{
	return nc_dispatch(ctx, a, nc_timeout_cmds, "timeout command");
}
