package dev.talea.store.commit;

/** An account's balance in one asset is identified by the pair. */
public record BalanceKey(String account, String asset) {}
