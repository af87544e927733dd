#!/usr/bin/env bash
# Benchmarks the service domain on both databases: seeds BENCH_TICKETS tickets (30% unsolved,
# over 20 agents, each with an SLA), five comments per ticket and BENCH_ARTICLES published
# knowledge-base articles with SQL, then measures each scenario BENCH_RUNS times and reports
# the medians:
#   - the API, with oha (the SLA scan: the wall time of its job, 1,000 tickets freshly due);
#   - on PostgreSQL, the reference: the least work PostgreSQL needs for the same user-visible
#     result on plain tables of the same rows, with pgbench (psql for the scan):
#       queue: an agent's 25 unsolved tickets by due time, from a partial index;
#       create: a ticket numbered from a sequence (numbers that never queue, as the API's
#         blocks), one INSERT;
#       kb search: a word's best 50 articles by ts_rank over a GIN index of stored vectors (each
#         word the API is asked for is whole in 100 articles: the API's first pass, whole
#         words, fills the page, as this does);
#       SLA scan: the unsolved tickets past due, counted over all of them.
# The figure is API ÷ reference (for the scan, reference ms ÷ API ms).
#
#   scripts/bench-service.sh                          # what `make bench` runs last
#   BENCH_QUICK=1 scripts/bench-service.sh            # 50,000 tickets, 10,000 articles, 3 s runs
#   BENCH_BACKENDS=postgres scripts/bench-service.sh  # one backend
#
# Environment: BENCH_PG_URL, BENCH_CONNECTIONS (32), BENCH_DURATION (10; 3 quick), BENCH_RUNS
# (3), BENCH_LISTEN (127.0.0.1:18084), BENCH_TICKETS (1000000), BENCH_ARTICLES (100000),
# BENCH_BACKENDS ("postgres sqlite"), BENCH_SERVER_CPUS, BENCH_CLIENT_CPUS.
# Needs: cargo, psql, pgbench, sqlite3, curl, jq, oha (installed with cargo if missing).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
if [[ ${BENCH_QUICK:-0} == 1 ]]; then
    DURATION=${BENCH_DURATION:-3}
    TICKETS=${BENCH_TICKETS:-50000}
    ARTICLES=${BENCH_ARTICLES:-10000}
else
    DURATION=${BENCH_DURATION:-10}
    TICKETS=${BENCH_TICKETS:-1000000}
    ARTICLES=${BENCH_ARTICLES:-100000}
fi
COMMENTS=$((TICKETS * 5))
RUNS=${BENCH_RUNS:-3}
LISTEN=${BENCH_LISTEN:-127.0.0.1:18084}
BACKENDS=${BENCH_BACKENDS:-postgres sqlite}
BASE=http://$LISTEN
AGENTS=20
FRESHLY_DUE=1000

log() { printf '%s\n' "bench-service: $*" >&2; }
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
WORK=$(mktemp -d "${TMPDIR:-/tmp}/crm-bench-service.XXXXXX")
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

# The seed: the rows the API would write. $1 is the series 1..n as SQL (n ≥ the comments), $2 a
# timestamp of second %s; $3 the organization.
seed_sql() {
    local series=$1 ts=$2 org=$3
    local created hours
    created=$(printf "$ts" 'i * 7')
    cat <<SQL
INSERT INTO users (id, org_id, email, name, role, status, created_at, updated_at)
SELECT 'user_bench' || i, '$org', 'agent' || i || '@bench.example', 'Agent ' || i, 'support', 'active', $created, $created
FROM ($series) AS s WHERE i <= $AGENTS;
INSERT INTO sla_policies (id, org_id, name, position, first_response_minutes, resolution_minutes, clock,
    warn_before_minutes, raise_priority, created_at, updated_at)
VALUES ('sla_bench', '$org', 'Everything', 0, 60, 480, 'calendar', 0, 0, $(printf "$ts" 0), $(printf "$ts" 0));
INSERT INTO number_sequences (org_id, name, last) VALUES ('$org', 'tickets', $TICKETS);
INSERT INTO tickets (id, org_id, number, subject, description, status, priority, channel, assignee_id,
    first_responded_at, solved_at, sla_policy_id, first_response_due_at, resolution_due_at, sla_flags, tags,
    external_ids, custom, created_at, updated_at)
SELECT 'tkt_bench' || i, '$org', i, 'Problem number ' || i, 'It broke on the ' || (i % 28 + 1) || 'th.',
    CASE i % 10 WHEN 0 THEN 'new' WHEN 1 THEN 'open' WHEN 2 THEN 'pending' WHEN 9 THEN 'closed' ELSE 'solved' END,
    CASE i % 4 WHEN 0 THEN 'low' WHEN 1 THEN 'normal' WHEN 2 THEN 'high' ELSE 'urgent' END, 'email',
    'user_bench' || (1 + i % $AGENTS),
    CASE WHEN i % 10 = 0 THEN NULL ELSE $(printf "$ts" 'i * 7 + 1800') END,
    CASE WHEN i % 10 >= 3 THEN $(printf "$ts" 'i * 7 + 14400') END,
    'sla_bench', $(printf "$ts" 'i * 7 + 3600'), $(printf "$ts" 'i * 7 + 28800'), 15, '[]', '{}', '{}', $created, $created
FROM ($series) AS s WHERE i <= $TICKETS;
INSERT INTO ticket_comments (id, org_id, ticket_id, body, visibility, author_type, author_id, via, attachments, created_at)
SELECT 'tcm_bench' || i, '$org', 'tkt_bench' || (1 + i % $TICKETS), 'Reply ' || i || ': could you try again?',
    CASE i % 3 WHEN 0 THEN 'internal' ELSE 'public' END, 'user', 'user_bench' || (1 + i % $AGENTS), 'api', '[]', $created
FROM ($series) AS s WHERE i <= $COMMENTS;
INSERT INTO kb_articles (id, org_id, title, body, status, revision, published_at, created_by, created_at, updated_at)
SELECT 'kba_bench' || i, '$org', 'Configuring topic' || (i % 1000) || ' with feature' || (i % 377),
    'To set up topic' || (i % 1000) || ', open the settings of module' || (i % 97) || ' and choose feature' || (i % 377)
    || '. Then save, wait for the sync, and check the report of topic' || (i % 1000) || '.',
    'published', 1, $created, 'user_bench1', $created, $created
FROM ($series) AS s WHERE i <= $ARTICLES;
SQL
}

# The reference: the same rows in plain tables with the indexes each scenario needs, and
# nothing else (no tenant, audit, events, search index, custom fields or record visibility).
REFERENCE_SQL="
CREATE TABLE reference_tickets AS SELECT id, number, subject, description, status, priority, channel, requester_id,
    company_id, assignee_id, team_id, first_responded_at, solved_at, resolution_due_at, tags, custom, created_at,
    updated_at, version FROM tickets;
ALTER TABLE reference_tickets ADD PRIMARY KEY (id);
CREATE INDEX reference_tickets_queue ON reference_tickets (assignee_id, resolution_due_at, id)
    WHERE status NOT IN ('solved', 'closed');
CREATE SEQUENCE reference_ticket_numbers START $((TICKETS + 1));
CREATE TABLE reference_articles AS SELECT id, title, body FROM kb_articles;
ALTER TABLE reference_articles ADD PRIMARY KEY (id);
ALTER TABLE reference_articles ADD COLUMN document tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', body), 'B')) STORED;
CREATE INDEX reference_articles_search ON reference_articles USING GIN (document);
ANALYZE;"

# The freshly due tickets of a scan: the last FRESHLY_DUE unsolved ones, due a minute ago and
# not announced yet.
rearm_sql() {
    local past=$1
    cat <<SQL
UPDATE tickets SET resolution_due_at = $past, sla_next_check_at = $past, sla_flags = 0
WHERE id IN (SELECT id FROM tickets WHERE status IN ('new', 'open') ORDER BY number DESC LIMIT $FRESHLY_DUE);
SQL
}

