package dev.talea.store.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.talea.protocol.Transaction;
import dev.talea.protocol.VerifyResult;
import dev.talea.store.Store;
import dev.talea.store.StoreException;
import dev.talea.store.StoreSettings;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The log store in a child JVM, killed with SIGKILL: nothing acknowledged is ever lost. */
class LogCrashTest {

  private static final int ROUNDS = 20;
  private static final long SEGMENT_BYTES = 256 * 1024;

  @TempDir Path temp;

  @Test
  void everyAcknowledgedCommitSurvivesASigkillAtARandomMoment() throws Exception {
    Path dir = temp.resolve("log");
    Random random = new Random(20261121L);
    Map<String, Long> acknowledged = new HashMap<>();
    int totalAcks = 0;
    for (int round = 1; round <= ROUNDS; round++) {
      Process child =
          start("commit", dir.toString(), String.valueOf(SEGMENT_BYTES), String.valueOf(round));
      List<String> lines = new CopyOnWriteArrayList<>();
      Thread reader = readLines(child, lines);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (lines.isEmpty() && child.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(lines).as("round %d: the child acknowledged commits", round).isNotEmpty();
      Thread.sleep(random.nextInt(20, 400));
      child.destroyForcibly();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      reader.join(10_000);

      for (String line : lines) {
        String[] parts = line.split(" ");
        if (parts.length == 4 && parts[0].equals("ACK")) {
          acknowledged.put(parts[1] + " " + parts[3], Long.parseLong(parts[2]));
          totalAcks++;
        }
      }
      try (Store store = LogStores.open(dir, StoreSettings.defaults(), SEGMENT_BYTES)) {
        for (Map.Entry<String, Long> ack : acknowledged.entrySet()) {
          String[] bookAndKey = ack.getKey().split(" ");
          Transaction tx = store.findTransactionByKey(bookAndKey[0], bookAndKey[1]).orElse(null);
          assertThat(tx).as("round %d: acknowledged %s", round, ack.getKey()).isNotNull();
          assertThat(tx.seq()).isEqualTo(ack.getValue());
        }
        for (String book : LogCrashChild.BOOKS) {
          VerifyResult result = store.verify(book);
          assertThat(result.ok())
              .as("round %d, book %s: %s", round, book, result.reason())
              .isTrue();
          assertThat(store.readCommits(book, 1, 1000).get(0).seq()).isEqualTo(1);
        }
      }
    }
    assertThat(totalAcks).isGreaterThan(ROUNDS * 10);
  }

  @Test
  void aSecondProcessIsRefusedAtOnceNamingTheDirectoryAndTheHolder() throws Exception {
    Path dir = temp.resolve("held");
    Process holder = start("hold", dir.toString());
    try {
      List<String> lines = new CopyOnWriteArrayList<>();
      Thread reader = readLines(holder, lines);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!lines.contains("LOCKED") && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(lines).contains("LOCKED");
      long started = System.nanoTime();
      assertThatThrownBy(() -> LogStores.open(dir, StoreSettings.defaults(), 1 << 20))
          .isInstanceOf(StoreException.class)
          .hasMessageStartingWith(
              "the log store directory " + dir.toAbsolutePath() + " is in use by another process")
          .hasMessageContaining("pid " + holder.pid() + " on ")
          .hasMessageEndingWith("; only one process may open it");
      assertThat(System.nanoTime() - started).isLessThan(TimeUnit.SECONDS.toNanos(5));
      holder.destroyForcibly();
      holder.waitFor(30, TimeUnit.SECONDS);
      reader.join(10_000);
    } finally {
      holder.destroyForcibly();
    }
    // The OS released the lock with the process.
    try (Store store = LogStores.open(dir, StoreSettings.defaults(), 1 << 20)) {
      assertThat(store.listBooks()).isEmpty();
    }
  }

  private static Process start(String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx128m");
    command.add("-XX:+UseSerialGC");
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(LogCrashChild.class.getName());
    command.addAll(List.of(args));
    return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
  }

  private static Thread readLines(Process process, List<String> lines) {
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                  lines.add(line);
                }
              } catch (IOException e) {
                // The process died; what it printed before is in the list.
              }
            });
    reader.setDaemon(true);
    reader.start();
    return reader;
  }
}
