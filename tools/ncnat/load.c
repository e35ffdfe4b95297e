// SPDX-License-Identifier: GPL-2.0
/*
 * ncnat load FILE|-: replace the whole ruleset in one RULESET_REPLACE.
 *
 * The file is read and every line parsed and resolved before the socket
 * is opened, so a file with an error changes nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ncnat.h"

/* Room one encoded rule can take, with headroom for a NAT action. */
#define NC_RULE_MSG_SIZE 256
/* A netlink attribute, the RULESET nest included, holds at most this. */
#define NC_NLA_MAX_LEN 0xffff

struct nc_load {
	const char *file;	/* for messages: the path, or "<stdin>" */
	char **lines;		/* kept: rules point into them */
	char ***words;
	size_t nlines;
	struct nc_rule *rules;
	int *lineno;		/* source line of each rule */
	size_t nrules;
	uint32_t *start;	/* offset of each rule's nest in the request */
	uint32_t end;		/* and the end of the last one */
};

static void nc_load_free(struct nc_load *ld)
{
	size_t i;

	for (i = 0; i < ld->nlines; i++) {
		free(ld->lines[i]);
		free(ld->words[i]);
	}
	free(ld->lines);
	free(ld->words);
	free(ld->rules);
	free(ld->lineno);
	free(ld->start);
}

static int nc_load_fail(const struct nc_load *ld, int lineno, const char *msg)
{
	nc_err("%s:%d: %s", ld->file, lineno, msg);
	return -1;
}

/* Splits @line in place; a '#' starts a comment anywhere on the line. */
static char **nc_load_split(char *line, int *count)
{
	char **words = NULL, **grown, *save = NULL, *w;
	int n = 0;

	line[strcspn(line, "#")] = '\0';
	for (w = strtok_r(line, " \t\r\n\v\f", &save); w;
	     w = strtok_r(NULL, " \t\r\n\v\f", &save)) {
		grown = realloc(words, (size_t)(n + 2) * sizeof(*words));
		if (!grown) {
			free(words);
			return NULL;
		}
		words = grown;
		words[n++] = w;
		words[n] = NULL;
	}
	*count = n;
	return words ? words : calloc(1, sizeof(*words));
}

static int nc_load_grow(struct nc_load *ld)
{
	size_t n = ld->nlines + 1;
	char **lines = realloc(ld->lines, n * sizeof(*lines));
	char ***words;

	if (!lines)
		return -1;
	ld->lines = lines;
	words = realloc(ld->words, n * sizeof(*words));
	if (!words)
		return -1;
	ld->words = words;
	ld->lines[ld->nlines] = NULL;
	ld->words[ld->nlines] = NULL;
	return 0;
}

static int nc_load_add_rule(struct nc_load *ld, const struct nc_rule *r,
			    int lineno)
{
	size_t n = ld->nrules + 1;
	struct nc_rule *rules = realloc(ld->rules, n * sizeof(*rules));
	int *linenos;

	if (!rules)
		return -1;
	ld->rules = rules;
	linenos = realloc(ld->lineno, n * sizeof(*linenos));
	if (!linenos)
		return -1;
	ld->lineno = linenos;
	ld->rules[ld->nrules] = *r;
	ld->lineno[ld->nrules] = lineno;
	ld->nrules = n;
	return 0;
}

/* One line that has words: "rule add" and a rule, nothing else. */
static int nc_load_parse_words(struct nc_load *ld, char **words, int n,
			       int lineno)
{
	struct nc_rule r;
	struct nc_args a;
	char msg[NC_ERR_LEN + 64];

	if (n < 2 || strcmp(words[0], "rule") || strcmp(words[1], "add")) {
		snprintf(msg, sizeof(msg),
			 "expected 'rule add ...', got '%s%s%s'", words[0],
			 n > 1 ? " " : "", n > 1 ? words[1] : "");
		return nc_load_fail(ld, lineno, msg);
	}
	nc_args_init(&a, n - 2, words + 2);
	if (nc_rule_parse(&a, &r))
		return nc_load_fail(ld, lineno, a.err);
	if (nc_load_add_rule(ld, &r, lineno))
		return nc_load_fail(ld, lineno, "out of memory");
	return 0;
}

static int nc_load_line(struct nc_load *ld, char *line, int lineno)
{
	char **words;
	int n;

	if (nc_load_grow(ld)) {
		free(line);
		return nc_load_fail(ld, lineno, "out of memory");
	}
	ld->lines[ld->nlines] = line;
	words = nc_load_split(line, &n);
	ld->words[ld->nlines++] = words;
	if (!words)
		return nc_load_fail(ld, lineno, "out of memory");
	return n ? nc_load_parse_words(ld, words, n, lineno) : 0;
}

