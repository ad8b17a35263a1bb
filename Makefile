# fupin: the county poverty-governance platform. `make run` and `make test` are the two commands a new
# user needs; everything else is for the people who change the contracts or measure speed.

SHELL := /bin/bash
GO    ?= go
BIN   := $(CURDIR)/.bin
BUF   := $(BIN)/buf
MODULES := ./proto/... ./services/... ./gateway/... ./tools/...
GOTEST_FLAGS ?= -race -count=1 -timeout 20m

.PHONY: run test unit lint fmt tools generate check-generated breaking baseline vendor-protos swagger-ui build bench clean

## run: the whole county on this machine (in-process etcd, SQLite under ./data, gateway on :8080)
run:
	$(GO) run ./tools/cmd/fupin dev

## test: lint, the generated-code drift check and every Go test (PostgreSQL tests need a server; see README)
test: lint check-generated unit

## unit: every Go test, without lint; ends with one line saying how many PostgreSQL tests were skipped
## for want of a server, and why (the tests record their skips in a directory made here: sqldbtest)
unit:
	@skips=$$(mktemp -d); trap 'rm -rf "$$skips"' EXIT; \
	  FUPIN_TEST_SKIP_DIR="$$skips" $(GO) test $(GOTEST_FLAGS) $(MODULES); status=$$?; \
	  $(GO) run ./services/platform/sqldb/sqldbtest/pgskips "$$skips"; exit $$status

## tools: install the pinned generators (buf, protoc plugins) from tools/gen into .bin
tools: $(BUF)
$(BUF): tools/gen/go.mod tools/gen/go.sum
	GOWORK=off GOBIN=$(BIN) $(GO) -C tools/gen install tool
	@touch $(BUF)

## lint: gofmt, go vet, buf lint, buf format and buf breaking against the committed baseline
lint: tools
	@unformatted=$$(gofmt -l proto services gateway tools | grep -v '\.pb\.go$$' | grep -v '\.pb\.gw\.go$$'); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(MODULES)
	$(BUF) lint
	$(BUF) format --diff --exit-code --path proto/fupin
	$(MAKE) --no-print-directory breaking

## breaking: refuse changes that break the committed API baseline (proto/breaking/baseline.binpb)
breaking: tools
	@tmp=$$(mktemp --suffix=.binpb); $(BUF) build proto -o $$tmp && $(BUF) breaking $$tmp --against proto/breaking/baseline.binpb; rc=$$?; rm -f $$tmp; exit $$rc

## baseline: accept the current contracts as the new breaking-change baseline (after a release)
baseline: tools
	$(BUF) build proto -o proto/breaking/baseline.binpb

## generate: regenerate Go, gateway and OpenAPI code from the protos
generate: tools
	$(BUF) generate --path proto/fupin

## check-generated: fail when regenerating changes committed code
check-generated: generate
	@if [ -n "$$(git status --porcelain -- proto/gen gateway/openapi)" ]; then \
	  echo "generated code is out of date: run 'make generate' and commit"; git status --short -- proto/gen gateway/openapi; exit 1; fi

## vendor-protos: re-print the third-party protos from their canonical Go packages
vendor-protos:
	GOWORK=off $(GO) -C tools/gen run ./vendorproto $(CURDIR)/proto/third_party

## swagger-ui: refresh the embedded Swagger UI from npm (pinned version)
swagger-ui:
	bash gateway/swaggerui/update.sh

## build: the services, gateway and fupin binaries into ./bin
build:
	$(GO) build -o bin/ ./services/identification/cmd/identification ./services/subsidies/cmd/subsidies \
	  ./gateway/cmd/gateway ./tools/cmd/fupin

## bench: the speed figures of docs/BENCHMARKS.md
bench:
	$(GO) run ./tools/cmd/fupin bench get-household

clean:
	rm -rf bin data .bin
