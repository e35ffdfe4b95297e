#!/bin/bash
# nat_shared_skb.sh: a packet another holder still owns is not edited in
# place (topology: nat_lib.sh; r1 `oif out0 masquerade`).  pktgen on r1,
# in `xmit_mode netif_receive` with `burst 4`, hands in0's receive path
# one skb four times over, holding a reference across each delivery, as
# taps and injectors may: the receive handler gets a shared skb, and must
# copy it before translating (skb_share_check()).  Forwarding pktgen's own
# skb instead, it would be edited under pktgen, which sees it kept and
# sends a new one each time.  Each of the 200 datagrams h1 -> s1 (UDP,
# checksums computed by pktgen: in0's tx offload off) must reach s1
# translated, from one outside endpoint, each pktgen skb four times, all
# counted by one flow; nothing dropped, no splat.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nat_lib.sh"
nat_require
[ -d /proc/net/pktgen ] || modprobe -q pktgen 2>/dev/null || true
nat_topo
if ! nsx r1 test -e /proc/net/pktgen/kpktgend_0; then
	skip "no pktgen in this kernel"
	nc_done
fi
# pktgen computes the UDP checksum itself only if the device would not
nsx r1 ethtool -K in0 tx off >/dev/null
ncnat r1 rule add oif out0 masquerade >/dev/null
N=200
# s1 counts datagrams per source, and how often it saw each pktgen
# sequence number (UDP payload bytes 4-7): a big buffer, pktgen does not
# pace
nsbg s1 python3 -c '
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)
s.bind(("", 7000))
open("/tmp/nat-shared-ready", "w").close()
s.settimeout(120)
peers, seqs = {}, {}
try:
    while True:
        data, peer = s.recvfrom(2048)
        p = "%s:%d" % peer
        peers[p] = peers.get(p, 0) + 1
        q = struct.unpack("!I", data[4:8])[0]
        seqs[q] = seqs.get(q, 0) + 1
        s.settimeout(5)
except socket.timeout:
    pass
with open("/tmp/nat-shared.log", "w") as f:
    for p, n in sorted(peers.items()):
        print(p, n, file=f)
    print("%d sequence numbers, each seen %s times" % (len(seqs),
          "/".join(map(str, sorted(set(seqs.values()))))), file=f)
'
settle 30 test -e /tmp/nat-shared-ready
# r1 learns s1's MAC first, so that no datagram waits in an ARP queue
nsx r1 ping -c 1 -W 5 192.0.2.2 >/dev/null || true
R1MAC=$(nsx r1 cat /sys/class/net/in0/address)
H1MAC=$(nsx h1 cat /sys/class/net/v0/address)
ctr_snap r1
nsx r1 bash -s <<EOT
set -e
pg() { echo "\$2" >"/proc/net/pktgen/\$1"; }
pg kpktgend_0 "add_device in0"
for c in "count $N" "pkt_size 64" "delay 0" "clone_skb 0" \
	"src_min 10.0.1.2" "src_max 10.0.1.2" "dst 192.0.2.2" \
	"udp_src_min 40030" "udp_src_max 40030" \
	"udp_dst_min 7000" "udp_dst_max 7000" \
	"src_mac $H1MAC" "dst_mac $R1MAC" "flag UDPCSUM" \
	"xmit_mode netif_receive" "burst 4"; do
	pg in0 "\$c"
done
pg pgctrl start
EOT
settle 150 test -e /tmp/nat-shared.log
# each skb went through r1 four times, unchanged: had it been translated
# in place, pktgen would have seen it kept and sent a new one each time
check_eq "s1: all $N datagrams, from one outside endpoint, each skb 4 times" \
	"192.0.2.1:40030 $N
$((N / 4)) sequence numbers, each seen 4 times" cat /tmp/nat-shared.log
check_eq "one flow, $N packets out" "10.0.1.2:40030 192.0.2.1:40030 $N" \
	flowq r1 True inside outside packets_out
check_eq "counters: one flow, every packet forwarded" \
	"flows-created=1 forwarded=$N nomem=0" ctr_deltas r1 flows-created forwarded nomem
check_csum "no checksum errors"
nc_done
