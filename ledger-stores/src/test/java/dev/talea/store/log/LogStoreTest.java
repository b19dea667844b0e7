package dev.talea.store.log;

import static org.assertj.core.api.Assertions.assertThat;

import dev.talea.store.Store;
import dev.talea.store.StoreContractTest;
import dev.talea.store.StoreSettings;
import dev.talea.store.Stores;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The append-log store passes the conformance suite, unchanged. Small segments make the suite's
 * commits cross many segment boundaries.
 */
class LogStoreTest extends StoreContractTest {

  private static final long SMALL_SEGMENTS = 64 * 1024;

  @TempDir static Path directory;

  private final AtomicInteger freshDirectories = new AtomicInteger();

  @Override
  protected Store openStore(StoreSettings settings) {
    return LogStores.open(directory.resolve("shared"), settings, SMALL_SEGMENTS);
  }

  @Override
  protected Store openFreshStore(StoreSettings settings) {
    return Stores.open(
        "log:" + directory.resolve("fresh-" + freshDirectories.incrementAndGet()), settings);
  }

  @Override
  protected void changePostingAmount(
      String book, long seq, int postingIndex, BigInteger newMinorUnits) {
    try {
      LogTampering.changePostingAmount(
          store, directory.resolve("shared"), book, seq, postingIndex, newMinorUnits);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void reportsItselfAsTheLogBackend() {
    assertThat(store.backend()).isEqualTo("log");
  }
}
