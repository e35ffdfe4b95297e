// SPDX-License-Identifier: GPL-2.0
/*
 * ncnat-unit: kernel-free driver for selftest.sh.
 *
 *   ncnat-unit json STRING...   print STRINGs as a JSON array
 *   ncnat-unit rule WORD...     parse WORDs as after "rule add", encode
 *                               them as RULE_ADD would, decode that nest
 *                               as a dump reply would, and print:
 *                                 attrs T...   attribute types in the nest
 *                                              (ACTION's as 19[T...])
 *                                 the save line, the list line, the JSON
 *   ncnat-unit flow PROTO STATE [PORT]
 *                               encode a NETCHANNEL_NAT_A_FLOW nest of
 *                               protocol and state numbers PROTO and
 *                               STATE (inside 10.0.1.2:PORT, default
 *                               4444), decode it and print the
 *                               `flow list` line, the `monitor` line and
 *                               the JSON object
 *
 * Parse failures print the message and exit with the status ncnat would.
 */
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "flow.h"

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

/* Attribute types in @nest; those of a nested ACTION as "19[1 3]". */
static void nc_unit_attrs(struct nlattr *nest)
{
	struct nlattr *attr, *in;
	int rem, rem2;

	printf("attrs");
	nla_for_each_nested(attr, nest, rem) {
		printf(" %d", nla_type(attr));
		if (nla_type(attr) != NETCHANNEL_A_RULE_ACTION)
			continue;
		printf("[");
		nla_for_each_nested(in, attr, rem2)
			printf("%s%d", in == nla_data(attr) ? "" : " ",
			       nla_type(in));
		printf("]");
	}
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

static int nc_unit_flow_put(struct nl_msg *msg, uint8_t proto, uint8_t state,
			    uint16_t port)
{
	uint32_t in = inet_addr("10.0.1.2"), out = inet_addr("192.0.2.1");
	uint32_t rem = inet_addr("192.0.2.2");
	struct nlattr *nest = nla_nest_start(msg, NETCHANNEL_NAT_A_FLOW);

	if (!nest ||
	    nla_put_u8(msg, NETCHANNEL_NAT_A_FLOW_PROTO, proto) ||
	    nla_put(msg, NETCHANNEL_NAT_A_FLOW_IN_ADDR, 4, &in) ||
	    nla_put_u16(msg, NETCHANNEL_NAT_A_FLOW_IN_PORT, port) ||
	    nla_put(msg, NETCHANNEL_NAT_A_FLOW_OUT_ADDR, 4, &out) ||
	    nla_put_u16(msg, NETCHANNEL_NAT_A_FLOW_OUT_PORT, 40000) ||
	    nla_put(msg, NETCHANNEL_NAT_A_FLOW_REM_ADDR, 4, &rem) ||
	    nla_put_u16(msg, NETCHANNEL_NAT_A_FLOW_REM_PORT, 53) ||
	    nla_put_u8(msg, NETCHANNEL_NAT_A_FLOW_STATE, state) ||
	    nla_put_u32(msg, NETCHANNEL_NAT_A_FLOW_EXPIRES, 299) ||
	    nla_put_u64(msg, NETCHANNEL_NAT_A_FLOW_PACKETS_OUT, 3) ||
	    nla_put_u64(msg, NETCHANNEL_NAT_A_FLOW_BYTES_OUT, 252) ||
	    nla_put_u64(msg, NETCHANNEL_NAT_A_FLOW_PACKETS_IN, 2) ||
	    nla_put_u64(msg, NETCHANNEL_NAT_A_FLOW_BYTES_IN, 168) ||
	    nla_put_u32(msg, NETCHANNEL_NAT_A_FLOW_RULE, 5) ||
	    nla_put_u8(msg, NETCHANNEL_NAT_A_FLOW_KIND,
		       NETCHANNEL_VERDICT_MASQUERADE))
		return -1;
	return nla_nest_end(msg, nest) < 0 ? -1 : 0;
}

static int nc_unit_flow(int argc, char **argv)
{
	uint32_t proto, state, port = 4444;
	struct nl_msg *msg;
	struct nc_flow f;
	struct nc_json j;
	int ret;

	if (argc < 2 || argc > 3 || nc_parse_u32(argv[0], 255, &proto) ||
	    nc_parse_u32(argv[1], 255, &state) ||
	    (argc == 3 && nc_parse_u32(argv[2], 65535, &port))) {
		fprintf(stderr, "usage: ncnat-unit flow PROTO STATE [PORT]\n");
		return NC_EXIT_USAGE;
	}
	msg = nlmsg_alloc();
	if (!msg || nc_unit_flow_put(msg, (uint8_t)proto, (uint8_t)state,
				     (uint16_t)port)) {
		nlmsg_free(msg);
		return NC_EXIT_FAIL;
	}
	ret = nc_flow_get(nlmsg_attrdata(nlmsg_hdr(msg), 0), &f);
	nlmsg_free(msg);
	if (ret)
		return NC_EXIT_FAIL;
	nc_flow_print(stdout, &f);
	printf("new ");
	nc_flow_print_endpoints(stdout, &f);
	putchar('\n');
	nc_json_init(&j, stdout);
	nc_json_open(&j, '{');
	nc_flow_json_fields(&j, &f);
	nc_json_close(&j, '}');
	nc_json_finish(&j);
	return NC_EXIT_OK;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "json"))
		return nc_unit_json(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "rule"))
		return nc_unit_rule(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "flow"))
		return nc_unit_flow(argc - 2, argv + 2);
	fprintf(stderr, "usage: ncnat-unit json STRING... | rule WORD... | flow PROTO STATE [PORT]\n");
	return NC_EXIT_USAGE;
}
