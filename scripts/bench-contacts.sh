#!/usr/bin/env bash
# Benchmarks the contacts domain at scale on both databases: seeds BENCH_CONTACTS contacts (and a
# tenth as many companies, three activities per contact) with SQL, then measures each scenario
# three ways in the same run, BENCH_RUNS times, and reports the medians:
#   - the API, with oha;
#   - on PostgreSQL, the SQL the API runs for it, with pgbench (what the database costs us);
#   - on PostgreSQL, the reference: the least work PostgreSQL needs for the same user-visible
#     result on an equivalent table of the same contacts (`reference_contacts`, with every
#     field the API shows: a point select by primary key, a keyset page of 50 on a matching
#     index, an indexed prefix search, a one-row insert, a one-row update, one 1,000-row
#     insert), with pgbench.
# The figure is API ÷ reference. oha, pgbench, the server and PostgreSQL share the machine's
# cores unless BENCH_SERVER_CPUS and BENCH_CLIENT_CPUS pin them (taskset lists, e.g. 0 and 1).
#
#   scripts/bench-contacts.sh                         # what `make bench` runs after bench.sh
#   BENCH_QUICK=1 scripts/bench-contacts.sh           # 100,000 contacts, 3 s runs: for reviews
#   BENCH_BACKENDS=postgres scripts/bench-contacts.sh # one backend
#
# Environment: BENCH_PG_URL, BENCH_CONNECTIONS (32), BENCH_DURATION (10; 3 quick), BENCH_RUNS
# (3), BENCH_LISTEN (127.0.0.1:18081), BENCH_CONTACTS (1000000; 100000 quick), BENCH_BACKENDS
# ("postgres sqlite"), BENCH_SERVER_CPUS, BENCH_CLIENT_CPUS.
# Needs: cargo, psql, pgbench, sqlite3, curl, jq, oha (installed with cargo if missing).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
QUICK=${BENCH_QUICK:-0}
if [[ $QUICK == 1 ]]; then
    DURATION=${BENCH_DURATION:-3}
    CONTACTS=${BENCH_CONTACTS:-100000}
else
    DURATION=${BENCH_DURATION:-10}
    CONTACTS=${BENCH_CONTACTS:-1000000}
fi
RUNS=${BENCH_RUNS:-3}
LISTEN=${BENCH_LISTEN:-127.0.0.1:18081}
BACKENDS=${BENCH_BACKENDS:-postgres sqlite}
COMPANIES=$((CONTACTS / 10))
ACTIVITIES=$((CONTACTS * 3))
BASE=http://$LISTEN

log() { printf '%s\n' "bench-contacts: $*" >&2; }
die() { log "$*"; exit 1; }
for tool in cargo psql pgbench sqlite3 curl jq; do
    command -v "$tool" >/dev/null || die "$tool is required"
done

# BENCH_CRM_BIN runs another build (an earlier commit's, for a before/after) instead of this one.
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
declare -A RSS=() RSS_ALL=()

SERVER=${PG_URL%%\?*}
[[ $SERVER =~ ^(postgres(ql)?://[^/]+)(/.*)?$ ]] || die "BENCH_PG_URL must look like postgres://user@host:port"
SERVER=${BASH_REMATCH[1]}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/crm-bench-contacts.XXXXXX")
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

# The seed: the same rows the API would write (ids, sort names, JSON columns, e-mail index,
# search documents), generated in the database. $1 is the series of numbers 1..n as SQL.
seed_sql() {
    local series=$1 ts=$2 org=$3 user=$4
    cat <<SQL
INSERT INTO contacts (id, org_id, first_name, last_name, sort_name, email, phone, emails, phones, addresses,
    job_title, lifecycle_stage, lead_source, owner_id, tags, external_ids, created_at, updated_at, version, custom)
SELECT 'con_bench' || i, '$org',
    CASE i % 8 WHEN 0 THEN 'Ada' WHEN 1 THEN 'Alan' WHEN 2 THEN 'Grace' WHEN 3 THEN 'Edsger'
        WHEN 4 THEN 'Barbara' WHEN 5 THEN 'Donald' WHEN 6 THEN 'Margaret' ELSE 'Ken' END,
    'Person' || i,
    lower('person' || i || ' ' || CASE i % 8 WHEN 0 THEN 'ada' WHEN 1 THEN 'alan' WHEN 2 THEN 'grace' WHEN 3 THEN 'edsger'
        WHEN 4 THEN 'barbara' WHEN 5 THEN 'donald' WHEN 6 THEN 'margaret' ELSE 'ken' END),
    'person' || i || '@company' || (i % 5000) || '.example',
    -- 415-200-… and up: valid NANP numbers, so updates (which re-check the whole contact) pass.
    '+1415' || (2000000 + i),
    '[{"address":"person' || i || '@company' || (i % 5000) || '.example","type":"work","primary":true}]',
    '[{"number":"+1415' || (2000000 + i) || '","type":"work","primary":true}]',
    '[]', 'Engineer',
    CASE i % 4 WHEN 0 THEN 'customer' WHEN 1 THEN 'lead' WHEN 2 THEN 'subscriber' ELSE 'opportunity' END,
    'web', '$user', '[]', '{}', $(printf "$ts" i), $(printf "$ts" i), 1, '{}'
FROM ($series) AS s WHERE i <= $CONTACTS;
INSERT INTO contact_emails (org_id, email, contact_id)
SELECT org_id, email, id FROM contacts WHERE org_id = '$org';
-- The search index is built from documents of the shape it was migrated from, by the
-- migration's own statement (search_terms_sql), then they go.
CREATE TABLE search_documents (record_id TEXT, org_id TEXT, record_type TEXT, title TEXT, title_key TEXT,
    subtitle TEXT, terms TEXT, owner_id TEXT);
INSERT INTO search_documents (record_id, org_id, record_type, title, title_key, subtitle, terms)
SELECT id, org_id, 'contact', first_name || ' ' || last_name, lower(first_name || ' ' || last_name), email,
    lower(first_name || ' ' || last_name || ' ' || replace(replace(email, '@', ' '), '.', ' ')) || ' ' || substr(phone, 2) || ' ' || substr(phone, 3)
FROM contacts WHERE org_id = '$org';
INSERT INTO companies (id, org_id, name, sort_name, domain, addresses, tags, external_ids, created_at, updated_at, version, custom)
SELECT 'co_bench' || i, '$org', 'Company ' || i, 'company ' || i, 'company' || i || '.example', '[]', '[]', '{}',
    $(printf "$ts" i), $(printf "$ts" i), 1, '{}'
FROM ($series) AS s WHERE i <= $COMPANIES;
INSERT INTO search_documents (record_id, org_id, record_type, title, title_key, subtitle, terms)
SELECT id, org_id, 'company', name, sort_name, domain, sort_name || ' ' || replace(domain, '.', ' ')
FROM companies WHERE org_id = '$org';
INSERT INTO activities (id, org_id, kind, subject, body, occurred_at, attendees, created_by, created_at, updated_at, version)
SELECT 'act_bench' || i, '$org', CASE i % 3 WHEN 0 THEN 'note' WHEN 1 THEN 'call' ELSE 'email' END,
    'Activity ' || i, 'Body of activity ' || i, $(printf "$ts" i), '[]', '$user', $(printf "$ts" i), $(printf "$ts" i), 1
FROM ($series) AS s WHERE i <= $ACTIVITIES;
INSERT INTO activity_links (org_id, activity_id, record_type, record_id)
SELECT org_id, id, 'contact', 'con_bench' || (1 + (CAST(substr(id, 10) AS BIGINT) - 1) % $CONTACTS) FROM activities WHERE org_id = '$org';
SQL
}

# The search index of the seeded documents: the migration's own statement that built it.
search_terms_sql() {
    awk '/^(WITH RECURSIVE words|INSERT INTO search_terms)/ { on = 1 } on { print } on && /;$/ { exit }' \
        "$ROOT"/migrations/"$1"/*_search_terms/up.sql
    echo "DROP TABLE search_documents;"
}

# The reference: the same contacts in a plain table with the indexes each scenario needs, and
# nothing else (no tenant, no audit, no events, no search index). It has every field the API
# shows of a contact (e-mails, phones, addresses, tags, external ids, custom values, version): the
# same user-visible result costs reading and sending them.
VISIBLE_COLUMNS="id, first_name, last_name, email, phone, emails, phones, addresses, job_title, lifecycle_stage, lead_source, owner_id, tags, external_ids, created_at, updated_at, version, custom"
REFERENCE_SQL="
CREATE TABLE reference_contacts AS SELECT $VISIBLE_COLUMNS FROM contacts;
ALTER TABLE reference_contacts ADD PRIMARY KEY (id);
CREATE INDEX reference_contacts_stage ON reference_contacts (lifecycle_stage, updated_at DESC, id DESC);
CREATE INDEX reference_contacts_first ON reference_contacts ((lower(first_name)) COLLATE \"C\", id);
CREATE INDEX reference_contacts_last ON reference_contacts ((lower(last_name)) COLLATE \"C\", id);
ANALYZE reference_contacts;"


declare -a ROWS=()
for BACKEND in $BACKENDS; do
    if [[ $BACKEND == postgres ]]; then
        PG_DB="crm_bench_contacts_$(date +%s)_$$"
        psql "$SERVER/postgres" -qX -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$PG_DB\"" >/dev/null
        DB_URL="$SERVER/$PG_DB"
        SERIES="SELECT generate_series(1, $ACTIVITIES) AS i"
        TS="(TIMESTAMP '2020-01-01' + (%s || ' seconds')::interval)"
        run_sql() { psql "$DB_URL" -qtAX -v ON_ERROR_STOP=1 "$@"; }
    else
        DB_URL="sqlite://$WORK/bench.db"
        SERIES="WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $ACTIVITIES) SELECT i FROM n"
        TS="datetime('2020-01-01', '+' || %s || ' seconds')"
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
    log "$BACKEND: seeding $CONTACTS contacts, $COMPANIES companies, $ACTIVITIES activities"
    start=$(date +%s)
    if [[ $BACKEND == postgres ]]; then
        { seed_sql "$SERIES" "$TS" "$ORG_ID" "$USER_ID"; search_terms_sql postgres; echo "$REFERENCE_SQL"; } | run_sql -f - >/dev/null
        run_sql -c "VACUUM ANALYZE" >/dev/null
    else
        { echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; BEGIN;"; seed_sql "$SERIES" "$TS" "$ORG_ID" "$USER_ID"
          search_terms_sql sqlite; echo "COMMIT; ANALYZE;"; } | run_sql >/dev/null
    fi
    log "$BACKEND: seeded in $(($(date +%s) - start)) s"

    "${SERVER_PIN[@]}" "$CRM" serve >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 150); do
        curl -fs -o /dev/null "$BASE/health/ready" && break
        sleep 0.2
    done
    curl -fs -o /dev/null "$BASE/health/ready" || die "the server did not become ready"
    "$OHA" -c "$CONNECTIONS" -z 2s --no-tui "${OHA_JSON[@]}" -H "$AUTH" "$BASE/v1/contacts/con_bench1" >/dev/null

    # Requests and statements pick a random contact among the seeded ones (oha by a regex of
    # numbers below CONTACTS, pgbench by random()).
    SOME="con_bench[1-9][0-9]{0,$((${#CONTACTS} - 2))}"
    CONTACT_COLUMNS="id, org_id, first_name, last_name, sort_name, email, phone, emails, phones, addresses, job_title, lifecycle_stage, lead_source, owner_id, tags, external_ids, created_at, updated_at, deleted_at, version, custom"
    REFERENCE_COLUMNS=$VISIBLE_COLUMNS
    cat >"$WORK/get.sql" <<SQL
\set n random(1, $CONTACTS)
SELECT $CONTACT_COLUMNS FROM contacts WHERE org_id = '$ORG_ID' AND id = 'con_bench' || :n AND deleted_at IS NULL LIMIT 1;
SQL
    cat >"$WORK/get.ref.sql" <<SQL
\set n random(1, $CONTACTS)
SELECT $REFERENCE_COLUMNS FROM reference_contacts WHERE id = 'con_bench' || :n;
SQL
    cat >"$WORK/list.sql" <<SQL
SELECT id, key FROM custom_field_definitions WHERE org_id = '$ORG_ID' AND record_type = 'contact' ORDER BY created_at, id;
SELECT $CONTACT_COLUMNS FROM contacts WHERE org_id = '$ORG_ID' AND deleted_at IS NULL AND lifecycle_stage = 'customer' ORDER BY updated_at DESC, id DESC LIMIT 51;
SQL
    cat >"$WORK/list.ref.sql" <<SQL
SELECT $REFERENCE_COLUMNS FROM reference_contacts WHERE lifecycle_stage = 'customer' ORDER BY updated_at DESC, id DESC LIMIT 50;
SQL
    # A search reads the records with the word first, then those with longer words it starts,
    # in one statement.
    search_sql() {
        local word=$1 scan phase=0 parts=()
        for scan in "t.term = '$word'" "t.term > '$word' AND t.term < '$word' || chr(1114111)"; do
            parts+=("SELECT * FROM (SELECT $phase AS phase, t.term, t.rank, t.record_type, t.record_id, t.title, t.subtitle FROM search_terms t WHERE t.org_id = '$ORG_ID' AND $scan AND t.record_type IN ('contact', 'company') ORDER BY t.term, t.rank, t.record_id LIMIT 20) s$phase")
            phase=$((phase + 1))
        done
        echo "${parts[0]} UNION ALL ${parts[1]} ORDER BY phase, term, rank, record_id;"
    }
    # The reference: the first 20 contacts by the name the prefix starts, from its own index,
    # with what a hit shows (its id, name and e-mail).
    search_ref_sql() {
        local prefix=$1 column="lower($2) COLLATE \"C\""
        echo "SELECT id, first_name, last_name, email FROM reference_contacts WHERE $column >= '$prefix' AND $column < '$prefix' || chr(1114111) ORDER BY $column, id LIMIT 20;"
    }
    for word in ad marg pe person12345; do
        search_sql "$word" >"$WORK/search-$word.sql"
    done
    search_ref_sql ad first_name >"$WORK/search-ad.ref.sql"
    search_ref_sql marg first_name >"$WORK/search-marg.ref.sql"
    search_ref_sql pe last_name >"$WORK/search-pe.ref.sql"
    search_ref_sql person12345 last_name >"$WORK/search-person12345.ref.sql"
    # The statements of a PATCH: the contact read under its row lock, then its row (one version
    # more), its audit row and its event in one statement.
    cat >"$WORK/patch.sql" <<SQL
\set n random(1, $CONTACTS)
\set r random(1, 1000000000000000)
BEGIN;
SELECT * FROM contacts WHERE org_id = '$ORG_ID' AND id = 'con_bench' || :n AND deleted_at IS NULL FOR NO KEY UPDATE;
WITH written0 AS (UPDATE contacts SET job_title = 'Bench' || :r, updated_at = now(), version = version + 1 WHERE org_id = '$ORG_ID' AND id = 'con_bench' || :n), audit AS (INSERT INTO audit_log (id, org_id, actor_type, actor_id, action, resource_type, resource_id, changes, created_at) VALUES ('aud_pgp' || :client_id || '_' || :r, '$ORG_ID', 'api_key', 'key_admin', 'updated', 'contact', 'con_bench' || :n, '{"job_title":{"before": null,"after":"Bench"}}', now())) INSERT INTO events (id, org_id, type, actor_type, actor_id, data, created_at) VALUES ('evt_pgp' || :client_id || '_' || :r, '$ORG_ID', 'contact.updated', 'api_key', 'key_admin', '{"object":{"job_title":"Bench"}}', now());
COMMIT;
SQL
    cat >"$WORK/patch.ref.sql" <<SQL
\set n random(1, $CONTACTS)
UPDATE reference_contacts SET job_title = 'Bench', updated_at = now(), version = version + 1 WHERE id = 'con_bench' || :n;
SQL
    # The statements of a create: the custom field definitions (for required fields), then the
    # row, its search word, its audit row and its event in one statement, atomic by itself (no
    # transaction around the two).
    cat >"$WORK/create.sql" <<SQL
\set r random(1, 1000000000000000)
SELECT id, key FROM custom_field_definitions WHERE org_id = '$ORG_ID' AND record_type = 'contact';
WITH written0 AS (INSERT INTO contacts (id, org_id, first_name, sort_name, emails, phones, addresses, lifecycle_stage, tags, external_ids, created_at, updated_at, version, custom) VALUES ('con_pgb' || :client_id || '_' || :r, '$ORG_ID', 'Bench', 'bench', '[]', '[]', '[]', 'lead', '[]', '{}', now(), now(), 1, '{}')), written1 AS (INSERT INTO search_terms (org_id, record_id, term, record_type, rank, title) VALUES ('$ORG_ID', 'con_pgb' || :client_id || '_' || :r, 'bench', 'contact', 5, 'Bench')), audit AS (INSERT INTO audit_log (id, org_id, actor_type, actor_id, action, resource_type, resource_id, changes, created_at) VALUES ('aud_pgb' || :client_id || '_' || :r, '$ORG_ID', 'api_key', 'key_admin', 'created', 'contact', 'con_pgb' || :client_id || '_' || :r, '{"first_name":{"before": null,"after":"Bench"}}', now())) INSERT INTO events (id, org_id, type, actor_type, actor_id, data, created_at) VALUES ('evt_pgb' || :client_id || '_' || :r, '$ORG_ID', 'contact.created', 'api_key', 'key_admin', '{"object":{"first_name":"Bench"}}', now());
SQL
    cat >"$WORK/create.ref.sql" <<SQL
\set r random(1, 1000000000000000)
INSERT INTO reference_contacts (id, first_name, emails, phones, addresses, lifecycle_stage, tags, external_ids, created_at, updated_at, version, custom) VALUES ('con_ref' || :client_id || '_' || :r, 'Bench', '[]', '[]', '[]', 'lead', '[]', '{}', now(), now(), 1, '{}');
SQL
    # measure NAME LABEL STATUS OHA-ARGS...: RUNS rounds of oha, then pgbench on NAME.sql and
    # NAME.ref.sql (PostgreSQL); one row of medians.
    measure() {
        local name=$1 label=$2 expect=$3
        shift 3
        local run rps p50 p99 api=() lat50=() lat99=() sql=() ref=()
        for run in $(seq 1 "$RUNS"); do
            log "$BACKEND $label: run $run of $RUNS, ${DURATION}s each at $CONNECTIONS connections"
            read -r rps p50 p99 <<<"$(run_oha "$name" "$expect" "$@")"
            api+=("$rps") lat50+=("$p50") lat99+=("$p99")
            if [[ $BACKEND == postgres ]]; then
                sql+=("$(run_pgbench "$name")")
                ref+=("$(run_pgbench "$name.ref")")
            fi
        done
        rps=$(median "${api[@]}")
        local sql_tps ref_tps
        sql_tps=$(median "${sql[@]}") ref_tps=$(median "${ref[@]}")
        ROWS+=("$BACKEND|$label|$rps|$(median "${lat50[@]}")|$(median "${lat99[@]}")|$sql_tps|$ref_tps|$(ratio "$rps" "$ref_tps")")
        log "$BACKEND $label: ${ROWS[-1]}"
    }
    measure get "GET /v1/contacts/{id}" 200 --rand-regex-url "$BASE/v1/contacts/$SOME"
    measure list "GET /v1/contacts?lifecycle_stage=customer&sort=-updated_at&limit=50" 200 "$BASE/v1/contacts?lifecycle_stage=customer&sort=-updated_at&limit=50"
    measure search-ad "GET /v1/search?q=ad (2 letters, 1 in 8 contacts)" 200 "$BASE/v1/search?q=ad"
    measure search-marg "GET /v1/search?q=marg (4 letters, 1 in 8 contacts)" 200 "$BASE/v1/search?q=marg"
    measure search-pe "GET /v1/search?q=pe (2 letters, every contact)" 200 "$BASE/v1/search?q=pe"
    measure search-person12345 "GET /v1/search?q=person12345 (1 to 11 contacts)" 200 "$BASE/v1/search?q=person12345"
    # Random contacts among all of them: nearly every PATCH changes its contact (a repeat, which
    # changes nothing, writes nothing).
    measure patch "PATCH /v1/contacts/{id} (a random contact)" 200 --rand-regex-url -m PATCH -H 'Content-Type: application/json' -d '{"job_title":"Bench"}' "$BASE/v1/contacts/$SOME"
    measure create "POST /v1/contacts" 201 -m POST -H 'Content-Type: application/json' -d '{"first_name":"Bench"}' "$BASE/v1/contacts"
    # The load's peak; the batch and the duplicate scan below are single large requests.
    RSS[$BACKEND]=$(awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$SERVER_PID/status")

    # time_batches STATUS LABEL PROPERTIES REFERENCE: RUNS one-request batches of 1,000 upserts
    # matched on e-mail, each input PROPERTIES (a jq object of $r, the run, and ., the input's
    # number), every input answered STATUS; on PostgreSQL each beside REFERENCE, one statement
    # on the reference table with RUN for the run's number, timed by psql. One row of medians.
    time_batches() {
        local status=$1 label=$2 properties=$3 reference=$4 run times=() refs=()
        for run in $(seq 1 "$RUNS"); do
            jq -n --arg r "$run" "{mode: \"upsert\", match_on: \"email\", inputs: [range(1; 1001) | {properties: $properties}]}" >"$WORK/batch.json"
            times+=("$(curl -sS -o "$WORK/timed.out" -w '%{time_total}' -H "$AUTH" -H 'Content-Type: application/json' -d @"$WORK/batch.json" "$BASE/v1/contacts/batch")")
            jq -e --arg s "$status" '[.results[] | select(.status == $s)] | length == 1000' "$WORK/timed.out" >/dev/null ||
                log "batch: not 1,000 $status: $(head -c 300 "$WORK/timed.out")"
            if [[ $BACKEND == postgres ]]; then
                refs+=("$(run_sql -c "\\timing on" -c "${reference//RUN/$run}" | awk '/^Time:/ { printf "%.4f\n", $2 / 1000 }')")
            fi
        done
        local batch batch_ref
        batch=$(median "${times[@]}") batch_ref=$(median "${refs[@]}")
        ROWS+=("$BACKEND|POST /v1/contacts/batch (1,000 upserts$label), one request: seconds|$(printf '%.3f' "$batch")|||-|${batch_ref}|$(ratio "$batch_ref" "$batch")")
        log "$BACKEND batch of 1,000 upserts$label: $batch s (median of $RUNS)"
    }
    # 1,000 upserts of new e-mails (each creates 1,000 contacts), beside a 1,000-row insert.
    time_batches created "" \
        '{first_name: "Batch", emails: [{address: "batch\($r)-\(.)@bench.example"}]}' \
        "INSERT INTO reference_contacts (id, first_name, email, emails, phones, addresses, lifecycle_stage, tags, external_ids, created_at, updated_at, version, custom) SELECT 'con_batchRUN' || i, 'Batch', 'batchRUN-' || i || '@bench.example', '[{\"address\":\"batchRUN-' || i || '@bench.example\",\"type\":\"work\",\"primary\":true}]', '[]', '[]', 'lead', '[]', '{}', now(), now(), 1, '{}' FROM generate_series(1, 1000) AS i"
    # The same contacts upserted again with a new job title: 1,000 updates, beside a 1,000-row update.
    time_batches updated " updating" \
        '{job_title: "Title \($r)", emails: [{address: "batch\($r)-\(.)@bench.example"}]}' \
        "UPDATE reference_contacts SET job_title = 'Title RUN', updated_at = now(), version = version + 1 WHERE id IN (SELECT 'con_batchRUN' || i FROM generate_series(1, 1000) AS i)"
    scan=$(curl -sS -o "$WORK/scan.out" -w '%{time_total}' -H "$AUTH" -H 'Content-Type: application/json' -d '{}' "$BASE/v1/contacts/duplicates")
    ROWS+=("$BACKEND|POST /v1/contacts/duplicates (whole organization), one request: seconds|$(printf '%.1f' "$scan")|||-|-|-")
    log "$BACKEND duplicate scan: $scan s, $(jq -c '{scanned, groups: (.groups | length)}' "$WORK/scan.out" 2>/dev/null)"
    RSS_ALL[$BACKEND]=$(awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$SERVER_PID/status")
    stop_server
done

echo
echo "| backend | scenario | API req/s | p50 ms | p99 ms | API's SQL, pgbench tps | reference, pgbench tps | API ÷ reference |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for row in "${ROWS[@]}"; do echo "| ${row//|/ | } |"; done
echo
echo "$CONTACTS contacts, $COMPANIES companies, $ACTIVITIES activities; medians of $RUNS runs of ${DURATION} s at $CONNECTIONS connections; $(nproc) cores; $PLACEMENT."
for BACKEND in $BACKENDS; do
    echo "Server peak RSS on $BACKEND: ${RSS[$BACKEND]} MB under the load, ${RSS_ALL[$BACKEND]} MB after the batches and the duplicate scan."
done
