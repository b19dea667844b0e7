-- talea schema, version 1 (Postgres).
--
-- Every table but the global asset registry has a primary key that starts with the book, so the
-- schema could be distributed by book (e.g. Citus) without redesign; assets would be a reference
-- table. Amounts are exact integers of minor units in NUMERIC(78,0) (2^256 - 1 and 10^78 - 1 fit).
-- Names use the "C" collation: byte order, the same order as the API's sorting and paging.
--
-- The hot-path tables (transactions, postings, balances) carry no foreign keys. Every row in them is
-- written by a group commit holding the book's lock, which is what guarantees the references, and
-- GET .../verify re-derives all of them from the chain. A foreign-key check per row would cost more
-- than the insert itself, and Postgres caches each check's plan per connection: planned while a table
-- is still small, it can stay a sequential scan until the next ANALYZE.

CREATE TABLE assets (
    code        TEXT        COLLATE "C" PRIMARY KEY,
    decimals    SMALLINT    NOT NULL CHECK (decimals BETWEEN 0 AND 36),
    name        TEXT,
    created_at  TIMESTAMPTZ NOT NULL
);

-- The counter row: locked by every group commit on the book (SELECT ... FOR UPDATE). This lock is
-- the write arbiter across threads, processes and server instances.
CREATE TABLE books (
    book              TEXT        COLLATE "C" PRIMARY KEY,
    last_seq          BIGINT      NOT NULL CHECK (last_seq >= 0),
    head_hash         CHAR(64)    NOT NULL,
    last_committed_at TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL
);

CREATE TABLE accounts (
    book        TEXT        COLLATE "C" NOT NULL REFERENCES books (book),
    account     TEXT        COLLATE "C" NOT NULL,
    kind        TEXT        NOT NULL
                CHECK (kind IN ('asset', 'liability', 'equity', 'income', 'expense')),
    min_balance NUMERIC,    -- exact decimal in the units of each asset held; NULL: unconstrained
    metadata    JSONB       NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (book, account)
);

-- The balance projection, maintained inside each group commit. Raw: debits minus credits.
CREATE TABLE balances (
    book    TEXT          COLLATE "C" NOT NULL,
    account TEXT          COLLATE "C" NOT NULL,
    asset   TEXT          COLLATE "C" NOT NULL,
    balance NUMERIC(78,0) NOT NULL,
    PRIMARY KEY (book, account, asset)
);

-- The event log. The idempotency key lives on its commit, bound to the fingerprint of the request
-- that first used it; a rejected request records nothing, so its key stays free.
CREATE TABLE transactions (
    book                TEXT        COLLATE "C" NOT NULL,
    seq                 BIGINT      NOT NULL CHECK (seq >= 1),
    tx_id               UUID        NOT NULL,
    committed_at        TIMESTAMPTZ NOT NULL,
    occurred_at         TIMESTAMPTZ,
    idempotency_key     TEXT        COLLATE "C" NOT NULL,
    request_fingerprint CHAR(64)    NOT NULL,
    memo                TEXT,
    metadata            JSONB       NOT NULL,
    hash                CHAR(64)    NOT NULL,
    prev_hash           CHAR(64)    NOT NULL,
    PRIMARY KEY (book, seq)
);
CREATE UNIQUE INDEX transactions_idempotency_key ON transactions (book, idempotency_key);
CREATE UNIQUE INDEX transactions_tx_id ON transactions (tx_id);
CREATE INDEX transactions_committed_at ON transactions (book, committed_at);

-- balance_after is normal-side-adjusted, exactly as the API reports it.
CREATE TABLE postings (
    book          TEXT          COLLATE "C" NOT NULL,
    seq           BIGINT        NOT NULL,
    idx           SMALLINT      NOT NULL,
    account       TEXT          COLLATE "C" NOT NULL,
    asset         TEXT          COLLATE "C" NOT NULL,
    side          CHAR(1)       NOT NULL CHECK (side IN ('D', 'C')),
    amount        NUMERIC(78,0) NOT NULL CHECK (amount > 0),
    balance_after NUMERIC(78,0) NOT NULL,
    PRIMARY KEY (book, seq, idx)
);
CREATE INDEX postings_account ON postings (book, account, asset, seq);
