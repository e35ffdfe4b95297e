/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * netchannel NAT consumer: rule verdicts and arguments (carried by the core
 * "netchannel" family in NETCHANNEL_A_RULE_ACTION), and the
 * "netchannel_nat" generic netlink family for mappings, timeouts and
 * mapping events.  Documentation/netlink/specs/netchannel_nat.yaml
 * describes the family.
 */
#ifndef _UAPI_LINUX_NETCHANNEL_NAT_H
#define _UAPI_LINUX_NETCHANNEL_NAT_H

#include <linux/netchannel.h>

#define NETCHANNEL_NAT_FAMILY_NAME	"netchannel_nat"
#define NETCHANNEL_NAT_FAMILY_VERSION	1
#define NETCHANNEL_NAT_MCGRP_MONITOR	"monitor"

/* Rule verdicts implemented by netchannel_nat.ko */
enum netchannel_nat_verdict {
	NETCHANNEL_VERDICT_SNAT = NETCHANNEL_VERDICT_CONSUMER,
	NETCHANNEL_VERDICT_MASQUERADE,
	NETCHANNEL_VERDICT_DNAT,
	NETCHANNEL_VERDICT_NETMAP,
};

/* Inbound filtering of a mapping (RFC 4787 section 5) */
enum netchannel_nat_filtering {
	NETCHANNEL_NAT_FILTER_APDF,	/* address and port dependent; default */
	NETCHANNEL_NAT_FILTER_ADF,	/* address dependent */
	NETCHANNEL_NAT_FILTER_EIF,	/* endpoint independent */
};

/* NETCHANNEL_A_RULE_ACTION of a NAT rule */
enum {
	NETCHANNEL_NAT_A_ACT_UNSPEC,
	NETCHANNEL_NAT_A_ACT_ADDR_MIN,	/* be32: snat/dnat address (range start) */
	NETCHANNEL_NAT_A_ACT_ADDR_MAX,	/* be32: snat range end */
	NETCHANNEL_NAT_A_ACT_PORT_MIN,	/* u16: snat/masquerade range; dnat port */
	NETCHANNEL_NAT_A_ACT_PORT_MAX,	/* u16 */
	NETCHANNEL_NAT_A_ACT_FILTERING,	/* u8: enum netchannel_nat_filtering */
	NETCHANNEL_NAT_A_ACT_PREFIX,	/* be32: netmap target prefix */
	NETCHANNEL_NAT_A_ACT_PREFIX_LEN,	/* u8 */

	__NETCHANNEL_NAT_A_ACT_MAX,
	NETCHANNEL_NAT_A_ACT_MAX = __NETCHANNEL_NAT_A_ACT_MAX - 1
};

enum netchannel_nat_state {
	NETCHANNEL_NAT_STATE_NONE,	/* UDP and ICMP */
	NETCHANNEL_NAT_STATE_SYN,	/* TCP: SYN seen, not answered */
	NETCHANNEL_NAT_STATE_ESTABLISHED,
	NETCHANNEL_NAT_STATE_FIN,	/* FIN seen in one direction */
	NETCHANNEL_NAT_STATE_CLOSING,	/* FIN both ways, or RST */
	NETCHANNEL_NAT_STATE_SYN_RECV,	/* SYN answered, handshake not done */
};

/* A mapping (NETCHANNEL_NAT_CMD_FLOW_GET, and monitor events) */
enum {
	NETCHANNEL_NAT_A_FLOW_UNSPEC,
	NETCHANNEL_NAT_A_FLOW_PROTO,		/* u8 */
	NETCHANNEL_NAT_A_FLOW_IN_ADDR,		/* be32: inside endpoint */
	NETCHANNEL_NAT_A_FLOW_IN_PORT,		/* u16 (ICMP: identifier) */
	NETCHANNEL_NAT_A_FLOW_OUT_ADDR,		/* be32: translated endpoint */
	NETCHANNEL_NAT_A_FLOW_OUT_PORT,		/* u16 */
	NETCHANNEL_NAT_A_FLOW_REM_ADDR,		/* be32: remote endpoint */
	NETCHANNEL_NAT_A_FLOW_REM_PORT,		/* u16 */
	NETCHANNEL_NAT_A_FLOW_STATE,		/* u8: enum netchannel_nat_state */
	NETCHANNEL_NAT_A_FLOW_EXPIRES,		/* u32: seconds left */
	NETCHANNEL_NAT_A_FLOW_PACKETS_OUT,	/* u64: inside -> remote */
	NETCHANNEL_NAT_A_FLOW_BYTES_OUT,	/* u64 */
	NETCHANNEL_NAT_A_FLOW_PACKETS_IN,	/* u64: remote -> inside */
	NETCHANNEL_NAT_A_FLOW_BYTES_IN,		/* u64 */
	NETCHANNEL_NAT_A_FLOW_RULE,		/* u32: handle of the creating rule */
	NETCHANNEL_NAT_A_FLOW_KIND,		/* u8: verdict that made it */
	NETCHANNEL_NAT_A_FLOW_PAD,

	__NETCHANNEL_NAT_A_FLOW_MAX,
	NETCHANNEL_NAT_A_FLOW_MAX = __NETCHANNEL_NAT_A_FLOW_MAX - 1
};

/* Top-level attributes of the netchannel_nat family */
enum {
	NETCHANNEL_NAT_A_UNSPEC,
	NETCHANNEL_NAT_A_FLOW,			/* nest: NETCHANNEL_NAT_A_FLOW_* */
	NETCHANNEL_NAT_A_TIMEOUT_UDP,		/* u32 seconds */
	NETCHANNEL_NAT_A_TIMEOUT_ICMP,		/* u32 seconds */
	NETCHANNEL_NAT_A_TIMEOUT_TCP_EST,	/* u32 seconds */
	NETCHANNEL_NAT_A_TIMEOUT_TCP_TRANS,	/* u32 seconds */
	NETCHANNEL_NAT_A_MAX_MAPPINGS,		/* u32 */
	NETCHANNEL_NAT_A_MAPPINGS,		/* u32: current count, read only */
	NETCHANNEL_NAT_A_GENERATION,		/* u32 */
	NETCHANNEL_NAT_A_STATS,			/* nest: NETCHANNEL_A_REASON_ENTRY... */
	NETCHANNEL_NAT_A_MAX_MAPPINGS_PER_HOST,	/* u32: per first-packet source; 0: no limit */

	__NETCHANNEL_NAT_A_MAX,
	NETCHANNEL_NAT_A_MAX = __NETCHANNEL_NAT_A_MAX - 1
};

enum {
	NETCHANNEL_NAT_CMD_UNSPEC,
	NETCHANNEL_NAT_CMD_FLOW_GET,		/* dump: FLOW */
	NETCHANNEL_NAT_CMD_FLOW_FLUSH,		/* no attributes */
	NETCHANNEL_NAT_CMD_TIMEOUT_SET,		/* any TIMEOUT_*, MAX_MAPPINGS* */
	NETCHANNEL_NAT_CMD_TIMEOUT_GET,		/* reply: all of them, MAPPINGS */
	NETCHANNEL_NAT_CMD_FLOW_NEW,		/* monitor event: FLOW */
	NETCHANNEL_NAT_CMD_FLOW_DEL,		/* monitor event: FLOW */

	__NETCHANNEL_NAT_CMD_MAX,
	NETCHANNEL_NAT_CMD_MAX = __NETCHANNEL_NAT_CMD_MAX - 1
};

#endif /* _UAPI_LINUX_NETCHANNEL_NAT_H */
