/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * netchannel: generic netlink interface of the in-kernel flow classifier,
 * filter and NAT engine.  Documentation/netlink/specs/netchannel.yaml is the
 * source of truth for these values; keep both in step.
 */
#ifndef _UAPI_LINUX_NETCHANNEL_H
#define _UAPI_LINUX_NETCHANNEL_H

#define NETCHANNEL_FAMILY_NAME		"netchannel"
#define NETCHANNEL_FAMILY_VERSION	1
#define NETCHANNEL_MCGRP_MONITOR	"monitor"

/* Largest number of rules one ruleset (netns) may hold. */
#define NETCHANNEL_MAX_RULES		65536

enum netchannel_verdict {
	NETCHANNEL_VERDICT_ACCEPT = 1,	/* hand to the stack, stop matching */
	NETCHANNEL_VERDICT_DROP,	/* count and free */
	/* values >= 16 belong to consumers (e.g. the NAT actions) */
	NETCHANNEL_VERDICT_CONSUMER = 16,
};

/* Top-level attributes of every command. */
enum {
	NETCHANNEL_A_UNSPEC,
	NETCHANNEL_A_IFINDEX,		/* u32 */
	NETCHANNEL_A_IFNAME,		/* string, informational in replies */
	NETCHANNEL_A_DEV_STATS,		/* nest: NETCHANNEL_A_DEV_STATS_* */
	NETCHANNEL_A_RULE,		/* nest: NETCHANNEL_A_RULE_* */
	NETCHANNEL_A_RULESET,		/* nest: NETCHANNEL_A_RULE repeated */
	NETCHANNEL_A_GENERATION,	/* u32, changes with every edit */
	NETCHANNEL_A_STATS,		/* nest: NETCHANNEL_A_STATS_* */
	NETCHANNEL_A_PAD,
	NETCHANNEL_A_CONSUMER,		/* nest, owned by a consumer module */

	__NETCHANNEL_A_MAX,
	NETCHANNEL_A_MAX = __NETCHANNEL_A_MAX - 1
};

enum {
	NETCHANNEL_A_DEV_STATS_UNSPEC,
	NETCHANNEL_A_DEV_STATS_SEEN,	/* u64: packets the hook saw */
	NETCHANNEL_A_DEV_STATS_MATCHED,	/* u64: packets a rule or flow matched */
	NETCHANNEL_A_DEV_STATS_PASSED,	/* u64: packets handed to the stack */
	NETCHANNEL_A_DEV_STATS_DROPPED,	/* u64: packets dropped */
	NETCHANNEL_A_DEV_STATS_PAD,

	__NETCHANNEL_A_DEV_STATS_MAX,
	NETCHANNEL_A_DEV_STATS_MAX = __NETCHANNEL_A_DEV_STATS_MAX - 1
};

enum {
	NETCHANNEL_A_RULE_UNSPEC,
	NETCHANNEL_A_RULE_HANDLE,	/* u32, assigned by the kernel */
	NETCHANNEL_A_RULE_PRIO,		/* u32, lower first; default 0 */
	NETCHANNEL_A_RULE_FAMILY,	/* u8: AF_INET or AF_INET6 */
	NETCHANNEL_A_RULE_IIF,		/* u32 ifindex */
	NETCHANNEL_A_RULE_PROTO,	/* u8 IP protocol number */
	NETCHANNEL_A_RULE_SADDR,	/* binary, 4 or 16 bytes */
	NETCHANNEL_A_RULE_SADDR_LEN,	/* u8 prefix length */
	NETCHANNEL_A_RULE_DADDR,	/* binary, 4 or 16 bytes */
	NETCHANNEL_A_RULE_DADDR_LEN,	/* u8 prefix length */
	NETCHANNEL_A_RULE_SPORT_MIN,	/* u16, host order */
	NETCHANNEL_A_RULE_SPORT_MAX,	/* u16, host order */
	NETCHANNEL_A_RULE_DPORT_MIN,	/* u16, host order */
	NETCHANNEL_A_RULE_DPORT_MAX,	/* u16, host order */
	NETCHANNEL_A_RULE_VERDICT,	/* u32: enum netchannel_verdict */
	NETCHANNEL_A_RULE_PACKETS,	/* u64, read only */
	NETCHANNEL_A_RULE_BYTES,	/* u64, read only */
	NETCHANNEL_A_RULE_PAD,
	NETCHANNEL_A_RULE_OIF,		/* u32 ifindex (consumers that route) */
	NETCHANNEL_A_RULE_ACTION,	/* nest, consumer-specific arguments */

