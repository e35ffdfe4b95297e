#!/bin/bash
# make deps: install everything the project needs from the Debian registry.
# Idempotent: a second run installs nothing and takes a few seconds.
set -eu
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
stamp=/var/lib/apt/periodic/netchannel-update-stamp

apt_update() {
	# One update per boot of the machine is enough; CI machines start fresh.
	if [ ! -e "$stamp" ] || [ -n "$(find "$stamp" -mmin +720)" ]; then
		apt-get update -q
		mkdir -p "$(dirname "$stamp")" && touch "$stamp"
	fi
}

pkgs="build-essential bc bison flex libelf-dev libssl-dev dwarves kmod cpio xz-utils
      pkg-config libnl-3-dev libnl-genl-3-dev sparse
      linux-source-6.12
      qemu-system-x86 busybox-static iproute2 nftables tcpdump socat python3
      iperf3 conntrack ethtool procps psmisc gnuplot-nox rsync iputils-ping"

apt_update
eval "$(scripts/kernels.sh)"
if [ -z "$KVER61" ] || [ -z "$KVER612" ]; then
	apt-get update -q
	eval "$(scripts/kernels.sh)"
fi
pkgs="$pkgs linux-headers-$KVER61 linux-image-$KVER61-unsigned
      linux-headers-$KVER612 linux-image-$KVER612-unsigned"

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "deps: installing:$missing"
	apt_update
	apt-get install -y -q --no-install-recommends $missing
fi
echo "deps: ok (kernels $KVER61, $KVER612)"
