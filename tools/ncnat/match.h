/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The match keywords of the rule grammar, shared by match.c (one entry
 * and its functions per keyword) and rule.c (a whole rule).
 */
#ifndef NCNAT_MATCH_H
#define NCNAT_MATCH_H

#include <netinet/in.h>

#include "ncnat.h"

/* A printed match value: JSON gets numbers as numbers, the rest quoted. */
struct nc_val {
	bool is_num;
	uint64_t num;
	char str[INET6_ADDRSTRLEN + 8];
};

struct nc_match;

struct nc_match_ops {
	int (*parse)(const struct nc_match *m, struct nc_args *a,
		     struct nc_rule *r);
	int (*put)(const struct nc_match *m, struct nl_msg *msg,
		   const struct nc_rule *r);
	/* 1 if the match is in @tb, 0 if not, -1 if it is malformed */
	int (*get)(const struct nc_match *m, struct nlattr **tb,
		   struct nc_rule *r);
	void (*fmt)(const struct nc_match *m, const struct nc_rule *r,
		    struct nc_val *v);
};

struct nc_match {
	const char *kw;
	int attr;		/* NETCHANNEL_A_RULE_* holding the value */
	int attr2;		/* prefix length or range max, else 0 */
	size_t off;		/* where the value lives in struct nc_rule */
	const struct nc_match_ops *ops;
};

/* The match's value inside a rule. */
#define NC_FIELD(m, r, type) ((type *)((char *)(r) + (m)->off))
#define NC_CFIELD(m, r, type) \
	((const type *)((const char *)(r) + (m)->off))

extern const struct nc_match nc_matches[NC_M_COUNT];

/*
 * The arguments of a verdict that takes some (the NAT ones, in nat.c),
 * carried in NETCHANNEL_A_RULE_ACTION.  parse runs once the matches are
 * parsed and the family inferred, so it can check them; it consumes the
 * rest of the words.
 */
struct nc_verdict_args {
	int (*parse)(struct nc_args *a, struct nc_rule *r);
	int (*put)(struct nl_msg *msg, const struct nc_rule *r);
	int (*get)(struct nlattr *action, struct nc_rule *r);
	void (*print)(FILE *f, const struct nc_rule *r);
	void (*json)(struct nc_json *j, const struct nc_rule *r);
};

extern const struct nc_verdict_args nc_snat_args;
extern const struct nc_verdict_args nc_masquerade_args;
extern const struct nc_verdict_args nc_dnat_args;
extern const struct nc_verdict_args nc_netmap_args;

const struct nc_match *nc_match_find(const char *kw);
const char *nc_family_name(uint8_t af);
const char *nc_ipv(uint8_t af);
void nc_prefix_str(const struct nc_prefix *p, char *buf, size_t len);
int nc_prefix_parse(struct nc_args *a, const char *w, struct nc_prefix *p);
int nc_range_word(struct nc_args *a, const char *kw, const char *w,
		  struct nc_range *rg);

#endif /* NCNAT_MATCH_H */
