# Sourced in the QEMU guest (by guest-init.sh, and usable by tests):
# nc_load_modules loads the project's out-of-tree modules,
# build/modules/$(uname -r)/*.ko, each after its dependencies: distro modules
# with modprobe (Debian ships modules.dep for its kernels, so no depmod), the
# project's own with insmod, recursively.  Returns non-zero if a module fails.

nc_load_module() {	# $1: path of a project .ko
	local ko=$1 name dep
	name=$(basename "$ko" .ko | tr - _)
	[ -d "/sys/module/$name" ] && return 0
	for dep in $(modinfo -F depends "$ko" | tr , ' '); do
		if [ -e "$(dirname "$ko")/$dep.ko" ]; then
			nc_load_module "$(dirname "$ko")/$dep.ko" || return 1
		elif [ -e "$(dirname "$ko")/$(echo "$dep" | tr _ -).ko" ]; then
			nc_load_module "$(dirname "$ko")/$(echo "$dep" | tr _ -).ko" || return 1
		else
			modprobe "$dep" || { echo "modules: modprobe $dep failed"; return 1; }
		fi
	done
	echo "modules: insmod $ko"
	insmod "$ko" || { echo "modules: insmod $ko failed"; return 1; }
}

nc_load_modules() {
	local dir=${NC_MODULES_DIR:-$NC_TOP/build/modules/$(uname -r)} ko
	if ! ls "$dir"/*.ko >/dev/null 2>&1; then
		echo "modules: no project modules in $dir (make modules); none loaded"
		return 0
	fi
	for ko in "$dir"/*.ko; do
		nc_load_module "$ko" || return 1
	done
}
