# tests/demo/lib.sh: what the demo parts share, sourced after tests/net/lib.sh.

say() { printf '\n### %s\n' "$*"; }
# run NS CMD...: show the command as typed on that host, then run it
run() {
	local n=$1; shift
	printf '%s# %s\n' "$n" "$*"
	[ "$1" = ncnat ] && set -- "$NCNAT_BIN" "${@:2}"
	nsx "$n" "$@"
}
# try NS CMD...: show the command, run it quietly, say whether it got through
try() {
	local n=$1; shift
	printf '%s# %s' "$n" "$*"
	if nsx "$n" "$@" >/dev/null 2>&1; then echo "   -> ok"; else echo "   -> blocked"; fi
}
