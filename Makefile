# crm: the two commands a new user needs are `make run` and `make test`.

.PHONY: run test test-fast fuzz openapi sdk bench fmt lint

# Serve the API on http://127.0.0.1:8080 with an embedded SQLite file in ./data.
run:
	cargo run --release -p crm-gateway --bin crm -- serve

# The whole suite on SQLite and PostgreSQL, lints, and the contract checks against a live server.
test:
	bash scripts/test.sh

# Only the Rust tests (needs CRM_TEST_PG_URL or a PostgreSQL on 127.0.0.1:5432).
test-fast:
	cargo nextest run --workspace

# The property tests of every parser that takes outside input (filters, sorts, cursors, CSV
# rows and mappings, e-mail, phone and domain normalization, text), with a larger budget than
# `make test` gives them (proptest's 256 cases): FUZZ_CASES each, 20,000 by default.
FUZZ_CASES ?= 20000
fuzz:
	PROPTEST_CASES=$(FUZZ_CASES) cargo nextest run --workspace --no-fail-fast -E 'test(properties) | test(fuzz::)'

# Rewrite openapi/openapi.json from the code.
openapi:
	cargo run -q -p crm-gateway --bin crm -- openapi > openapi/openapi.json

# Generate the Python and TypeScript SDKs from openapi/openapi.json into the target directory
# (sdk/python, sdk/typescript) and compile the TypeScript examples; see examples/README.md.
sdk:
	bash scripts/sdk.sh

# Load-test the release build next to pgbench: the platform on PostgreSQL, contacts at
# 1,000,000 records on PostgreSQL and SQLite (each scenario beside PostgreSQL's reference for the
# same result; BENCH_QUICK=1 for 100,000), then one and two gateways behind HAProxy, then webhook
# delivery, the changes feed and the live stream beside pgbench, then sales (board, forecast,
# stage moves, lead conversion at 200,000 deals and 100,000 leads, beside PostgreSQL's
# reference), then service (an agent's queue, ticket creation, knowledge-base search and the SLA
# scan at 1,000,000 tickets, 5,000,000 comments and 100,000 articles); see docs/benchmarks.md.
bench:
	bash scripts/bench.sh
	bash scripts/bench-contacts.sh
	bash scripts/bench-scale-out.sh
	bash scripts/bench-webhooks.sh
	bash scripts/bench-sales.sh
	bash scripts/bench-service.sh

fmt:
	cargo fmt --all

lint:
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings
