# Shared by the bench scripts (sourced): oha and pgbench runs, medians and ratios.
# Expects: WORK, CONNECTIONS, DURATION, AUTH, DB_URL, and log/die functions.

# Where the load runs: BENCH_SERVER_CPUS and BENCH_CLIENT_CPUS pin the server and the load
# generators (oha, pgbench) with taskset; PostgreSQL is never pinned.
SERVER_PIN=() CLIENT_PIN=()
[[ -n ${BENCH_SERVER_CPUS:-} ]] && SERVER_PIN=(taskset -c "$BENCH_SERVER_CPUS")
[[ -n ${BENCH_CLIENT_CPUS:-} ]] && CLIENT_PIN=(taskset -c "$BENCH_CLIENT_CPUS")
PLACEMENT="server on CPUs ${BENCH_SERVER_CPUS:-all}, oha and pgbench on CPUs ${BENCH_CLIENT_CPUS:-all}, PostgreSQL on all"

# Installs oha if missing and sets OHA and OHA_JSON.
find_oha() {
    if ! command -v oha >/dev/null; then
        log "installing oha (cargo install oha --locked)"
        "${NICE[@]}" cargo install oha --locked
    fi
    OHA=$(command -v oha || echo "$HOME/.cargo/bin/oha")
    [[ -x $OHA ]] || die "oha is not installed"
    if "$OHA" --help | grep -q -- '--output-format'; then
        OHA_JSON=(--output-format json)
    else
        OHA_JSON=(-j)
    fi
}

# oha: prints "requests/s p50_ms p99_ms", and warns when a response was not the expected status.
run_oha() {
    local name=$1 expect=$2
    shift 2
    local out=$WORK/oha-$name.json
    "${CLIENT_PIN[@]}" "$OHA" -c "$CONNECTIONS" -z "${DURATION}s" --no-tui "${OHA_JSON[@]}" -H "$AUTH" "$@" >"$out"
    local other
    other=$(jq -r --arg s "$expect" '[.statusCodeDistribution // {} | to_entries[] | select(.key != $s) | "\(.key)×\(.value)"] | join(" ")' "$out")
    [[ -z $other ]] || log "$name: unexpected statuses: $other"
    jq -r '[.summary.requestsPerSec, .latencyPercentiles.p50 * 1000, .latencyPercentiles.p99 * 1000]
           | map(. * 100 | round / 100) | @tsv' "$out"
}

# pgbench on $WORK/<name>.sql, with prepared statements (as the server runs its own): prints
# transactions per second.
run_pgbench() {
    local name=$1
    "${CLIENT_PIN[@]}" pgbench -n -M prepared -c "$CONNECTIONS" -j 2 -T "$DURATION" -f "$WORK/$name.sql" "$DB_URL" \
        >"$WORK/pgbench-$name.log" 2>&1 || { cat "$WORK/pgbench-$name.log" >&2; die "pgbench $name failed"; }
    awk '/^tps = / { printf "%.2f\n", $3; exit }' "$WORK/pgbench-$name.log"
}

# The median of the arguments ("-" for none), and a ratio of two figures ("-" unless both are).
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : "-") }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }'; }
