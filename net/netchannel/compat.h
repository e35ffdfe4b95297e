/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-version differences, all in one place.  The project builds against
 * Debian 6.1 and 6.12 headers and in a 6.12 tree; everything else is
 * written for both without #ifdef.  Prefer feature tests to version tests.
 */
#ifndef _NET_NETCHANNEL_COMPAT_H
#define _NET_NETCHANNEL_COMPAT_H

#include <net/udp.h>

/*
 * 6.5 moved the GSO helpers (skb_gso_validate_network_len) to net/gso.h;
 * the Kbuild file tests for the header (sparse has no __has_include).
 */
#ifdef NC_HAVE_NET_GSO_H
#include <net/gso.h>
#endif

/*
 * inet_proto_csum_replace_by_diff() gained its ipv6 argument in 6.10 (and
 * in the 6.1 and 6.6 stable series since); the Kbuild file tests the
 * header for it rather than guessing from the version.  IPv4 only here.
 */
#ifdef NC_HAVE_CSUM_DIFF_IPV6
#define nc_proto_csum_replace_by_diff(sum, skb, diff, pseudohdr) \
	inet_proto_csum_replace_by_diff(sum, skb, diff, pseudohdr, false)
#else
#define nc_proto_csum_replace_by_diff(sum, skb, diff, pseudohdr) \
	inet_proto_csum_replace_by_diff(sum, skb, diff, pseudohdr)
#endif

/*
 * 6.2 gave each netns its UDP socket table (the global one by default);
 * before, there was only the global one.
 */
static inline struct udp_table *nc_udp_table(struct net *net)
{
#ifdef NC_HAVE_NETNS_UDP_TABLE
	return net->ipv4.udp_table;
#else
	return &udp_table;
#endif
}

#endif /* _NET_NETCHANNEL_COMPAT_H */
