// SPDX-License-Identifier: GPL-2.0
/*
 * ncnat monitor: a line per NAT mapping created or removed, as the
 * netchannel_nat family announces them on its "monitor" group (NAT
 * logging), until SIGINT or SIGTERM:
 *
 *   new PROTO inside A:P outside A:P remote A:P
 *   expire PROTO inside A:P outside A:P remote A:P
 *
 * With -j, a JSON object per line: "event" and the keys of `flow list`.
 * Every line is flushed at once, for readers at the end of a pipe.  The
 * group is per netns: -n is entered before the socket is opened.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>

#include "flow.h"

static volatile sig_atomic_t nc_monitor_stop;

static void nc_monitor_on_signal(int sig)
{
	(void)sig;
	nc_monitor_stop = 1;
}

static int nc_monitor_event(uint8_t cmd, struct nlattr **tb, void *arg)
{
	const struct nc_ctx *ctx = arg;
	struct nc_flow f;
	struct nc_json j;
	const char *what;

	if (cmd == NETCHANNEL_NAT_CMD_FLOW_NEW)
		what = "new";
	else if (cmd == NETCHANNEL_NAT_CMD_FLOW_DEL)
		what = "expire";
	else
		return 0;
	if (!tb[NETCHANNEL_NAT_A_FLOW] ||
	    nc_flow_get(tb[NETCHANNEL_NAT_A_FLOW], &f)) {
		nc_err("warning: skipped a malformed %s event", what);
		return 0;
	}
	if (ctx->json) {
		nc_json_init(&j, stdout);
		nc_json_open(&j, '{');
		nc_json_kstr(&j, "event", what);
		nc_flow_json_fields(&j, &f);
		nc_json_close(&j, '}');
		nc_json_finish(&j);
	} else {
		printf("%s ", what);
		nc_flow_print_endpoints(stdout, &f);
		putchar('\n');
	}
	if (fflush(stdout) || ferror(stdout)) {
		nc_err("cannot write the output: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * SIGINT and SIGTERM stay blocked except inside ppoll(), so a signal
 * cannot slip in between the check of the flag and the wait.
 */
static int nc_monitor_signals(sigset_t *wait_mask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = nc_monitor_on_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &block, wait_mask) ||
	    sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL)) {
		nc_err("cannot set up signal handling: %s", strerror(errno));
		return -1;
	}
	sigdelset(wait_mask, SIGINT);
	sigdelset(wait_mask, SIGTERM);
	return 0;
}

static int nc_monitor_loop(struct nc_nl *nl, const sigset_t *wait_mask)
{
	struct pollfd pfd = { .fd = nc_nl_fd(nl), .events = POLLIN };

	while (!nc_monitor_stop) {
		if (ppoll(&pfd, 1, NULL, wait_mask) < 0) {
			if (errno == EINTR)
				continue;
			nc_err("poll: %s", strerror(errno));
			return NC_EXIT_FAIL;
		}
		if (nc_nl_read_events(nl))
			return NC_EXIT_FAIL;
	}
	return NC_EXIT_OK;
}

int nc_monitor_main(struct nc_ctx *ctx, struct nc_args *a)
{
	sigset_t wait_mask;
	struct nc_nl *nl;

	if (nc_args_end(a, "monitor"))
		return nc_args_report(a);
	if (nc_monitor_signals(&wait_mask))
		return NC_EXIT_FAIL;
	nl = nc_ctx_connect(ctx);
	if (!nl || nc_nl_join(nl, NC_FAM_NAT, NETCHANNEL_NAT_MCGRP_MONITOR,
			      nc_monitor_event, ctx))
		return NC_EXIT_FAIL;
	return nc_monitor_loop(nl, &wait_mask);
}
