// SPDX-License-Identifier: GPL-2.0
/*
 * Word cursor and number parsing.  Parsers never print: they leave the
 * reason in nc_args::err so that the caller can prefix it (plain "ncnat:"
 * on the command line, "ncnat: FILE:LINE:" in a load file).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ncnat.h"

void nc_err(const char *fmt, ...)
{
	va_list ap;

	fputs(NC_NAME ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void nc_args_init(struct nc_args *a, int argc, char **argv)
{
	memset(a, 0, sizeof(*a));
	a->argc = argc;
	a->argv = argv;
}

const char *nc_args_peek(const struct nc_args *a)
{
	return a->pos < a->argc ? a->argv[a->pos] : NULL;
}

const char *nc_args_next(struct nc_args *a)
{
	return a->pos < a->argc ? a->argv[a->pos++] : NULL;
}

bool nc_args_more(const struct nc_args *a)
{
	return a->pos < a->argc;
}

/* Records why parsing failed; always returns -1 for the caller to pass on. */
int nc_args_fail(struct nc_args *a, int exit_code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->err, sizeof(a->err), fmt, ap);
	va_end(ap);
	a->err_exit = exit_code;
	return -1;
}

/* The word after keyword @kw, which must exist. */
int nc_args_value(struct nc_args *a, const char *kw, const char **val)
{
	*val = nc_args_next(a);
	if (!*val)
		return nc_args_fail(a, NC_EXIT_USAGE,
				    "missing value after '%s'", kw);
	return 0;
}

/* Fails if words are left after the last one a command takes. */
int nc_args_end(struct nc_args *a, const char *after)
{
	const char *w = nc_args_peek(a);

	if (!w)
		return 0;
	return nc_args_fail(a, NC_EXIT_USAGE,
			    "unexpected word '%s' after '%s'", w, after);
}

/* Prints a command-line parse failure and returns its exit status. */
int nc_args_report(const struct nc_args *a)
{
	nc_err("%s", a->err);
	return a->err_exit ? a->err_exit : NC_EXIT_USAGE;
}

/*
 * Plain decimal only: no sign, no spaces, no hex, so "-1" and "1e3" are
 * errors rather than surprises.
 */
int nc_parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	const char *p;

	if (!*s || strlen(s) > 10)
		return -1;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}
