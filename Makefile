# artisanbridge: the two commands a newcomer needs are `make run` and `make test`.
SHELL     := /bin/bash
GO        ?= go
PKGS      := ./...
FUZZTIME  ?= 30s
BIN       := bin/artisanbridge

.PHONY: run demo test contract build vet fmt-check fuzz bench docs faults faults-quick users-admin clean

## run: the service on its embedded default (SQLite file under ./data, in-process Redis)
run:
	$(GO) run ./cmd/artisanbridge serve

## demo: the embedded default brought to life (data under ./data-demo): the
## valley's clusters, artisans and pieces listed on the three simulators,
## with buyers, staff, couriers and finance at work; prints the sign-ins
demo:
	$(GO) run ./cmd/artisanbridge serve --demo

## test: vet, formatting, and every test with the race detector against
## PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) as well as the
## embedded backends. A missing service fails the run; .ci/run starts them.
## It needs nothing outside the repository: the checks against Amazon's
## published models are built with -tags contract, by `make contract` only.
# The slowest packages are named first so that go test starts them first:
# listed in ./... order, the store's tests (about 7 minutes under the race
# detector, mostly waiting on the databases) began only after twelve.
SLOWPKGS  := ./internal/store/ ./cmd/artisanbridge/ ./internal/httpapi/ ./internal/app/
test: vet fmt-check
	$(GO) test -race -count=1 -timeout 15m $(SLOWPKGS) $(PKGS)

## contract: the Amazon adapter's tests again, every request and answer
## validated against Amazon's published API models, which the repository does
## not hold: the folder ARTISANBRIDGE_AMAZON_SPECS names, or
## ../shared/marketplace-specs/amazon beside the repository. Without them it fails.
AMAZON_SPECS := $(or $(ARTISANBRIDGE_AMAZON_SPECS),$(abspath ../shared/marketplace-specs/amazon))
contract:
	@if [ ! -f "$(AMAZON_SPECS)/ordersV0.json" ]; then \
	  echo "make contract: Amazon's API models are not at $(AMAZON_SPECS)." >&2; \
	  echo "  Set ARTISANBRIDGE_AMAZON_SPECS to their folder, or put them at ../shared/marketplace-specs/amazon beside the repository." >&2; \
	  exit 1; \
	fi
	$(GO) vet -tags contract ./adapters/amazon/
	ARTISANBRIDGE_AMAZON_SPECS="$(AMAZON_SPECS)" $(GO) test -race -count=1 -tags contract ./adapters/amazon/

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./cmd/artisanbridge

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## fuzz: run every fuzz target for FUZZTIME each (seed corpora run in `make test`)
fuzz:
	@for pkg in $$($(GO) list $(PKGS)); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$target"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

## bench: every benchmark of the repository, once, each in its own `go test`
## (internal/benchfig/run), so that one failing or timing out leaves the
## others' figures and its failure in the table. Each prints its figures
## (benchfig lines: figure | measured | target | met | command); the table,
## headed by the date, the machine and the whole run's wall time, is printed
## at the end and written to bench/latest.md (every run's output: bench/run.log).
## BENCH=regexp runs only the benchmarks it matches.
BENCH ?= .
bench:
	@$(GO) run ./internal/benchfig/run -go "$(GO)" -bench '$(BENCH)' -timeout 60m -out bench/latest.md -log bench/run.log

## faults: the fault suite (./faults, build tag faults) on the production
## topology: builds the binary, a fresh PostgreSQL database (127.0.0.1:5432,
## or ARTISANBRIDGE_TEST_POSTGRES_URL), a private redis-server on a free
## port, migrate, one api, two workers and the simulators as processes;
## then duplicate deliveries, kill -9 of api and workers, Redis restarted
## empty, PostgreSQL connections terminated, a slow and throttling
## marketplace and fuzzing. Each scenario prints a FAULTS line (tried, lost,
## duplicated, partial, 5xx) and fails unless the last four are zero; the
## lines are gathered at the end into faults/latest.txt.
## faults-quick is the same with fewer operations (CI runs it).
FAULTSLOG := faults/run.log
faults:
	@$(MAKE) --no-print-directory faults-run FAULTSFLAGS=
faults-quick:
	@$(MAKE) --no-print-directory faults-run FAULTSFLAGS=-quick
.PHONY: faults-run
faults-run:
	@set -o pipefail; status=0; \
	$(GO) test -tags faults -count=1 -v -timeout 60m ./faults/ -args $(FAULTSFLAGS) 2>&1 | tee $(FAULTSLOG) || status=$$?; \
	grep -h '^FAULTS |' $(FAULTSLOG) > faults/latest.txt || true; \
	echo; cat faults/latest.txt; exit $$status

## docs: rewrite docs/api.md from the route table (make test fails when it is stale)
docs:
	$(GO) test -count=1 -run '^TestDocsAreTheRouteTable$$' ./internal/httpapi/ -update-docs

## users-admin: create an admin on the embedded database and print its token
users-admin:
	$(GO) run ./cmd/artisanbridge users add --name admin --role admin

clean:
	rm -rf bin
