# VirtualTrial — the two commands a new user needs: `make run` and `make test`.
# Both install what is missing (Debian packages, as root or with sudo), then build.

SHELL := /bin/bash
SWIFT ?= swift
PROTOCOL ?= Protocols/emax-dose-ranging.yaml
APT_PACKAGES := libopenblas-dev liblapacke-dev pkg-config
# The report test renders report.html in a real headless browser.
TEST_APT_PACKAGES := chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps test-deps build release run test slurm-test bench clean

# Installs the system libraries only when pkg-config cannot find them.
deps:
	@if ! pkg-config --exists openblas lapacke 2>/dev/null; then \
	  echo "Installing $(APT_PACKAGES) …"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PACKAGES); \
	fi

build: deps
	$(SWIFT) build

# The release binary carries the Swift runtime and Foundation (--static-swift-stdlib): it starts
# ~10 ms sooner (no symbol binding across a dozen Swift libraries) and runs on machines without
# Swift, e.g. cluster nodes, which need only OpenBLAS, LAPACKE and libstdc++ (docs/cluster.md).
release: deps
	$(SWIFT) build -c release --product vtrial --static-swift-stdlib

run: release
	$$($(SWIFT) build -c release --show-bin-path)/vtrial run $(PROTOCOL) --out Results
	@echo "Results are in Results/$$(sed -n 's/^protocol: *\([A-Za-z0-9._-]*\).*/\1/p' $(PROTOCOL))/"

test-deps: deps
	@if ! command -v chromium >/dev/null 2>&1; then \
	  echo "Installing $(TEST_APT_PACKAGES) (for the report rendering test) …"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(TEST_APT_PACKAGES); \
	fi

test: test-deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --parallel
	$(MAKE) slurm-test

# A real one-machine Slurm cluster: a 3-task array job of `vtrial run --shard slurm`, merged and
# compared byte for byte with an unsharded run (installs munge and Slurm if missing; needs root).
slurm-test:
	bash Tests/slurm/run.sh "$$($(SWIFT) build --show-bin-path)/vtrial"

bench: release
	bash Benchmarks/run.sh

clean:
	rm -rf .build
