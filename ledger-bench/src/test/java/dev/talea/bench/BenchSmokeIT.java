package dev.talea.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.talea.store.StoreUrl;
import dev.talea.store.testing.PostgresTestDatabase;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Every scenario for a couple of seconds against real talead processes from the shaded jar: the
 * tool must report passing checks, and its result files must hold the exact counts it claims.
 */
class BenchSmokeIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String JAR = Path.of("..", "ledger-http", "target", "talead.jar").toString();

  @TempDir Path out;

  private int bench(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--talead-jar", JAR, "--out", out.toString(), "--server-jvm", "-Xmx256m"));
    CommandLine line = TaleaBench.commandLine();
    StringWriter text = new StringWriter();
    line.setOut(new PrintWriter(text));
    line.setErr(new PrintWriter(text));
    int code = line.execute(all.toArray(String[]::new));
    System.out.println(text);
    return code;
  }

  private List<JsonNode> results() throws IOException {
    List<JsonNode> results = new ArrayList<>();
    try (Stream<Path> files = Files.list(out)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
        results.add(JSON.readTree(file.toFile()));
      }
    }
    return results;
  }

  private static JsonNode only(List<JsonNode> results, String scenario) {
    List<JsonNode> matching =
        results.stream().filter(r -> r.get("scenario").asText().equals(scenario)).toList();
    assertThat(matching).as(scenario).hasSize(1);
    return matching.get(0);
  }

  private static void assertExactBooks(JsonNode result, int books) {
    JsonNode check = result.get("check");
    assertThat(check.get("ok").asBoolean()).as(result.toString()).isTrue();
    assertThat(check.get("unknown_outcomes").asLong()).isZero();
    assertThat(check.get("books")).hasSize(books);
    for (JsonNode book : check.get("books")) {
      assertThat(book.get("last_seq").asLong()).isPositive();
      assertThat(book.get("last_seq").asLong()).isEqualTo(book.get("acknowledged").asLong());
      assertThat(book.get("verify").get("ok").asBoolean()).isTrue();
      assertThat(book.get("verify").get("seq").asLong()).isEqualTo(book.get("last_seq").asLong());
    }
    assertThat(result.get("errors").size()).as(result.get("errors").toString()).isZero();
    assertThat(result.get("throughput_per_second").asDouble()).isPositive();
  }

  @Test
  void everyScenarioRunsAndChecksOutOnTheLogStore() throws IOException {
    int code =
        bench(
            "--scenario", "hot-book,many-books,batch,read-mix",
            "--store", "log",
            "--duration", "2s",
            "--warmup", "1s",
            "--clients", "8",
            "--books", "4",
            "--accounts", "20",
            "--batch-size", "50",
            "--read-share", "0.5");
    int fanoutCode =
        bench(
            "--scenario", "fanout",
            "--store", "log",
            "--duration", "2s",
            "--warmup", "1s",
            "--clients", "4",
            "--rate", "100",
            "--subscribers", "5",
            "--accounts", "20");

    assertThat(code).isZero();
    assertThat(fanoutCode).isZero();
    List<JsonNode> results = results();
    assertThat(results).hasSize(5);
    assertExactBooks(only(results, "hot-book"), 1);
    assertExactBooks(only(results, "many-books"), 4);
    assertExactBooks(only(results, "read-mix"), 1);
    JsonNode batch = only(results, "batch");
    assertExactBooks(batch, 1);
    assertThat(batch.get("check").get("books").get(0).get("last_seq").asLong() % 50).isZero();
    JsonNode readMix = only(results, "read-mix");
    assertThat(readMix.get("latency_ms").get("read").get("count").asLong()).isPositive();
    assertThat(readMix.get("latency_ms").get("post").get("count").asLong()).isPositive();
    JsonNode fanout = only(results, "fanout");
    assertExactBooks(fanout, 1);
    long last = fanout.get("fanout").get("last_seq").asLong();
    assertThat(fanout.get("fanout").get("min_received").asLong()).isEqualTo(last);
    assertThat(fanout.get("fanout").get("total_received").asLong()).isEqualTo(5 * last);
    assertThat(fanout.get("fanout").get("problems").size()).isZero();
    assertThat(fanout.get("latency_ms").get("delivery").get("count").asLong()).isPositive();
    assertThat(fanout.get("rate_per_second").asDouble()).isEqualTo(100.0);
    JsonNode hot = only(results, "hot-book");
    assertThat(hot.get("heap_after_gc_bytes").size()).isPositive();
    // The timeline: one entry per second of the 2 s window, adding up to the throughput's count,
    // and the window's start after talead's process start (which came before the 1 s warm-up).
    JsonNode perSecond = hot.get("per_second");
    assertThat(perSecond.size()).isEqualTo(2);
    long sum = perSecond.get(0).asLong() + perSecond.get(1).asLong();
    assertThat(sum / 2.0).isEqualTo(hot.get("throughput_per_second").asDouble(), within(0.05));
    assertThat(hot.get("measured_from_seconds_after_start").asDouble()).isGreaterThan(1.0);
  }

  @Test
  void theBaselineRunsWithoutGroupCommitOnPostgres() throws IOException {
    int code;
    try (PostgresTestDatabase server = PostgresTestDatabase.create()) {
      code =
          bench(
              "--scenario",
              "hot-book",
              "--store",
              "postgres",
              "--postgres",
              libpq(server.url()),
              "--baseline",
              "--duration",
              "2s",
              "--warmup",
              "1s",
              "--clients",
              "8",
              "--accounts",
              "20");
    }

    assertThat(code).isZero();
    List<JsonNode> results = results();
    assertThat(results).hasSize(2);
    assertThat(results.stream().map(r -> r.get("write_batch_max").asText()))
        .containsExactlyInAnyOrder("null", "1");
    assertThat(
            results.stream().map(r -> r.get("server_env").path("TALEA_WRITE_BATCH_MAX").asText()))
        .containsExactlyInAnyOrder("", "1");
    for (JsonNode result : results) {
      assertThat(result.get("backend").asText()).isEqualTo("postgres");
      assertExactBooks(result, 1);
    }
  }

  @Test
  void aTwoNodeClusterRunSpreadsTheLoadAndOneNodeWritesTheBook() throws IOException {
    int code;
    try (PostgresTestDatabase server = PostgresTestDatabase.create()) {
      code =
          bench(
              "--scenario", "hot-book",
              "--store", "postgres",
              "--postgres", libpq(server.url()),
              "--cluster", "2",
              "--duration", "2s",
              "--warmup", "2s",
              "--clients", "8",
              "--accounts", "20");
    }
    assertThat(code).isZero();
    JsonNode result = results().get(0);
    assertThat(result.get("instances").asInt()).isEqualTo(2);
    assertThat(result.get("cluster").asBoolean()).isTrue();
    assertExactBooks(result, 1);
    // The book has one writer: every draft of the window was committed by one of the two.
    JsonNode perInstance = result.get("group_commits").get("drafts_per_instance");
    assertThat(perInstance).hasSize(2);
    long drafts = result.get("group_commits").get("drafts").asLong();
    assertThat(drafts).isPositive();
    assertThat(List.of(perInstance.get(0).asLong(), perInstance.get(1).asLong()))
        .containsExactlyInAnyOrder(drafts, 0L);
  }

  /** The test database as a libpq URL, which the bench creates its own databases beside. */
  private static String libpq(StoreUrl.Postgres url) {
    String hostAndDb = url.jdbcUrl().substring("jdbc:postgresql://".length());
    String credentials =
        url.user() == null
            ? ""
            : URLEncoder.encode(url.user(), StandardCharsets.UTF_8)
                + (url.password() == null
                    ? ""
                    : ":" + URLEncoder.encode(url.password(), StandardCharsets.UTF_8))
                + "@";
    return "postgres://" + credentials + hostAndDb;
  }

  @Test
  void badUsageExitsTwoAndNamesTheProblem() {
    assertThat(bench("--scenario", "everything")).isEqualTo(2);
    assertThat(bench("--target", "http://127.0.0.1:1", "--token", "t", "--baseline")).isEqualTo(2);
    assertThat(bench("--rate", "fast")).isEqualTo(2);
    assertThat(bench("--cluster", "2", "--store", "log")).isEqualTo(2);
    assertThat(bench("--cluster", "2", "--instances", "2", "--store", "postgres")).isEqualTo(2);
  }
}
