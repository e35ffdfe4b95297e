#!/bin/bash
# tests/sanitize/build.sh: build the sanitizer lane's kernel and print the
# path of its bzImage.
#
# An x86_64 kernel from Debian's linux-source-6.12 (the tree tests/uml/build.sh
# unpacks into $NC_CACHE/linux-6.12-src), built in $NC_CACHE/x86-san with
# KASAN, UBSAN, kmemleak, lockdep and fault injection (failslab,
# fail_page_alloc, with the stack-trace filter that scopes an injection to
# the project's modules).  Debian's kernels have none of these.  The
# project's modules are built against it out of tree (`make modules
# KDIR=$NC_CACHE/x86-san`), so they are instrumented too and the lane can
# load and unload them as on a Debian kernel.  Everything QEMU's guest needs
# to mount the host root (virtio-pci, 9p, overlay) is built in: the
# initramfs carries no modules for it.
#
# The guest's /lib/modules/RELEASE comes from $NC_CACHE/x86-san/root.
# Reconfigured only when this script changes; a second run with nothing
# changed only runs make's dependency check.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${NC_CACHE:-/var/cache/netchannel}
src=$cache/linux-6.12-src
obj=$cache/x86-san
. "$top/tests/lib/kconfig.sh"

# The UML build unpacks and patches the shared source tree; the patches only
# touch arch/um, and wiring the project into net/ is harmless here (the
# option stays off: the modules are built out of tree).
if [ ! -e "$src/.nc-unpacked" ]; then
	NC_UML_UNPACK_ONLY=1 bash "$top/tests/uml/build.sh" test
fi
mkdir -p "$obj"

# Guest essentials, the networking the scenarios use (as tests/uml/build.sh),
# IPsec for the xfrm scenario, then the sanitizers.
opts="
	LOCALVERSION=\"-ncsan\" LOCALVERSION_AUTO=n
	MODULES MODULE_UNLOAD VIRTIO_PCI NET_9P NET_9P_VIRTIO 9P_FS OVERLAY_FS
	DEVTMPFS BLK_DEV_INITRD RD_GZIP TMPFS SERIAL_8250_CONSOLE MAGIC_SYSRQ
	NET_NS USER_NS VETH BRIDGE MACVLAN VLAN_8021Q DUMMY TUN PACKET UNIX
	INET_DIAG IPV6 IP_ADVANCED_ROUTER IP_MULTIPLE_TABLES IPV6_MULTIPLE_TABLES
	NET_L3_MASTER_DEV NET_VRF
	NETFILTER NETFILTER_ADVANCED NF_CONNTRACK NF_NAT NF_TABLES
	NF_TABLES_INET NF_TABLES_IPV4 NF_TABLES_IPV6 NF_TABLES_NETDEV NFT_NAT
	NFT_MASQ NFT_CT NFT_FLOW_OFFLOAD NF_FLOW_TABLE NF_FLOW_TABLE_INET
	NFT_LIMIT NFT_QUOTA NFT_NUMGEN NFT_REJECT NFT_LOG NF_CONNTRACK_MARK
	NF_CT_NETLINK NET_PKTGEN NET_SCHED NET_SCH_INGRESS NET_SCH_PRIO NET_CLS
	NET_CLS_ACT NET_CLS_MATCHALL NET_ACT_NAT NET_ACT_GACT NET_ACT_MIRRED
	XFRM_USER INET_ESP CRYPTO_GCM CRYPTO_SEQIV CRYPTO_CBC CRYPTO_AES
	CRYPTO_HMAC CRYPTO_SHA256
	DEBUG_FS DEBUG_KERNEL KALLSYMS KALLSYMS_ALL
	KASAN KASAN_GENERIC KASAN_INLINE UBSAN UBSAN_BOUNDS UBSAN_SHIFT
	DEBUG_KMEMLEAK DEBUG_KMEMLEAK_AUTO_SCAN=n
	PROVE_LOCKING PROVE_RCU DEBUG_ATOMIC_SLEEP DEBUG_LIST
	FAULT_INJECTION FAILSLAB FAIL_PAGE_ALLOC FAULT_INJECTION_DEBUG_FS
	FAULT_INJECTION_STACKTRACE_FILTER
	DRM=n SOUND=n USB_SUPPORT=n WLAN=n WIRELESS=n CFG80211=n HID=n
	INPUT_MOUSE=n INPUT_JOYSTICK=n INPUT_TABLET=n INPUT_TOUCHSCREEN=n
	AGP=n ETHERNET=n HAMRADIO=n
"

exec 8>"$obj/.build.lock"
flock 8
mk() { make -s -C "$src" O="$obj" ARCH=x86_64 "$@"; }
stamp=$(echo "$opts" | cat - "$0" "$top/tests/lib/kconfig.sh" | sha1sum | cut -d' ' -f1)
if [ ! -e "$obj/.config" ] || [ "$(cat "$obj/.nc-config-stamp" 2>/dev/null)" != "$stamp" ]; then
	echo "  CONFIG  x86-san" >&2
	rm -f "$obj/.nc-config-stamp"
	mk x86_64_defconfig >/dev/null
	mk kvm_guest.config >/dev/null
	nc_kconfig_mk=mk nc_kconfig_apply "$src" "$obj/.config" "$opts" >&2
	echo "$stamp" >"$obj/.nc-config-stamp"
fi
echo "  BUILD   x86-san" >&2
mk -j"$(nproc)" bzImage modules >&2
# modules.builtin and the few modules for the guest's modprobe (guest-init.sh)
rm -rf "$obj/root"
mk INSTALL_MOD_PATH="$obj/root" modules_install >/dev/null
echo "$obj/arch/x86/boot/bzImage"
