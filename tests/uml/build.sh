#!/bin/bash
# tests/uml/build.sh test|bench
#
# Build User-Mode Linux 6.12 (Debian linux-source-6.12) with netchannel built
# in.  Everything lives in $NC_CACHE (default /var/cache/netchannel):
#   linux-6.12-src/   the unpacked source tree, shared, unpacked once
#   uml-test/linux    test kernel: KUnit + lockdep/RCU/list debugging
#   uml-bench/linux   bench kernel: same networking options, no debugging
# The project is copied into the source tree with rsync (by content: a
# changed file gets a new mtime, an unchanged one keeps its old one) and
# wired into net/Kconfig and net/Makefile, so a second run with nothing
# changed only runs make's dependency check.
#
# NC_UML_NO_NETCHANNEL=1 builds without CONFIG_NETCHANNEL (to test the lane
# itself while the kernel sources are incomplete); NC_UML_UNPACK_ONLY=1 only
# unpacks the source tree.
set -eu

flavour=${1:-}
case $flavour in
test|bench) ;;
*) echo "usage: $0 test|bench" >&2; exit 2 ;;
esac

top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${NC_CACHE:-/var/cache/netchannel}
tarball=${NC_LINUX_SOURCE:-/usr/src/linux-source-6.12.tar.xz}
src=$cache/linux-6.12-src
obj=$cache/uml-$flavour
mkdir -p "$cache" "$obj"
. "$top/tests/lib/kconfig.sh"

# Options both kernels need (value y unless written NAME=VALUE).  The
# 64 KiB stacks make room for the register frames UML keeps on them, which
# hold the host's XSAVE area (tests/uml/patches/README).
opts_common="
	$nc_kconfig_net
	HOSTFS TMPFS DEVTMPFS PROC_FS SYSFS DEBUG_FS BINFMT_ELF BINFMT_SCRIPT
	MAGIC_SYSRQ KALLSYMS
	KERNEL_STACK_ORDER=4
"
# The test kernel also runs KUnit at boot and checks locking.  KASAN is left
# out: on UML it only works statically linked and then init crashes (the
# sanitizer lane has it).
# UBSAN is the part of the sanitizer lane (tests/sanitize/build.sh) that
# make check runs, on every scenario.  Its alignment check is left out: UML
# does not claim efficient unaligned access, so it would report the core's
# own (harmless on x86) unaligned loads.  Fault injection stays in the
# sanitizer lane: UML's stack traces scan the whole stack, so the
# stack-trace filter cannot scope failures to the engine.
opts_test="
	KUNIT KUNIT_DEBUGFS
	$nc_kconfig_debug UBSAN_ALIGNMENT=n
"
# The bench kernel must not carry the expensive debugging.
opts_bench="
	KUNIT=n PROVE_LOCKING=n DEBUG_LOCK_ALLOC=n DEBUG_KMEMLEAK=n
	DEBUG_ATOMIC_SLEEP=n DEBUG_LIST=n
"
if [ "${NC_UML_NO_NETCHANNEL:-0}" = 1 ]; then
	opts_nc="NETCHANNEL=n"
elif [ "$flavour" = test ]; then
	opts_nc="NETCHANNEL NETCHANNEL_KUNIT_TEST"
else
	opts_nc="NETCHANNEL NETCHANNEL_KUNIT_TEST=n"
fi
# Optional parts the tree may grow (net/netchannel/nat/): enable each
# NETCHANNEL_* bool/tristate its Kconfig files declare, KUnit only in test.
for sym in $(cat "$top"/net/netchannel/Kconfig "$top"/net/netchannel/*/Kconfig 2>/dev/null |
		awk '/^(menu)?config / { s = $2 } s ~ /^NETCHANNEL_/ && /^\t(bool|tristate)/ { print s; s = "" }'); do
	[ "${NC_UML_NO_NETCHANNEL:-0}" = 1 ] && break
	case $sym in
	NETCHANNEL_KUNIT_TEST) ;;	# handled above
	*KUNIT*) [ "$flavour" = test ] && opts_nc="$opts_nc $sym" || opts_nc="$opts_nc $sym=n" ;;
	*) opts_nc="$opts_nc $sym" ;;
	esac
done
eval "opts=\"\$opts_common \$opts_$flavour \$opts_nc\""

# --- 1. the source tree, unpacked once (under a lock: test and bench
#        builds may start together) ---
exec 9>"$cache/.src.lock"
flock 9
if [ ! -e "$src/.nc-unpacked" ]; then
	[ -r "$tarball" ] || { echo "uml: $tarball missing (make deps)" >&2; exit 1; }
	echo "  UNPACK  $tarball -> $src"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xJf "$tarball" -C "$src.tmp" --strip-components=1
	mv "$src.tmp" "$src"
	touch "$src/.nc-unpacked"
fi
# tests/sanitize/build.sh only needs the tree
[ "${NC_UML_UNPACK_ONLY:-0}" = 1 ] && exit 0

# --- 2. fixes to the kernel itself (tests/uml/patches/README), then
#        wire the project in (both idempotent) ---
for p in "$top"/tests/uml/patches/*.patch; do
	[ -e "$p" ] || continue
	if patch -d "$src" -p1 -R -s -f --dry-run <"$p" >/dev/null 2>&1; then
		continue	# applied before
	fi
	echo "  PATCH   $(basename "$p")"
	patch -d "$src" -p1 -N -s <"$p"
done
rsync -rlc --delete --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
	--exclude='*.mod' --exclude='*.mod.c' --exclude='modules.order' \
	"$top/net/netchannel/" "$src/net/netchannel/"
rsync -rlc "$top"/include/uapi/linux/netchannel*.h "$src/include/uapi/linux/"
# The project's top-level Kconfig sources "net/netchannel/Kconfig" (paths
# are relative to the source tree), so it can live anywhere; net/ it is.
rsync -rlc "$top/Kconfig" "$src/net/Kconfig.netchannel"
if ! grep -q '^source "net/Kconfig.netchannel"' "$src/net/Kconfig"; then
	# inside menu "Networking options", next to the other datapaths
	sed -i '/^source "net\/openvswitch\/Kconfig"/a source "net/Kconfig.netchannel"' \
		"$src/net/Kconfig"
	grep -q '^source "net/Kconfig.netchannel"' "$src/net/Kconfig"
fi
if ! grep -q 'CONFIG_NETCHANNEL' "$src/net/Makefile"; then
	echo 'obj-$(CONFIG_NETCHANNEL)		+= netchannel/' >>"$src/net/Makefile"
fi
flock -u 9

# --- 3. configuration: regenerated only when its inputs change ---
exec 8>"$obj/.build.lock"
flock 8
mk() { make -s -C "$src" O="$obj" ARCH=um "$@"; }
stamp=$( { echo "$opts"; cat "$0" "$top/Kconfig";
	cat "$top"/net/netchannel/Kconfig "$top"/net/netchannel/*/Kconfig 2>/dev/null; } |
	sha1sum | cut -d' ' -f1)
if [ ! -e "$obj/.config" ] || [ "$(cat "$obj/.nc-config-stamp" 2>/dev/null)" != "$stamp" ]; then
	echo "  CONFIG  uml-$flavour"
	rm -f "$obj/.nc-config-stamp"
	mk defconfig >/dev/null
	nc_kconfig_mk=mk nc_kconfig_apply "$src" "$obj/.config" "$opts"
	echo "$stamp" >"$obj/.nc-config-stamp"
fi

# --- 4. build ---
echo "  BUILD   uml-$flavour"
mk -j"$(nproc)" linux
echo "uml: $obj/linux"
