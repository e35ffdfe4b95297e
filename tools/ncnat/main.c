// SPDX-License-Identifier: GPL-2.0
/*
 * ncnat: usage, global options and the object table.
 */
#include <errno.h>
#include <string.h>

#include "ncnat.h"

static const char nc_usage_text[] =
"Usage: ncnat [-j|--json] [-n|--netns NETNS] OBJECT COMMAND [ARGS]\n"
"\n"
"  ncnat dev attach DEV | dev detach DEV | dev list\n"
"  ncnat rule add [prio N] MATCH... VERDICT   (prints the new handle)\n"
"  ncnat rule del handle H | rule flush | rule list\n"
"  ncnat stats\n"
"  ncnat load FILE|-     (atomically replace the ruleset)\n"
"  ncnat save            (print the ruleset for 'ncnat load')\n"
"  ncnat flow list | flow flush          (NAT mappings)\n"
"  ncnat timeout set udp|icmp|tcp-est|tcp-trans SECONDS | max-mappings N\n"
"  ncnat timeout list    (NAT timeouts, mapping count, NAT counters)\n"
"  ncnat monitor         (a line per mapping created or expired)\n"
"\n"
"  MATCH   := family ip|ip6 | iif DEV | oif DEV | proto tcp|udp|icmp|icmpv6|NUM\n"
"           | saddr PREFIX | daddr PREFIX | sport P[-P] | dport P[-P]\n"
"  VERDICT := accept | drop\n"
"           | snat to ADDR[-ADDR] [ports P[-P]] [filtering eif|adf|apdf]\n"
"           | masquerade [ports P[-P]] [filtering eif|adf|apdf]\n"
"           | dnat to ADDR[:PORT]\n"
"           | netmap to PREFIX\n"
"\n"
"  -j, --json         print JSON instead of text\n"
"  -n, --netns NETNS  work in the network namespace /run/netns/NETNS\n"
"  -h, --help         print this help\n"
"\n"
"Exit status: 0 success, 1 the kernel or system refused, 2 bad usage.\n"
"See ncnat(8).\n";

static int nc_help(struct nc_ctx *ctx, struct nc_args *a)
{
	(void)ctx;
	(void)a;
	fputs(nc_usage_text, stdout);
	return NC_EXIT_OK;
}

/* Adding an object is one line here. */
static const struct nc_cmd nc_objects[] = {
	{ "dev", nc_dev_main },
	{ "rule", nc_rule_main },
	{ "stats", nc_stats_main },
	{ "load", nc_load_main },
	{ "save", nc_save_main },
	{ "flow", nc_flow_main },
	{ "timeout", nc_timeout_main },
	{ "monitor", nc_monitor_main },
	{ "help", nc_help },
	{ NULL, NULL }
};

/* A name under /run/netns, not a path that escapes it. */
static int nc_set_netns(struct nc_ctx *ctx, struct nc_args *a,
			const char *name)
{
	if (!*name || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return nc_args_fail(a, NC_EXIT_USAGE,
				    "bad network namespace name '%s'", name);
	ctx->netns = name;
	return 0;
}

static int nc_parse_option(struct nc_ctx *ctx, struct nc_args *a,
			   const char *w)
{
	const char *val;

	if (!strcmp(w, "-j") || !strcmp(w, "--json")) {
		ctx->json = true;
		return 0;
	}
	if (!strcmp(w, "-n") || !strcmp(w, "--netns")) {
		if (nc_args_value(a, w, &val))
			return -1;
		return nc_set_netns(ctx, a, val);
	}
	if (!strncmp(w, "--netns=", 8))
		return nc_set_netns(ctx, a, w + 8);
	return nc_args_fail(a, NC_EXIT_USAGE, "unknown option '%s'", w);
}

/* Options before the object word; returns 1 if help was asked for. */
static int nc_parse_options(struct nc_ctx *ctx, struct nc_args *a)
{
	const char *w;

	while ((w = nc_args_peek(a)) && w[0] == '-') {
		nc_args_next(a);
		if (!strcmp(w, "-h") || !strcmp(w, "--help"))
			return 1;
		if (!strcmp(w, "--"))
			break;
		if (nc_parse_option(ctx, a, w))
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct nc_ctx ctx = { 0 };
	struct nc_args a;
	int ret;

	if (argc < 2) {
		fputs(nc_usage_text, stderr);
		return NC_EXIT_USAGE;
	}
	nc_args_init(&a, argc - 1, argv + 1);
	ret = nc_parse_options(&ctx, &a);
	if (ret)
		return ret > 0 ? nc_help(&ctx, &a) : nc_args_report(&a);
	ret = nc_dispatch(&ctx, &a, nc_objects, "object");
	nc_nl_close(ctx.nl);
	if (fflush(stdout) || ferror(stdout)) {
		nc_err("cannot write the output: %s", strerror(errno));
		if (!ret)
			ret = NC_EXIT_FAIL;
	}
	return ret;
}
