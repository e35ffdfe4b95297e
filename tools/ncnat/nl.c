// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink transport: one socket, one request at a time, to either
 * family (resolved on first use, so a missing NAT module only fails the
 * commands that need it); or, after nc_nl_join(), a stream of events.
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

/* What the transport knows of each family. */
struct nc_nl_fam {
	const char *name;
	uint8_t version;
	int maxattr;
	struct nla_policy *policy;
	int gen_attr;		/* GENERATION attribute that dumps carry, or 0 */
};

struct nc_nl {
	struct nl_sock *sk;
	struct nl_cb *cb;
	int ids[NC_FAM_COUNT];	/* family ids, 0 until resolved */
	enum nc_fam fam;	/* of the exchange in progress */

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
	nc_nl_event_fn event_fn;	/* set by nc_nl_join() */
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

static struct nla_policy nc_nl_nat_policy[NETCHANNEL_NAT_A_MAX + 1] = {
	[NETCHANNEL_NAT_A_FLOW] = { .type = NLA_NESTED },
	[NETCHANNEL_NAT_A_TIMEOUT_UDP] = { .type = NLA_U32 },
	[NETCHANNEL_NAT_A_TIMEOUT_ICMP] = { .type = NLA_U32 },
	[NETCHANNEL_NAT_A_TIMEOUT_TCP_EST] = { .type = NLA_U32 },
	[NETCHANNEL_NAT_A_TIMEOUT_TCP_TRANS] = { .type = NLA_U32 },
	[NETCHANNEL_NAT_A_MAX_MAPPINGS] = { .type = NLA_U32 },
	[NETCHANNEL_NAT_A_MAPPINGS] = { .type = NLA_U32 },
	[NETCHANNEL_NAT_A_GENERATION] = { .type = NLA_U32 },
	[NETCHANNEL_NAT_A_STATS] = { .type = NLA_NESTED },
};

static const struct nc_nl_fam nc_nl_fams[NC_FAM_COUNT] = {
	[NC_FAM_CORE] = { NETCHANNEL_FAMILY_NAME, NETCHANNEL_FAMILY_VERSION,
			  NETCHANNEL_A_MAX, nc_nl_policy,
			  NETCHANNEL_A_GENERATION },
	[NC_FAM_NAT] = { NETCHANNEL_NAT_FAMILY_NAME,
			 NETCHANNEL_NAT_FAMILY_VERSION, NETCHANNEL_NAT_A_MAX,
			 nc_nl_nat_policy, NETCHANNEL_NAT_A_GENERATION },
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
	struct nlattr *tb[NC_NL_MAXATTR + 1] = { 0 };
	struct nc_nl *nl = arg;
	const struct nc_nl_fam *fam = &nc_nl_fams[nl->fam];
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	if (genlmsg_parse(nlh, 0, tb, fam->maxattr, fam->policy)) {
		nl->bad_reply = true;
		return NL_SKIP;
	}
	if (nl->event_fn) {
		if (nl->event_fn(((struct genlmsghdr *)nlmsg_data(nlh))->cmd,
				 tb, nl->arg))
			nl->bad_reply = true;
		return NL_OK;
	}
	if (fam->gen_attr && tb[fam->gen_attr])
		nc_nl_check_gen(nl, tb[fam->gen_attr]);
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

/*
 * A whole ruleset (ncnat load) can be larger than the default send buffer
 * (net.core.wmem_default); the kernel refuses a message longer than the
 * buffer.  SO_SNDBUFFORCE passes wmem_max and needs CAP_NET_ADMIN, which
 * every request needs anyway; without it SO_SNDBUF gets what it can.
 */
static void nc_nl_fit_sndbuf(struct nc_nl *nl, uint32_t len)
{
	int fd = nl_socket_get_fd(nl->sk), size = (int)len + 4096, cur;
	socklen_t optlen = sizeof(cur);

	if (len > INT32_MAX / 2 ||
	    (!getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cur, &optlen) &&
	     cur > size))
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

/* The id of @fam, resolved on first use; -1 (and a message) if absent. */
static int nc_nl_resolve(struct nc_nl *nl, enum nc_fam fam)
{
	const char *name = nc_nl_fams[fam].name;
	int id;

	if (nl->ids[fam])
		return nl->ids[fam];
	id = genl_ctrl_resolve(nl->sk, name);
	if (id > 0) {
		nl->ids[fam] = id;
		return id;
	}
	if (id == -NLE_OBJ_NOTFOUND && fam == NC_FAM_NAT)
		nc_err("%s is not loaded", name);
	else if (id == -NLE_OBJ_NOTFOUND)
		nc_err("generic netlink family '%s' not found: is the netchannel module loaded?",
		       name);
	else
		nc_err("cannot resolve generic netlink family '%s': %s", name,
		       nl_geterror(id));
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
 * A request of @cmd to @fam; @size 0 means libnl's default buffer.  It
 * needs no socket, so commands build (and size-check) requests before
 * connecting: until it is sent, nlmsg_type holds the nc_fam (below
 * NLMSG_MIN_TYPE, so never a real family id) and nc_nl_xfer() puts the
 * family id there.
 */
struct nl_msg *nc_nl_fam_msg(enum nc_fam fam, uint8_t cmd, int flags,
			     size_t size)
{
	struct nl_msg *msg = size ? nlmsg_alloc_size(size) : nlmsg_alloc();

	if (msg && genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, (int)fam, 0,
			       flags, cmd, nc_nl_fams[fam].version))
		return msg;
	nlmsg_free(msg);
	nc_err("out of memory");
	return NULL;
}

/* A request of @cmd to the core family. */
struct nl_msg *nc_nl_msg(uint8_t cmd, int flags, size_t size)
{
	return nc_nl_fam_msg(NC_FAM_CORE, cmd, flags, size);
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
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	enum nc_fam fam = (enum nc_fam)nlh->nlmsg_type;
	int ret, id;

	nc_nl_reset(nl, fn, arg);
	nl->where = where;
	nl->fam = fam;
	id = nc_nl_resolve(nl, fam);
	if (id < 0) {
		nlmsg_free(msg);
		return -1;
	}
	nlh->nlmsg_type = (uint16_t)id;
	nc_nl_fit_sndbuf(nl, nlh->nlmsg_len);
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
int nc_nl_dump(struct nc_nl *nl, enum nc_fam fam, uint8_t cmd,
	       nc_nl_reply_fn fn, void (*reset)(void *arg), void *arg)
{
	struct nl_msg *msg;
	int try;

	for (try = 0; try < NC_DUMP_TRIES; try++) {
		reset(arg);
		msg = nc_nl_fam_msg(fam, cmd, NLM_F_DUMP, 0);
		if (!msg || nc_nl_xfer(nl, msg, fn, arg, NULL))
			return -1;
		if (!nl->intr)
			return 0;
	}
	nc_err("the kernel state kept changing during the dump; gave up after %d tries",
	       NC_DUMP_TRIES);
	return -1;
}

/* Events carry sequence number 0: accept them all. */
static int nc_nl_no_seq_check(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

/*
 * Turns the socket into a listener of the multicast @group of @fam: @fn
 * gets every event nc_nl_read_events() reads.  Events are not answers to
 * requests, so sequence numbers are not checked; the socket does not
 * block, for a caller that waits in poll().
 */
int nc_nl_join(struct nc_nl *nl, enum nc_fam fam, const char *group,
	       nc_nl_event_fn fn, void *arg)
{
	const char *name = nc_nl_fams[fam].name;
	int grp, err;

	if (nc_nl_resolve(nl, fam) < 0)
		return -1;
	grp = genl_ctrl_resolve_grp(nl->sk, name, group);
	if (grp < 0) {
		nc_err("cannot find the multicast group '%s' of '%s': %s",
		       group, name, nl_geterror(grp));
		return -1;
	}
	err = nl_socket_add_membership(nl->sk, grp);
	if (err) {
		nc_err("cannot join the multicast group '%s' of '%s': %s%s",
		       group, name, nl_geterror(err),
		       err == -NLE_PERM ? " (needs CAP_NET_ADMIN; run as root)" : "");
		return -1;
	}
	nl_socket_disable_seq_check(nl->sk);
	nl_cb_set(nl->cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, nc_nl_no_seq_check,
		  NULL);
	/* bursts of flows come and go together: room for many events */
	nl_socket_set_buffer_size(nl->sk, 4 << 20, 0);
	err = nl_socket_set_nonblocking(nl->sk);
	if (err) {
		nc_err("cannot make the netlink socket non-blocking: %s",
		       nl_geterror(err));
		return -1;
	}
	nc_nl_reset(nl, NULL, arg);
	nl->fam = fam;
	nl->event_fn = fn;
	return 0;
}

int nc_nl_fd(const struct nc_nl *nl)
{
	return nl_socket_get_fd(nl->sk);
}

/*
 * Reads the events waiting on a joined socket; 0 when there are no more,
 * -1 on an error or an event @fn refused.  Events lost to a full receive
 * buffer are reported and reading goes on.
 */
int nc_nl_read_events(struct nc_nl *nl)
{
	int ret;

	for (;;) {
		ret = nl_recvmsgs(nl->sk, nl->cb);
		if (nl->bad_reply)
			return -1;
		if (ret == -NLE_AGAIN)
			return 0;
		if (ret == -NLE_NOMEM) {
			nc_err("warning: events lost: the receive buffer overflowed");
			continue;
		}
		if (ret < 0) {
			nc_err("netlink: %s", nl_geterror(ret));
			return -1;
		}
	}
}
