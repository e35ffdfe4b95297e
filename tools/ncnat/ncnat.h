/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ncnat: command line front end of the netchannel generic netlink family.
 *
 * Every command runs in three phases, in this order:
 *   1. parse the words (no system state touched; errors exit 2),
 *   2. enter the netns of -n and resolve device names there,
 *   3. talk to the kernel.
 * So a bad command line never sends anything to the kernel, and names
 * always resolve in the namespace the request goes to.
 */
#ifndef NCNAT_H
#define NCNAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <netlink/msg.h>
#include <netlink/attr.h>

#include <linux/netchannel.h>
#include <linux/netchannel_nat.h>

#define NC_NAME "ncnat"

/* Exit statuses, documented in ncnat.8. */
enum {
	NC_EXIT_OK = 0,
	NC_EXIT_FAIL = 1,	/* the kernel or the system said no */
	NC_EXIT_USAGE = 2,	/* the command line is wrong */
};

#define NC_ERR_LEN 256

#define NC_PRINTF(a, b) __attribute__((format(printf, a, b)))

void nc_err(const char *fmt, ...) NC_PRINTF(1, 2);

/* ---- args.c: a cursor over the words of a command ---- */

struct nc_args {
	char **argv;
	int argc;
	int pos;
	char err[NC_ERR_LEN];	/* why parsing failed, without the "ncnat: " */
	int err_exit;		/* NC_EXIT_* the failure calls for */
};

void nc_args_init(struct nc_args *a, int argc, char **argv);
const char *nc_args_peek(const struct nc_args *a);
const char *nc_args_next(struct nc_args *a);
bool nc_args_more(const struct nc_args *a);
int nc_args_fail(struct nc_args *a, int exit_code, const char *fmt, ...)
	NC_PRINTF(3, 4);
int nc_args_value(struct nc_args *a, const char *kw, const char **val);
int nc_args_end(struct nc_args *a, const char *after);
int nc_args_report(const struct nc_args *a);

int nc_parse_u32(const char *s, uint32_t max, uint32_t *out);

/* ---- json.c: a small streaming JSON writer ---- */

#define NC_JSON_DEPTH 8

struct nc_json {
	FILE *f;
	int depth;
	bool need_comma[NC_JSON_DEPTH];
	bool after_key;
};

void nc_json_init(struct nc_json *j, FILE *f);
void nc_json_open(struct nc_json *j, char bracket);
void nc_json_close(struct nc_json *j, char bracket);
void nc_json_key(struct nc_json *j, const char *key);
void nc_json_str(struct nc_json *j, const char *s);
void nc_json_u64(struct nc_json *j, uint64_t v);
void nc_json_kstr(struct nc_json *j, const char *key, const char *s);
void nc_json_ku64(struct nc_json *j, const char *key, uint64_t v);
void nc_json_finish(struct nc_json *j);

/* ---- stats.c: named counters (REASON_ENTRY lists) ---- */

struct nc_reason {
	char name[64];
	uint64_t count;
};

struct nc_reasons {
	struct nc_reason *v;
	size_t n;
};

int nc_reasons_get(struct nlattr *list, struct nc_reasons *rs);

/* ---- match.c, rule.c: the rule grammar, its attributes, its printing ---- */

struct nc_prefix {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t len;
	uint8_t addr[16];
};

struct nc_range {
	uint16_t min;
	uint16_t max;
};

/* Match keywords, in grammar (and printing) order. */
enum nc_match_id {
	NC_M_FAMILY,
	NC_M_IIF,
	NC_M_OIF,
	NC_M_PROTO,
	NC_M_SADDR,
	NC_M_DADDR,
	NC_M_SPORT,
	NC_M_DPORT,
	NC_M_COUNT
};

#define NC_M_BIT(id) (1u << (id))

/* A device match: the name as typed, until nc_rule_resolve(). */
struct nc_ifref {
	uint32_t ifindex;
	const char *name;
};

/*
 * The arguments of a NAT verdict (NETCHANNEL_A_RULE_ACTION): which are
 * set, as the grammar or the kernel gave them.  Addresses in network
 * order, ports in host order.
 */
struct nc_nat_act {
	bool has_to;
	bool has_port;		/* dnat to ADDR:PORT */
	bool has_ports;		/* snat, masquerade: ports P[-P] */
	bool has_filtering;
	uint32_t addr_min;	/* snat, dnat */
	uint32_t addr_max;	/* snat */
	uint16_t port_min;	/* ports, or the dnat port */
	uint16_t port_max;
	uint8_t filtering;	/* enum netchannel_nat_filtering */
	struct nc_prefix prefix;	/* netmap */
};

struct nc_rule {
	unsigned int present;	/* NC_M_BIT()s of the matches that are set */
	bool has_prio;
	bool has_handle;
	bool has_counters;
	uint32_t handle;
	uint32_t prio;
	uint8_t family;
	uint8_t proto;
	struct nc_ifref iif;
	struct nc_ifref oif;
	struct nc_prefix saddr;
	struct nc_prefix daddr;
	struct nc_range sport;
	struct nc_range dport;
	uint32_t verdict;	/* enum netchannel_verdict, _nat_verdict */
	struct nc_nat_act act;
	uint64_t packets;
	uint64_t bytes;
};

