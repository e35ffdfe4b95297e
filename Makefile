# netchannel top-level Makefile.  `make check` and `make demo` work on a
# fresh machine as the only command typed: each runs `make deps` and the
# builds it needs first.  Kernel build trees are cached outside the repo.

SHELL := /bin/bash
TOP := $(CURDIR)
# Cache for kernel trees and builds; survives `git clean`, shared by clones.
NC_CACHE ?= /var/cache/netchannel
export NC_CACHE

# Debian kernels: chosen in one place (scripts/kernels.sh).
KVERS = $(shell bash $(TOP)/scripts/kernels.sh | sed 's/^[^=]*=//')
# `make modules KDIR=/path/to/headers` builds against one tree only.
KDIR ?=

.PHONY: all deps modules uml uml-bench ncnat check check-uml check-qemu \
	check-sanitize fuzz demo bench clean help

all: modules ncnat

help:
	@echo "make demo | check | deps | modules [KDIR=...] | uml | ncnat | bench [QEMU=1] | clean"
	@echo "make fuzz [FUZZ_SECONDS=N] [FUZZ_SEED=N] | check-sanitize"

deps:
	@bash scripts/deps.sh

# Out-of-tree netchannel.ko against each Debian header tree (or KDIR).
modules:
	@bash scripts/build-modules.sh $(KDIR)

# User-Mode Linux 6.12 with netchannel built in (test lane, with lockdep).
uml:
	@bash tests/uml/build.sh test

# The same without debug options, for benchmarks.
uml-bench:
	@bash tests/uml/build.sh bench

ncnat:
	@$(MAKE) -s -C tools/ncnat

check: deps
	@$(MAKE) -s modules ncnat uml
	@bash tests/run-all.sh

# Only one lane (quicker while developing).
check-uml: deps
	@$(MAKE) -s ncnat uml
	@NC_LANES=uml bash tests/run-all.sh

check-qemu: deps
	@$(MAKE) -s modules ncnat
	@NC_LANES=qemu bash tests/run-all.sh

# The sanitizer lane: our own x86_64 kernel with KASAN, UBSAN, lockdep,
# kmemleak and fault injection (tests/sanitize/build.sh, cached in
# $(NC_CACHE)/x86-san), the modules built against it, the fuzzers, the
# fault injection and the NAT/filter scenarios in one QEMU boot.
SAN_SCENARIOS ?= fault_inject fault_inject_data fuzz_netlink fuzz_packets stress_smp edge_forwarding \
	malformed bad_netlink filter_match filter_priority replace_atomic module_unload \
	dev_lifecycle netns_isolation unprivileged nat_dnat nat_masquerade nat_netmap \
	nat_filtering nat_icmp nat_icmp_errors nat_exhaustion nat_tcp_state nat_routing \
	nat_renumber nat_timeouts nat_unload nat_concurrency nat_local nat_hairpin \
	nat_port_precedence nat_adf_scale nat_ipsec nat_frag_scope nat_shared_skb
check-sanitize: deps
	@$(MAKE) -s ncnat
	@bash tests/sanitize/build.sh >/dev/null
	@$(MAKE) -s modules KDIR=$(NC_CACHE)/x86-san
	@NC_LANES=san NC_SCENARIOS="$(SAN_SCENARIOS)" bash tests/run-all.sh

# The fuzz scenarios (tests/net/fuzz_*.sh) in UML, one boot each, at once:
# FUZZ_SECONDS=N fuzzes that long (default: their own request counts),
# FUZZ_SEED=N replays a run (each prints its seed).
fuzz: deps
	@$(MAKE) -s ncnat uml
	@NC_LANES=uml NC_SCENARIOS="$$(cd tests/net && ls fuzz_*.sh | sed 's/\.sh$$//')" \
		$(if $(FUZZ_SECONDS),NC_FUZZ_SECONDS=$(FUZZ_SECONDS) \
		NC_SCENARIO_TIMEOUT=$$(($(FUZZ_SECONDS) + 300)) NC_TIMEOUT=$$(($(FUZZ_SECONDS) + 400))) \
		$(if $(FUZZ_SEED),NC_FUZZ_SEED=$(FUZZ_SEED)) bash tests/run-all.sh

demo: deps
	@$(MAKE) -s ncnat uml
	@bash tests/demo.sh

# Benchmarks against nftables/conntrack (bench/compare-conntrack/README.md):
# the UML bench kernel, or with QEMU=1 the Debian 6.12 kernel, 2 vCPUs.
bench: deps
ifeq ($(QEMU),)
	@$(MAKE) -s ncnat uml-bench
	@bash bench/compare-conntrack/run.sh uml
else
	@$(MAKE) -s ncnat modules
	@bash bench/compare-conntrack/run.sh qemu
endif

clean:
	rm -rf build
	@$(MAKE) -s -C tools/ncnat clean
