#!/bin/bash
# dev_lifecycle.sh: attaching and detaching devices, and devices that go
# away under the engine.
#   - attach twice, detach a device not attached, unknown devices and
#     loopback: refused with a reason;
#   - rules act on attached devices only; detach and re-attach (under
#     traffic) work, and a re-attached device counts from zero;
#   - a bridge port (a device with an rx_handler already) is refused with a
#     message naming the receive handler, and an attached device cannot
#     become a bridge port (SKIP where the kernel has no bridge);
#   - an attached veth deleted under traffic leaves `dev list`, its rules
#     stay; an attached device moved to another netns is detached in the
#     old one and can be attached in the new one; a whole netns with
#     attached devices and rules deleted under traffic is cleaned up.
# The console is checked for splats by the runner.
#
#   c v0 ---- c r s0 ---- v0 s       x v0 ---- dm r,  x v1 ---- dn r
#   x w1 ---- a1 z,  x w2 ---- a2 z
. "$(dirname "$0")/lib.sh"

# devs NS: the names of the attached devices, one line
devs() { ncnat "$1" dev list | awk '{ printf "%s%s", s, $1; s = " " } END { print "" }'; }
# dev NS DEV FIELD: one counter of an attached device
dev() { ncnat "$1" dev list | awk -v d="$2" -v f="$3" '$1 == d { for (i = 2; i < NF; i++) if ($i == f) print $(i + 1) }'; }
# stat NS WORD: a number of the stats head line (rules, devices, ...)
ncstat() { ncnat "$1" stats | awk -v w="$2" 'NR == 1 { for (i = 1; i < NF; i++) if ($i == w) print $(i + 1) }'; }
# rule_pkts NS HANDLE
rule_pkts() { ncnat "$1" rule list | awk -v h="$2" '$2 == h { for (i = 3; i < NF; i++) if ($i == "packets") print $(i + 1) }'; }
# says NAME TEXT CMD...: CMD fails and its message contains TEXT
says() {
	local name=$1 text=$2 out
	shift 2
	if out=$("$@" 2>&1); then
		fail "$name (succeeded: $out)"
	elif [[ $out != *"$text"* ]]; then
		fail "$name"
		echo "    message: $out"
	else
		pass "$name"
	fi
}
# flood NS DST: ping DST from NS in the background, 100/s; sets FLOOD (pid)
flood() { nsbg "$1" ping -q -i 0.01 "$2" >/dev/null 2>&1; FLOOD=$!; }
unflood() { kill "$FLOOD" 2>/dev/null || true; wait "$FLOOD" 2>/dev/null || true; }

nc_require
qns c r s x y z
qline c r s 4
qveth x v0 r dm
qveth x v1 r dn
qveth x w1 z a1
qveth x w2 z a2
ipb r <<EOT
addr add 10.4.0.1/24 dev dm
addr add 10.5.0.1/24 dev dn
EOT
ipb x <<EOT
addr add 10.4.0.2/24 dev v0
addr add 10.5.0.2/24 dev v1
addr add 10.6.0.2/24 dev w1
addr add 10.7.0.2/24 dev w2
EOT
ipb z <<EOT
addr add 10.6.0.1/24 dev a1
addr add 10.7.0.1/24 dev a2
EOT
forwarding r

# ---- refusals ----
check "attach" ncnat r dev attach c
says "attach twice refused" "already attached" ncnat r dev attach c
says "detach of a device not attached refused" "not attached" ncnat r dev detach s0
check_fails "attach of an unknown device refused" ncnat r dev attach nosuch0
says "loopback refused" "loopback" ncnat r dev attach lo
check_eq "dev list after refusals" "c" devs r
check_eq "stats after refusals" 1 ncstat r devices

# ---- rules act on attached devices only ----
h=$(ncnat r rule add proto icmp drop)
check_fails "ping through the attached device is dropped" \
	nsx c ping -c 2 -i 0.2 -W 1 10.2.0.2
check_eq "both pings dropped" "2 2 2" echo "$(dev r c seen) $(dev r c dropped) $(rule_pkts r "$h")"
check "detach" ncnat r dev detach c
check_eq "dev list after detach" "" devs r
check "a detached device is not filtered" nsx c ping -c 2 -i 0.2 -W 1 10.2.0.2
check_eq "rule saw nothing after detach" 2 rule_pkts r "$h"
check "re-attach" ncnat r dev attach c
check_eq "re-attached device counts from zero" "0 0" echo "$(dev r c seen) $(dev r c dropped)"
check_fails "ping dropped again" nsx c ping -c 3 -i 0.2 -W 1 10.2.0.2
check_eq "re-attached device counts" "3 3 5" echo "$(dev r c seen) $(dev r c dropped) $(rule_pkts r "$h")"
ncnat r rule del handle "$h"