declare -a ROWS=()
for BACKEND in $BACKENDS; do
    if [[ $BACKEND == postgres ]]; then
        PG_DB="crm_bench_service_$(date +%s)_$$"
        psql "$SERVER/postgres" -qX -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$PG_DB\"" >/dev/null
        DB_URL="$SERVER/$PG_DB"
        SERIES="SELECT generate_series(1, $COMMENTS) AS i"
        TS="(TIMESTAMP '2026-08-01' + (%s || ' seconds')::interval)"
        PAST="(now() AT TIME ZONE 'UTC' - interval '1 minute')"
        run_sql() { psql "$DB_URL" -qtAX -v ON_ERROR_STOP=1 "$@"; }
    else
        DB_URL="sqlite://$WORK/bench.db"
        SERIES="WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $COMMENTS) SELECT i FROM n"
        TS="datetime('2026-08-01', '+' || (%s) || ' seconds')"
        PAST="datetime('now', '-1 minute')"
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
    log "$BACKEND: seeding $TICKETS tickets, $COMMENTS comments and $ARTICLES articles"
    start=$(date +%s)
    if [[ $BACKEND == postgres ]]; then
        { seed_sql "$SERIES" "$TS" "$ORG_ID"; echo "$REFERENCE_SQL"; } | run_sql -f - >/dev/null
        run_sql -c "VACUUM ANALYZE" >/dev/null
        run_sql -c "CHECKPOINT" >/dev/null
    else
        { echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; BEGIN;"; seed_sql "$SERIES" "$TS" "$ORG_ID"
          echo "INSERT INTO kb_article_search (org_id, article_id, title, body) SELECT org_id, id, title, body FROM kb_articles;"
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
    "$OHA" -c "$CONNECTIONS" -z 2s --no-tui "${OHA_JSON[@]}" -H "$AUTH" "$BASE/v1/tickets/tkt_bench1" >/dev/null

    cat >"$WORK/queue.ref.sql" <<SQL
\set n random(1, $AGENTS)
SELECT * FROM reference_tickets WHERE assignee_id = 'user_bench' || :n AND status NOT IN ('solved', 'closed')
ORDER BY resolution_due_at NULLS LAST, id LIMIT 25;
SQL
    cat >"$WORK/create.ref.sql" <<SQL
\set r random(1, 1000000000000000)
INSERT INTO reference_tickets (id, number, subject, status, priority, channel, resolution_due_at, tags, custom,
    created_at, updated_at, version)
VALUES ('r' || :client_id || '_' || :r, nextval('reference_ticket_numbers'), 'Printer on fire', 'new', 'high', 'api',
    now() + interval '8 hours', '[]', '{}', now(), now(), 1);
SQL
    cat >"$WORK/kb.ref.sql" <<SQL
\set n random(0, 999)
SELECT id, title FROM reference_articles WHERE document @@ to_tsquery('simple', 'topic' || :n)
ORDER BY ts_rank(document, to_tsquery('simple', 'topic' || :n)) DESC, id LIMIT 50;
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
    measure queue "GET /v1/tickets/queue?assignee_id=… (a random agent)" 200 --rand-regex-url \
        "$BASE/v1/tickets/queue\?assignee_id=user_bench([1-9]|1[0-9]|20)"
    measure create "POST /v1/tickets" 201 -m POST -H 'Content-Type: application/json' \
        -d '{"subject":"Printer on fire","priority":"high"}' "$BASE/v1/tickets"
    measure kb "GET /v1/kb-articles?query=topic… (a random word)" 200 --rand-regex-url \
        "$BASE/v1/kb-articles\?query=topic[1-9][0-9]{0,2}"

    # The SLA scan: the job's wall time, from queueing to done, with FRESHLY_DUE tickets to
    # announce (each in its transaction, with its event); beside PostgreSQL finding the due
    # ones among all unsolved tickets.
    scans=() refs=()
    for run in $(seq 1 "$RUNS"); do
        run_sql -c "$(rearm_sql "$PAST")" >/dev/null
        started=$(date +%s%N)
        job=$(curl -fsS -X POST -H "$AUTH" "$BASE/v1/sla-policies/scan" | jq -r .job_id)
        until [[ $(run_sql -c "SELECT status FROM jobs WHERE id = '$job'") == succeeded ]]; do sleep 0.02; done
        scans+=("$(( ($(date +%s%N) - started) / 1000000 ))")
        announced=$(run_sql -c "SELECT count(*) FROM tickets WHERE (sla_flags & 8) = 8 AND id IN (SELECT id FROM tickets WHERE status IN ('new', 'open') ORDER BY number DESC LIMIT $FRESHLY_DUE)")
        [[ $announced == "$FRESHLY_DUE" ]] || log "scan: $announced of $FRESHLY_DUE announced"
        if [[ $BACKEND == postgres ]]; then
            refs+=("$(psql "$DB_URL" -qtAX -c '\timing on' -c "SELECT count(*) FROM reference_tickets WHERE status NOT IN ('solved', 'closed') AND resolution_due_at <= now()" \
                | awk '/^Time:/ { printf "%.1f", $2 }')")
        fi
        log "$BACKEND SLA scan: run $run: ${scans[-1]} ms"
    done
    scan=$(median "${scans[@]}")
    ref=$(median "${refs[@]}")
    ROWS+=("$BACKEND|SLA scan ($FRESHLY_DUE due, ms)|$scan ms|-|-|$ref ms|$(ratio "$ref" "$scan")")
    stop_server
done

echo
echo "| backend | scenario | API req/s | p50 ms | p99 ms | reference, pgbench tps | API ÷ reference |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
for row in "${ROWS[@]}"; do echo "| ${row//|/ | } |"; done
echo
echo "$TICKETS tickets ($((TICKETS * 3 / 10)) unsolved), $COMMENTS comments, $ARTICLES articles, $AGENTS agents; medians of $RUNS runs of ${DURATION} s at $CONNECTIONS connections; $(nproc) cores; $PLACEMENT."
