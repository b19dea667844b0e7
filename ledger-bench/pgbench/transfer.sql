-- transfers-per-transaction: 1
--
-- talea's Postgres write path for ONE two-posting transfer, as plain SQL: one database transaction
-- per transfer, i.e. JdbcStore.commitBatch(book, [one draft]) with no JVM, HTTP, actor or JDBC in
-- between. Run by run.sh (pgbench -M prepared); see README.md.
--
-- Variables: -D books=N -D accounts=N -D run=N -D n=0 -D notify=1|0 (run.sh sets them); :client_id is pgbench's.
-- :n is this client's transfer counter; pgbench keeps a client's variables from one transaction to
-- the next, so 'k-<run>-<client>-<n>' is a unique idempotency key.
--
-- Statement for statement, what JdbcStore + PostgresDialect + PostgresNotifications send, in order:
--   lock   SELECT last_seq, head_hash, last_committed_at FROM books WHERE book = ? FOR UPDATE
--   clock  SELECT clock_timestamp()
--   keys   SELECT idempotency_key, request_fingerprint, seq, tx_id FROM transactions
--            WHERE book = ? AND idempotency_key = ANY(?)                   (text[] parameter)
--   accts  SELECT a.account, a.kind, a.min_balance, b.asset, b.balance FROM accounts a LEFT JOIN
--            balances b ... WHERE a.book = ? AND a.account = ANY(?)       (the min_balance gate's read)
--   INSERT INTO transactions ... (1 row)
--   INSERT INTO postings ...     (2 rows in one statement: pgjdbc's reWriteBatchedInserts=true
--                                 rewrites the 2-row JDBC batch into one multi-row INSERT)
--   INSERT INTO balances ... ON CONFLICT DO UPDATE  (2 rows in one statement, same rewrite)
--   UPDATE books SET last_seq, head_hash, last_committed_at
--   SELECT pg_notify('talea_commits', '<instance> <first> <last> <book>')
--   COMMIT
-- run.sh also sets plan_cache_mode=force_custom_plan, as talea's pool does.
--
-- Differences, all small and all listed in README.md:
--   * What talea computes in Java (the UUIDv7 tx_id, the request fingerprint, the SHA-256 hash chain,
--     the '{}' metadata JSON, the account-name and key strings, committed_at = max(clock, last)) is
--     computed here by the server, in the "clock" statement, which therefore stands in for talea's
--     clock read plus its Java planning. The hash IS a real chained SHA-256
--     (sha256(prev_hash bytes || bytes of the commit)), but over a '|'-joined text of the same fields,
--     not talea's binary canonical encoding (talea/commit/v1); the fingerprint is sha256() of the
--     key and postings text. Both are 64 lowercase hex characters, as in talea.
--   * balance_after and the new balances are computed by the server from the balances rows (the
--     book's lock is held, so the result is exactly what talea's planner would compute from its read);
--     talea sends the absolute values it computed in Java. Same rows, same indexes, same values.
--   * pgbench sends BEGIN as its own round trip (pgjdbc piggybacks it on the first statement):
--     11 round trips here, 10 in talea.
--   * Nothing for HTTP, JSON parsing, validation, the book actor, the JDBC driver or HikariCP.
--   * No one LISTENs on talea_commits (a talead does, on one connection, and reads each notice).

\set n :n + 1
\set b :client_id % :books
\set d random(0, :accounts - 1)
\set c (:d + random(1, :accounts - 1)) % :accounts
\set amount random(1, 100000000)

BEGIN;

-- lock: the book's counter row, the write arbiter (PostgresDialect.lockBookSql). The NULL
-- last_committed_at of a new book comes back as -infinity because \gset cannot hold a NULL.
SELECT book, last_seq, head_hash, COALESCE(last_committed_at, '-infinity') AS last_at
FROM books WHERE book = 'bench-' || :b::text FOR UPDATE \gset

\set seq :last_seq + 1

-- clock, plus what GroupCommitPlanner/HashChain/TxIds compute in Java (see the header).
SELECT committed_at, tx_id, key, keys, d_name, c_name, names,
       encode(sha256(convert_to(concat_ws('|', key, d_name, 'BTC', 'D', :amount::text,
                                               c_name, 'BTC', 'C', :amount::text), 'UTF8')),
              'hex') AS fingerprint,
       encode(sha256(decode(:head_hash::text, 'hex')
                     || convert_to(concat_ws('|', 'talea/commit/v1', :book::text, :seq::text,
                                             tx_id::text,
                                             (extract(epoch FROM committed_at) * 1000000)::bigint::text,
                                             key, '2',
                                             d_name, 'BTC', 'D', :amount::text,
                                             c_name, 'BTC', 'C', :amount::text,
                                             '-', '-', '{}'), 'UTF8')),
              'hex') AS hash
FROM (SELECT GREATEST(clock_timestamp(), :last_at::timestamptz) AS committed_at,
             -- UUIDv7 (TxIds::newId): 48-bit Unix milliseconds, version 7, random rest
             encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
                                            PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                                            FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid AS tx_id,
             k.key, ARRAY[k.key]::text AS keys,
             'acct:' || :d::text AS d_name, 'acct:' || :c::text AS c_name,
             ARRAY['acct:' || :d::text, 'acct:' || :c::text]::text AS names
      FROM (SELECT 'k-' || :run::text || '-' || :client_id::text || '-' || :n::text AS key) k) t \gset

-- keys: the idempotency check (JdbcStore.storedKeys). Always empty here: every key is new.
SELECT idempotency_key, request_fingerprint, seq, tx_id FROM transactions
WHERE book = :book AND idempotency_key = ANY(:keys::text[]);

-- accts: rules and raw balances of the accounts the draft names (JdbcStore.loadAccounts), which the
-- planner uses for unknown_account, the ±(10^78 - 1) bound and the min_balance gate.
SELECT a.account, a.kind, a.min_balance, b.asset, b.balance FROM accounts a
LEFT JOIN balances b ON b.book = a.book AND b.account = a.account
WHERE a.book = :book AND a.account = ANY(:names::text[]);

INSERT INTO transactions (book, seq, tx_id, committed_at, occurred_at,
                          idempotency_key, request_fingerprint, memo, metadata, hash, prev_hash)
VALUES (:book, :seq, :tx_id, :committed_at, NULL, :key, :fingerprint, NULL, '{}'::jsonb,
        :hash, :head_hash);

-- balance_after: the account's balance after this posting ('asset' accounts: normal side = raw).
INSERT INTO postings (book, seq, idx, account, asset, side, amount, balance_after)
VALUES (:book::text, :seq::bigint, 0, :d_name::text, 'BTC', 'D', :amount::numeric,
        COALESCE((SELECT balance FROM balances
                  WHERE book = :book AND account = :d_name AND asset = 'BTC'), 0) + :amount::numeric),
       (:book::text, :seq::bigint, 1, :c_name::text, 'BTC', 'C', :amount::numeric,
        COALESCE((SELECT balance FROM balances
                  WHERE book = :book AND account = :c_name AND asset = 'BTC'), 0) - :amount::numeric);

INSERT INTO balances (book, account, asset, balance)
VALUES (:book::text, :d_name::text, 'BTC', :amount::numeric),
       (:book::text, :c_name::text, 'BTC', -:amount::numeric)
ON CONFLICT (book, account, asset) DO UPDATE SET balance = balances.balance + excluded.balance;

UPDATE books SET last_seq = :seq, head_hash = :hash, last_committed_at = :committed_at
WHERE book = :book;

-- PostgresNotifications.announce; -D notify=0 (run.sh NOTIFY=0) leaves it out.
\if :notify
SELECT pg_notify('talea_commits',
                 '00000000-0000-4000-8000-' || lpad(:client_id::text, 12, '0')
                 || ' ' || :seq::text || ' ' || :seq::text || ' ' || :book::text);
\endif

END;
