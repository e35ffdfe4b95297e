// SPDX-License-Identifier: GPL-2.0
/*
 * ncnat flow list | flow flush: the NAT mappings of the netchannel_nat
 * family.  One line per mapping:
 *
 *   PROTO inside A:P outside A:P remote A:P state S expires Ns
 *         packets OUT/IN bytes OUT/IN rule H
 *
 * sorted by protocol, inside endpoint and remote endpoint (the kernel's
 * table has no order).  The listing is a snapshot taken while flows come
 * and go; the family has no generation to make it consistent.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"

static struct nla_policy nc_flow_policy[NETCHANNEL_NAT_A_FLOW_MAX + 1] = {
	[NETCHANNEL_NAT_A_FLOW_PROTO] = { .type = NLA_U8 },
	[NETCHANNEL_NAT_A_FLOW_IN_ADDR] = { .type = NLA_U32 },
	[NETCHANNEL_NAT_A_FLOW_IN_PORT] = { .type = NLA_U16 },
	[NETCHANNEL_NAT_A_FLOW_OUT_ADDR] = { .type = NLA_U32 },
	[NETCHANNEL_NAT_A_FLOW_OUT_PORT] = { .type = NLA_U16 },
	[NETCHANNEL_NAT_A_FLOW_REM_ADDR] = { .type = NLA_U32 },
	[NETCHANNEL_NAT_A_FLOW_REM_PORT] = { .type = NLA_U16 },
	[NETCHANNEL_NAT_A_FLOW_STATE] = { .type = NLA_U8 },
	[NETCHANNEL_NAT_A_FLOW_EXPIRES] = { .type = NLA_U32 },
	[NETCHANNEL_NAT_A_FLOW_PACKETS_OUT] = { .type = NLA_U64 },
	[NETCHANNEL_NAT_A_FLOW_BYTES_OUT] = { .type = NLA_U64 },
	[NETCHANNEL_NAT_A_FLOW_PACKETS_IN] = { .type = NLA_U64 },
	[NETCHANNEL_NAT_A_FLOW_BYTES_IN] = { .type = NLA_U64 },
	[NETCHANNEL_NAT_A_FLOW_RULE] = { .type = NLA_U32 },
	[NETCHANNEL_NAT_A_FLOW_KIND] = { .type = NLA_U8 },
};

static const char *const nc_flow_states[] = {
	[NETCHANNEL_NAT_STATE_NONE] = "none",
	[NETCHANNEL_NAT_STATE_SYN] = "syn",
	[NETCHANNEL_NAT_STATE_ESTABLISHED] = "established",
	[NETCHANNEL_NAT_STATE_FIN] = "fin",
	[NETCHANNEL_NAT_STATE_CLOSING] = "closing",
	[NETCHANNEL_NAT_STATE_SYN_RECV] = "syn-recv",
};

/* ---- decoding ---- */

static uint32_t nc_flow_be32(struct nlattr *attr)
{
	uint32_t v = 0;

	if (attr)
		memcpy(&v, nla_data(attr), sizeof(v));
	return v;
}

static uint16_t nc_flow_u16(struct nlattr *attr)
{
	return attr ? nla_get_u16(attr) : 0;
}

static uint64_t nc_flow_u64(struct nlattr *attr)
{
	return attr ? nla_get_u64(attr) : 0;
}

/* Decodes a NETCHANNEL_NAT_A_FLOW nest; -1 if it is malformed. */
int nc_flow_get(struct nlattr *nest, struct nc_flow *f)
{
	struct nlattr *tb[NETCHANNEL_NAT_A_FLOW_MAX + 1];

	memset(f, 0, sizeof(*f));
	if (nla_parse_nested(tb, NETCHANNEL_NAT_A_FLOW_MAX, nest,
			     nc_flow_policy) ||
	    !tb[NETCHANNEL_NAT_A_FLOW_PROTO] ||
	    !tb[NETCHANNEL_NAT_A_FLOW_IN_ADDR] ||
	    !tb[NETCHANNEL_NAT_A_FLOW_OUT_ADDR] ||
	    !tb[NETCHANNEL_NAT_A_FLOW_REM_ADDR])
		return -1;
	f->proto = nla_get_u8(tb[NETCHANNEL_NAT_A_FLOW_PROTO]);
	f->in_addr = nc_flow_be32(tb[NETCHANNEL_NAT_A_FLOW_IN_ADDR]);
	f->out_addr = nc_flow_be32(tb[NETCHANNEL_NAT_A_FLOW_OUT_ADDR]);
	f->rem_addr = nc_flow_be32(tb[NETCHANNEL_NAT_A_FLOW_REM_ADDR]);
	f->in_port = nc_flow_u16(tb[NETCHANNEL_NAT_A_FLOW_IN_PORT]);
	f->out_port = nc_flow_u16(tb[NETCHANNEL_NAT_A_FLOW_OUT_PORT]);
	f->rem_port = nc_flow_u16(tb[NETCHANNEL_NAT_A_FLOW_REM_PORT]);
	if (tb[NETCHANNEL_NAT_A_FLOW_STATE])
		f->state = nla_get_u8(tb[NETCHANNEL_NAT_A_FLOW_STATE]);
	if (tb[NETCHANNEL_NAT_A_FLOW_EXPIRES])
		f->expires = nla_get_u32(tb[NETCHANNEL_NAT_A_FLOW_EXPIRES]);
	if (tb[NETCHANNEL_NAT_A_FLOW_RULE])
		f->rule = nla_get_u32(tb[NETCHANNEL_NAT_A_FLOW_RULE]);
	f->packets_out = nc_flow_u64(tb[NETCHANNEL_NAT_A_FLOW_PACKETS_OUT]);
	f->bytes_out = nc_flow_u64(tb[NETCHANNEL_NAT_A_FLOW_BYTES_OUT]);
	f->packets_in = nc_flow_u64(tb[NETCHANNEL_NAT_A_FLOW_PACKETS_IN]);
	f->bytes_in = nc_flow_u64(tb[NETCHANNEL_NAT_A_FLOW_BYTES_IN]);
	return 0;
}

/* ---- printing ---- */

#define NC_ENDPOINT_LEN (INET_ADDRSTRLEN + 8)

