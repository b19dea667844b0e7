package dev.talea.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.talea.http.ServerHarness.Reply;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Prometheus endpoint (contract §9) of one real server with {@code TALEA_METRICS_BIND}: a known
 * mix of traffic — writes, reads, errors, a request shed at the admission limit, open live tails —
 * and then the exact values of every talea series in a scrape, the scrape passing {@code promtool
 * check metrics}, routes labelled by their template and never by the names in a path, and no
 * metrics on the API listener. Kamon is one per JVM, so every metrics assertion lives in this
 * class, against the one scrape taken once the traffic shows in it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetricsTest {

  private static final int LIMIT = 2;
  private static final String BOOK = "zeta-ledger-7";
  private static final String CASH = "assets:vault-omega";
  private static final String CAPITAL = "equity:founder-kappa";
  private static final String MISSING = "assets:missing-sigma";
  private static final String ASSET = "QUUXCOIN";

  /** Every name the traffic put in a path or a body: none may show up as a label value. */
  private static final List<String> NAMES =
      List.of(BOOK, CASH, CAPITAL, MISSING, ASSET, "vault-omega", "zeta-unmatched-path");

  private static final String ACCOUNT = "/v1/books/{book}/accounts/{account}";
  private static final String BALANCES = "/v1/books/{book}/accounts/{account}/balances";

  private static final int POSTS = 5;
  private static final int TAILS_OPENED = 3;
  private static final int TAILS_OPEN = 2;

  @TempDir static Path temp;

  private ServerHarness server;
  private final HttpClient client = LiveTailTest.newClient();
  private URI metricsUri;
  private final List<LiveTailTest.Sse> tails = new ArrayList<>();
  private Reply metricsOnApiPort;
  private Reply shed;
  private double inFlightWhileHeld;
  private double subscribersBeforeClose;
  private String scrape;
  private Map<List<String>, Double> expectedRequests;

  @BeforeAll
  void driveTrafficAndScrape() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    metricsUri = URI.create("http://127.0.0.1:" + port + "/metrics");
    // A short keepalive: the server notices a closed live tail at its next write.
    server =
        LiveTailTest.startWithKeepalive(
            "log:" + temp.resolve("log"),
            Map.of(
                "TALEA_METRICS_BIND",
                "127.0.0.1:" + port,
                "TALEA_MAX_INFLIGHT",
                String.valueOf(LIMIT)));

    Map<List<String>, Double> expected = new LinkedHashMap<>();
    expect(
        expected,
        "/v1/assets",
        server.post("/v1/assets", "{\"code\":\"" + ASSET + "\",\"decimals\":2}"),
        201);
    expect(expected, ACCOUNT, server.put(account(CASH), "{\"kind\":\"asset\"}"), 201);
    expect(expected, ACCOUNT, server.put(account(CAPITAL), "{\"kind\":\"equity\"}"), 201);

    for (int i = 0; i < TAILS_OPENED; i++) {
      LiveTailTest.Sse tail =
          LiveTailTest.Sse.open(
              server.uri("/v1/books/" + BOOK + "/events?from_seq=1"), ServerHarness.ADMIN_TOKEN);
      tails.add(tail);
      assertThat(tail.awaitStatus()).isEqualTo(200);
      count(expected, "GET", "/v1/books/{book}/events", 200);
    }

    // Posts one at a time, so that each is a group commit of its own.
    JsonNode first = null;
    for (int i = 1; i <= POSTS - LIMIT; i++) {
      Reply post = server.post("/v1/books/" + BOOK + "/transactions", draft("metrics-" + i));
      expect(expected, "/v1/books/{book}/transactions", post, 201);
      first = first == null ? post.json() : first;
    }

    // Two posts held in flight fill the admission limit: the next request is shed.
    awaitIdle();
    List<AdmissionTest.HeldPost> held = new ArrayList<>();
    try {
      for (int i = POSTS - LIMIT + 1; i <= POSTS; i++) {
        AdmissionTest.HeldPost post =
            AdmissionTest.HeldPost.start(
                server,
                "/v1/books/" + BOOK + "/transactions",
                ServerHarness.ADMIN_TOKEN,
                draft("metrics-" + i));
        held.add(post);
        post.awaitAdmitted(held.size());
      }
      shed = server.get("/health", null);
      count(expected, "GET", "/health", shed.status());
      inFlightWhileHeld = awaitGauge("talea_http_requests_in_flight", LIMIT);
      for (AdmissionTest.HeldPost post : held) {
        AdmissionTest.RawResponse response = post.finish();
        assertThat(response.status()).as(response.body()).isEqualTo(201);
        count(expected, "POST", "/v1/books/{book}/transactions", 201);
      }
    } finally {
      held.forEach(AdmissionTest.HeldPost::close);
    }
    awaitIdle();

    expect(expected, BALANCES, server.get(account(CASH) + "/balances"), 200);
    expect(expected, BALANCES, server.get(account(CAPITAL) + "/balances"), 200);
    expect(
        expected,
        "/v1/transactions/{tx_id}",
        server.get("/v1/transactions/" + first.get("tx_id").asText()),
        200);
    expect(expected, ACCOUNT, server.get(account(MISSING)), 404);
    expect(expected, "unmatched", server.get("/v1/zeta-unmatched-path"), 404);
    expect(expected, "/health", server.get("/health", null), 200);
    metricsOnApiPort = server.get("/metrics", null);
    count(expected, "GET", "unmatched", metricsOnApiPort.status());
    expectedRequests = expected;

    for (LiveTailTest.Sse tail : tails) {
      assertThat(LiveTailTest.seqs(tail.awaitEvents(POSTS)))
          .isEqualTo(LiveTailTest.range(1, POSTS));
    }
    subscribersBeforeClose = awaitGauge("talea_sse_subscribers", TAILS_OPENED);
    tails.get(0).close();

    // The reporter ticks every second: wait for a scrape that shows all of it.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    do {
      scrape = scrape();
      if (settled(Scrape.parse(scrape))) {
        break;
      }
      Thread.sleep(100);
    } while (System.nanoTime() < deadline);
  }

  @AfterAll
  void stop() {
    tails.forEach(LiveTailTest.Sse::close);
    if (server != null) {
      server.close();
    }
  }

  /** Polls the scrape until the unlabelled gauge shows {@code value}; returns the last reading. */
  private double awaitGauge(String name, double value) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    double reading;
    do {
      reading = Scrape.parse(scrape()).value(name).orElse(Double.NaN);
      if (reading == value) {
        break;
      }
      Thread.sleep(100);
    } while (System.nanoTime() < deadline);
    return reading;
  }

  private boolean settled(Scrape metrics) {
    return requests(metrics).equals(expectedRequests)
        && metrics.value("talea_sse_subscribers").orElse(-1.0) == TAILS_OPEN
        && metrics.value("talea_http_requests_in_flight").orElse(-1.0) == 0
        && metrics.value("talea_commit_batch_size_count").orElse(-1.0) == POSTS
        && metrics.value("talea_admission_shed_total").orElse(-1.0) == 1;
  }

  // ---- the scrape as a whole --------------------------------------------------------------------

  @Test
  void theScrapePassesPromtoolCheckMetrics() throws Exception {
    Path promtool = promtool();
    Process process =
        new ProcessBuilder(promtool.toString(), "check", "metrics")
            .redirectErrorStream(true)
            .start();
    try (OutputStream stdin = process.getOutputStream()) {
      stdin.write(scrape.getBytes(StandardCharsets.UTF_8));
    }
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    try (InputStream out = process.getInputStream()) {
      out.transferTo(output);
    }
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("promtool finished").isTrue();
    String text = output.toString(StandardCharsets.UTF_8);
    assertThat(text).as("promtool check metrics said, on:%n%s", scrape).isEmpty();
    assertThat(process.exitValue()).as("promtool exit code; it said: %s", text).isZero();
  }

  @Test
  void noLabelValueNamesABookAnAccountOrAnAsset() {
    for (Scrape.Sample sample : Scrape.parse(scrape).samples()) {
      for (Map.Entry<String, String> label : sample.labels().entrySet()) {
        for (String name : NAMES) {
          assertThat(label.getValue())
              .as("label %s of %s", label.getKey(), sample.name())
              .doesNotContain(name);
        }
      }
    }
    assertThat(scrape).doesNotContain(BOOK).doesNotContain(ServerHarness.ADMIN_TOKEN);
  }

  @Test
  void theMetricsAreNotOnTheApiListener() {
    assertThat(metricsOnApiPort.status()).isEqualTo(404);
    assertThat(metricsOnApiPort.error()).isEqualTo("not_found");
    assertThat(metricsOnApiPort.body()).doesNotContain("talea_");
  }

  // ---- each series ------------------------------------------------------------------------------

  @Test
  void requestsAreCountedByMethodRouteTemplateAndStatus() {
    Map<List<String>, Double> requests = requests(Scrape.parse(scrape));
    assertThat(requests).isEqualTo(expectedRequests);
    assertThat(requests)
        .containsEntry(List.of("POST", "/v1/books/{book}/transactions", "201"), (double) POSTS)
        .containsEntry(List.of("GET", "/v1/books/{book}/events", "200"), (double) TAILS_OPENED)
        .containsEntry(List.of("GET", "/v1/books/{book}/accounts/{account}", "404"), 1.0)
        .containsEntry(List.of("GET", "unmatched", "404"), 2.0)
        .containsEntry(List.of("GET", "/health", "503"), 1.0);
    assertThat(Scrape.parse(scrape).type("talea_http_requests_total")).isEqualTo("counter");
  }

  @Test
  void requestDurationsAreAHistogramInSecondsByMethodAndRoute() {
    Scrape metrics = Scrape.parse(scrape);
    assertThat(metrics.type("talea_http_request_duration_seconds")).isEqualTo("histogram");
    Map<List<String>, Double> byRoute = new TreeMap<>(Scrape::compareKeys);
    expectedRequests.forEach(
        (key, count) -> byRoute.merge(List.of(key.get(0), key.get(1)), count, Double::sum));
    assertThat(metrics.series("talea_http_request_duration_seconds_count", "method", "route"))
        .isEqualTo(byRoute);
    byRoute.forEach(
        (key, count) ->
            assertHistogram(
                metrics,
                "talea_http_request_duration_seconds",
                Map.of("method", key.get(0), "route", key.get(1)),
                count));
  }

  @Test
  void groupCommitsAreAHistogramOfTheirDraftCount() {
    Scrape metrics = Scrape.parse(scrape);
    assertThat(metrics.type("talea_commit_batch_size")).isEqualTo("histogram");
    assertHistogram(metrics, "talea_commit_batch_size", Map.of(), POSTS);
    assertThat(metrics.value("talea_commit_batch_size_sum")).contains((double) POSTS);
    assertThat(metrics.series("talea_store_commit_failures_total"))
        .isEqualTo(Map.of(List.of(), 0.0));
    // Every commit held one draft: all of them are in the smallest bucket.
    Map<String, Double> buckets = metrics.buckets("talea_commit_batch_size", Map.of());
    assertThat(buckets.keySet())
        .containsExactly(
            "1.0", "2.0", "4.0", "8.0", "16.0", "32.0", "64.0", "128.0", "256.0", "512.0", "1000.0",
            "+Inf");
    assertThat(buckets.values()).containsOnly((double) POSTS);
  }

  @Test
  void storeCommitTimeIsAHistogramInSecondsWithOneObservationPerGroupCommit() {
    Scrape metrics = Scrape.parse(scrape);
    assertThat(metrics.type("talea_store_commit_duration_seconds")).isEqualTo("histogram");
    assertHistogram(metrics, "talea_store_commit_duration_seconds", Map.of(), POSTS);
  }

  @Test
  void theWriteQueueGaugesAreZeroWhenNothingWaits() {
    Scrape metrics = Scrape.parse(scrape);
    assertThat(metrics.type("talea_write_queue_depth")).isEqualTo("gauge");
    assertThat(metrics.type("talea_write_queue_depth_max")).isEqualTo("gauge");
    assertThat(metrics.series("talea_write_queue_depth")).isEqualTo(Map.of(List.of(), 0.0));
    assertThat(metrics.series("talea_write_queue_depth_max")).isEqualTo(Map.of(List.of(), 0.0));
  }

  @Test
  void theShedRequestIsCountedAndWasAnswered503() {
    assertThat(shed.status()).as(shed.body()).isEqualTo(503);
    assertThat(shed.error()).isEqualTo("overloaded");
    Scrape metrics = Scrape.parse(scrape);
    assertThat(metrics.type("talea_admission_shed_total")).isEqualTo("counter");
    assertThat(metrics.series("talea_admission_shed_total")).isEqualTo(Map.of(List.of(), 1.0));
  }

  @Test
  void inFlightAndTheLimitAreGauges() {
    Scrape metrics = Scrape.parse(scrape);
    assertThat(metrics.type("talea_http_requests_in_flight")).isEqualTo("gauge");
    assertThat(metrics.type("talea_http_requests_limit")).isEqualTo("gauge");
    // While the two posts were held, both slots were in flight.
    assertThat(inFlightWhileHeld).isEqualTo(LIMIT);
    // Open live tails hold no admission slot: nothing is in flight now.
    assertThat(metrics.series("talea_http_requests_in_flight")).isEqualTo(Map.of(List.of(), 0.0));
    assertThat(metrics.series("talea_http_requests_limit"))
        .isEqualTo(Map.of(List.of(), (double) LIMIT));
  }

  @Test
  void sseSubscribersIsTheNumberOfOpenLiveTails() {
    assertThat(subscribersBeforeClose).isEqualTo(TAILS_OPENED);
    Scrape metrics = Scrape.parse(scrape);
    assertThat(metrics.type("talea_sse_subscribers")).isEqualTo("gauge");
    assertThat(metrics.series("talea_sse_subscribers"))
        .isEqualTo(Map.of(List.of(), (double) TAILS_OPEN));
  }

  @Test
  void theHeapIsReportedInBytes() {
    Scrape metrics = Scrape.parse(scrape);
    for (String name :
        List.of(
            "talea_jvm_heap_used_bytes",
            "talea_jvm_heap_after_gc_bytes",
            "talea_jvm_heap_max_bytes")) {
      assertThat(metrics.type(name)).as(name).isEqualTo("gauge");
    }
    // The server runs in this JVM: its limit is this heap's limit.
    double max = metrics.series("talea_jvm_heap_max_bytes").get(List.of());
    assertThat(max)
        .isEqualTo((double) ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getMax());
    assertThat(metrics.series("talea_jvm_heap_used_bytes").get(List.of()))
        .isPositive()
        .isLessThanOrEqualTo(max);
    assertThat(metrics.series("talea_jvm_heap_after_gc_bytes").get(List.of()))
        .isGreaterThanOrEqualTo(0.0)
        .isLessThanOrEqualTo(max);
  }

  @Test
  void backendInfoNamesTheStore() {
    Scrape metrics = Scrape.parse(scrape);
    assertThat(metrics.type("talea_backend_info")).isEqualTo("gauge");
    assertThat(metrics.series("talea_backend_info", "backend"))
        .isEqualTo(Map.of(List.of("log"), 1.0));
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private static void assertHistogram(
      Scrape metrics, String name, Map<String, String> labels, double count) {
    Map<String, Double> buckets = metrics.buckets(name, labels);
    assertThat(buckets).as("%s%s buckets", name, labels).isNotEmpty();
    assertThat(buckets).containsKey("+Inf");
    double previous = 0;
    for (Map.Entry<String, Double> bucket : buckets.entrySet()) {
      assertThat(bucket.getValue())
          .as("%s%s le=%s is cumulative", name, labels, bucket.getKey())
          .isGreaterThanOrEqualTo(previous);
      previous = bucket.getValue();
    }
    assertThat(buckets.get("+Inf")).as("%s%s le=+Inf", name, labels).isEqualTo(count);
    assertThat(metrics.sample(name + "_count", labels))
        .as("%s%s _count", name, labels)
        .contains(count);
    Optional<Double> sum = metrics.sample(name + "_sum", labels);
    assertThat(sum).as("%s%s _sum", name, labels).isPresent();
    assertThat(sum.get()).as("%s%s _sum", name, labels).isGreaterThan(0.0);
  }

  private static Map<List<String>, Double> requests(Scrape metrics) {
    return metrics.series("talea_http_requests_total", "method", "route", "status");
  }

  private static String account(String account) {
    return "/v1/books/" + BOOK + "/accounts/" + account;
  }

  private static String draft(String key) {
    return "{\"idempotency_key\":\""
        + key
        + "\",\"postings\":["
        + "{\"account\":\""
        + CASH
        + "\",\"asset\":\""
        + ASSET
        + "\",\"debit\":\"1\"},"
        + "{\"account\":\""
        + CAPITAL
        + "\",\"asset\":\""
        + ASSET
        + "\",\"credit\":\"1\"}]}";
  }

  /** Counts a request the harness made, by its method, route template and the status it got. */
  private static void expect(
      Map<List<String>, Double> expected, String route, Reply reply, int status) {
    assertThat(reply.status()).as(reply.body()).isEqualTo(status);
    count(expected, reply.raw().request().method(), route, reply.status());
  }

  private static void count(
      Map<List<String>, Double> expected, String method, String route, int status) {
    expected.merge(List.of(method, route, String.valueOf(status)), 1.0, Double::sum);
  }

  private String scrape() throws IOException, InterruptedException {
    HttpResponse<String> response =
        client.send(
            HttpRequest.newBuilder(metricsUri).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    assertThat(response.statusCode()).isEqualTo(200);
    return response.body();
  }

  /** {@code promtool} on the PATH; a test that needs it fails (never skips) without it. */
  private static Path promtool() {
    String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, "promtool");
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return fail(
        "promtool (Prometheus's linter) is not on the PATH. Install the Debian package"
            + " `prometheus` (apt-get install prometheus), which provides /usr/bin/promtool.");
  }

  /** A Prometheus text exposition, parsed. */
  record Scrape(List<Sample> samples, Map<String, String> types) {

    record Sample(String name, Map<String, String> labels, double value) {}

    static Scrape parse(String text) {
      List<Sample> samples = new ArrayList<>();
      Map<String, String> types = new LinkedHashMap<>();
      for (String line : text.split("\n")) {
        if (line.isBlank()) {
          continue;
        }
        if (line.startsWith("#")) {
          String[] parts = line.split(" ", 4);
          if (parts.length >= 4 && parts[1].equals("TYPE")) {
            types.put(parts[2], parts[3].trim());
          }
          continue;
        }
        samples.add(sample(line));
      }
      return new Scrape(samples, types);
    }

    private static Sample sample(String line) {
      int brace = line.indexOf('{');
      int space = line.indexOf(' ');
      Map<String, String> labels = new TreeMap<>();
      String name;
      String rest;
      if (brace >= 0 && brace < space) {
        name = line.substring(0, brace);
        int i = brace + 1;
        while (line.charAt(i) != '}') {
          int eq = line.indexOf('=', i);
          String label = line.substring(i, eq).trim();
          StringBuilder value = new StringBuilder();
          int j = eq + 2; // past ="
          while (line.charAt(j) != '"') {
            char c = line.charAt(j);
            if (c == '\\') {
              char next = line.charAt(++j);
              value.append(next == 'n' ? '\n' : next);
            } else {
              value.append(c);
            }
            j++;
          }
          labels.put(label, value.toString());
          i = j + 1;
          if (line.charAt(i) == ',') {
            i++;
          }
        }
        rest = line.substring(i + 1).trim();
      } else {
        name = line.substring(0, space);
        rest = line.substring(space + 1).trim();
      }
      String value = rest.split(" ")[0];
      return new Sample(name, labels, parseValue(value));
    }

    private static double parseValue(String value) {
      return switch (value) {
        case "+Inf" -> Double.POSITIVE_INFINITY;
        case "-Inf" -> Double.NEGATIVE_INFINITY;
        case "NaN" -> Double.NaN;
        default -> Double.parseDouble(value);
      };
    }

    String type(String family) {
      return types.get(family);
    }

    /**
     * The series of a metric keyed by the values of the given labels (by default all its labels, in
     * name order); fails if a series has other labels.
     */
    Map<List<String>, Double> series(String name, String... labelNames) {
      Map<List<String>, Double> series = new TreeMap<>(Scrape::compareKeys);
      for (Sample sample : samples) {
        if (!sample.name().equals(name)) {
          continue;
        }
        List<String> names =
            labelNames.length == 0
                ? new ArrayList<>(sample.labels().keySet())
                : List.of(labelNames);
        assertThat(sample.labels().keySet())
            .as("labels of %s", name)
            .containsExactlyInAnyOrderElementsOf(names);
        List<String> key = names.stream().map(sample.labels()::get).toList();
        assertThat(series.put(key, sample.value())).as("one %s%s", name, key).isNull();
      }
      return series;
    }

    /** The value of a metric with no labels. */
    Optional<Double> value(String name) {
      return sample(name, Map.of());
    }

    Optional<Double> sample(String name, Map<String, String> labels) {
      return samples.stream()
          .filter(s -> s.name().equals(name) && s.labels().equals(labels))
          .map(Sample::value)
          .findFirst();
    }

    /** A histogram's buckets in exposition order, {@code le} to cumulative count. */
    Map<String, Double> buckets(String name, Map<String, String> labels) {
      return samples.stream()
          .filter(s -> s.name().equals(name + "_bucket"))
          .filter(
              s -> {
                Map<String, String> rest = new TreeMap<>(s.labels());
                rest.remove("le");
                return rest.equals(labels);
              })
          .collect(
              Collectors.toMap(
                  s -> s.labels().get("le"),
                  Sample::value,
                  (a, b) -> {
                    throw new AssertionError("a bucket twice in " + name + labels);
                  },
                  LinkedHashMap::new));
    }

    static int compareKeys(List<String> a, List<String> b) {
      return String.join("\u0000", a).compareTo(String.join("\u0000", b));
    }
  }

  /**
   * Waits until no request holds an admission slot: a slot is given back a few microseconds after
   * its response, once the admission queue has processed the release.
   */
  private void awaitIdle() {
    LiveTailTest.await(
        "every admission slot to be free",
        Duration.ofSeconds(2),
        () -> server.server().requestsInFlight() == 0);
  }
}
