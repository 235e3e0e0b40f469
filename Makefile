# artisanbridge: the two commands a newcomer needs are `make run` and `make test`.
GO        ?= go
PKGS      := ./...
FUZZTIME  ?= 30s
BIN       := bin/artisanbridge

.PHONY: run test build vet fmt-check fuzz bench users-admin clean

## run: the service on its embedded default (SQLite file under ./data, in-process Redis)
run:
	$(GO) run ./cmd/artisanbridge serve

## test: vet, formatting, and every test with the race detector against
## PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) as well as the
## embedded backends. A missing service fails the run; .ci/run starts them.
test: vet fmt-check
	$(GO) test -race -count=1 -timeout 15m $(PKGS)

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

## bench: Go benchmarks (figures are reported as ratios within one run)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 $(PKGS)

## users-admin: create an admin on the embedded database and print its token
users-admin:
	$(GO) run ./cmd/artisanbridge users add --name admin --role admin

clean:
	rm -rf bin
