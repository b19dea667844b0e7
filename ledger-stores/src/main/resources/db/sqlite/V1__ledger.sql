-- talea schema, version 1 (SQLite). The same tables as on Postgres; STRICT types, amounts as
-- decimal text (arithmetic happens in Java, exactly), timestamps as integer microseconds since
-- the Unix epoch, UUIDs as text, metadata as JSON text. As on Postgres, the tables written by group
-- commits carry no foreign keys: the commit path guarantees the references and verify re-derives them.

CREATE TABLE assets (
    code        TEXT    PRIMARY KEY,
    decimals    INTEGER NOT NULL CHECK (decimals BETWEEN 0 AND 36),
    name        TEXT,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE books (
    book              TEXT    PRIMARY KEY,
    last_seq          INTEGER NOT NULL CHECK (last_seq >= 0),
    head_hash         TEXT    NOT NULL,
    last_committed_at INTEGER,
    created_at        INTEGER NOT NULL
) STRICT;

CREATE TABLE accounts (
    book        TEXT    NOT NULL REFERENCES books (book),
    account     TEXT    NOT NULL,
    kind        TEXT    NOT NULL
                CHECK (kind IN ('asset', 'liability', 'equity', 'income', 'expense')),
    min_balance TEXT,
    metadata    TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (book, account)
) STRICT, WITHOUT ROWID;

CREATE TABLE balances (
    book    TEXT NOT NULL,
    account TEXT NOT NULL,
    asset   TEXT NOT NULL,
    balance TEXT NOT NULL,
    PRIMARY KEY (book, account, asset)
) STRICT, WITHOUT ROWID;

CREATE TABLE transactions (
    book                TEXT    NOT NULL,
    seq                 INTEGER NOT NULL CHECK (seq >= 1),
    tx_id               TEXT    NOT NULL,
    committed_at        INTEGER NOT NULL,
    occurred_at         INTEGER,
    idempotency_key     TEXT    NOT NULL,
    request_fingerprint TEXT    NOT NULL,
    memo                TEXT,
    metadata            TEXT    NOT NULL,
    hash                TEXT    NOT NULL,
    prev_hash           TEXT    NOT NULL,
    PRIMARY KEY (book, seq)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX transactions_idempotency_key ON transactions (book, idempotency_key);
CREATE UNIQUE INDEX transactions_tx_id ON transactions (tx_id);
CREATE INDEX transactions_committed_at ON transactions (book, committed_at);

CREATE TABLE postings (
    book          TEXT    NOT NULL,
    seq           INTEGER NOT NULL,
    idx           INTEGER NOT NULL,
    account       TEXT    NOT NULL,
    asset         TEXT    NOT NULL,
    side          TEXT    NOT NULL CHECK (side IN ('D', 'C')),
    amount        TEXT    NOT NULL,
    balance_after TEXT    NOT NULL,
    PRIMARY KEY (book, seq, idx)
) STRICT, WITHOUT ROWID;
CREATE INDEX postings_account ON postings (book, account, asset, seq);
