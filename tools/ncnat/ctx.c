// SPDX-License-Identifier: GPL-2.0
/*
 * The per-invocation context: command dispatch, the network namespace of
 * -n, and the netlink socket opened inside it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "ncnat.h"

static void nc_cmd_names(const struct nc_cmd *cmds, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (; cmds->name && used < len; cmds++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 used ? ", " : "", cmds->name);
}

/* Runs the entry of @cmds named by the next word. */
int nc_dispatch(struct nc_ctx *ctx, struct nc_args *a,
		const struct nc_cmd *cmds, const char *what)
{
	const char *w = nc_args_next(a);
	const struct nc_cmd *c;
	char names[128];

	nc_cmd_names(cmds, names, sizeof(names));
	if (!w) {
		nc_args_fail(a, NC_EXIT_USAGE, "missing %s (%s)", what, names);
		return nc_args_report(a);
	}
	for (c = cmds; c->name; c++)
		if (!strcmp(c->name, w))
			return c->run(ctx, a);
	nc_args_fail(a, NC_EXIT_USAGE, "unknown %s '%s' (expected %s)", what, w,
		     names);
	return nc_args_report(a);
}

/* Enters -n NETNS, once; before any device name is resolved. */
int nc_ctx_enter(struct nc_ctx *ctx)
{
	char path[PATH_MAX];
	int fd, err;

	if (!ctx->netns || ctx->in_netns)
		return 0;
	snprintf(path, sizeof(path), "/run/netns/%s", ctx->netns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		nc_err("cannot open network namespace '%s' (%s): %s",
		       ctx->netns, path, strerror(errno));
		return -1;
	}
	err = setns(fd, CLONE_NEWNET) ? errno : 0;
	if (err)
		nc_err("cannot enter network namespace '%s': %s%s", ctx->netns,
		       strerror(err), err == EPERM ? " (run as root)" : "");
	close(fd);
	if (err)
		return -1;
	ctx->in_netns = true;
	return 0;
}

/* The netlink socket, opened inside the netns on first use. */
struct nc_nl *nc_ctx_connect(struct nc_ctx *ctx)
{
	if (nc_ctx_enter(ctx))
		return NULL;
	if (!ctx->nl)
		ctx->nl = nc_nl_open();
	return ctx->nl;
}

static int nc_ctx_send(struct nc_ctx *ctx, struct nl_msg *msg,
		       nc_nl_reply_fn fn, void *arg,
		       const struct nc_nl_where *where)
{
	struct nc_nl *nl = msg ? nc_ctx_connect(ctx) : NULL;

	if (!nl) {
		nlmsg_free(msg);
		return NC_EXIT_FAIL;
	}
	return nc_nl_do(nl, msg, fn, arg, where) ? NC_EXIT_FAIL : NC_EXIT_OK;
}

/* Sends @msg (consumed, may be NULL after a failed build); NC_EXIT_*. */
int nc_ctx_do(struct nc_ctx *ctx, struct nl_msg *msg, nc_nl_reply_fn fn,
	      void *arg)
{
	return nc_ctx_send(ctx, msg, fn, arg, NULL);
}

/* The same, for a request whose errors @where can place (load). */
int nc_ctx_do_where(struct nc_ctx *ctx, struct nl_msg *msg,
		    const struct nc_nl_where *where)
{
	return nc_ctx_send(ctx, msg, NULL, NULL, where);
}

/* A consistent dump of @cmd of @fam (see nc_nl_dump()); NC_EXIT_*. */
int nc_ctx_dump(struct nc_ctx *ctx, enum nc_fam fam, uint8_t cmd,
		nc_nl_reply_fn fn, void (*reset)(void *arg), void *arg)
{
	struct nc_nl *nl = nc_ctx_connect(ctx);

	if (!nl || nc_nl_dump(nl, fam, cmd, fn, reset, arg))
		return NC_EXIT_FAIL;
	return NC_EXIT_OK;
}
