// SPDX-License-Identifier: GPL-2.0
/*
 * ncnat-unit: kernel-free driver for selftest.sh.
 *
 *   ncnat-unit json STRING...   print STRINGs as a JSON array
 *   ncnat-unit rule WORD...     parse WORDs as after "rule add", encode
 *                               them as RULE_ADD would, decode that nest
 *                               as a dump reply would, and print:
 *                                 attrs T...   attribute types in the nest
 *                                 the save line, the list line, the JSON
 *
 * Parse failures print the message and exit with the status ncnat would.
 */
#include <stdlib.h>
#include <string.h>

#include "ncnat.h"

static int nc_unit_json(int argc, char **argv)
{
	struct nc_json j;
	int i;

	nc_json_init(&j, stdout);
	nc_json_open(&j, '[');
	for (i = 0; i < argc; i++)
		nc_json_str(&j, argv[i]);
	nc_json_close(&j, ']');
	nc_json_finish(&j);
	return 0;
}

static void nc_unit_attrs(struct nlattr *nest)
{
	struct nlattr *attr;
	int rem;

	printf("attrs");
	nla_for_each_nested(attr, nest, rem)
		printf(" %d", nla_type(attr));
	printf("\n");
}

static int nc_unit_roundtrip(const struct nc_rule *r)
{
	struct nl_msg *msg = nlmsg_alloc();
	struct nc_rule back;
	struct nlattr *nest;
	struct nc_json j;

	if (!msg || nc_rule_put(msg, r))
		return NC_EXIT_FAIL;
	nest = nlmsg_attrdata(nlmsg_hdr(msg), 0);
	nc_unit_attrs(nest);
	if (nc_rule_get(nest, &back)) {
		nlmsg_free(msg);
		return NC_EXIT_FAIL;
	}
	nlmsg_free(msg);
	back.handle = 7;
	nc_rule_print(stdout, &back, NC_RULE_SAVE);
	nc_rule_print(stdout, &back, NC_RULE_LIST);
	nc_json_init(&j, stdout);
	nc_rule_json(&j, &back);
	nc_json_finish(&j);
	return NC_EXIT_OK;
}

static int nc_unit_rule(int argc, char **argv)
{
	char err[NC_ERR_LEN];
	struct nc_rule r;
	struct nc_args a;

	nc_args_init(&a, argc, argv);
	if (nc_rule_parse(&a, &r))
		return nc_args_report(&a);
	if (nc_rule_resolve(&r, err, sizeof(err))) {
		nc_err("%s", err);
		return NC_EXIT_FAIL;
	}
	return nc_unit_roundtrip(&r);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "json"))
		return nc_unit_json(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "rule"))
		return nc_unit_rule(argc - 2, argv + 2);
	fprintf(stderr, "usage: ncnat-unit json STRING... | rule WORD...\n");
	return NC_EXIT_USAGE;
}
