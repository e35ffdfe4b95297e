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
	fuzz demo bench clean help

all: modules ncnat

help:
	@echo "make demo | check | deps | modules [KDIR=...] | uml | ncnat | bench [QEMU=1] | clean"
	@echo "make fuzz [FUZZ_SECONDS=N] [FUZZ_SEED=N]"

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
