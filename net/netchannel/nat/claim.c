// SPDX-License-Identifier: GPL-2.0
/*
 * Outside ports that a binding must not take: those a port forward (a
 * dnat rule with a dport match) or a local socket of the router already
 * answers on.
 *
 * A binding keeps its inside port when it can (port preservation), so
 * without this check a LAN host sending from port 8080 would take the
 * outside port 8080 that a dnat rule forwards, and unsolicited packets to
 * it would meet the binding's filtering before the rule table (dropped as
 * filtered, or handed to the LAN host with `filtering eif`); the same for
 * a service of the router listening on the outside address.  Rules and
 * sockets come first: the allocator picks another port.
 *
 * Port forwards are counted per protocol and port (a port may be named by
 * many rules), whatever the rule's daddr: a forwarded port is left alone
 * on every outside address, which costs a binding at most the forwarded
 * ports.  Local sockets are found by the kernel's own lookups, as a
 * received packet would find them.
 *
 * A binding made before the rule that forwards its port (the rule came
 * later) does not shadow the forward either: an unsolicited packet to a
 * port some dnat rule names is looked up in the rule table, and one a
 * dnat rule takes skips the binding (nc_nat_rx()); the binding's own
 * flows keep working, as their packets find the flows.
 *
 * Locking: the counts change under nc_nat_net::lock, at ruleset publish
 * and rule destruction (process context); the allocator reads them under
 * the same lock, the receive path without it (a count is only a hint
 * there: the rule table decides).  The count arrays live until the NAT's
 * netns exit (nc_nat_claims_exit()), which runs before the core's frees
 * the netns's rules, and when no packet reads them any more: at netns
 * dismantle the devices are gone (their receive handlers unregistered,
 * synchronize_net()); at rmmod the NAT unregisters its consumer, with a
 * synchronize_rcu(), before its pernet exit.
 */
#include <linux/mm.h>
#include <net/inet_hashtables.h>
#include <net/udp.h>

#include "nat.h"
#include "../compat.h"

#define NC_NAT_PORTS		(U16_MAX + 1)

/* Index of a protocol's forward counts; -1 for one without ports. */
static int nc_nat_claim_idx(u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return 0;
	case IPPROTO_UDP:
		return 1;
	default:
		return -1;
	}
}

/* Does @rule forward the ports of @proto?  And which (dport range)? */
static bool nc_nat_claims(const struct nc_rule *rule, u8 proto)
{
	const struct nc_match *m = &rule->match;

	if (rule->verdict != NETCHANNEL_VERDICT_DNAT ||
	    !(m->present & NC_M_DPORT))
		return false;
	return !(m->present & NC_M_PROTO) || m->proto == proto;
}

/**
 * nc_nat_claim_prepare - make room to count a rule's forwarded ports
 * @nnn: the netns
 * @rule: a rule being added
 *
 * Allocates what nc_nat_claim_publish() fills, so that publishing (which
 * cannot fail) never needs memory.  Context: process, nc_net::lock held.
 * Return: 0 or -ENOMEM.
 */
int nc_nat_claim_prepare(struct nc_nat_net *nnn, const struct nc_rule *rule)
{
	static const u8 protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	unsigned int i;
	u32 *counts;

	for (i = 0; i < ARRAY_SIZE(protos); i++) {
		if (nnn->claims[i] || !nc_nat_claims(rule, protos[i]))
			continue;
		counts = kvcalloc(NC_NAT_PORTS, sizeof(*counts),
				  GFP_KERNEL_ACCOUNT);
		if (!counts)
			return -ENOMEM;
		spin_lock_bh(&nnn->lock);
		/* zeroed counts before the pointer: nc_nat_forwarded() */
		smp_store_release(&nnn->claims[i], counts);
		spin_unlock_bh(&nnn->lock);
	}
	return 0;
}

static void nc_nat_claim_add(struct nc_nat_net *nnn,
			     const struct nc_rule *rule, int delta)
{
	static const u8 protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	const struct nc_match *m = &rule->match;
	unsigned int i, port;

	spin_lock_bh(&nnn->lock);
	for (i = 0; i < ARRAY_SIZE(protos); i++) {
		/*
		 * Prepared at rule_init, so present whenever the rule claims;
		 * gone only at netns exit, which the NAT's pernet exit reaches
		 * before the core's frees the rules (nc_nat_claims_exit()).
		 */
		if (!nc_nat_claims(rule, protos[i]) || !nnn->claims[i])
			continue;
		for (port = m->dport_min; port <= m->dport_max; port++)
			WRITE_ONCE(nnn->claims[i][port],
				   nnn->claims[i][port] + delta);
	}
	spin_unlock_bh(&nnn->lock);
}

/* @rule's ruleset goes live: its forwarded ports are no binding's. */
void nc_nat_claim_publish(struct nc_nat_net *nnn, const struct nc_rule *rule)
{
	nc_nat_claim_add(nnn, rule, 1);
}

