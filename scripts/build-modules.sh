#!/bin/bash
# make modules [KDIR]: build netchannel.ko out of tree against the given
# kernel header tree, or against both Debian trees chosen by kernels.sh.
# Each kernel gets its own copy of the sources under build/, so builds for
# different kernels never share object files.  Output:
#   build/modules/<kernel release>/*.ko
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)

build_one() {
	local kdir=$1 krel out
	# name the output after the kernel's `uname -r`: Debian's kernel.release
	# says 6.1.192 where the package and /lib/modules say 6.1.0-NN-amd64
	case $kdir in
	/lib/modules/*/build) krel=${kdir#/lib/modules/}; krel=${krel%/build} ;;
	*) krel=$(cat "$kdir/include/config/kernel.release" 2>/dev/null ||
		basename "$kdir") ;;
	esac
	out=$top/build/modules/$krel
	mkdir -p "$out/src"
	# copied by content: changed files get a new mtime and are rebuilt,
	# unchanged ones keep theirs, so an unchanged tree rebuilds nothing
	rsync -rlc --delete --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
		--exclude='*.mod*' --exclude='modules.order' --exclude='Module.symvers' \
		--filter='P *.o' --filter='P *.ko' --filter='P .*.cmd' --filter='P *.mod*' \
		--filter='P modules.order' --filter='P Module.symvers' \
		"$top/net" "$top/include" "$out/src/"
	echo "  MODULES $krel"
	make -s -C "$kdir" M="$out/src/net/netchannel" W=1 CONFIG_NETCHANNEL=m CONFIG_NETCHANNEL_NAT=m modules
	cp "$out"/src/net/netchannel/*.ko "$out"/src/net/netchannel/*/*.ko "$out/"
}

if [ $# -gt 0 ] && [ -n "$1" ]; then
	build_one "$1"
	exit 0
fi
eval "$(bash "$top/scripts/kernels.sh")"
for k in "$KVER61" "$KVER612"; do
	build_one "/lib/modules/$k/build"
done
