#!/bin/bash
# nat_refuse_noflow.sh: a first packet the fast path refuses makes no flow
# (`oif out0 masquerade` on r1, topology: nat_lib.sh).
#   - ping -t 1 h1 -> s1: h1 gets r1's time exceeded, counted in punt-ttl;
#     no flow, nothing created, no mapping holds an outside identifier;
#   - UDP with DF, 2000 bytes (out0's MTU is 1500) h1:43000 -> s1: h1 gets
#     frag needed 1500, counted in punt-mtu; no flow, no mapping;
#   - then the same socket's port, fitting, is answered: a flow with the
#     port kept (nothing held 43000), and a plain ping makes its flow.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nat_lib.sh"
nat_require
nat_topo
ncnat r1 rule add oif out0 masquerade >/dev/null
udp_echo s1 /tmp/nat-echo-s1.log

# --- TTL ---
ctr_snap r1
out=$(nsx h1 ping -c1 -t1 -W2 192.0.2.2 2>&1) || true
check "ttl: time exceeded from r1" grep -q "From 10.0.1.1 .*Time to live exceeded" <<<"$out"
check_eq "ttl: counted, no flow created" "punt-ttl=1 flows-created=0" \
	ctr_deltas r1 punt-ttl flows-created
check_eq "ttl: flow list empty" 0 nflows r1

# --- MTU ---
ctr_snap r1
check_eq "mtu: too big with DF not answered" "192.0.2.2:7000 request 0: no reply" \
	tool h1 --timeout 2 udp-req 192.0.2.2:7000 --sport 43000 --size 2000 --df
check_eq "mtu: counted, no flow created" "punt-mtu=1 flows-created=0" \
	ctr_deltas r1 punt-mtu flows-created
check_eq "mtu: flow list empty" 0 nflows r1
check "mtu: h1 learnt mtu 1500" sh -c "ip -n $(ns h1) route get 192.0.2.2 | grep -q 'mtu 1500'"

# --- what fits still makes its flow ---
check_eq "after: same port answered" "ok 2" \
	tool h1 udp-req 192.0.2.2:7000 --sport 43000 --count 2 --size 1000 --df
check_eq "after: port kept" "udp 10.0.1.2:43000 192.0.2.1:43000 192.0.2.2:7000" flows r1
check "after: ping answered" nsx h1 ping -c1 -W2 192.0.2.2
check_eq "after: two flows" 2 nflows r1
check_csum "no checksum errors"
nc_done
