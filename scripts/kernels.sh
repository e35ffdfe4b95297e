#!/bin/bash
# The one place that chooses which Debian kernels the project builds and
# tests against.  Prints "KVER61=... KVER612=..." (shell assignments).
# Defaults to the newest amd64 flavour the registry offers, because Debian
# drops old ABI builds from the archive; an installed tree is preferred over
# a registry query so that offline rebuilds keep working.
# Override with NC_KVER61 / NC_KVER612 in the environment.
set -eu

newest() {
	# $1: regex of the version part, e.g. '6\.1\.0-[0-9]+' or '6\.12\.[0-9]+\+deb12'
	local re=$1 v
	v=$(ls -d /usr/src/linux-headers-* 2>/dev/null |
		sed -n "s|^/usr/src/linux-headers-\\($re-amd64\\)\$|\\1|p" |
		sort -V | tail -n 1)
	if [ -z "$v" ]; then
		v=$(apt-cache pkgnames linux-headers- 2>/dev/null |
			sed -n "s|^linux-headers-\\($re-amd64\\)\$|\\1|p" |
			sort -V | tail -n 1)
	fi
	echo "$v"
}

k61=${NC_KVER61:-$(newest '6\.1\.0-[0-9]*')}
k612=${NC_KVER612:-$(newest '6\.12\.[0-9]*+deb12')}
echo "KVER61=$k61"
echo "KVER612=$k612"