/* How nc_rule_print() renders a rule. */
enum nc_rule_style {
	NC_RULE_LIST,		/* handle prio MATCH... VERDICT packets bytes */
	NC_RULE_SAVE,		/* rule add prio N MATCH... VERDICT */
};

int nc_rule_parse(struct nc_args *a, struct nc_rule *r);
int nc_rule_resolve(struct nc_rule *r, char *err, size_t len);
int nc_rule_put(struct nl_msg *msg, const struct nc_rule *r);
int nc_rule_get(struct nlattr *nest, struct nc_rule *r);
void nc_rule_print(FILE *f, const struct nc_rule *r, enum nc_rule_style style);
void nc_rule_json(struct nc_json *j, const struct nc_rule *r);

int nc_ifname_resolve(const char *name, uint32_t *ifindex);

/* ---- nl.c: generic netlink transport ---- */

/* The generic netlink families ncnat talks to. */
enum nc_fam {
	NC_FAM_CORE,		/* "netchannel": devices, rules, stats */
	NC_FAM_NAT,		/* "netchannel_nat": flows, timeouts, events */
	NC_FAM_COUNT
};

/* Room for the top-level attributes of either family. */
#define NC_NL_MAXATTR ((int)NETCHANNEL_A_MAX > (int)NETCHANNEL_NAT_A_MAX ? \
		       (int)NETCHANNEL_A_MAX : (int)NETCHANNEL_NAT_A_MAX)

struct nc_nl;

/* Called with the top-level attributes of each reply message. */
typedef int (*nc_nl_reply_fn)(struct nlattr **tb, void *arg);
/* Called with the command and top-level attributes of each event. */
typedef int (*nc_nl_event_fn)(uint8_t cmd, struct nlattr **tb, void *arg);

/*
 * Names the part of a request that the kernel's error points at (an
 * offset from the start of the request, NLMSGERR_ATTR_OFFS), such as
 * "FILE:LINE", into @buf; leaves @buf empty if it cannot.
 */
struct nc_nl_where {
	void (*fn)(uint32_t offset, const void *arg, char *buf, size_t len);
	const void *arg;
};

struct nc_nl *nc_nl_open(void);
void nc_nl_close(struct nc_nl *nl);
struct nl_msg *nc_nl_msg(uint8_t cmd, int flags, size_t size);
struct nl_msg *nc_nl_fam_msg(enum nc_fam fam, uint8_t cmd, int flags,
			     size_t size);
int nc_nl_do(struct nc_nl *nl, struct nl_msg *msg, nc_nl_reply_fn fn,
	     void *arg, const struct nc_nl_where *where);
int nc_nl_dump(struct nc_nl *nl, enum nc_fam fam, uint8_t cmd,
	       nc_nl_reply_fn fn, void (*reset)(void *arg), void *arg);
int nc_nl_join(struct nc_nl *nl, enum nc_fam fam, const char *group,
	       nc_nl_event_fn fn, void *arg);
int nc_nl_fd(const struct nc_nl *nl);
int nc_nl_read_events(struct nc_nl *nl);

/* ---- ctx.c: the per-invocation context shared by all commands ---- */

struct nc_ctx {
	bool json;
	const char *netns;	/* -n NETNS, or NULL */
	bool in_netns;
	struct nc_nl *nl;
};

int nc_ctx_enter(struct nc_ctx *ctx);
int nc_ctx_do(struct nc_ctx *ctx, struct nl_msg *msg, nc_nl_reply_fn fn,
	      void *arg);
int nc_ctx_do_where(struct nc_ctx *ctx, struct nl_msg *msg,
		    const struct nc_nl_where *where);
int nc_ctx_dump(struct nc_ctx *ctx, enum nc_fam fam, uint8_t cmd,
		nc_nl_reply_fn fn, void (*reset)(void *arg), void *arg);
struct nc_nl *nc_ctx_connect(struct nc_ctx *ctx);

/* A word of the command line and the function that handles the rest. */
struct nc_cmd {
	const char *name;
	int (*run)(struct nc_ctx *ctx, struct nc_args *a);
};

int nc_dispatch(struct nc_ctx *ctx, struct nc_args *a,
		const struct nc_cmd *cmds, const char *what);

/* Objects: each returns an NC_EXIT_* status. */
int nc_dev_main(struct nc_ctx *ctx, struct nc_args *a);
int nc_rule_main(struct nc_ctx *ctx, struct nc_args *a);
int nc_stats_main(struct nc_ctx *ctx, struct nc_args *a);
int nc_load_main(struct nc_ctx *ctx, struct nc_args *a);
int nc_save_main(struct nc_ctx *ctx, struct nc_args *a);
int nc_flow_main(struct nc_ctx *ctx, struct nc_args *a);
int nc_timeout_main(struct nc_ctx *ctx, struct nc_args *a);
int nc_monitor_main(struct nc_ctx *ctx, struct nc_args *a);

#endif /* NCNAT_H */