static void nc_flow_endpoint(uint32_t addr, uint16_t port, char *buf,
			     size_t len)
{
	char a[INET_ADDRSTRLEN];

	if (!inet_ntop(AF_INET, &addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s:%u", a, port);
}

/* tcp, udp, icmp, or the number. */
static const char *nc_flow_proto(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	}
	snprintf(buf, len, "%u", proto);
	return buf;
}

static const char *nc_flow_state(uint8_t state, char *buf, size_t len)
{
	if (state < sizeof(nc_flow_states) / sizeof(nc_flow_states[0]))
		return nc_flow_states[state];
	snprintf(buf, len, "%u", state);
	return buf;
}

/* "PROTO inside A:P outside A:P remote A:P", the start of every line. */
void nc_flow_print_endpoints(FILE *out, const struct nc_flow *f)
{
	char in[NC_ENDPOINT_LEN], outside[NC_ENDPOINT_LEN];
	char rem[NC_ENDPOINT_LEN], num[8];

	nc_flow_endpoint(f->in_addr, f->in_port, in, sizeof(in));
	nc_flow_endpoint(f->out_addr, f->out_port, outside, sizeof(outside));
	nc_flow_endpoint(f->rem_addr, f->rem_port, rem, sizeof(rem));
	fprintf(out, "%s inside %s outside %s remote %s",
		nc_flow_proto(f->proto, num, sizeof(num)), in, outside, rem);
}

void nc_flow_print(FILE *out, const struct nc_flow *f)
{
	char num[8];

	nc_flow_print_endpoints(out, f);
	fprintf(out, " state %s expires %us packets %llu/%llu bytes %llu/%llu rule %u\n",
		nc_flow_state(f->state, num, sizeof(num)), f->expires,
		(unsigned long long)f->packets_out,
		(unsigned long long)f->packets_in,
		(unsigned long long)f->bytes_out,
		(unsigned long long)f->bytes_in, f->rule);
}

/* proto, inside, outside, remote: keys of an open JSON object. */
void nc_flow_json_endpoints(struct nc_json *j, const struct nc_flow *f)
{
	char buf[NC_ENDPOINT_LEN];
	const char *proto = nc_flow_proto(f->proto, buf, sizeof(buf));

	/* a protocol without a name is a number, as in rule objects */
	if (proto == buf)
		nc_json_ku64(j, "proto", f->proto);
	else
		nc_json_kstr(j, "proto", proto);
	nc_flow_endpoint(f->in_addr, f->in_port, buf, sizeof(buf));
	nc_json_kstr(j, "inside", buf);
	nc_flow_endpoint(f->out_addr, f->out_port, buf, sizeof(buf));
	nc_json_kstr(j, "outside", buf);
	nc_flow_endpoint(f->rem_addr, f->rem_port, buf, sizeof(buf));
	nc_json_kstr(j, "remote", buf);
}

/* Every key of a mapping, into an open JSON object. */
void nc_flow_json_fields(struct nc_json *j, const struct nc_flow *f)
{
	char num[8];
	const char *state;

	nc_flow_json_endpoints(j, f);
	state = nc_flow_state(f->state, num, sizeof(num));
	if (state == num)
		nc_json_ku64(j, "state", f->state);
	else
		nc_json_kstr(j, "state", state);
	nc_json_ku64(j, "expires", f->expires);
	nc_json_ku64(j, "packets_out", f->packets_out);
	nc_json_ku64(j, "bytes_out", f->bytes_out);
	nc_json_ku64(j, "packets_in", f->packets_in);
	nc_json_ku64(j, "bytes_in", f->bytes_in);
	nc_json_ku64(j, "rule", f->rule);
}

/* ---- flow list ---- */

struct nc_flows {
	struct nc_flow *v;
	size_t n;
	size_t cap;
};

static int nc_flows_collect(struct nlattr **tb, void *arg)
{
	struct nc_flows *flows = arg;
	struct nc_flow *v;

	if (!tb[NETCHANNEL_NAT_A_FLOW])
		return 0;
	if (flows->n == flows->cap) {
		flows->cap = flows->cap ? flows->cap * 2 : 64;
		v = realloc(flows->v, flows->cap * sizeof(*v));
		if (!v)
			return -1;
		flows->v = v;
	}
	if (nc_flow_get(tb[NETCHANNEL_NAT_A_FLOW], &flows->v[flows->n]))
		return -1;
	flows->n++;
	return 0;
}

static void nc_flows_reset(void *arg)
{
	((struct nc_flows *)arg)->n = 0;
}

static int nc_cmp_u32(uint32_t a, uint32_t b)
{
	return a < b ? -1 : a > b;
}

static int nc_flow_cmp(const void *pa, const void *pb)
{
	const struct nc_flow *a = pa, *b = pb;
	const uint32_t ka[] = { a->proto, ntohl(a->in_addr), a->in_port,
				ntohl(a->rem_addr), a->rem_port, a->out_port };
	const uint32_t kb[] = { b->proto, ntohl(b->in_addr), b->in_port,
				ntohl(b->rem_addr), b->rem_port, b->out_port };
	size_t i;

	for (i = 0; i < sizeof(ka) / sizeof(ka[0]); i++)
		if (ka[i] != kb[i])
			return nc_cmp_u32(ka[i], kb[i]);
	return 0;
}

static void nc_flows_json(const struct nc_flows *flows)
{
	struct nc_json j;
	size_t i;

	nc_json_init(&j, stdout);
	nc_json_open(&j, '[');
	for (i = 0; i < flows->n; i++) {
		nc_json_open(&j, '{');
		nc_flow_json_fields(&j, &flows->v[i]);
		nc_json_close(&j, '}');
	}
	nc_json_close(&j, ']');
	nc_json_finish(&j);
}

static int nc_flow_list(struct nc_ctx *ctx, struct nc_args *a)
{
	struct nc_flows flows = { 0 };
	size_t i;
	int ret;

	if (nc_args_end(a, "list"))
		return nc_args_report(a);
	ret = nc_ctx_dump(ctx, NC_FAM_NAT, NETCHANNEL_NAT_CMD_FLOW_GET,
			  nc_flows_collect, nc_flows_reset, &flows);
	if (!ret && flows.n)
		qsort(flows.v, flows.n, sizeof(*flows.v), nc_flow_cmp);
	if (!ret && ctx->json)
		nc_flows_json(&flows);
	else if (!ret)
		for (i = 0; i < flows.n; i++)
			nc_flow_print(stdout, &flows.v[i]);
	free(flows.v);
	return ret;
}

static int nc_flow_flush(struct nc_ctx *ctx, struct nc_args *a)
{
	if (nc_args_end(a, "flush"))
		return nc_args_report(a);
	return nc_ctx_do(ctx, nc_nl_fam_msg(NC_FAM_NAT,
					    NETCHANNEL_NAT_CMD_FLOW_FLUSH, 0, 0),
			 NULL, NULL);
}

static const struct nc_cmd nc_flow_cmds[] = {
	{ "list", nc_flow_list },
	{ "flush", nc_flow_flush },
	{ NULL, NULL }
};

int nc_flow_main(struct nc_ctx *ctx, struct nc_args *a)
{
	return nc_dispatch(ctx, a, nc_flow_cmds, "flow command");
}
