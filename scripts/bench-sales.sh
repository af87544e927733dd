#!/usr/bin/env bash
# Benchmarks the sales domain on both databases: seeds BENCH_DEALS deals (with their stage
# history, over 20 owners and one pipeline of 4 open, 1 won and 1 lost stage) and BENCH_LEADS
# leads with SQL, then measures each scenario BENCH_RUNS times and reports the medians:
#   - the API, with oha;
#   - on PostgreSQL, the reference: the least work PostgreSQL needs for the same user-visible
#     result on plain tables of the same rows (`reference_deals`, `reference_leads`), with pgbench:
#       board: the open stages' counts and sums in one GROUP BY, and the first 20 deals of each;
#       forecast: a quarter's won and open amounts by owner and category, probability-weighted;
#       stage move: one UPDATE of the deal and one INSERT of its stage history;
#       conversion: an INSERT of the contact, the company looked up by domain, an UPDATE of the lead.
# The figure is API ÷ reference.
#
#   scripts/bench-sales.sh                          # what `make bench` runs last
#   BENCH_QUICK=1 scripts/bench-sales.sh            # 20,000 deals, 10,000 leads, 3 s runs
#   BENCH_BACKENDS=postgres scripts/bench-sales.sh  # one backend
#
# Environment: BENCH_PG_URL, BENCH_CONNECTIONS (32), BENCH_DURATION (10; 3 quick), BENCH_RUNS
# (3), BENCH_LISTEN (127.0.0.1:18083), BENCH_DEALS (200000), BENCH_LEADS (100000),
# BENCH_BACKENDS ("postgres sqlite"), BENCH_SERVER_CPUS, BENCH_CLIENT_CPUS.
# Needs: cargo, psql, pgbench, sqlite3, curl, jq, oha (installed with cargo if missing).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
if [[ ${BENCH_QUICK:-0} == 1 ]]; then
    DURATION=${BENCH_DURATION:-3}
    DEALS=${BENCH_DEALS:-20000}
    LEADS=${BENCH_LEADS:-10000}
else
    DURATION=${BENCH_DURATION:-10}
    DEALS=${BENCH_DEALS:-200000}
    LEADS=${BENCH_LEADS:-100000}
fi
RUNS=${BENCH_RUNS:-3}
LISTEN=${BENCH_LISTEN:-127.0.0.1:18083}
BACKENDS=${BENCH_BACKENDS:-postgres sqlite}
BASE=http://$LISTEN
OWNERS=20

log() { printf '%s\n' "bench-sales: $*" >&2; }
die() { log "$*"; exit 1; }
for tool in cargo psql pgbench sqlite3 curl jq; do
    command -v "$tool" >/dev/null || die "$tool is required"
done

if [[ -n ${BENCH_CRM_BIN:-} ]]; then
    CRM=$BENCH_CRM_BIN
else
    cargo build --release -p crm-gateway
    # shellcheck source=scripts/target-dir.sh
    source "$ROOT/scripts/target-dir.sh"
    CRM=$(target_dir)/release/crm
fi
NICE=()
# shellcheck source=scripts/bench-lib.sh
source "$ROOT/scripts/bench-lib.sh"
find_oha

