package dev.talea.store.read;

import dev.talea.protocol.AccountKind;
import dev.talea.protocol.DecimalAmount;
import java.time.Instant;
import java.util.Map;

/** An open account as a store keeps it, without its balances. */
public record StoredAccount(
    String name,
    AccountKind kind,
    DecimalAmount minBalance,
    Map<String, String> metadata,
    Instant createdAt) {}
