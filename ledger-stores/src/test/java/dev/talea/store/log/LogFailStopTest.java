package dev.talea.store.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.talea.protocol.AccountKind;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.DraftPosting;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionDraft;
import dev.talea.store.Store;
import dev.talea.store.StoreSettings;
import dev.talea.store.StoreUnavailableException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failure after commits are durable but before the in-memory indexes have them (the heap running
 * out while an index grows) stops the store's writes, answered as unavailable, rather than letting
 * later commits build on indexes that disagree with the log; reopening recovers everything, and a
 * retried post finds its commit.
 */
class LogFailStopTest {

  private static final String BOOK = "payments";

  @TempDir Path temp;

  private static TransactionDraft deposit(String key) {
    return new TransactionDraft(
        key,
        List.of(
            DraftPosting.debit("assets:hot-wallet", "BTC", "0.5"),
            DraftPosting.credit("liabilities:alice", "BTC", "0.5")),
        null,
        null,
        Map.of());
  }

  private static Transaction committed(PostOutcome outcome) {
    assertThat(outcome).isInstanceOf(PostOutcome.Committed.class);
    return ((PostOutcome.Committed) outcome).transaction();
  }

  @Test
  void aFailureWhileApplyingDurableCommitsStopsWritesUntilReopened() {
    Path dir = temp.resolve("log");
    AtomicReference<Error> fault = new AtomicReference<>();
    try (Store store =
        LogStores.open(
            dir,
            StoreSettings.defaults(),
            1 << 20,
            commit -> {
              Error raised = fault.get();
              if (raised != null) {
                throw raised;
              }
            })) {
      store.registerAsset(new AssetSpec("BTC", 8, "Bitcoin"));
      store.openAccount(BOOK, "assets:hot-wallet", new AccountSpec(AccountKind.ASSET));
      store.openAccount(BOOK, "liabilities:alice", new AccountSpec(AccountKind.LIABILITY));
      assertThat(committed(store.commitBatch(BOOK, List.of(deposit("d-1"))).get(0)).seq())
          .isEqualTo(1);

      fault.set(new OutOfMemoryError("Java heap space (injected)"));
      assertThatThrownBy(() -> store.commitBatch(BOOK, List.of(deposit("d-2"))))
          .isInstanceOf(StoreUnavailableException.class)
          .hasMessageContaining("stopped writing")
          .hasMessageContaining("seq 2");

      // Even with the fault gone, the store takes no more writes: its indexes lack seq 2.
      fault.set(null);
      assertThatThrownBy(() -> store.commitBatch(BOOK, List.of(deposit("d-3"))))
          .isInstanceOf(StoreUnavailableException.class)
          .hasMessageContaining("restart talead");
    }

    try (Store reopened = LogStores.open(dir, StoreSettings.defaults(), 1 << 20)) {
      // The post answered unavailable was durable: retried with its key, it is found.
      Transaction retried = committed(reopened.commitBatch(BOOK, List.of(deposit("d-2"))).get(0));
      assertThat(retried.seq()).isEqualTo(2);
      assertThat(retried.deduplicated()).isTrue();
      Transaction next = committed(reopened.commitBatch(BOOK, List.of(deposit("d-3"))).get(0));
      assertThat(next.seq()).isEqualTo(3);
      assertThat(next.deduplicated()).isFalse();
      assertThat(reopened.verify(BOOK).ok()).isTrue();
    }
  }
}
