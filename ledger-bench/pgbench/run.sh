#!/usr/bin/env bash
# run.sh: the pgbench SQL-only floor for talea on Postgres.
#
# Creates a new, uniquely named database, applies talea's real schema
# (ledger-stores/src/main/resources/db/postgres/V1__ledger.sql) and setup.sql, warms up, runs
# ANALYZE, runs pgbench with a transfer script, checks that the ledger it wrote is consistent, prints
# throughput and latency percentiles, and drops the database (also on failure or Ctrl-C).
#
# Usage: [VAR=value ...] ./run.sh [--help]
#
# Environment (defaults in brackets):
#   PGHOST [127.0.0.1]  PGPORT [5432]  PGUSER [postgres]   the server; PGPASSWORD etc. as usual
#   ADMIN_DB [postgres]   database to connect to for CREATE/DROP DATABASE
#   SCRIPT [transfer.sql] the pgbench script: transfer.sql (1 transfer per transaction) or
#                         transfer-x64.sql (64 transfers per transaction: the group-commit floor)
#   CLIENTS [64]          pgbench -c
#   THREADS [2]           pgbench -j
#   DURATION [30]         pgbench -T of the measured run, seconds
#   WARMUP [2]            seconds of unmeasured load before the measured run, followed by ANALYZE
#                         (talea's CommitBatchBenchmark does the same); 0 skips both
#   PROGRESS [5]          pgbench -P interval, seconds
#   BOOKS [1]             books; client i writes book bench-(i mod BOOKS). 1 = one hot book, as in
#                         talea's benchmarks
#   ACCOUNTS [1000]       accounts per book; each transfer picks two distinct ones at random
#   PLAN_CACHE_MODE [force_custom_plan]  as set on talea's connections; "auto" is Postgres' default
#   NOTIFY [1]            1: each transaction sends talea's pg_notify('talea_commits', ...); 0: it
#                         does not (to see what the notification costs)
#   KEEP_DB [0]           1: do not drop the database at the end (it is printed)
#   SCHEMA                path of V1__ledger.sql [../../ledger-stores/src/main/resources/db/postgres/V1__ledger.sql]
#
# Output: the pgbench report (with -r per-statement latencies), then a summary: transactions,
# transfers, tps, transfers/s, latency average, p50/p90/p99/p99.9/max from the per-transaction log,
# load average before and after, and the consistency checks. Exit status 1 if a check fails.
#
# Examples:
#   ./run.sh
#   CLIENTS=1 THREADS=1 ./run.sh
#   SCRIPT=transfer-x64.sql ./run.sh
set -euo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,/^set -euo pipefail/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  exit 0
fi
if [[ $# -gt 0 ]]; then
  echo "run.sh takes no arguments (options are environment variables); see --help" >&2
  exit 2
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

export PGHOST="${PGHOST:-127.0.0.1}"
export PGPORT="${PGPORT:-5432}"
export PGUSER="${PGUSER:-postgres}"
ADMIN_DB="${ADMIN_DB:-postgres}"
SCRIPT="${SCRIPT:-transfer.sql}"
CLIENTS="${CLIENTS:-64}"
THREADS="${THREADS:-2}"
DURATION="${DURATION:-30}"
WARMUP="${WARMUP:-2}"
PROGRESS="${PROGRESS:-5}"
BOOKS="${BOOKS:-1}"
ACCOUNTS="${ACCOUNTS:-1000}"
PLAN_CACHE_MODE="${PLAN_CACHE_MODE:-force_custom_plan}"
NOTIFY="${NOTIFY:-1}"
KEEP_DB="${KEEP_DB:-0}"
SCHEMA="${SCHEMA:-$here/../../ledger-stores/src/main/resources/db/postgres/V1__ledger.sql}"
PGBENCH="${PGBENCH:-pgbench}"

[[ "$NOTIFY" == 0 || "$NOTIFY" == 1 ]] || { echo "NOTIFY must be 0 or 1" >&2; exit 2; }
[[ "$SCRIPT" == */* ]] || SCRIPT="$here/$SCRIPT"
for f in "$SCRIPT" "$SCHEMA" "$here/setup.sql"; do
  [[ -r "$f" ]] || { echo "cannot read $f" >&2; exit 2; }
done
for v in CLIENTS THREADS DURATION WARMUP PROGRESS BOOKS ACCOUNTS; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || { echo "$v must be a whole number, not '${!v}'" >&2; exit 2; }
done
(( ACCOUNTS >= 2 && BOOKS >= 1 && CLIENTS >= 1 && DURATION >= 1 )) \
  || { echo "need ACCOUNTS >= 2, BOOKS >= 1, CLIENTS >= 1, DURATION >= 1" >&2; exit 2; }
(( THREADS >= 1 )) || THREADS=1
(( THREADS <= CLIENTS )) || THREADS=$CLIENTS
per_tx="$(sed -n 's/^-- transfers-per-transaction: *\([0-9][0-9]*\).*/\1/p' "$SCRIPT" | head -1)"
[[ -n "$per_tx" ]] || { echo "$SCRIPT lacks a '-- transfers-per-transaction: N' line" >&2; exit 2; }

db="talea_pgbench_$(date +%Y%m%d_%H%M%S)_$$"
work="$(mktemp -d "${TMPDIR:-/tmp}/talea-pgbench.XXXXXX")"
created=0

cleanup() {
  local status=$?
  if (( created )); then
    if [[ "$KEEP_DB" == 1 ]]; then
      echo "kept database $db (drop it with: psql -d $ADMIN_DB -c 'DROP DATABASE $db')"
    else
      psql -X -q -d "$ADMIN_DB" -v ON_ERROR_STOP=1 \
        -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null \
        || echo "could not drop database $db" >&2
    fi
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

q() { psql -X -q -At -d "$db" -v ON_ERROR_STOP=1 "$@"; }

echo "== talea pgbench floor: $(basename "$SCRIPT") ($per_tx transfer(s) per transaction)"
echo "server:   $PGUSER@$PGHOST:$PGPORT, database $db"
psql -X -q -d "$ADMIN_DB" -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$db\"" >/dev/null
created=1
echo "postgres: $(q -c 'SHOW server_version') (fsync=$(q -c 'SHOW fsync'), synchronous_commit=$(q -c 'SHOW synchronous_commit'), shared_buffers=$(q -c 'SHOW shared_buffers'), wal_sync_method=$(q -c 'SHOW wal_sync_method'))"
echo "pgbench:  $("$PGBENCH" --version)"
echo "machine:  $(nproc) cores"
echo "settings: CLIENTS=$CLIENTS THREADS=$THREADS DURATION=$DURATION WARMUP=$WARMUP BOOKS=$BOOKS ACCOUNTS=$ACCOUNTS PLAN_CACHE_MODE=$PLAN_CACHE_MODE NOTIFY=$NOTIFY"

# The schema exactly as Flyway applies it. V1__ledger.sql is plain SQL: Flyway adds only its own
# flyway_schema_history table, which talea's write path never touches, so nothing is stripped.
q -f "$SCHEMA"
q -v books="$BOOKS" -v accounts="$ACCOUNTS" -f "$here/setup.sql"

bench() { # run-number duration [extra pgbench options...]
  local run=$1 duration=$2
  shift 2
  PGOPTIONS="${PGOPTIONS:-} -c plan_cache_mode=$PLAN_CACHE_MODE" \
    "$PGBENCH" -n -M prepared -c "$CLIENTS" -j "$THREADS" -T "$duration" \
    -D books="$BOOKS" -D accounts="$ACCOUNTS" -D run="$run" -D n=0 -D notify="$NOTIFY" \
    -f "$SCRIPT" "$@" "$db"
}

if (( WARMUP > 0 )); then
  echo "-- warm-up: $WARMUP s, then ANALYZE"
  bench 1 "$WARMUP" >"$work/warmup.out" 2>&1 || { cat "$work/warmup.out" >&2; exit 1; }
  q -c 'ANALYZE'
fi
warm_seq="$(q -c 'SELECT COALESCE(SUM(last_seq), 0) FROM books')"

load_before="$(uptime)"
echo "-- measured run: $DURATION s    load before: ${load_before##*load average: }"
mkdir -p "$work/log"
set +e
bench 2 "$DURATION" -r -P "$PROGRESS" --log --log-prefix="$work/log/tx" 2>&1 | tee "$work/bench.out"
bench_status=${PIPESTATUS[0]}
set -e
load_after="$(uptime)"
(( bench_status == 0 )) || { echo "pgbench failed with status $bench_status" >&2; exit 1; }

field() { sed -n "s/^$1 *[=:] *\([0-9.]*\).*/\1/p" "$work/bench.out" | head -1; }
processed="$(field 'number of transactions actually processed')"
failed="$(field 'number of failed transactions')"
lat_avg="$(field 'latency average')"
lat_sd="$(field 'latency stddev')"
tps="$(field 'tps')"
failed="${failed:-0}"

# Per-transaction log lines: client_id transaction_no latency_us script_no epoch_s epoch_us
cat "$work"/log/tx* | awk '{ print $3 }' | sort -n >"$work/lat"
logged="$(wc -l <"$work/lat")"
pct() { awk -v p="$1" -v n="$logged" 'BEGIN { k = int(p * n); if (k < p * n) k++; if (k < 1) k = 1 }
                                       NR == k { printf "%.3f", $1 / 1000; exit }' "$work/lat"; }

echo
echo "== consistency"
fails=0
check() { # description expected actual
  if [[ "$2" == "$3" ]]; then echo "ok    $1: $3"; else echo "FAIL  $1: expected $2, got $3"; fails=$((fails + 1)); fi
}
total_seq="$(q -c 'SELECT COALESCE(SUM(last_seq), 0) FROM books')"
tx_rows="$(q -c 'SELECT count(*) FROM transactions')"
check "measured transfers == pgbench transactions x $per_tx" "$((processed * per_tx))" "$((total_seq - warm_seq))"
check "per-transaction log lines == pgbench transactions" "$processed" "$logged"
check "pgbench failed transactions" 0 "$failed"
check "transaction rows == sum of books.last_seq" "$total_seq" "$tx_rows"
check "books whose last_seq != their row count or max(seq)" 0 "$(q -c "
  SELECT count(*) FROM books k
  LEFT JOIN (SELECT book, count(*) AS n, max(seq) AS m FROM transactions GROUP BY book) t USING (book)
  WHERE k.last_seq <> COALESCE(t.n, 0) OR k.last_seq <> COALESCE(t.m, 0)")"
check "posting rows == 2 x transaction rows" "$((2 * tx_rows))" "$(q -c 'SELECT count(*) FROM postings')"
check "unbalanced transactions (debits != credits)" 0 "$(q -c "
  SELECT count(*) FROM (SELECT book, seq FROM postings GROUP BY book, seq, asset
                        HAVING sum(CASE side WHEN 'D' THEN amount ELSE -amount END) <> 0) x")"
check "assets whose balances do not sum to zero" 0 "$(q -c "
  SELECT count(*) FROM (SELECT asset FROM balances GROUP BY asset HAVING sum(balance) <> 0) x")"
check "debit total - credit total" 0 "$(q -c "
  SELECT COALESCE(sum(CASE side WHEN 'D' THEN amount ELSE -amount END), 0) FROM postings")"
check "balances != sum of their postings" 0 "$(q -c "
  SELECT count(*) FROM balances b
  FULL JOIN (SELECT book, account, asset, sum(CASE side WHEN 'D' THEN amount ELSE -amount END) AS s
             FROM postings GROUP BY book, account, asset) p USING (book, account, asset)
  WHERE b.balance IS DISTINCT FROM p.s")"
check "postings whose balance_after != running sum" 0 "$(q -c "
  SELECT count(*) FROM (
    SELECT balance_after, sum(CASE side WHEN 'D' THEN amount ELSE -amount END)
             OVER (PARTITION BY book, account, asset ORDER BY seq, idx) AS running
    FROM postings) x
  WHERE balance_after <> running")"
check "broken hash-chain links (prev_hash != previous hash)" 0 "$(q -c "
  SELECT count(*) FROM (SELECT prev_hash, lag(hash, 1, repeat('0', 64)) OVER (PARTITION BY book ORDER BY seq) AS prev
                        FROM transactions) x WHERE prev_hash <> prev")"
check "books whose head_hash != hash of their last commit" 0 "$(q -c "
  SELECT count(*) FROM books k LEFT JOIN transactions t ON t.book = k.book AND t.seq = k.last_seq
  WHERE k.last_seq > 0 AND t.hash IS DISTINCT FROM k.head_hash")"
check "committed_at decreasing with seq" 0 "$(q -c "
  SELECT count(*) FROM (SELECT committed_at, lag(committed_at) OVER (PARTITION BY book ORDER BY seq) AS prev
                        FROM transactions) x WHERE committed_at < prev")"

echo
echo "== summary ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
echo "script              $(basename "$SCRIPT") ($per_tx transfer(s) per transaction), CLIENTS=$CLIENTS THREADS=$THREADS BOOKS=$BOOKS NOTIFY=$NOTIFY"
echo "transactions        $processed in $DURATION s (failed: $failed)"
echo "transfers           $((processed * per_tx))"
echo "tps                 $tps (pgbench, without initial connection time)"
echo "transfers/s         $(awk -v t="$tps" -v k="$per_tx" 'BEGIN { printf "%.3f", t * k }')"
echo "latency average     $lat_avg ms (stddev ${lat_sd:-?} ms), per transaction"
echo "latency p50         $(pct 0.50) ms"
echo "latency p90         $(pct 0.90) ms"
echo "latency p99         $(pct 0.99) ms"
echo "latency p99.9       $(pct 0.999) ms"
echo "latency max         $(awk 'END { printf "%.3f", $1 / 1000 }' "$work/lat") ms"
echo "load before         ${load_before##*load average: }"
echo "load after          ${load_after##*load average: }"
echo "database            $db ($( [[ "$KEEP_DB" == 1 ]] && echo kept || echo "dropped on exit"))"
if (( fails > 0 )); then
  echo "CONSISTENCY: $fails check(s) FAILED"
  exit 1
fi
echo "consistency         all checks passed"
