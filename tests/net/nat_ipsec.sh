#!/bin/bash
# nat_ipsec.sh: IPsec policies hold for what the NAT fast path forwards,
# as ip_forward() applies them (topology: nat_lib.sh; r1 masquerades by
# out0; r1 and r2 get an ESP tunnel-mode SA pair, static keys, whose
# policies protect 192.0.2.1 (r1's outside address, so h1's masqueraded
# traffic) <-> 198.51.100.0/24 (s2's side), level required both ends):
#   - without any xfrm policy the fast path forwards as before: every
#     packet counted `forwarded`, none `ipsec`, no xfrm-policy drop;
#   - with the policies: h1's requests to s2 leave r1 ESP-encapsulated
#     (the SA's packet counters at both ends; a capture on the outside
#     segment sees ESP and no cleartext to s2), are answered, and are
#     counted `ipsec`; a flow made before the policies existed is
#     encrypted from its next packet on;
#   - a TCP upload h1 -> s2 through the tunnel arrives byte for byte;
#   - a cleartext packet forged from s2 to the outside endpoint of a flow
#     whose forward policy requires ESP is dropped (xfrm-policy), not
#     handed to h1;
#   - a `block` forward policy (h1 -> s1) drops the packets of a known
#     flow and of new ones, each counted xfrm-policy, and makes no flow;
#   - once the policies are gone, the flows go in clear again (`ipsec` 0).
# SKIP where the kernel has no xfrm (the UML lane's).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nat_lib.sh"
nat_require
modprobe -q xfrm_user 2>/dev/null || true
modprobe -q esp4 2>/dev/null || true
if ! ip xfrm state list >/dev/null 2>&1; then
	skip "IPsec through the fast path (this kernel has no xfrm)"
	nc_done
fi
nat_topo
EDGE="$NC_TOP/tests/net/edge_tool.py"
# the tunnel's own MTU is r1's only limit
mtu r2 v1 1500; mtu s2 v0 1500
ncnat r1 rule add oif out0 masquerade >/dev/null
udp_echo s1 /tmp/nat-echo-s1.log
udp_echo s2 /tmp/nat-echo-s2.log
nsx r1 ping -c1 -W2 192.0.2.254 >/dev/null
nsx r1 ping -c1 -W2 192.0.2.2 >/dev/null
capsecs=$([ "${NC_LANE:-}" = qemu ] && echo 12 || echo 3)
capwait=$([ "${NC_LANE:-}" = qemu ] && echo 5 || echo 0.5)
C="forwarded ipsec flows-created"

# xfrm_drops NS: the engine's xfrm-policy drop counter (0 before any)
xfrm_drops() { nc_stat "$1" drops.xfrm-policy 2>/dev/null || echo 0; }
# xfrm_delta: xfrm-policy drops on r1 since xfrm_snap
xfrm_snap() { xdrops0=$(xfrm_drops r1); }
xfrm_delta() { echo $(($(xfrm_drops r1) - xdrops0)); }
# esp_pkts NS SRC DST SPI: packets through that ESP state in NS
esp_pkts() {
	nsx "$1" ip -s xfrm state get src "$2" dst "$3" proto esp spi "$4" |
		sed -n 's/.*(bytes), *\([0-9]*\)(packets).*/\1/p'
}
KEY=0x0123456789abcdef0123456789abcdef01234567
R1=192.0.2.1
R2=192.0.2.254
# tunnel NS ME PEER LOCAL REMOTE: both SAs (reqid 1, which an output
# template must name), and NS's policies: LOCAL <-> REMOTE through ME <->
# PEER (r1: 192.0.2.1/32 <-> 198.51.100.0/24; r2 the other way round)
tunnel() {
	local n=$1 me=$2 peer=$3 local=$4 remote=$5 d
	nsx "$n" ip xfrm state add src $R1 dst $R2 proto esp spi 0x1001 reqid 1 \
		mode tunnel aead 'rfc4106(gcm(aes))' $KEY 128
	nsx "$n" ip xfrm state add src $R2 dst $R1 proto esp spi 0x1002 reqid 1 \
		mode tunnel aead 'rfc4106(gcm(aes))' $KEY 128
	nsx "$n" ip xfrm policy add dir out src "$local" dst "$remote" \
		tmpl src "$me" dst "$peer" proto esp reqid 1 mode tunnel level required
	for d in in fwd; do
		nsx "$n" ip xfrm policy add dir $d src "$remote" dst "$local" \
			tmpl src "$peer" dst "$me" proto esp reqid 1 mode tunnel \
			level required
	done
}

# --- no policy: the fast path as before ---
ctr_snap r1
xfrm_snap
check_eq "no policy: answered" "ok 3" \
	tool h1 udp-req 198.51.100.2:7000 --sport 43000 --count 3
check_eq "no policy: all forwarded by the fast path, none through IPsec" \
	"forwarded=6 ipsec=0 flows-created=1" ctr_deltas r1 $C
check_eq "no policy: no xfrm-policy drop" 0 xfrm_delta

