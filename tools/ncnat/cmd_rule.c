// SPDX-License-Identifier: GPL-2.0
/*
 * ncnat rule add|del|flush|list, and ncnat save.
 */
#include <stdlib.h>
#include <string.h>

#include "ncnat.h"

struct nc_rules {
	struct nc_rule *v;
	size_t n;
	size_t cap;
};

static int nc_rule_send(struct nc_ctx *ctx, uint8_t cmd,
			const struct nc_rule *r, nc_nl_reply_fn fn, void *arg)
{
	struct nl_msg *msg = nc_nl_msg(cmd, 0, 0);

	if (msg && r && nc_rule_put(msg, r)) {
		nlmsg_free(msg);
		nc_err("out of memory");
		msg = NULL;
	}
	return nc_ctx_do(ctx, msg, fn, arg);
}

/* RULE_ADD's reply: RULE { HANDLE }. */
static int nc_rule_add_reply(struct nlattr **tb, void *arg)
{
	struct nc_rule *reply = arg;

	if (!tb[NETCHANNEL_A_RULE])
		return 0;
	return nc_rule_get(tb[NETCHANNEL_A_RULE], reply);
}

static void nc_print_handle(const struct nc_ctx *ctx, uint32_t handle)
{
	struct nc_json j;

	if (!ctx->json) {
		printf("%u\n", handle);
		return;
	}
	nc_json_init(&j, stdout);
	nc_json_open(&j, '{');
	nc_json_ku64(&j, "handle", handle);
	nc_json_close(&j, '}');
	nc_json_finish(&j);
}

static int nc_rule_add(struct nc_ctx *ctx, struct nc_args *a)
{
	struct nc_rule r, reply = { 0 };
	char err[NC_ERR_LEN];
	int ret;

	if (nc_rule_parse(a, &r))
		return nc_args_report(a);
	if (nc_ctx_enter(ctx))
		return NC_EXIT_FAIL;
	if (nc_rule_resolve(&r, err, sizeof(err))) {
		nc_err("%s", err);
		return NC_EXIT_FAIL;
	}
	ret = nc_rule_send(ctx, NETCHANNEL_CMD_RULE_ADD, &r, nc_rule_add_reply,
			   &reply);
	if (ret)
		return ret;
	if (!reply.has_handle) {
		nc_err("the rule was added but the kernel sent no handle");
		return NC_EXIT_FAIL;
	}
	nc_print_handle(ctx, reply.handle);
	return NC_EXIT_OK;
}

static int nc_rule_del_parse(struct nc_args *a, struct nc_rule *r)
{
	const char *w = nc_args_next(a);

	memset(r, 0, sizeof(*r));
	if (!w)
		return nc_args_fail(a, NC_EXIT_USAGE,
				    "missing 'handle H' after 'rule del'");
	if (strcmp(w, "handle"))
		return nc_args_fail(a, NC_EXIT_USAGE,
				    "unknown word '%s' after 'rule del' (expected 'handle H')",
				    w);
	if (nc_args_value(a, "handle", &w))
		return -1;
	if (nc_parse_u32(w, UINT32_MAX, &r->handle))
		return nc_args_fail(a, NC_EXIT_USAGE,
				    "bad number '%s' for handle", w);
	r->has_handle = true;
	return nc_args_end(a, w);
}

static int nc_rule_del(struct nc_ctx *ctx, struct nc_args *a)
{
	struct nc_rule r;

	if (nc_rule_del_parse(a, &r))
		return nc_args_report(a);
	return nc_rule_send(ctx, NETCHANNEL_CMD_RULE_DEL, &r, NULL, NULL);
}

static int nc_rule_flush(struct nc_ctx *ctx, struct nc_args *a)
{
	if (nc_args_end(a, "flush"))
		return nc_args_report(a);
	return nc_rule_send(ctx, NETCHANNEL_CMD_RULE_FLUSH, NULL, NULL, NULL);
}

/* ---- dumping the ruleset ---- */

static int nc_rules_collect(struct nlattr **tb, void *arg)
{
	struct nc_rules *rules = arg;
	struct nc_rule *v;

	if (!tb[NETCHANNEL_A_RULE])
		return 0;
	if (rules->n == rules->cap) {
		rules->cap = rules->cap ? rules->cap * 2 : 64;
		v = realloc(rules->v, rules->cap * sizeof(*v));
		if (!v)
			return -1;
		rules->v = v;
	}
	if (nc_rule_get(tb[NETCHANNEL_A_RULE], &rules->v[rules->n]))
		return -1;
	rules->n++;
	return 0;
}

static void nc_rules_reset(void *arg)
{
	((struct nc_rules *)arg)->n = 0;
}

static void nc_rules_json(const struct nc_rules *rules)
{
	struct nc_json j;
	size_t i;

	nc_json_init(&j, stdout);
	nc_json_open(&j, '[');
	for (i = 0; i < rules->n; i++)
		nc_rule_json(&j, &rules->v[i]);
	nc_json_close(&j, ']');
	nc_json_finish(&j);
}

/* Dumps the rules and prints them in kernel (classification) order. */
static int nc_rules_show(struct nc_ctx *ctx, enum nc_rule_style style)
{
	struct nc_rules rules = { 0 };
	size_t i;

	if (nc_ctx_dump(ctx, NC_FAM_CORE, NETCHANNEL_CMD_RULE_GET,
			nc_rules_collect, nc_rules_reset, &rules)) {
		free(rules.v);
		return NC_EXIT_FAIL;
	}
	if (ctx->json && style == NC_RULE_LIST)
		nc_rules_json(&rules);
	else
		for (i = 0; i < rules.n; i++)
			nc_rule_print(stdout, &rules.v[i], style);
	free(rules.v);
	return NC_EXIT_OK;
}

static int nc_rule_list(struct nc_ctx *ctx, struct nc_args *a)
{
	if (nc_args_end(a, "list"))
		return nc_args_report(a);
	return nc_rules_show(ctx, NC_RULE_LIST);
}

/* save prints "rule add" lines, which have no JSON form; -j is ignored. */
int nc_save_main(struct nc_ctx *ctx, struct nc_args *a)
{
	if (nc_args_end(a, "save"))
		return nc_args_report(a);
	return nc_rules_show(ctx, NC_RULE_SAVE);
}

static const struct nc_cmd nc_rule_cmds[] = {
	{ "add", nc_rule_add },
	{ "del", nc_rule_del },
	{ "flush", nc_rule_flush },
	{ "list", nc_rule_list },
	{ NULL, NULL }
};

int nc_rule_main(struct nc_ctx *ctx, struct nc_args *a)
{
	return nc_dispatch(ctx, a, nc_rule_cmds, "rule command");
}