# detach and re-attach while a flood goes through
flood c 10.2.0.2
check "flood flows" until_ok above 20 dev r c seen
for i in 1 2 3; do
	ncnat r dev detach c
	ncnat r dev attach c
done
check "detach and re-attach under traffic" until_ok above 20 dev r c seen
unflood

# ---- a device that already has a receive handler ----
if ip -n "$(ns r)" link add br0 type bridge 2>/dev/null; then
	ip -n "$(ns r)" link add d0 type dummy
	ip -n "$(ns r)" link add d1 type dummy
	ip -n "$(ns r)" link set d0 master br0
	says "bridge port refused, naming the receive handler" "receive handler" \
		ncnat r dev attach d0
	check "bridge itself can be attached" ncnat r dev attach br0
	check "plain dummy can be attached" ncnat r dev attach d1
	check_fails "attached device cannot become a bridge port" \
		ip -n "$(ns r)" link set d1 master br0
	check "detach bridge and dummy" sh -c \
		"'$NCNAT_BIN' -n '$(ns r)' dev detach br0 && '$NCNAT_BIN' -n '$(ns r)' dev detach d1"
	check "detached dummy can become a bridge port" ip -n "$(ns r)" link set d1 master br0
	ip -n "$(ns r)" link del br0
else
	skip "bridge port refusal (this kernel has no bridge support)"
fi
check_eq "dev list before the deletions" "c" devs r

# ---- an attached veth deleted under traffic ----
ncnat r rule add iif dm proto icmp accept >/dev/null
ncnat r rule add family ip6 drop >/dev/null
# the rules as saved, the name of an input device left out (a rule whose
# device is gone can only show its ifindex)
rules() { ncnat "$1" save | sed 's/ iif [^ ]* / iif - /'; }
save=$(rules r)
check "attach dm" ncnat r dev attach dm
flood x 10.4.0.1
check "flood into dm" until_ok above 20 dev r dm seen
ip -n "$(ns r)" link del dm
unflood
check_eq "deleted device left dev list" "c" devs r
check_eq "deleted device left stats" 1 ncstat r devices
check_eq "rules stay" 2 ncstat r rules
check_eq "rules unchanged" "$save" rules r

# ---- an attached device moved to another netns ----
check "attach dn" ncnat r dev attach dn
flood x 10.5.0.1
check "flood into dn" until_ok above 20 dev r dn seen
ip -n "$(ns r)" link set dn netns "$(ns y)"
unflood
check_eq "moved device detached in the old netns" "c" devs r
check_eq "moved device not attached in the new netns" "" devs y
ipb y <<EOT
link set dn up
addr add 10.5.0.1/24 dev dn
EOT
check "moved device can be attached in the new netns" ncnat y dev attach dn
check "ping into the moved device" nsx x ping -c 2 -i 0.2 -W 1 10.5.0.1
check_eq "moved device counts in its new netns" 2 dev y dn seen
check_eq "old netns keeps its rules" "$save" rules r

# ---- a whole netns with attached devices and rules, deleted under traffic ----
check "attach in z" sh -c "'$NCNAT_BIN' -n '$(ns z)' dev attach a1 && '$NCNAT_BIN' -n '$(ns z)' dev attach a2"
ncnat z rule add iif a2 proto icmp drop >/dev/null
ncnat z rule add proto icmp accept >/dev/null
flood x 10.6.0.1
f1=$FLOOD
flood x 10.7.0.1
check "flood into z" until_ok above 20 dev z a1 seen
check "flood into z dropped" until_ok above 20 dev z a2 dropped
ip netns del "$(ns z)"
# the netns is torn down in the background; its veths take their peers along
check "z torn down" until_ok sh -c "! ip -n '$(ns x)' link show w1 && ! ip -n '$(ns x)' link show w2"
unflood
FLOOD=$f1
unflood

# ---- the survivors work ----
check "c still filtered" sh -c "'$NCNAT_BIN' -n '$(ns r)' rule add proto icmp drop >/dev/null"
check_fails "ping through c dropped" nsx c ping -c 1 -W 1 10.2.0.2
check "flush" ncnat r rule flush
check "ping through c passes" nsx c ping -c 1 -W 1 10.2.0.2
nc_done
