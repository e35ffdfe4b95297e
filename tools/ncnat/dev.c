// SPDX-License-Identifier: GPL-2.0
/*
 * ncnat dev attach DEV | dev detach DEV | dev list
 */
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "ncnat.h"

struct nc_dev {
	uint32_t ifindex;
	char name[64];
	uint64_t seen;
	uint64_t matched;
	uint64_t passed;
	uint64_t dropped;
};

struct nc_devs {
	struct nc_dev *v;
	size_t n;
	size_t cap;
};

static int nc_dev_set(struct nc_ctx *ctx, struct nc_args *a, uint8_t cmd,
		      const char *verb)
{
	struct nl_msg *msg;
	const char *name;
	uint32_t ifindex;

	name = nc_args_next(a);
	if (!name)
		nc_args_fail(a, NC_EXIT_USAGE, "missing device after 'dev %s'",
			     verb);
	if (!name || nc_args_end(a, name))
		return nc_args_report(a);
	if (nc_ctx_enter(ctx))
		return NC_EXIT_FAIL;
	if (nc_ifname_resolve(name, &ifindex)) {
		nc_err("unknown device '%s'", name);
		return NC_EXIT_FAIL;
	}
	msg = nc_nl_msg(cmd, 0, 0);
	if (msg && nla_put_u32(msg, NETCHANNEL_A_IFINDEX, ifindex)) {
		nlmsg_free(msg);
		nc_err("out of memory");
		msg = NULL;
	}
	return nc_ctx_do(ctx, msg, NULL, NULL);
}

static int nc_dev_attach(struct nc_ctx *ctx, struct nc_args *a)
{
	return nc_dev_set(ctx, a, NETCHANNEL_CMD_DEV_ATTACH, "attach");
}

static int nc_dev_detach(struct nc_ctx *ctx, struct nc_args *a)
{
	return nc_dev_set(ctx, a, NETCHANNEL_CMD_DEV_DETACH, "detach");
}

static struct nla_policy nc_dev_stats_policy[NETCHANNEL_A_DEV_STATS_MAX + 1] = {
	[NETCHANNEL_A_DEV_STATS_SEEN] = { .type = NLA_U64 },
	[NETCHANNEL_A_DEV_STATS_MATCHED] = { .type = NLA_U64 },
	[NETCHANNEL_A_DEV_STATS_PASSED] = { .type = NLA_U64 },
	[NETCHANNEL_A_DEV_STATS_DROPPED] = { .type = NLA_U64 },
};

static uint64_t nc_u64_or_0(struct nlattr *attr)
{
	return attr ? nla_get_u64(attr) : 0;
}

static int nc_dev_get_stats(struct nlattr *nest, struct nc_dev *d)
{
	struct nlattr *tb[NETCHANNEL_A_DEV_STATS_MAX + 1];

	if (nla_parse_nested(tb, NETCHANNEL_A_DEV_STATS_MAX, nest,
			     nc_dev_stats_policy))
		return -1;
	d->seen = nc_u64_or_0(tb[NETCHANNEL_A_DEV_STATS_SEEN]);
	d->matched = nc_u64_or_0(tb[NETCHANNEL_A_DEV_STATS_MATCHED]);
	d->passed = nc_u64_or_0(tb[NETCHANNEL_A_DEV_STATS_PASSED]);
	d->dropped = nc_u64_or_0(tb[NETCHANNEL_A_DEV_STATS_DROPPED]);
	return 0;
}

/* The name the kernel sent; else ours for the ifindex; else the number. */
static void nc_dev_name(struct nlattr *attr, struct nc_dev *d)
{
	char name[IF_NAMESIZE];

	if (attr)
		snprintf(d->name, sizeof(d->name), "%s",
			 (char *)nla_data(attr));
	else if (if_indextoname(d->ifindex, name))
		snprintf(d->name, sizeof(d->name), "%s", name);
	else
		snprintf(d->name, sizeof(d->name), "%u", d->ifindex);
}

static int nc_devs_collect(struct nlattr **tb, void *arg)
{
	struct nc_devs *devs = arg;
	struct nc_dev *d;

	if (!tb[NETCHANNEL_A_IFINDEX])
		return -1;
	if (devs->n == devs->cap) {
		devs->cap = devs->cap ? devs->cap * 2 : 16;
		d = realloc(devs->v, devs->cap * sizeof(*d));
		if (!d)
			return -1;
		devs->v = d;
	}
	d = &devs->v[devs->n];
	memset(d, 0, sizeof(*d));
	d->ifindex = nla_get_u32(tb[NETCHANNEL_A_IFINDEX]);
	nc_dev_name(tb[NETCHANNEL_A_IFNAME], d);
	if (tb[NETCHANNEL_A_DEV_STATS] &&
	    nc_dev_get_stats(tb[NETCHANNEL_A_DEV_STATS], d))
		return -1;
	devs->n++;
	return 0;
}

static void nc_devs_reset(void *arg)
{
	((struct nc_devs *)arg)->n = 0;
}

static void nc_devs_print(const struct nc_devs *devs)
{
	const struct nc_dev *d;
	size_t i;

	for (i = 0; i < devs->n; i++) {
		d = &devs->v[i];
		printf("%s ifindex %u seen %llu matched %llu passed %llu dropped %llu\n",
		       d->name, d->ifindex, (unsigned long long)d->seen,
		       (unsigned long long)d->matched,
		       (unsigned long long)d->passed,
		       (unsigned long long)d->dropped);
	}
}

static void nc_devs_json(const struct nc_devs *devs)
{
	const struct nc_dev *d;
	struct nc_json j;
	size_t i;

	nc_json_init(&j, stdout);
	nc_json_open(&j, '[');
	for (i = 0; i < devs->n; i++) {
		d = &devs->v[i];
		nc_json_open(&j, '{');
		nc_json_kstr(&j, "ifname", d->name);
		nc_json_ku64(&j, "ifindex", d->ifindex);
		nc_json_ku64(&j, "seen", d->seen);
		nc_json_ku64(&j, "matched", d->matched);
		nc_json_ku64(&j, "passed", d->passed);
		nc_json_ku64(&j, "dropped", d->dropped);
		nc_json_close(&j, '}');
	}
	nc_json_close(&j, ']');
	nc_json_finish(&j);
}

static int nc_dev_list(struct nc_ctx *ctx, struct nc_args *a)
{
	struct nc_devs devs = { 0 };
	int ret;

	if (nc_args_end(a, "list"))
		return nc_args_report(a);
	ret = nc_ctx_dump(ctx, NC_FAM_CORE, NETCHANNEL_CMD_DEV_GET,
			  nc_devs_collect, nc_devs_reset, &devs);
	if (!ret && ctx->json)
		nc_devs_json(&devs);
	else if (!ret)
		nc_devs_print(&devs);
	free(devs.v);
	return ret;
}

static const struct nc_cmd nc_dev_cmds[] = {
	{ "attach", nc_dev_attach },
	{ "detach", nc_dev_detach },
	{ "list", nc_dev_list },
	{ NULL, NULL }
};

int nc_dev_main(struct nc_ctx *ctx, struct nc_args *a)
{
	return nc_dispatch(ctx, a, nc_dev_cmds, "dev command");
}
