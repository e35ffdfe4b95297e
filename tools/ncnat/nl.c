// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink transport: one socket, one request at a time.
 *
 * libnl 3.7 reports a kernel error as a bare errno and ignores the
 * extended ack, so the error, ack and done handlers here read the TLVs
 * after struct nlmsgerr (or after the errno of NLMSG_DONE) themselves to
 * show the kernel's own message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/socket.h>

#include "ncnat.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* A dump that keeps being interrupted by edits is retried this often. */
#define NC_DUMP_TRIES 10

struct nc_nl {
	struct nl_sock *sk;
	struct nl_cb *cb;
	int family;

	/* State of the exchange in progress. */
	bool done;
	int error;			/* errno the kernel answered, or 0 */
	char extack[NC_ERR_LEN];	/* and the message it gave, if any */
	uint32_t err_off;		/* offset of the culprit, 0 if none */
	const struct nc_nl_where *where;
	bool bad_reply;			/* a reply did not decode */
	bool intr;			/* the dump saw an edit */
	bool have_gen;
	uint32_t gen;
	nc_nl_reply_fn fn;
	void *arg;
};

static struct nla_policy nc_nl_policy[NETCHANNEL_A_MAX + 1] = {
	[NETCHANNEL_A_IFINDEX] = { .type = NLA_U32 },
	[NETCHANNEL_A_IFNAME] = { .type = NLA_STRING },
	[NETCHANNEL_A_DEV_STATS] = { .type = NLA_NESTED },
	[NETCHANNEL_A_RULE] = { .type = NLA_NESTED },
	[NETCHANNEL_A_RULESET] = { .type = NLA_NESTED },
	[NETCHANNEL_A_GENERATION] = { .type = NLA_U32 },
	[NETCHANNEL_A_STATS] = { .type = NLA_NESTED },
	[NETCHANNEL_A_CONSUMER] = { .type = NLA_NESTED },
};

/*
 * Reads the extended ack TLVs that follow @payload bytes of @nlh's body:
 * the message into @buf, the offset of the attribute it blames into
 * @off.  Leaves both alone if there are none.
 */
static void nc_nl_extack(const struct nlmsghdr *nlh, size_t payload,
			 char *buf, size_t len, uint32_t *off)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t start = NLMSG_HDRLEN + NLMSG_ALIGN(payload);
	struct nlattr *msg;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || start >= nlh->nlmsg_len)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)nlh + start),
		      (int)(nlh->nlmsg_len - start), NULL))
		return;
	if (off && tb[NLMSGERR_ATTR_OFFS] &&
	    nla_len(tb[NLMSGERR_ATTR_OFFS]) >= 4)
		*off = nla_get_u32(tb[NLMSGERR_ATTR_OFFS]);
	msg = tb[NLMSGERR_ATTR_MSG];
	if (msg && nla_len(msg) > 0)
		snprintf(buf, len, "%.*s", nla_len(msg), (char *)nla_data(msg));
	else if (tb[NLMSGERR_ATTR_MISS_TYPE] &&
		 nla_len(tb[NLMSGERR_ATTR_MISS_TYPE]) >= 4)
		snprintf(buf, len, "%s (missing attribute %u)",
			 strerror(EINVAL),
			 nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]));
}

static int nc_nl_on_error(struct sockaddr_nl *who, struct nlmsgerr *e,
			  void *arg)
{
	const struct nlmsghdr *nlh =
		(const struct nlmsghdr *)((const char *)e - NLMSG_HDRLEN);
	struct nc_nl *nl = arg;
	size_t payload = sizeof(*e);

	(void)who;
	/* Unless capped, the request's body is echoed before the TLVs. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) &&
	    e->msg.nlmsg_len >= NLMSG_HDRLEN)
		payload += e->msg.nlmsg_len - NLMSG_HDRLEN;
	nl->error = -e->error;
	nc_nl_extack(nlh, payload, nl->extack, sizeof(nl->extack),
		     &nl->err_off);
	nl->done = true;
	return NL_STOP;
}

/* A success ack may still carry a message: the kernel's warning. */
static int nc_nl_on_ack(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nc_nl *nl = arg;
	char warn[NC_ERR_LEN] = "";

	nc_nl_extack(nlh, sizeof(struct nlmsgerr), warn, sizeof(warn), NULL);
	if (warn[0])
		nc_err("warning: %s", warn);
	nl->done = true;
	return NL_STOP;
}

/* NLMSG_DONE carries an errno when a dump failed part way. */
static int nc_nl_on_done(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nc_nl *nl = arg;
	int err = 0;

	if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(err))
		memcpy(&err, nlmsg_data(nlh), sizeof(err));
	if (err < 0) {
		nl->error = -err;
		nc_nl_extack(nlh, sizeof(err), nl->extack, sizeof(nl->extack),
			     NULL);
	}
	nl->done = true;
	return NL_STOP;
}

