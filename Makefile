# fupin: the county poverty-governance platform. `make run` and `make test` are the two commands a new
# user needs; everything else is for the people who change the contracts or measure speed.

SHELL := /bin/bash
GO    ?= go
BIN   := $(CURDIR)/.bin
BUF   := $(BIN)/buf
MODULES := ./proto/... ./services/... ./gateway/... ./tools/...
GOTEST_FLAGS ?= -race -count=1 -timeout 20m

# The county portal (gateway/portal, docs/PORTAL.md): a Vite app built into gateway/portal/dist, which the
# gateway embeds. Building it needs Node.js 20.19 or later; Go builds and tests never do.
PORTAL       := gateway/portal
NPM          ?= npm
NODE_OK      := $(shell node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=19)?0:1)' 2>/dev/null && echo yes)
# npm ci writes node_modules/.package-lock.json: it stands for "installed from this package-lock.json".
PORTAL_DEPS  := $(PORTAL)/node_modules/.package-lock.json
PORTAL_SRC   := $(shell find $(PORTAL)/src $(PORTAL)/scripts $(PORTAL)/public -type f ! -name '*.test.*' 2>/dev/null) \
                $(PORTAL)/index.html $(PORTAL)/vite.config.ts $(PORTAL)/tsconfig.json $(PORTAL)/package.json
PORTAL_BUILD := $(PORTAL)/dist/index.html

.PHONY: run test unit lint fmt tools generate check-generated breaking baseline vendor-protos swagger-ui build bench clean \
	portal portal-test portal-api portal-e2e

# A portal build whose recipe failed (e.g. over its size budget) must not look up to date.
.DELETE_ON_ERROR:

## run: the whole county on this machine (in-process etcd, SQLite under ./data, gateway on :8080); rebuilds
## the portal first when its sources changed and Node is available
run: $(if $(NODE_OK),portal)
	$(GO) run ./tools/cmd/fupin dev

## test: lint, the generated-code drift check, every Go test and the portal's tests (PostgreSQL tests need a
## server; see README)
test: lint check-generated unit portal-test portal-e2e

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

## check-generated: fail when regenerating changes committed code (Go, OpenAPI, the portal's API types; and,
## after a portal build, the component declarations Vite's plugins write)
PORTAL_GENERATED := $(PORTAL)/src/api $(PORTAL)/src/components.d.ts $(PORTAL)/src/auto-imports.d.ts
check-generated: portal-api
	@if [ -n "$$(git status --porcelain -- proto/gen gateway/openapi $(PORTAL_GENERATED))" ]; then \
	  echo "generated code is out of date: run 'make generate portal-api portal' and commit"; \
	  git status --short -- proto/gen gateway/openapi $(PORTAL_GENERATED); exit 1; fi

## portal: build the county portal into gateway/portal/dist (npm ci only when package-lock.json changed)
portal: $(PORTAL_BUILD)
$(PORTAL_DEPS): $(PORTAL)/package-lock.json
	cd $(PORTAL) && $(NPM) ci --prefer-offline --no-audit --no-fund
	@touch $@
$(PORTAL_BUILD): $(PORTAL_DEPS) $(PORTAL_SRC)
	cd $(PORTAL) && $(NPM) run build

## portal-test: the portal's type check and unit tests (vue-tsc, vitest)
portal-test: $(PORTAL_DEPS)
	cd $(PORTAL) && $(NPM) test

## portal-e2e: the portal in a real browser (gateway/portal/e2e, docs/PORTAL.md "Tests"): builds the portal and a
## fupin binary embedding it, starts `fupin dev` on free ports in a temporary directory and drives Debian's
## chromium with playwright-core (node --test). Without chromium it skips, saying so, except under CI=true.
CHROMIUM ?= $(or $(FUPIN_CHROMIUM),/usr/bin/chromium)
portal-e2e: portal $(PORTAL_DEPS)
	@missing=""; [ -x "$(CHROMIUM)" ] || missing="chromium ($(CHROMIUM))"; \
	  command -v pdftoppm >/dev/null || missing="$$missing pdftoppm"; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$CI" = true ]; then echo "portal-e2e: missing $$missing; CI must run the browser tests (apt-get install -y chromium fonts-noto-cjk poppler-utils)"; exit 1; fi; \
	    echo "portal-e2e: SKIPPED: missing $$missing (apt-get install -y chromium fonts-noto-cjk poppler-utils); CI runs these tests"; exit 0; \
	  fi; \
	  tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	  $(GO) build -o "$$tmp/fupin" ./tools/cmd/fupin && \
	  cd $(PORTAL) && FUPIN_BIN="$$tmp/fupin" FUPIN_CHROMIUM="$(CHROMIUM)" node --test --test-reporter=spec e2e/portal.e2e.mjs

## portal-api: regenerate the OpenAPI document, then the portal's API types, routes, access rules and enum labels
portal-api: generate $(PORTAL_DEPS)
	cd $(PORTAL) && node scripts/gen-api.mjs --buf $(BUF)

## vendor-protos: re-print the third-party protos from their canonical Go packages
vendor-protos:
	GOWORK=off $(GO) -C tools/gen run ./vendorproto $(CURDIR)/proto/third_party

## swagger-ui: refresh the embedded Swagger UI from npm (pinned version)
swagger-ui:
	bash gateway/swaggerui/update.sh

## build: the services, gateway and fupin binaries into ./bin (the gateway with the portal when Node is available)
build: $(if $(NODE_OK),portal)
	$(GO) build -o bin/ ./services/identification/cmd/identification ./services/subsidies/cmd/subsidies ./services/employment/cmd/employment \
	  ./gateway/cmd/gateway ./tools/cmd/fupin

## bench: the speed figures of docs/BENCHMARKS.md
bench:
	$(GO) run ./tools/cmd/fupin bench get-household

clean:
	rm -rf bin data .bin $(PORTAL)/node_modules
	cd $(PORTAL) && find dist -mindepth 1 ! -name README.md -delete