static int nc_load_read(struct nc_load *ld, FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0;

	while (getline(&line, &cap, f) >= 0) {
		if (nc_load_line(ld, line, ++lineno))
			return -1;
		line = NULL;
		cap = 0;
	}
	free(line);
	if (ferror(f)) {
		nc_err("%s: read error: %s", ld->file, strerror(errno));
		return -1;
	}
	if (ld->nrules > NETCHANNEL_MAX_RULES) {
		nc_err("%s: %zu rules, more than the limit of %d", ld->file,
		       ld->nrules, NETCHANNEL_MAX_RULES);
		return -1;
	}
	return 0;
}

static int nc_load_file(struct nc_load *ld, const char *path)
{
	FILE *f;
	int ret;

	if (!strcmp(path, "-")) {
		ld->file = "<stdin>";
		return nc_load_read(ld, stdin);
	}
	ld->file = path;
	f = fopen(path, "r");
	if (!f) {
		nc_err("cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	ret = nc_load_read(ld, f);
	fclose(f);
	return ret;
}

static int nc_load_resolve(struct nc_load *ld)
{
	char err[NC_ERR_LEN];
	size_t i;

	for (i = 0; i < ld->nrules; i++)
		if (nc_rule_resolve(&ld->rules[i], err, sizeof(err)))
			return nc_load_fail(ld, ld->lineno[i], err);
	return 0;
}

static uint32_t nc_msg_offset(struct nl_msg *msg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	return (uint32_t)((char *)nlmsg_tail(nlh) - (char *)nlh);
}

/* Every rule as a NETCHANNEL_A_RULE nest; notes where each starts. */
static int nc_load_put_rules(struct nc_load *ld, struct nl_msg *msg)
{
	size_t i;

	for (i = 0; i < ld->nrules; i++) {
		ld->start[i] = nc_msg_offset(msg);
		if (nc_rule_put(msg, &ld->rules[i]))
			return -1;
	}
	ld->end = nc_msg_offset(msg);
	return 0;
}

/*
 * The rules into @msg: inside one NETCHANNEL_A_RULESET when they fit one
 * attribute (64 KiB), else as top-level NETCHANNEL_A_RULE attributes,
 * which the kernel takes as the same whole-ruleset replacement.  The
 * offsets noted place the kernel's errors at a file line.
 */
static int nc_load_put(struct nc_load *ld, struct nl_msg *msg)
{
	uint32_t base = nc_msg_offset(msg);
	struct nlattr *nest;

	/* An empty ruleset is an empty nest, which nla_nest_end() would
	 * trim away: put it by hand. */
	if (!ld->nrules)
		return nla_put(msg, NLA_F_NESTED | NETCHANNEL_A_RULESET, 0, NULL);
	ld->start = calloc(ld->nrules + 1, sizeof(*ld->start));
	nest = nla_nest_start(msg, NETCHANNEL_A_RULESET);
	if (!ld->start || !nest || nc_load_put_rules(ld, msg))
		goto nomem;
	if (ld->end - base <= NC_NLA_MAX_LEN)
		return nla_nest_end(msg, nest) < 0 ? -1 : 0;
	/* too big for one nest: start over without it */
	nlmsg_hdr(msg)->nlmsg_len = base;
	if (nc_load_put_rules(ld, msg))
		goto nomem;
	return 0;
nomem:
	nc_err("%s: out of memory building the request", ld->file);
	return -1;
}

/* FILE:LINE of the rule whose nest holds @off. */
static void nc_load_where(uint32_t off, const void *arg, char *buf,
			  size_t len)
{
	const struct nc_load *ld = arg;
	size_t i = ld->nrules;

	if (!i || off < ld->start[0] || off >= ld->end)
		return;
	while (ld->start[--i] > off)
		;
	snprintf(buf, len, "%s:%d", ld->file, ld->lineno[i]);
}

/* The request is built, and found to fit, before the socket is opened. */
static int nc_load_send(struct nc_ctx *ctx, struct nc_load *ld)
{
	struct nc_nl_where where = { nc_load_where, ld };
	struct nl_msg *msg;

	msg = nc_nl_msg(NETCHANNEL_CMD_RULESET_REPLACE, 0,
			4096 + ld->nrules * NC_RULE_MSG_SIZE);
	if (msg && nc_load_put(ld, msg)) {
		nlmsg_free(msg);
		return NC_EXIT_FAIL;
	}
	return nc_ctx_do_where(ctx, msg, &where);
}

int nc_load_main(struct nc_ctx *ctx, struct nc_args *a)
{
	struct nc_load ld = { 0 };
	const char *path = nc_args_next(a);
	int ret = NC_EXIT_FAIL;

	if (!path)
		nc_args_fail(a, NC_EXIT_USAGE,
			     "missing FILE after 'load' ('-' for stdin)");
	if (!path || nc_args_end(a, path))
		return nc_args_report(a);
	if (!nc_load_file(&ld, path) && !nc_ctx_enter(ctx) &&
	    !nc_load_resolve(&ld))
		ret = nc_load_send(ctx, &ld);
	nc_load_free(&ld);
	return ret;
}