/* Must return NL_OK: skipping would also skip libnl's NLMSG_DONE logic. */
static int nc_nl_on_intr(struct nl_msg *msg, void *arg)
{
	struct nc_nl *nl = arg;

	(void)msg;
	nl->intr = true;
	return NL_OK;
}

static void nc_nl_check_gen(struct nc_nl *nl, struct nlattr *attr)
{
	uint32_t gen = nla_get_u32(attr);

	if (nl->have_gen && gen != nl->gen)
		nl->intr = true;
	nl->have_gen = true;
	nl->gen = gen;
}

static int nc_nl_on_valid(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[NETCHANNEL_A_MAX + 1];
	struct nc_nl *nl = arg;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, NETCHANNEL_A_MAX,
			  nc_nl_policy)) {
		nl->bad_reply = true;
		return NL_SKIP;
	}
	if (tb[NETCHANNEL_A_GENERATION])
		nc_nl_check_gen(nl, tb[NETCHANNEL_A_GENERATION]);
	if (nl->fn && nl->fn(tb, nl->arg))
		nl->bad_reply = true;
	return NL_OK;
}

static int nc_nl_setup_cb(struct nc_nl *nl)
{
	nl->cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!nl->cb)
		return -1;
	nl_cb_set(nl->cb, NL_CB_VALID, NL_CB_CUSTOM, nc_nl_on_valid, nl);
	nl_cb_set(nl->cb, NL_CB_ACK, NL_CB_CUSTOM, nc_nl_on_ack, nl);
	nl_cb_set(nl->cb, NL_CB_FINISH, NL_CB_CUSTOM, nc_nl_on_done, nl);
	nl_cb_set(nl->cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, nc_nl_on_intr, nl);
	nl_cb_err(nl->cb, NL_CB_CUSTOM, nc_nl_on_error, nl);
	return 0;
}

/* Best effort: kernels without these just send bare errnos. */
static void nc_nl_sockopts(struct nc_nl *nl)
{
	int fd = nl_socket_get_fd(nl->sk), one = 1;

	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
}

static int nc_nl_resolve(struct nc_nl *nl)
{
	nl->family = genl_ctrl_resolve(nl->sk, NETCHANNEL_FAMILY_NAME);
	if (nl->family >= 0)
		return 0;
	if (nl->family == -NLE_OBJ_NOTFOUND)
		nc_err("generic netlink family '%s' not found: is the netchannel module loaded?",
		       NETCHANNEL_FAMILY_NAME);
	else
		nc_err("cannot resolve generic netlink family '%s': %s",
		       NETCHANNEL_FAMILY_NAME, nl_geterror(nl->family));
	return -1;
}

struct nc_nl *nc_nl_open(void)
{
	struct nc_nl *nl = calloc(1, sizeof(*nl));
	int err;

	if (!nl || !(nl->sk = nl_socket_alloc()) || nc_nl_setup_cb(nl)) {
		nc_err("out of memory");
		goto err_free;
	}
	err = nl_connect(nl->sk, NETLINK_GENERIC);
	if (err) {
		nc_err("cannot open a generic netlink socket: %s",
		       nl_geterror(err));
		goto err_free;
	}
	/* Dump messages can be larger than libnl's default buffer. */
	nl_socket_enable_msg_peek(nl->sk);
	nc_nl_sockopts(nl);
	if (nc_nl_resolve(nl))
		goto err_free;
	return nl;

err_free:
	nc_nl_close(nl);
	return NULL;
}

