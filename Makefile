# airlock — see README.md. `make test` is hermetic (no internet).
GO      ?= go
BIN     ?= bin/airlock
PKGS    := ./...
# make fuzz runs each fuzz target this long.
FUZZTIME ?= 30s

# The targets that talk to the real npm registry (example, bench, test-live)
# run with LIVE_ENV in their environment. The registry proxy of the machines
# this project is developed on strips dist.signatures, which airlock requires
# for registry.npmjs.org by default; against the real registry run them with
# LIVE_ENV= to keep signature checks on.
LIVE_ENV ?= AIRLOCK_REQUIRE_SIGNATURES=false

.PHONY: all build install test test-live bench fuzz vet fmt-check example

all: build

build:
	$(GO) build -o $(BIN) ./cmd/airlock

install:
	$(GO) install ./cmd/airlock

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# The whole hermetic suite: unit tests, the CLI scripts, and the comparison
# with real `npm ci` against a local TLS registry (skipped without npm).
# cmd/airlock's scripts take about 8 minutes on 2 quiet cores under -race;
# the timeout leaves room for a busy machine instead of go test's 10 minutes.
test: fmt-check vet
	$(GO) test -race -count=1 -timeout 30m $(PKGS)

# Against the real npm registry: install real-world lockfiles with npm and
# with airlock and compare the trees. Needs the network; not run in CI.
test-live:
	$(LIVE_ENV) $(GO) test -tags live -run TestLive -count=1 -v ./cmd/airlock
	$(GO) test -tags live -run TestLivePnpm -count=1 -v ./install/pnpm
	$(GO) test -tags live -run TestLiveBun -count=1 -v ./install/bun
	$(GO) test -tags live -run TestLiveYarn -count=1 -v ./install/yarn
	$(GO) test -tags live -run TestLiveYarn4 -count=1 -v ./install/yarnberry

# airlock vs npm ci --ignore-scripts, pnpm and bun, cold and warm, on three real
# lockfiles (testdata/npm/live/{small,medium,large}) from the real registry.
# BENCH_FLAGS="-runs 5 -workdir /dev/shm -project testdata/npm/live/large" to tune.
# Then the load test: 20 installs of a 500-package lockfile against local
# servers only (a test registry and a remote cache), one after another and
# all at once, counting registry requests, remote-cache hits and bytes.
# Last, Python: airlock pip install vs pip (and uv if on PATH), cold and
# warm, into fresh venvs from a local TLS index: the real wheels of
# testdata/python/bench and two synthetic sets shaped like real
# environments (needs python3 with venv and pip >= 22.3; no network).
# PYBENCH_FLAGS="-sets small,medium -runs 5 -workdir /dev/shm" to tune.
bench: build
	$(LIVE_ENV) $(GO) run ./internal/bench -airlock $(BIN) $(BENCH_FLAGS)
	$(GO) run ./internal/loadbench -airlock $(BIN) -n 20 -packages 500 $(LOADBENCH_FLAGS)
	$(GO) run ./internal/pybench -airlock $(BIN) $(PYBENCH_FLAGS)

# Run every fuzz target for FUZZTIME (CI runs only their seed corpora, as
# part of `go test`). Minimising is capped: with the default (60s per new
# input) a target that finds many new inputs seems to hang at "0/sec".
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$target"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 200x $$pkg || exit 1; \
	  done; \
	done

# Install the bundled example project from the real npm registry.
example: build
	@dir=$$(mktemp -d) && cp examples/webapp/package.json examples/webapp/package-lock.json examples/webapp/server.js $$dir/ && \
	  echo "airlock npm ci in a copy of examples/webapp ($$dir):" && \
	  $(if $(LIVE_ENV),echo "(with $(LIVE_ENV): this machine's registry proxy strips signatures; use LIVE_ENV= against the real registry)" &&) \
	  (cd $$dir && $(LIVE_ENV) $(CURDIR)/$(BIN) npm ci) && \
	  echo "node_modules has $$(ls $$dir/node_modules | wc -l) top-level entries; .bin: $$(ls $$dir/node_modules/.bin | tr '\n' ' ')"
