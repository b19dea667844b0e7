package dev.talea.store.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.talea.protocol.AccountKind;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.DecimalAmount;
import dev.talea.protocol.DraftPosting;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionDraft;
import dev.talea.protocol.VerifyResult;
import dev.talea.store.Store;
import dev.talea.store.StoreException;
import dev.talea.store.StoreSettings;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the log store finds on open: its own history intact, a torn tail repaired, damage refused.
 */
class LogRecoveryTest {

  private static final long SEGMENT = 4096;
  private static final String BOOK = "payments";

  @TempDir Path temp;

  private static Store open(Path dir) {
    return LogStores.open(dir, StoreSettings.defaults(), SEGMENT);
  }

  private static void setUp(Store store) {
    store.registerAsset(new AssetSpec("BTC", 8, "Bitcoin"));
    store.registerAsset(new AssetSpec("ETH", 18, null));
    store.openAccount(BOOK, "assets:hot-wallet", new AccountSpec(AccountKind.ASSET));
    store.openAccount(
        BOOK,
        "liabilities:alice",
        new AccountSpec(
            AccountKind.LIABILITY,
            DecimalAmount.parseSigned("0", "min_balance"),
            Map.of("tier", "1")));
  }

  private static Transaction deposit(Store store, String key, String amount) {
    PostOutcome outcome =
        store
            .commitBatch(
                BOOK,
                List.of(
                    new TransactionDraft(
                        key,
                        List.of(
                            DraftPosting.debit("assets:hot-wallet", "BTC", amount),
                            DraftPosting.credit("liabilities:alice", "BTC", amount)),
                        Instant.parse("2026-11-20T14:02:00Z"),
                        "memo " + key,
                        Map.of("k", key))))
            .get(0);
    return ((PostOutcome.Committed) outcome).transaction();
  }

