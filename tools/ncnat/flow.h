/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A NAT mapping as the netchannel_nat family reports it (NETCHANNEL_NAT_A_FLOW),
 * shared by `flow list` (flow.c) and `monitor` (monitor.c).
 */
#ifndef NCNAT_FLOW_H
#define NCNAT_FLOW_H

#include "ncnat.h"

struct nc_flow {
	uint8_t proto;
	uint8_t state;		/* enum netchannel_nat_state */
	uint32_t in_addr;	/* network order: the inside endpoint */
	uint32_t out_addr;	/* the translated endpoint */
	uint32_t rem_addr;	/* the remote endpoint */
	uint16_t in_port;	/* host order; ICMP echo: the identifier */
	uint16_t out_port;
	uint16_t rem_port;
	uint32_t expires;	/* seconds left */
	uint32_t rule;		/* handle of the rule that made it */
	uint64_t packets_out;	/* inside -> remote */
	uint64_t bytes_out;
	uint64_t packets_in;	/* remote -> inside */
	uint64_t bytes_in;
};

int nc_flow_get(struct nlattr *nest, struct nc_flow *f);
void nc_flow_print_endpoints(FILE *out, const struct nc_flow *f);
void nc_flow_print(FILE *out, const struct nc_flow *f);
void nc_flow_json_fields(struct nc_json *j, const struct nc_flow *f);
void nc_flow_json_endpoints(struct nc_json *j, const struct nc_flow *f);

#endif /* NCNAT_FLOW_H */
