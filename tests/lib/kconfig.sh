# Sourced by the kernel build scripts (tests/uml/build.sh,
# tests/sanitize/build.sh): apply a list of options to a .config and check
# that Kconfig kept every one of them.
#
# nc_kconfig_apply SRC CONFIG OPTS: OPTS is a word list, NAME (=y), NAME=n
# or NAME=VALUE.  Returns non-zero, naming the options, when olddefconfig
# dropped one (Kconfig silently drops options whose dependencies are not
# met); the caller has run its base config and runs olddefconfig itself
# through $nc_kconfig_mk (a command taking make arguments).

nc_kconfig_apply() {
	local src=$1 config=$2 opts=$3 o args= bad=

	for o in $opts; do
		case $o in
		*=n) args="$args -d ${o%=n}" ;;
		*=*) args="$args --set-val ${o%%=*} ${o#*=}" ;;
		*) args="$args -e $o" ;;
		esac
	done
	# shellcheck disable=SC2086 # one word per option
	"$src/scripts/config" --file "$config" $args
	$nc_kconfig_mk olddefconfig >/dev/null
	for o in $opts; do
		case $o in
		*=n) grep -q "^CONFIG_${o%=n}=" "$config" && bad="$bad $o" ;;
		*=*) grep -qx "CONFIG_$o" "$config" || bad="$bad $o" ;;
		*) grep -qx "CONFIG_$o=y" "$config" || bad="$bad $o" ;;
		esac
	done
	if [ -n "$bad" ]; then
		echo "kconfig: options not set as requested in $config:$bad" >&2
		return 1
	fi
}