SERVER=${PG_URL%%\?*}
[[ $SERVER =~ ^(postgres(ql)?://[^/]+)(/.*)?$ ]] || die "BENCH_PG_URL must look like postgres://user@host:port"
SERVER=${BASH_REMATCH[1]}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/crm-bench-sales.XXXXXX")
SERVER_PID=""
PG_DB=""

stop_server() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
cleanup() {
    local status=$?
    stop_server
    [[ -n $PG_DB ]] && psql "$SERVER/postgres" -qX -c "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null 2>&1
    [[ $status != 0 && -f $WORK/server.log ]] && tail -n 20 "$WORK/server.log" >&2
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The seed: the rows the API would write (with the deals' running totals). $1 is the series
# 1..n as SQL, $2 a timestamp of second %s, $3 a date of day %s of 2026; $MONTH is the SQL of
# a deal's close month.
seed_sql() {
    local series=$1 ts=$2 day=$3 org=$4 user=$5
    cat <<SQL
INSERT INTO users (id, org_id, email, name, role, status, created_at, updated_at)
SELECT 'user_bench' || i, '$org', 'rep' || i || '@bench.example', 'Rep ' || i, 'sales', 'active', $(printf "$ts" i), $(printf "$ts" i)
FROM ($series) AS s WHERE i <= $OWNERS;
INSERT INTO pipelines (id, org_id, name, position, created_at, updated_at)
VALUES ('pipe_bench', '$org', 'Bench', 0, $(printf "$ts" 0), $(printf "$ts" 0));
INSERT INTO pipeline_stages (id, org_id, pipeline_id, name, position, probability, kind) VALUES
    ('stage_bench0', '$org', 'pipe_bench', 'Qualified', 0, 10, 'open'),
    ('stage_bench1', '$org', 'pipe_bench', 'Demo', 1, 30, 'open'),
    ('stage_bench2', '$org', 'pipe_bench', 'Proposal', 2, 60, 'open'),
    ('stage_bench3', '$org', 'pipe_bench', 'Negotiation', 3, 80, 'open'),
    ('stage_bench4', '$org', 'pipe_bench', 'Won', 4, 100, 'won'),
    ('stage_bench5', '$org', 'pipe_bench', 'Lost', 5, 0, 'lost');
INSERT INTO deals (id, org_id, name, sort_name, amount, currency, close_date, pipeline_id, stage_id, status, owner_id,
    lost_reason, forecast_category, stage_entered_at, tags, external_ids, custom, created_at, updated_at, version)
SELECT 'deal_bench' || i, '$org', 'Deal ' || i, 'deal ' || i, 100000 + (i % 1000) * 1000, 'USD', $(printf "$day" 'i % 365'),
    'pipe_bench', 'stage_bench' || (i % 6),
    CASE i % 6 WHEN 4 THEN 'won' WHEN 5 THEN 'lost' ELSE 'open' END,
    'user_bench' || (1 + i % $OWNERS),
    CASE i % 6 WHEN 5 THEN 'Budget' ELSE NULL END,
    CASE i % 6 WHEN 4 THEN 'closed' WHEN 5 THEN 'omitted' ELSE
        CASE i % 3 WHEN 0 THEN 'pipeline' WHEN 1 THEN 'best_case' ELSE 'commit' END END,
    $(printf "$ts" i), '[]', '{}', '{}', $(printf "$ts" i), $(printf "$ts" i), 1
FROM ($series) AS s WHERE i <= $DEALS;
INSERT INTO deal_totals
SELECT org_id, pipeline_id, stage_id, COALESCE(owner_id, ''), status, forecast_category, COALESCE(currency, ''),
    $MONTH, COUNT(*), COALESCE(SUM(amount), 0)
FROM deals WHERE org_id = '$org' AND deleted_at IS NULL
GROUP BY org_id, pipeline_id, stage_id, COALESCE(owner_id, ''), status, forecast_category, COALESCE(currency, ''), $MONTH;
INSERT INTO deal_stage_history (id, org_id, deal_id, pipeline_id, stage_id, entered_at)
SELECT 'dsh_' || id, org_id, id, pipeline_id, stage_id, stage_entered_at FROM deals WHERE org_id = '$org';
INSERT INTO leads (id, org_id, first_name, last_name, sort_name, email, company_name, company_domain, source, status,
    owner_id, score, tags, external_ids, custom, created_at, updated_at, version)
SELECT 'lead_bench' || i, '$org', 'Lead', 'Person' || i, 'lead person' || i, 'lead' || i || '@bench' || (i % 5000) || '.example',
    'Bench ' || (i % 5000), 'bench' || (i % 5000) || '.example', 'web', 'working',
    'user_bench' || (1 + i % $OWNERS), 0, '[]', '{}', '{}', $(printf "$ts" i), $(printf "$ts" i), 1
FROM ($series) AS s WHERE i <= $LEADS;
SQL
}

# The reference: the same rows in plain tables with the indexes each scenario needs, and
# nothing else (no tenant, audit, events, search index, custom fields or record visibility).
REFERENCE_SQL="
CREATE TABLE reference_deals AS SELECT d.id, d.name, d.amount, d.currency, d.close_date, d.pipeline_id, d.stage_id,
    d.status, d.owner_id, d.company_id, d.source, d.lost_reason, d.next_step, d.forecast_category, d.stage_entered_at,
    d.closed_at, d.tags, d.external_ids, d.custom, d.created_at, d.updated_at, d.version, s.probability
    FROM deals d JOIN pipeline_stages s ON s.org_id = d.org_id AND s.id = d.stage_id;
ALTER TABLE reference_deals ADD PRIMARY KEY (id);
CREATE INDEX reference_deals_board ON reference_deals (pipeline_id, status, stage_id, stage_entered_at, id);
CREATE INDEX reference_deals_close ON reference_deals (close_date);
CREATE TABLE reference_history (id TEXT PRIMARY KEY, deal_id TEXT, stage_id TEXT, entered_at TIMESTAMP, exited_at TIMESTAMP);
CREATE INDEX reference_history_deal ON reference_history (deal_id, entered_at);
CREATE TABLE reference_leads AS SELECT id, first_name, last_name, email, company_name, company_domain, status FROM leads;
ALTER TABLE reference_leads ADD PRIMARY KEY (id);
CREATE TABLE reference_contacts (id TEXT PRIMARY KEY, first_name TEXT, last_name TEXT, email TEXT, created_at TIMESTAMP);
CREATE TABLE reference_companies AS SELECT DISTINCT company_domain AS domain, company_name AS name FROM leads;
CREATE UNIQUE INDEX reference_companies_domain ON reference_companies (domain);
ANALYZE;"


declare -a ROWS=()
for BACKEND in $BACKENDS; do
    if [[ $BACKEND == postgres ]]; then
        PG_DB="crm_bench_sales_$(date +%s)_$$"
        psql "$SERVER/postgres" -qX -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$PG_DB\"" >/dev/null
        DB_URL="$SERVER/$PG_DB"
        SERIES="SELECT generate_series(1, $DEALS) AS i"
        TS="(TIMESTAMP '2026-01-01' + (%s || ' seconds')::interval)"
        DAY="to_char(DATE '2026-01-01' + (%s), 'YYYY-MM-DD')"
        MONTH="COALESCE(SUBSTRING(close_date FROM 1 FOR 7), '')"
        run_sql() { psql "$DB_URL" -qtAX -v ON_ERROR_STOP=1 "$@"; }
    else
        DB_URL="sqlite://$WORK/bench.db"
        SERIES="WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $DEALS) SELECT i FROM n"
        TS="datetime('2026-01-01', '+' || (%s) || ' seconds')"
        DAY="date('2026-01-01', '+' || (%s) || ' days')"
        MONTH="COALESCE(SUBSTR(close_date, 1, 7), '')"
        run_sql() { if [[ ${1:-} == -c ]]; then sqlite3 -bail "$WORK/bench.db" "$2"; else sqlite3 -bail "$WORK/bench.db"; fi; }
    fi
    export DATABASE_URL=$DB_URL CRM_LISTEN=$LISTEN CRM_RATE_LIMIT_PER_MINUTE=100000000 CRM_BOOTSTRAP=false
    export RUST_LOG=${RUST_LOG:-warn}
    CRM_SECRET_KEY=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
    export CRM_SECRET_KEY
    ADMIN_KEY=$("$CRM" init --org Bench --email bench@example.com 2>"$WORK/init.log" | tail -n 1)
    [[ $ADMIN_KEY == crm_sk_* ]] || { cat "$WORK/init.log" >&2; die "crm init printed no API key"; }
    AUTH="Authorization: Bearer $ADMIN_KEY"
    ORG_ID=$(run_sql -c "SELECT id FROM organizations LIMIT 1")
    USER_ID=$(run_sql -c "SELECT id FROM users LIMIT 1")
    log "$BACKEND: seeding $DEALS deals and $LEADS leads"
    start=$(date +%s)
    if [[ $BACKEND == postgres ]]; then
        { seed_sql "$SERIES" "$TS" "$DAY" "$ORG_ID" "$USER_ID"; echo "$REFERENCE_SQL"; } | run_sql -f - >/dev/null
        # Flushed and analyzed before measuring: no checkpoint of the seed runs during the first scenario.
        run_sql -c "VACUUM ANALYZE" >/dev/null
        run_sql -c "CHECKPOINT" >/dev/null
    else
        { echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; BEGIN;"; seed_sql "$SERIES" "$TS" "$DAY" "$ORG_ID" "$USER_ID"
          echo "COMMIT; ANALYZE;"; } | run_sql >/dev/null
    fi
    log "$BACKEND: seeded in $(($(date +%s) - start)) s"

    "${SERVER_PIN[@]}" "$CRM" serve >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 150); do
        curl -fs -o /dev/null "$BASE/health/ready" && break
        sleep 0.2
    done
    curl -fs -o /dev/null "$BASE/health/ready" || die "the server did not become ready"
    "$OHA" -c "$CONNECTIONS" -z 2s --no-tui "${OHA_JSON[@]}" -H "$AUTH" "$BASE/v1/deals/deal_bench1" >/dev/null

    SOME_DEAL="deal_bench[1-9][0-9]{0,$((${#DEALS} - 2))}"
    SOME_LEAD="lead_bench[1-9][0-9]{0,$((${#LEADS} - 2))}"
    {
        echo "SELECT stage_id, currency, COUNT(*), SUM(amount) FROM reference_deals WHERE pipeline_id = 'pipe_bench' AND status = 'open' GROUP BY stage_id, currency;"
        for stage in 0 1 2 3; do
            echo "SELECT * FROM reference_deals WHERE pipeline_id = 'pipe_bench' AND status = 'open' AND stage_id = 'stage_bench$stage' ORDER BY stage_entered_at, id LIMIT 20;"
        done
    } >"$WORK/board.ref.sql"
    cat >"$WORK/forecast.ref.sql" <<SQL
SELECT owner_id, status, forecast_category, currency, COUNT(*), SUM(amount), SUM(amount * probability) FROM reference_deals
WHERE close_date >= '2026-10-01' AND close_date <= '2026-12-31' AND status <> 'lost' GROUP BY owner_id, status, forecast_category, currency;
SQL
    cat >"$WORK/move.ref.sql" <<SQL
\set n random(1, $DEALS)
\set r random(1, 1000000000000000)
BEGIN;
UPDATE reference_history SET exited_at = now() WHERE deal_id = 'deal_bench' || :n AND exited_at IS NULL;
UPDATE reference_deals SET stage_id = 'stage_bench3', stage_entered_at = now(), updated_at = now(), version = version + 1 WHERE id = 'deal_bench' || :n;
INSERT INTO reference_history (id, deal_id, stage_id, entered_at) VALUES ('h' || :client_id || '_' || :r, 'deal_bench' || :n, 'stage_bench3', now());
COMMIT;
SQL
    cat >"$WORK/convert.ref.sql" <<SQL
\set n random(1, $LEADS)
\set r random(1, 1000000000000000)
BEGIN;
SELECT first_name, last_name, email, company_domain FROM reference_leads WHERE id = 'lead_bench' || :n FOR UPDATE;
SELECT name FROM reference_companies WHERE domain = 'bench' || (:n % 5000) || '.example';
INSERT INTO reference_contacts (id, first_name, last_name, email, created_at) VALUES ('c' || :client_id || '_' || :r, 'Lead', 'Person' || :n, 'lead' || :n || '@x.example', now());
UPDATE reference_leads SET status = 'converted' WHERE id = 'lead_bench' || :n;
COMMIT;
SQL

    # measure NAME LABEL STATUS OHA-ARGS...: RUNS rounds of oha, then pgbench on NAME.ref.sql
    # (PostgreSQL); one row of medians.
    measure() {
        local name=$1 label=$2 expect=$3
        shift 3
        local run rps p50 p99 api=() lat50=() lat99=() ref=()
        for run in $(seq 1 "$RUNS"); do
            log "$BACKEND $label: run $run of $RUNS, ${DURATION}s each at $CONNECTIONS connections"
            read -r rps p50 p99 <<<"$(run_oha "$name" "$expect" "$@")"
            api+=("$rps") lat50+=("$p50") lat99+=("$p99")
            if [[ $BACKEND == postgres ]]; then
                ref+=("$(run_pgbench "$name.ref")")
            fi
        done
        rps=$(median "${api[@]}")
        local ref_tps
        ref_tps=$(median "${ref[@]}")
        ROWS+=("$BACKEND|$label|$rps|$(median "${lat50[@]}")|$(median "${lat99[@]}")|$ref_tps|$(ratio "$rps" "$ref_tps")")
        log "$BACKEND $label: ${ROWS[-1]}"
    }
    measure board "GET /v1/pipelines/{id}/board" 200 "$BASE/v1/pipelines/pipe_bench/board"
    measure forecast "GET /v1/forecasts?period=2026-Q4&group_by=owner" 200 "$BASE/v1/forecasts?period=2026-Q4&group_by=owner"
    # Random deals to Negotiation: the few already there (a quarter of the open ones, and
    # repeats) change nothing and write nothing.
    measure move "PATCH /v1/deals/{id} {stage_id} (a random deal)" 200 --rand-regex-url -m PATCH -H 'Content-Type: application/json' \
        -d '{"stage_id":"stage_bench3"}' "$BASE/v1/deals/$SOME_DEAL"
    # Random leads: one converted earlier in the run answers 409 at once (counted apart).
    measure convert "POST /v1/leads/{id}/convert (a random lead)" 200 --rand-regex-url -m POST -H 'Content-Type: application/json' \
        -d '{}' "$BASE/v1/leads/$SOME_LEAD/convert"
    stop_server
done

echo
echo "| backend | scenario | API req/s | p50 ms | p99 ms | reference, pgbench tps | API ÷ reference |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
for row in "${ROWS[@]}"; do echo "| ${row//|/ | } |"; done
echo
echo "$DEALS deals, $LEADS leads, $OWNERS owners; medians of $RUNS runs of ${DURATION} s at $CONNECTIONS connections; $(nproc) cores; $PLACEMENT."
