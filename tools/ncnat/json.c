// SPDX-License-Identifier: GPL-2.0
/*
 * A streaming JSON writer: just enough for ncnat's arrays and objects of
 * strings and unsigned numbers.  Output is one line, valid JSON whatever
 * bytes a string holds: device names may be any bytes but '/', ':' and
 * blanks, so bytes that are not valid UTF-8 are written as the Latin-1
 * character of the same value instead of breaking the document.
 */
#include <inttypes.h>

#include "ncnat.h"

void nc_json_init(struct nc_json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->need_comma[0] = false;
	j->after_key = false;
}

/* Separates a new value from the previous one at the current level. */
static void nc_json_sep(struct nc_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->need_comma[j->depth])
		fputc(',', j->f);
	j->need_comma[j->depth] = true;
}

void nc_json_open(struct nc_json *j, char bracket)
{
	nc_json_sep(j);
	fputc(bracket, j->f);
	if (j->depth + 1 < NC_JSON_DEPTH)
		j->depth++;
	j->need_comma[j->depth] = false;
}

void nc_json_close(struct nc_json *j, char bracket)
{
	fputc(bracket, j->f);
	if (j->depth > 0)
		j->depth--;
}

/* Length of the valid UTF-8 sequence at @p, or 0 if it is not one. */
static int nc_utf8_len(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xbf;
	int n, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	/* No overlong forms, no surrogates, nothing above U+10FFFF. */
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

static void nc_json_char(FILE *f, unsigned char c)
{
	switch (c) {
	case '"':
		fputs("\\\"", f);
		break;
	case '\\':
		fputs("\\\\", f);
		break;
	case '\n':
		fputs("\\n", f);
		break;
	case '\t':
		fputs("\\t", f);
		break;
	case '\r':
		fputs("\\r", f);
		break;
	default:
		if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
}

static void nc_json_quote(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n;

	fputc('"', f);
	while (*p) {
		n = *p >= 0x80 ? nc_utf8_len(p) : 0;
		if (n) {
			fwrite(p, 1, (size_t)n, f);
			p += n;
		} else {
			nc_json_char(f, *p++);
		}
	}
	fputc('"', f);
}

void nc_json_key(struct nc_json *j, const char *key)
{
	nc_json_sep(j);
	nc_json_quote(j->f, key);
	fputc(':', j->f);
	j->after_key = true;
}

void nc_json_str(struct nc_json *j, const char *s)
{
	nc_json_sep(j);
	nc_json_quote(j->f, s);
}

void nc_json_u64(struct nc_json *j, uint64_t v)
{
	nc_json_sep(j);
	fprintf(j->f, "%" PRIu64, v);
}

void nc_json_kstr(struct nc_json *j, const char *key, const char *s)
{
	nc_json_key(j, key);
	nc_json_str(j, s);
}

void nc_json_ku64(struct nc_json *j, const char *key, uint64_t v)
{
	nc_json_key(j, key);
	nc_json_u64(j, v);
}

void nc_json_finish(struct nc_json *j)
{
	fputc('\n', j->f);
}
