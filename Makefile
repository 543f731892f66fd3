# airlock — see README.md. `make test` is hermetic (no internet).
GO      ?= go
BIN     ?= bin/airlock
PKGS    := ./...

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

test: fmt-check vet
	$(GO) test -race -count=1 $(PKGS)