# --- tunnel-mode ESP r1 <-> r2 ---
tunnel r1 $R1 $R2 $R1/32 198.51.100.0/24
tunnel r2 $R2 $R1 198.51.100.0/24 $R1/32
ctr_snap r1
xfrm_snap
nsbg s1 python3 "$EDGE" capture v0 "$capsecs" >/tmp/nat-ipsec-cap.txt
cap=$!
sleep "$capwait"
check_eq "ipsec: answered through the tunnel" "ok 3" \
	tool h1 udp-req 198.51.100.2:7000 --sport 43001 --count 3
wait "$cap"
check_eq "ipsec: 3 out through the bundle, 3 back, counted" \
	"forwarded=6 ipsec=3 flows-created=1" ctr_deltas r1 $C
check_eq "ipsec: r1's SA to r2 carried them" 3 esp_pkts r1 $R1 $R2 0x1001
check_eq "ipsec: r2 decrypted them" 3 esp_pkts r2 $R1 $R2 0x1001
check_eq "ipsec: r1 decrypted the answers" 3 esp_pkts r1 $R2 $R1 0x1002
check_eq "ipsec: nothing in clear to s2 on the outside segment" "" \
	awk '$3 == "198.51.100.2" || $2 == "198.51.100.2"' /tmp/nat-ipsec-cap.txt
check_eq "ipsec: ESP r1 -> r2 on the outside segment" 3 \
	awk '$2 == "'$R1'" && $3 == "'$R2'" && $4 == 50 { n++ } END { print n + 0 }' \
	/tmp/nat-ipsec-cap.txt
check_eq "ipsec: no xfrm-policy drop" 0 xfrm_delta

# a flow made in clear, before the policies: encrypted from now on
ctr_snap r1
check_eq "ipsec: the older flow is answered" "ok 2" \
	tool h1 udp-req 198.51.100.2:7000 --sport 43000 --count 2
check_eq "ipsec: the older flow goes through the bundle" \
	"forwarded=4 ipsec=2 flows-created=0" ctr_deltas r1 $C
check_eq "ipsec: r1's SA counted them" 5 esp_pkts r1 $R1 $R2 0x1001

# TCP through the tunnel, byte for byte
head -c 1000000 /dev/urandom >/tmp/nat-ipsec-up.bin
ctr_snap r1
upload "ipsec" s2 198.51.100.2 8300 /tmp/nat-ipsec-up.bin
check "ipsec: TCP went through the bundle" above 0 ctr_delta r1 ipsec
check_eq "ipsec: upload left no xfrm-policy drop" 0 xfrm_delta

# --- a cleartext packet for a flow whose policy requires ESP ---
# h1:7000 -> s2:5000 makes the flow 192.0.2.1:7000 <- 198.51.100.2:5000,
# which edge_tool's datagram (5000 -> 7000) forges from s1, in clear
tool h1 udp-send 198.51.100.2 5000 --sport 7000 >/dev/null
check_eq "cleartext: the protected flow exists" "$R1:7000" \
	flowq r1 'f["inside"] == "10.0.1.2:7000"' outside
omac=$(ip -n "$(ns r1)" link show out0 | awk '/link\/ether/ { print $2 }')
xfrm_snap
nsbg h1 python3 "$EDGE" capture v0 "$capsecs" 17 >/tmp/nat-ipsec-h1.txt
cap=$!
sleep "$capwait"
nsx s1 python3 "$EDGE" send v0 "$omac" 198.51.100.2 $R1 udp 91
wait "$cap"
check_eq "cleartext: not handed to h1" "" awk '$1 == 91' /tmp/nat-ipsec-h1.txt
check_eq "cleartext: dropped, counted xfrm-policy" 1 xfrm_delta

# --- a block forward policy ---
check_eq "block: the flow before" "ok 1" \
	tool h1 udp-req 192.0.2.2:7000 --sport 43010
nsx r1 ip xfrm policy add dir fwd src 10.0.1.2/32 dst 192.0.2.2/32 action block
ctr_snap r1
xfrm_snap
tool h1 udp-send 192.0.2.2 7000 --sport 43010 --count 2 >/dev/null
tool h1 udp-send 192.0.2.2 7000 --sport 43011 --count 2 >/dev/null
check_wait "block: both flows' packets dropped, counted xfrm-policy" 4 xfrm_delta
check_eq "block: nothing forwarded, no new flow" \
	"forwarded=0 ipsec=0 flows-created=0" ctr_deltas r1 $C
check_eq "block: s1 saw none of them (only the request before)" 1 \
	grep -ac ':4301[01] ' /tmp/nat-echo-s1.log

# --- all policies gone: in clear again ---
for n in r1 r2; do
	nsx $n ip xfrm policy flush
	nsx $n ip xfrm state flush
done
ctr_snap r1
xfrm_snap
check_eq "no policy again: answered" "ok 2" \
	tool h1 udp-req 198.51.100.2:7000 --sport 43001 --count 2
check_eq "no policy again: the fast path, no bundle" \
	"forwarded=4 ipsec=0" ctr_deltas r1 forwarded ipsec
check_eq "no policy again: no xfrm-policy drop" 0 xfrm_delta
check_csum "no InCsumErrors anywhere"
nc_done