void nc_nl_close(struct nc_nl *nl)
{
	if (!nl)
		return;
	if (nl->cb)
		nl_cb_put(nl->cb);
	if (nl->sk)
		nl_socket_free(nl->sk);
	free(nl);
}

/*
 * A request of @cmd; @size 0 means libnl's default buffer.  It needs no
 * socket, so commands build (and size-check) requests before connecting;
 * the family id is filled in when it is sent.
 */
struct nl_msg *nc_nl_msg(uint8_t cmd, int flags, size_t size)
{
	struct nl_msg *msg = size ? nlmsg_alloc_size(size) : nlmsg_alloc();

	if (msg && genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, 0, 0, flags,
			       cmd, NETCHANNEL_FAMILY_VERSION))
		return msg;
	nlmsg_free(msg);
	nc_err("out of memory");
	return NULL;
}

static int nc_nl_report(const struct nc_nl *nl)
{
	const char *sep = "";
	char where[NC_ERR_LEN] = "";

	if (nl->err_off && nl->where) {
		nl->where->fn(nl->err_off, nl->where->arg, where,
			      sizeof(where));
		sep = where[0] ? ": " : "";
	}
	if ((nl->error == EPERM || nl->error == EACCES) && !nl->extack[0])
		nc_err("%s%s%s: netchannel needs CAP_NET_ADMIN in the network namespace (run as root)",
		       where, sep, strerror(nl->error));
	else
		nc_err("%s%s%s", where, sep,
		       nl->extack[0] ? nl->extack : strerror(nl->error));
	return -1;
}

static void nc_nl_reset(struct nc_nl *nl, nc_nl_reply_fn fn, void *arg)
{
	nl->done = false;
	nl->error = 0;
	nl->extack[0] = '\0';
	nl->err_off = 0;
	nl->where = NULL;
	nl->bad_reply = false;
	nl->intr = false;
	nl->have_gen = false;
	nl->fn = fn;
	nl->arg = arg;
}

/* Sends @msg (consumed) and reads replies until its ack or done. */
static int nc_nl_xfer(struct nc_nl *nl, struct nl_msg *msg,
		      nc_nl_reply_fn fn, void *arg,
		      const struct nc_nl_where *where)
{
	int ret;

	nc_nl_reset(nl, fn, arg);
	nl->where = where;
	nlmsg_hdr(msg)->nlmsg_type = (uint16_t)nl->family;
	ret = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	if (ret < 0) {
		nc_err("cannot send the request: %s", nl_geterror(ret));
		return -1;
	}
	while (!nl->done) {
		ret = nl_recvmsgs(nl->sk, nl->cb);
		if (ret < 0 && !nl->done) {
			nc_err("netlink: %s", nl_geterror(ret));
			return -1;
		}
	}
	if (nl->error)
		return nc_nl_report(nl);
	if (nl->bad_reply) {
		nc_err("malformed reply from the kernel");
		return -1;
	}
	return 0;
}

/*
 * A request with an ack; @fn (may be NULL) sees the reply, if any, and
 * @where (may be NULL) places an error in the request.
 */
int nc_nl_do(struct nc_nl *nl, struct nl_msg *msg, nc_nl_reply_fn fn,
	     void *arg, const struct nc_nl_where *where)
{
	nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_ACK;
	return nc_nl_xfer(nl, msg, fn, arg, where);
}

/*
 * A consistent dump: if an edit interrupted it (NLM_F_DUMP_INTR, or the
 * generation changed between messages) @reset drops what @fn collected
 * and the dump starts over.
 */
int nc_nl_dump(struct nc_nl *nl, uint8_t cmd, nc_nl_reply_fn fn,
	       void (*reset)(void *arg), void *arg)
{
	struct nl_msg *msg;
	int try;

	for (try = 0; try < NC_DUMP_TRIES; try++) {
		reset(arg);
		msg = nc_nl_msg(cmd, NLM_F_DUMP, 0);
		if (!msg || nc_nl_xfer(nl, msg, fn, arg, NULL))
			return -1;
		if (!nl->intr)
			return 0;
	}
	nc_err("the kernel state kept changing during the dump; gave up after %d tries",
	       NC_DUMP_TRIES);
	return -1;
}
