# flavor: build, launchers for every platform, tests, benchmarks and the demo.
# `make test` is what CI runs (.ci/run) and what the README shows.

GO        ?= go
BIN       := bin/flavor
LAUNCHERS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64
EMBED_DIR := launcher/embedded/bin
# The most bytes each launcher may have (issue 14): `make launchers` fails past them.
SIZE_BUDGET := launcher/cmd/flavor-launcher/size-budget.txt
# The launchers are built by internal/launcherbuild: static, reproducible flags (no cgo, paths,
# build id or VCS stamp), the flavorlauncher tag, and two dependencies patched so their checksum
# tables are not built at every start (see its doc.go).
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
FUZZTIME  ?= 2000x

.PHONY: all build launchers test unit integration integration-setup fuzz race lint cross bench demo clean

all: build

build: launchers
	$(GO) build -trimpath -ldflags='-s -w -X main.version=$(VERSION)' -o $(BIN) ./cmd/flavor

launchers:
	@mkdir -p $(EMBED_DIR)
	$(GO) run ./internal/launcherbuild/cmd/build-launcher -dir $(EMBED_DIR) -budget $(SIZE_BUDGET) $(LAUNCHERS)

# The one test command: installs and starts what the integration tests need (idempotent), then
# runs every check. Integration tests fail, never skip, when the engine cannot be had. Plain
# `go test ./...` runs the unit tests only and installs nothing (integration/ is behind the
# "integration" build tag).
test: integration-setup lint unit integration race fuzz

integration-setup:
	bash integration/setup.sh

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags integration ./integration
	$(GO) vet -tags flavorlauncher ./ops ./packer ./launcher/...
	$(MAKE) --no-print-directory cross

# flavor's read-only commands (verify, inspect, extract, keygen) run on macOS and Windows too:
# it must keep building there.
cross:
	GOOS=darwin $(GO) build -o /dev/null ./cmd/flavor
	GOOS=windows $(GO) build -o /dev/null ./cmd/flavor

# Unit and race print a line per finished package and per test of 10 s or more (.ci/gotest.sh).
unit:
	GO=$(GO) bash .ci/gotest.sh -count=1 -timeout 40m ./...

integration:
	bash .ci/integration.sh

race:
	GO=$(GO) bash .ci/gotest.sh -count=1 -race -timeout 20m ./...

fuzz:
	bash .ci/fuzz.sh $(FUZZTIME)

bench: build
	bash bench/run.sh

demo: build
	bash examples/demo.sh

clean:
	rm -rf bin dist $(EMBED_DIR)/flavor-launcher-* .cache/launcher-deps