  private static List<Path> segments(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".log")).sorted().toList();
    }
  }

  private static void copyDirectory(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    for (Path file : segments(from)) {
      Files.copy(file, to.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  @Test
  void aReopenedStoreAnswersExactlyAsBefore() throws IOException {
    Path dir = temp.resolve("log");
    List<Transaction> committed = new ArrayList<>();
    Object[] before;
    try (Store store = open(dir)) {
      setUp(store);
      for (int i = 1; i <= 40; i++) {
        committed.add(deposit(store, "k" + i, "0.0" + i));
      }
      store.openAccount(
          BOOK,
          "liabilities:alice",
          new AccountSpec(
              AccountKind.LIABILITY,
              DecimalAmount.parseSigned("0", "min_balance"),
              Map.of("tier", "2")));
      store.registerAsset(new AssetSpec("BTC", 8, "Bitcoin (renamed)"));
      before = snapshot(store);
    }
    assertThat(segments(dir).size())
        .as("the history spans several segments")
        .isGreaterThanOrEqualTo(3);

    try (Store store = open(dir)) {
      assertThat(snapshot(store)).isEqualTo(before);
      for (Transaction tx : committed) {
        assertThat(store.findTransaction(tx.txId())).contains(tx);
        assertThat(store.findTransactionByKey(BOOK, tx.idempotencyKey())).contains(tx);
      }
      // Replays are still recognised, and the sequence continues where it stopped.
      Transaction replay = deposit(store, "k7", "0.07");
      assertThat(replay).isEqualTo(committed.get(6).withDeduplicated(true));
      Transaction next = deposit(store, "k41", "1");
      assertThat(next.seq()).isEqualTo(41);
      assertThat(next.prevHash()).isEqualTo(committed.get(39).hash());
      assertThat(store.verify(BOOK).ok()).isTrue();
    }
  }

  private static Object[] snapshot(Store store) {
    return new Object[] {
      store.listAssets(),
      store.listBooks(),
      store.listAccounts(BOOK, null, 100),
      store.listTransactions(BOOK, 0, 1000),
      store.listPostings(BOOK, "liabilities:alice", "BTC", 0, 1000),
      store.balances(BOOK, "liabilities:alice", Instant.parse("2999-01-01T00:00:00Z"), null),
      store.trialBalance(BOOK, null),
      store.verify(BOOK)
    };
  }

  @Test
  void truncatingTheLastRecordAtAnyOffsetRecoversThePreviousRecord() throws IOException {
    Path original = temp.resolve("original");
    Transaction third;
    long lastRecordStart;
    long fileSize;
    Path lastSegment;
    try (Store store = open(original)) {
      setUp(store);
      deposit(store, "k1", "1");
      deposit(store, "k2", "2");
      third = deposit(store, "k3", "3");
      deposit(store, "k4", "4");
      LogStore log = (LogStore) store;
      lastRecordStart = LogFile.offsetOf(positionOf(log, 4));
      lastSegment = segments(original).get(segments(original).size() - 1);
      fileSize = Files.size(lastSegment);
      assertThat(LogFile.segmentOf(positionOf(log, 4)))
          .isEqualTo(LogFile.segmentOf(positionOf(log, 3)));
    }
    for (long cut = lastRecordStart; cut < fileSize; cut++) {
      Path copy = temp.resolve("cut-" + cut);
      copyDirectory(original, copy);
      try (FileChannel channel =
          FileChannel.open(copy.resolve(lastSegment.getFileName()), StandardOpenOption.WRITE)) {
        channel.truncate(cut);
      }
      try (Store store = open(copy)) {
        assertThat(store.findBook(BOOK).orElseThrow().lastSeq()).as("cut at %d", cut).isEqualTo(3);
        assertThat(store.findBook(BOOK).orElseThrow().headHash()).isEqualTo(third.hash());
        assertThat(store.verify(BOOK).ok()).isTrue();
        assertThat(deposit(store, "k4-again", "4").seq()).isEqualTo(4);
      }
      assertThat(Files.size(copy.resolve(lastSegment.getFileName()))).isGreaterThan(cut);
    }
  }

  private static long positionOf(LogStore store, long seq) {
    BookLog book = bookOf(store);
    return book.positionOf(seq);
  }

  private static BookLog bookOf(LogStore store) {
    try {
      var field = LogStore.class.getDeclaredField("books");
      field.setAccessible(true);
      @SuppressWarnings("unchecked")
      Map<String, BookLog> books = (Map<String, BookLog>) field.get(store);
      return books.get(BOOK);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void zerosAfterTheLastRecordAreATornTail() throws IOException {
    Path dir = temp.resolve("zeros");
    try (Store store = open(dir)) {
      setUp(store);
      deposit(store, "k1", "1");
    }
    Path last = segments(dir).get(segments(dir).size() - 1);
    long size = Files.size(last);
    try (FileChannel channel = FileChannel.open(last, StandardOpenOption.WRITE)) {
      channel.write(ByteBuffer.allocate(300), size);
    }
    try (Store store = open(dir)) {
      assertThat(store.findBook(BOOK).orElseThrow().lastSeq()).isEqualTo(1);
      assertThat(store.verify(BOOK).ok()).isTrue();
    }
    assertThat(Files.size(last)).isEqualTo(size);
  }

  @Test
  void aFlippedByteInTheMiddleOfASegmentFailsTheOpenNamingFileAndOffset() throws IOException {
    Path dir = temp.resolve("flipped");
    long victim;
    try (Store store = open(dir)) {
      setUp(store);
      deposit(store, "k1", "1");
      deposit(store, "k2", "2");
      deposit(store, "k3", "3");
      victim = positionOf((LogStore) store, 2);
    }
    Path segment = dir.resolve(String.format("%08d.log", LogFile.segmentOf(victim)));
    long offset = LogFile.offsetOf(victim);
    long target = offset + LogFile.RECORD_HEADER_BYTES + 20;
    flip(segment, target);
    long sizeBefore = Files.size(segment);

    assertThatThrownBy(() -> open(dir))
        .isInstanceOf(LogCorruptedException.class)
        .hasMessageContaining(segment.toString())
        .hasMessageContaining("byte offset " + offset)
        .hasMessageContaining("record checksum mismatch")
        .satisfies(
            e -> {
              LogCorruptedException damage = (LogCorruptedException) e;
              assertThat(damage.file()).isEqualTo(segment);
              assertThat(damage.offset()).isEqualTo(offset);
            });
    assertThat(Files.size(segment)).as("nothing was truncated").isEqualTo(sizeBefore);
  }

  @Test
  void aDamagedRecordLengthBeforeTheTailIsDamageNotATornTail() throws IOException {
    Path dir = temp.resolve("length");
    long victim;
    try (Store store = open(dir)) {
      setUp(store);
      deposit(store, "k1", "1");
      deposit(store, "k2", "2");
      victim = positionOf((LogStore) store, 1);
    }
    Path segment = dir.resolve(String.format("%08d.log", LogFile.segmentOf(victim)));
    flip(segment, LogFile.offsetOf(victim) + 1);

    assertThatThrownBy(() -> open(dir))
        .isInstanceOf(LogCorruptedException.class)
        .hasMessageContaining("record header checksum mismatch")
        .hasMessageContaining("byte offset " + LogFile.offsetOf(victim));
  }

  @Test
  void aDamagedEarlierSegmentFailsTheOpen() throws IOException {
    Path dir = temp.resolve("early");
    try (Store store = open(dir)) {
      setUp(store);
      for (int i = 1; i <= 30; i++) {
        deposit(store, "k" + i, "1");
      }
    }
    List<Path> segments = segments(dir);
    assertThat(segments.size()).isGreaterThan(2);
    Path first = segments.get(0);
    try (FileChannel channel = FileChannel.open(first, StandardOpenOption.WRITE)) {
      channel.truncate(Files.size(first) - 5);
    }
    assertThatThrownBy(() -> open(dir))
        .isInstanceOf(LogCorruptedException.class)
        .hasMessageContaining(first.toString())
        .hasMessageContaining("before the end of the log");
  }

  @Test
  void aMissingSegmentFailsTheOpen() throws IOException {
    Path dir = temp.resolve("missing");
    try (Store store = open(dir)) {
      setUp(store);
      for (int i = 1; i <= 30; i++) {
        deposit(store, "k" + i, "1");
      }
    }
    Files.delete(segments(dir).get(1));
    assertThatThrownBy(() -> open(dir))
        .isInstanceOf(LogCorruptedException.class)
        .hasMessageContaining("segment 2 is missing");
  }

  @Test
  void aSecondStoreInTheSameProcessIsRefusedAtOnce() {
    Path dir = temp.resolve("locked");
    try (Store store = open(dir)) {
      assertThat(store.backend()).isEqualTo("log");
      assertThatThrownBy(() -> open(dir))
          .isInstanceOf(StoreException.class)
          .hasMessage(
              "the log store directory "
                  + dir.toAbsolutePath()
                  + " is already open in this process");
    }
    try (Store reopened = open(dir)) {
      assertThat(reopened.listBooks()).isEmpty();
    }
  }

  @Test
  void verifyFindsALoggedAmountChangedBehindTheStoresBack() throws IOException {
    Path dir = temp.resolve("tampered");
    try (Store store = open(dir)) {
      setUp(store);
      deposit(store, "k1", "1");
      deposit(store, "k2", "2");
      LogTampering.changePostingAmount(
          store, dir, BOOK, 1, 1, java.math.BigInteger.valueOf(100000001));
      VerifyResult result = store.verify(BOOK);
      assertThat(result.ok()).isFalse();
      assertThat(result.firstBadSeq()).isEqualTo(1);
      assertThat(result.reason()).isEqualTo("hash does not match the commit's content");
    }
  }

  private static void flip(Path file, long offset) throws IOException {
    try (FileChannel channel =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer one = ByteBuffer.allocate(1);
      channel.read(one, offset);
      one.put(0, (byte) (one.get(0) ^ 0x5A)).rewind();
      channel.write(one, offset);
    }
  }
}