	__NETCHANNEL_A_RULE_MAX,
	NETCHANNEL_A_RULE_MAX = __NETCHANNEL_A_RULE_MAX - 1
};

/* Reasons a packet is dropped or passed untouched, counted per netns. */
enum netchannel_reason {
	NETCHANNEL_REASON_TRUNCATED,	/* header shorter than it claims */
	NETCHANNEL_REASON_BAD_VERSION,	/* IP version differs from ethertype */
	NETCHANNEL_REASON_BAD_IHL,	/* IPv4 header length < 20 */
	NETCHANNEL_REASON_BAD_LENGTH,	/* total/payload length inconsistent */
	NETCHANNEL_REASON_BAD_EXTHDR,	/* IPv6 extension header chain broken */
	NETCHANNEL_REASON_BAD_L4,	/* TCP data offset < 20 and the like */
	NETCHANNEL_REASON_RULE_DROP,	/* a rule said drop */
	NETCHANNEL_REASON_NOMEM,	/* could not make the skb writable */
	NETCHANNEL_REASON_CONSUMER,	/* a consumer hook dropped it */
	NETCHANNEL_REASON_BAD_CSUM,	/* IPv4 header checksum wrong */
	NETCHANNEL_REASON_XFRM_POLICY,	/* an IPsec policy refused it */

	__NETCHANNEL_REASON_MAX,
};

#define NETCHANNEL_REASON_MAX (__NETCHANNEL_REASON_MAX - 1)

/* Per-netns statistics: counters by reason, sizes. */
enum {
	NETCHANNEL_A_STATS_UNSPEC,
	NETCHANNEL_A_STATS_REASON,	/* nest: NETCHANNEL_A_REASON_* */
	NETCHANNEL_A_STATS_RULES,	/* u32: rules in the ruleset */
	NETCHANNEL_A_STATS_SHAPES,	/* u32: distinct match shapes */
	NETCHANNEL_A_STATS_DEVICES,	/* u32: attached devices */
	NETCHANNEL_A_STATS_PAD,

	__NETCHANNEL_A_STATS_MAX,
	NETCHANNEL_A_STATS_MAX = __NETCHANNEL_A_STATS_MAX - 1
};

enum {
	NETCHANNEL_A_REASON_UNSPEC,
	NETCHANNEL_A_REASON_NAME,	/* string */
	NETCHANNEL_A_REASON_COUNT,	/* u64 */
	NETCHANNEL_A_REASON_PAD,
	NETCHANNEL_A_REASON_ENTRY,	/* nest: NAME + COUNT */

	__NETCHANNEL_A_REASON_MAX,
	NETCHANNEL_A_REASON_MAX = __NETCHANNEL_A_REASON_MAX - 1
};

enum {
	NETCHANNEL_CMD_UNSPEC,
	NETCHANNEL_CMD_DEV_ATTACH,	/* IFINDEX */
	NETCHANNEL_CMD_DEV_DETACH,	/* IFINDEX */
	NETCHANNEL_CMD_DEV_GET,		/* dump: IFINDEX IFNAME DEV_STATS */
	NETCHANNEL_CMD_RULE_ADD,	/* RULE; reply: RULE { HANDLE } */
	NETCHANNEL_CMD_RULE_DEL,	/* RULE { HANDLE } */
	NETCHANNEL_CMD_RULE_GET,	/* dump: GENERATION RULE */
	NETCHANNEL_CMD_RULE_FLUSH,	/* no attributes */
	NETCHANNEL_CMD_RULESET_REPLACE,	/* RULESET { RULE... } and/or RULE... */
	NETCHANNEL_CMD_STATS_GET,	/* reply: STATS GENERATION */

	__NETCHANNEL_CMD_MAX,
	NETCHANNEL_CMD_MAX = __NETCHANNEL_CMD_MAX - 1
};

#endif /* _UAPI_LINUX_NETCHANNEL_H */
