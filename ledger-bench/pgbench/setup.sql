-- The starting state of the pgbench floor, applied by run.sh after the real
-- ledger-stores/src/main/resources/db/postgres/V1__ledger.sql.
--
-- psql variables (run.sh passes them with -v):
--   books     number of books, named bench-0 .. bench-<books-1>
--   accounts  accounts per book, named acct:0 .. acct:<accounts-1>
--
-- These are the rows JdbcStore writes when talea registers an asset and opens accounts, with the same
-- values in every column:
--   registerAsset(new AssetSpec("BTC", 8, "Bitcoin"))
--     INSERT INTO assets (code, decimals, name, created_at) ... ON CONFLICT (code) DO NOTHING
--   openAccount(book, account, new AccountSpec(AccountKind.ASSET))   -- once per account
--     INSERT INTO books (book, last_seq, head_hash, last_committed_at, created_at)
--       VALUES (?, 0, HashChain.GENESIS (64 '0'), NULL, now) ON CONFLICT (book) DO NOTHING
--     INSERT INTO accounts (book, account, kind, min_balance, metadata, created_at)
--       VALUES (?, ?, 'asset', NULL, '{}', now) ON CONFLICT (book, account) DO NOTHING
-- talea opens each account in its own transaction; here they are inserted in bulk, which gives the
-- same rows. No balances rows: the store creates an account's balance row with its first posting.
-- Every account is an unconstrained 'asset' account (min_balance NULL), like the accounts of
-- ledger-stores' CommitBatchBenchmark, so no transfer is ever rejected and the normal-side-adjusted
-- balance_after equals the raw balance.

\set ON_ERROR_STOP on

INSERT INTO assets (code, decimals, name, created_at)
VALUES ('BTC', 8, 'Bitcoin', clock_timestamp())
ON CONFLICT (code) DO NOTHING;

INSERT INTO books (book, last_seq, head_hash, last_committed_at, created_at)
SELECT 'bench-' || b, 0, repeat('0', 64), NULL, clock_timestamp()
FROM generate_series(0, :books - 1) AS b
ON CONFLICT (book) DO NOTHING;

INSERT INTO accounts (book, account, kind, min_balance, metadata, created_at)
SELECT 'bench-' || b, 'acct:' || a, 'asset', NULL, '{}'::jsonb, clock_timestamp()
FROM generate_series(0, :books - 1) AS b, generate_series(0, :accounts - 1) AS a
ON CONFLICT (book, account) DO NOTHING;

ANALYZE;
