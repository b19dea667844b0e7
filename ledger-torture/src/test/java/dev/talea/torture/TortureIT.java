package dev.talea.torture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The short runs of talea-torture that {@code ./mvnw verify} makes: about forty seconds per store
 * with every fault the store has, each of which must keep every rule; and one run against a talead
 * broken on purpose (its SQL reads without snapshots), which the checker must catch. The long runs
 * are a command of their own (docs/reliability.md).
 */
class TortureIT {

  private static final String JAR = Path.of("..", "ledger-http", "target", "talead.jar").toString();

  private record Result(int exit, String output) {}

  private static Result torture(String... args) {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--talead-jar", JAR));
    if (!all.contains("--server-jvm")) {
      all.addAll(List.of("--server-jvm", "-Xmx384m"));
    }
    int exit = TaleaTorture.run(out, out, all.toArray(String[]::new));
    String output = buffer.toString(StandardCharsets.UTF_8);
    System.out.println(output);
    return new Result(exit, output);
  }

  private static void assertClean(Result result, String... faults) {
    assertThat(result.exit()).as(result.output()).isZero();
    assertThat(result.output()).contains("OK: every rule held");
    for (String fault : faults) {
      assertThat(result.output())
          .as("a %s fault was injected", fault)
          .containsPattern(fault + "=[1-9]");
    }
  }

  @Test
  void theLogStoreKeepsEveryRuleThroughKillsAndPauses() {
    Result result =
        torture("--store", "log", "--duration", "40s", "--seed", "11", "--faults", "kill,pause");
    assertClean(result, "kill", "pause");
    // The kills wait for a thread inside fdatasync: the log store dies in the middle of one.
    assertThat(result.output()).containsPattern("kills that landed during an fsync: [1-9]");
  }

  @Test
  void sqliteKeepsEveryRuleThroughKillsAndPauses() {
    assertClean(
        torture("--store", "sqlite", "--duration", "40s", "--seed", "12", "--faults", "kill,pause"),
        "kill",
        "pause");
  }

  @Test
  void postgresKeepsEveryRuleThroughEveryFault() {
    assertClean(
        torture("--store", "postgres", "--duration", "40s", "--seed", "13"),
        "kill",
        "pause",
        "postgres",
        "listen");
  }

  @Test
  void aClusterNeedsPostgres() {
    Result result = torture("--store", "log", "--cluster", "3", "--duration", "5s");
    assertThat(result.exit()).isEqualTo(2);
    assertThat(result.output()).contains("--cluster takes 2-9 nodes and needs --store postgres");
  }

  @Test
  void theCheckerCatchesATaleadWhoseReadsSkipTheirSnapshots() {
    Result result =
        torture(
            "--store", "postgres",
            "--duration", "20s",
            "--seed", "3",
            "--books", "1",
            "--clients", "8",
            "--faults", "none",
            "--server-jvm", "-Xmx384m -Dtalea.unsafe.skip-read-snapshots=true");
    assertThat(result.exit()).as(result.output()).isEqualTo(1);
    assertThat(result.output())
        .contains("VIOLATIONS")
        .containsPattern("reads are one state|verify is ok");
  }
}