/* A published @rule goes away. */
void nc_nat_claim_withdraw(struct nc_nat_net *nnn, const struct nc_rule *rule)
{
	nc_nat_claim_add(nnn, rule, -1);
}

/*
 * At netns exit.  Pernet exits run in reverse order of registration, so
 * this comes before the core's, whose rule release still withdraws the
 * claims of the netns's dnat rules: the arrays go and the pointers with
 * them, under the lock, and those late withdrawals find nothing to count.
 */
void nc_nat_claims_exit(struct nc_nat_net *nnn)
{
	u32 *gone[ARRAY_SIZE(nnn->claims)];
	unsigned int i;

	spin_lock_bh(&nnn->lock);
	for (i = 0; i < ARRAY_SIZE(nnn->claims); i++) {
		gone[i] = nnn->claims[i];
		nnn->claims[i] = NULL;
	}
	spin_unlock_bh(&nnn->lock);
	for (i = 0; i < ARRAY_SIZE(gone); i++)
		kvfree(gone[i]);
}

static struct sock *nc_nat_udp_lookup(struct net *net, __be32 saddr,
				      __be16 sport, __be32 daddr, __be16 dport)
{
	/*
	 * udp4_lib_lookup() exists only with the socket match or TPROXY
	 * built; the lookup behind it is always there and takes no reference.
	 */
	return __udp4_lib_lookup(net, saddr, sport, daddr, dport, 0, 0,
				 nc_udp_table(net), NULL);
}

/**
 * nc_nat_local_sock - would a local socket take this packet?
 * @net: the netns
 * @proto: IPPROTO_TCP or IPPROTO_UDP (others have no socket: false)
 * @saddr: the remote address
 * @sport: the remote port
 * @daddr: the outside address
 * @dport: the outside port
 *
 * As the receive path would demultiplex it: a connected socket of exactly
 * this pair, or a listening TCP or bound UDP socket on @daddr or on the
 * wildcard address (which receives on every local address).  Sockets
 * bound to a device are not seen (the device is not known here).
 *
 * Context: RCU read side (softirq).
 */
bool nc_nat_local_sock(struct net *net, u8 proto, __be32 saddr, __be16 sport,
		       __be32 daddr, __be16 dport)
{
	struct inet_hashinfo *hinfo = net->ipv4.tcp_death_row.hashinfo;
	struct sock *sk;

	switch (proto) {
	case IPPROTO_TCP:
		sk = __inet_lookup_established(net, hinfo, saddr, sport, daddr,
					       ntohs(dport), 0, 0);
		if (sk) {
			sock_gen_put(sk);	/* the lookup took a reference */
			return true;
		}
		return __inet_lookup_listener(net, hinfo, NULL, 0, saddr, sport,
					      daddr, ntohs(dport), 0, 0);
	case IPPROTO_UDP:
		return nc_nat_udp_lookup(net, saddr, sport, daddr, dport);
	default:
		return false;
	}
}

/* Does a dnat rule name outside port @port of @proto?  Any lock, or none. */
static bool nc_nat_port_claimed(struct nc_nat_net *nnn, int i, __be16 port)
{
	/* pairs with the release in nc_nat_claim_prepare(): zeroed counts */
	const u32 *counts = smp_load_acquire(&nnn->claims[i]);

	return counts && READ_ONCE(counts[ntohs(port)]);
}

/**
 * nc_nat_forward_first - does a port forward take this unsolicited packet?
 * @nnn: the netns
 * @ncd: the device it came in on
 * @skb: the packet, to a bound outside port
 * @pkt: its parse state
 * @t: its tuple
 *
 * The counts tell cheaply whether any dnat rule names the port; the rule
 * table, whether one takes this packet (its address, device, priority
 * and all), as it would once the binding let the packet by.
 * Context: RCU read side (softirq), no lock.
 */
bool nc_nat_forward_first(struct nc_nat_net *nnn, struct nc_dev *ncd,
			  struct sk_buff *skb, struct nc_pkt *pkt,
			  const struct nc_nat_tuple *t)
{
	int i = nc_nat_claim_idx(t->proto);
	const struct nc_rule *rule;

	if (i < 0 || !nc_nat_port_claimed(nnn, i, t->dport))
		return false;
	rule = nc_rule_match(ncd, skb, pkt);
	return rule && nc_nat_claims(rule, t->proto);
}

/**
 * nc_nat_claimed - must a new binding leave this outside port?
 * @nnn: the netns
 * @out: the outside endpoint a binding would take
 * @remote: the destination of the binding's first packet
 * @rport: and its port
 *
 * Context: nnn->lock held, RCU read side.
 */
bool nc_nat_claimed(struct nc_nat_net *nnn, const struct nc_nat_ep *out,
		    __be32 remote, __be16 rport)
{
	int i = nc_nat_claim_idx(out->proto);

	if (i < 0)
		return false;
	if (nc_nat_port_claimed(nnn, i, out->port))
		return true;
	return nc_nat_local_sock(nnn->net, out->proto, remote, rport,
				 out->addr, out->port);
}
