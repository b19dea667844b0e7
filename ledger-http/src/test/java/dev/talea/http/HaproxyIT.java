package dev.talea.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.talea.client.RetryPolicy;
import dev.talea.client.TaleaClient;
import dev.talea.http.LiveTailTest.Sse;
import dev.talea.protocol.DraftPosting;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionDraft;
import dev.talea.protocol.json.Json;
import dev.talea.store.testing.PostgresTestDatabase;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped {@code deploy/haproxy/haproxy.cfg}, run by the real HAProxy (Debian's {@code
 * haproxy}, which {@code bin/test} installs) on random ports with a TLS certificate this test
 * makes, in front of two talead processes on one Postgres database — the deployment users run. The
 * tests run in order, on the same instances: health checks, a drain under load with a live tail
 * idle through every HAProxy timeout, a restart, and a kill -9 under load.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HaproxyIT {

  private static final Path CONFIG = Path.of("..", "deploy", "haproxy", "haproxy.cfg");
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String BTC = "BTC";

  /**
   * Longer than HAProxy's longest inactivity timeout in the shipped config ({@code timeout client}
   * and {@code timeout server}, 30s), which a quiet live tail must outlive.
   */
  private static final Duration IDLE = Duration.ofSeconds(35);

  @TempDir static Path work;

  private PostgresTestDatabase db;
  private String dbUrl;
  private final TaleadProcess[] instances = new TaleadProcess[2];
  private final int[] ports = {TaleadProcess.freePort(), TaleadProcess.freePort()};
  private final int[] metricsPorts = {TaleadProcess.freePort(), TaleadProcess.freePort()};
  private Process haproxy;
  private Path haproxyLog;
  private int lbPort;
  private int statsPort;
  private SSLContext tls;
  private HttpClient https;

  /** For HAProxy's stats page and the instances' metrics, polled while waiting. */
  private final HttpClient plain =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  void start() throws Exception {
    if (!Files.isExecutable(Path.of("/usr/sbin/haproxy"))) {
      fail("haproxy is not installed (Debian package haproxy); bin/test installs it");
    }
    db = PostgresTestDatabase.create();
    dbUrl = EndToEndTest.jdbcUrlWithCredentials(db.url());
    // One after the other: the first migrates the schema.
    instances[0] = startInstance(0);
    instances[1] = startInstance(1);
    tls = certificate();
    https =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .sslContext(tls)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    startHaproxy();
    HttpResponse<String> btc =
        send("POST", "/v1/assets", "{\"code\":\"BTC\",\"decimals\":8}", null);
    assertThat(btc.statusCode()).as(btc.body()).isEqualTo(201);
  }

  @AfterAll
  void stop() {
    try {
      if (haproxy != null) {
        haproxy.destroy();
      }
      for (TaleadProcess instance : instances) {
        if (instance != null) {
          instance.close();
        }
      }
    } finally {
      if (db != null) {
        db.close();
      }
    }
  }

  // ---- health ---------------------------------------------------------------------------------

  @Test
  @Order(1)
  void bothInstancesTurnUpWithTheShippedHealthCheckAndHttp10HealthIs200ThroughAndAround()
      throws Exception {
    awaitStatus("talead-1", "UP");
    awaitStatus("talead-2", "UP");
    assertThat(statusLine(tlsSocket(), "GET /health HTTP/1.0\r\n\r\n")).endsWith(" 200 OK");
    for (TaleadProcess instance : instances) {
      Socket plain = new Socket();
      plain.connect(new InetSocketAddress("127.0.0.1", instance.port()), 5_000);
      assertThat(statusLine(plain, "GET /health HTTP/1.0\r\n\r\n")).endsWith(" 200 OK");
    }
  }

  // ---- drain under load -----------------------------------------------------------------------

  @Test
  @Order(2)
  void sigtermUnderLoadTakesTheInstanceOutOfRotationBeforeItStopsListeningAndLosesNothing()
      throws Exception {
    openBook("load");
    openBook("quiet");
    post("quiet", "quiet-1");
    // A live tail through HAProxy on a book nothing else writes to: it carries only keepalives.
    Sse tail =
        Sse.open(
            tls.getSocketFactory(),
            URI.create(lb("/v1/books/quiet/events?from_seq=1")),
            token(),
            0);
    try {
      assertThat(tail.awaitStatus()).isEqualTo(200);
      assertThat(tail.awaitEvents(1)).extracting(Sse.Event::id).containsExactly("1");
      int tailed = awaitInstanceWithTheTail();
      String server = "talead-" + (tailed + 1);

      Load load = Load.start(this, "load", 4);
      try {
        load.awaitAcknowledged(50);
        // The tail stays open, quiet, past every HAProxy timeout, on keepalive comments alone.
        Thread.sleep(IDLE.toMillis()); // the time itself is what is tested
        assertThat(tail.ended()).as("the quiet tail is still open").isFalse();
        assertThat(tail.comments()).contains(": keepalive");
        assertThat(tail.events()).hasSize(1);

        // SIGTERM the instance with the tail, and watch HAProxy and its port side by side.
        TaleadProcess stopping = instances[tailed];
        AtomicLong downAt = new AtomicLong();
        AtomicLong refusedAt = new AtomicLong();
        Thread watcher =
            watch(
                () -> downAt.get() == 0 && "DOWN".equals(status(server)),
                () -> downAt.set(System.nanoTime()));
        Thread prober =
            watch(
                () -> refusedAt.get() == 0 && DrainTest.refusesConnections(stopping.port()),
                () -> refusedAt.set(System.nanoTime()));
        int acknowledgedBefore = load.acknowledged();
        stopping.terminate();
        assertThat(stopping.awaitExit(WAIT)).as(stopping.log()).isZero();
        watcher.join(WAIT.toMillis());
        prober.join(WAIT.toMillis());
        assertThat(downAt.get()).as("HAProxy marked %s DOWN", server).isNotZero();
        assertThat(refusedAt.get()).as("%s stopped listening", server).isNotZero();
        assertThat(downAt.get())
            .as("HAProxy marks the instance DOWN before it stops listening")
            .isLessThan(refusedAt.get());

        // The tail ended with its retry line; it resumes through HAProxy, on the other instance.
        tail.awaitEnd();
        assertThat(tail.failure()).isNull();
        assertThat(tail.retries()).containsExactly("1000");
        post("quiet", "quiet-2");
        post("quiet", "quiet-3");
        try (Sse resumed =
            Sse.open(
                tls.getSocketFactory(),
                URI.create(lb("/v1/books/quiet/events")),
                token(),
                0,
                "Last-Event-ID",
                "1")) {
          assertThat(resumed.awaitEvents(2)).extracting(Sse.Event::id).containsExactly("2", "3");
        }

        load.awaitAcknowledged(load.acknowledged() + 50);
        assertThat(load.acknowledged()).isGreaterThan(acknowledgedBefore);
      } finally {
        load.stop();
      }
      assertThat(load.failures()).as("requests that failed through HAProxy").isEmpty();
      assertThat(keysIn("load")).isEqualTo(load.acknowledgedKeys());
      System.out.printf(
          "haproxy drain: %d posts acknowledged through HAProxy, none failed%n",
          load.acknowledged());

      // Started again, the instance turns UP again.
      instances[tailed] = startInstance(tailed);
      awaitStatus(server, "UP");
    } finally {
      tail.close();
    }
  }

  // ---- kill -9 under load ---------------------------------------------------------------------

  @Test
  @Order(3)
  void killMinus9UnderLoadLandsEveryPostOfTheRetryingClientExactlyOnce() throws Exception {
    awaitStatus("talead-1", "UP");
    awaitStatus("talead-2", "UP");
    openBook("crash");
    int posters = 4;
    AtomicBoolean going = new AtomicBoolean(true);
    AtomicInteger landed = new AtomicInteger();
    AtomicInteger deduplicated = new AtomicInteger();
    ConcurrentLinkedQueue<String> keys = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    List<Thread> threads = new ArrayList<>();
    try (TaleaClient client =
        TaleaClient.builder()
            .baseUrl(lb(""))
            .token(token())
            .sslContext(tls)
            .retryPolicy(RetryPolicy.defaults().withMaxElapsed(Duration.ofSeconds(60)))
            .build()) {
      for (int p = 0; p < posters; p++) {
        int poster = p;
        Thread thread =
            new Thread(
                () -> {
                  for (int i = 0; going.get(); i++) {
                    String key = "crash-" + poster + "-" + i;
                    try {
                      Transaction tx = client.post("crash", deposit(key, "1"));
                      if (tx.deduplicated()) {
                        deduplicated.incrementAndGet();
                      }
                      keys.add(key);
                      landed.incrementAndGet();
                    } catch (RuntimeException e) {
                      failures.add(new IllegalStateException(key, e));
                      return;
                    }
                  }
                },
                "crash-poster-" + p);
        thread.start();
        threads.add(thread);
      }
      await(() -> landed.get() >= 100, "100 posts before the kill");
      instances[1].kill();
      instances[1].awaitExit(WAIT);
      int atKill = landed.get();
      await(() -> landed.get() >= atKill + 200, "200 posts after the kill");
      going.set(false);
      for (Thread thread : threads) {
        thread.join(WAIT.toMillis());
      }
    }
    assertThat(failures).as("posts the retrying client gave up on").isEmpty();
    List<String> stored = keyList("crash");
    assertThat(stored).as("one commit per post").doesNotHaveDuplicates();
    assertThat(new HashSet<>(stored)).isEqualTo(new HashSet<>(keys));
    JsonNode cash = json(send("GET", "/v1/books/crash/accounts/assets:cash", null, null));
    assertThat(cash.at("/balances/0/balance").asText()).isEqualTo(landed.get() + ".00000000");
    System.out.printf(
        "haproxy kill -9: %d posts landed once each, %d answered as replays%n",
        landed.get(), deduplicated.get());
    instances[1] = startInstance(1);
  }

  // ---- the processes --------------------------------------------------------------------------

  private TaleadProcess startInstance(int index) {
    Map<String, String> variables = new HashMap<>();
    variables.put("TALEA_DB_URL", dbUrl);
    // -Dhaproxyit.drain-grace=0s shows what the drain is for: the test then fails.
    variables.put("TALEA_DRAIN_GRACE", System.getProperty("haproxyit.drain-grace", "5s"));
    variables.put("TALEA_METRICS_BIND", "127.0.0.1:" + metricsPorts[index]);
    return TaleadProcess.start("talead-" + (index + 1), work, variables, ports[index]);
  }

  private void startHaproxy() throws IOException {
    lbPort = TaleadProcess.freePort();
    statsPort = TaleadProcess.freePort();
    haproxyLog = work.resolve("haproxy.log");
    ProcessBuilder builder =
        new ProcessBuilder("/usr/sbin/haproxy", "-db", "-f", CONFIG.toAbsolutePath().toString())
            .redirectErrorStream(true)
            .redirectOutput(haproxyLog.toFile());
    Map<String, String> env = builder.environment();
    env.put("TALEA_LB_BIND", "127.0.0.1:" + lbPort);
    env.put("TALEA_LB_CERT", work.resolve("talea.pem").toString());
    env.put("TALEA_LB_STATS", "127.0.0.1:" + statsPort);
    env.put("TALEA_UPSTREAM_1", "127.0.0.1:" + ports[0]);
    env.put("TALEA_UPSTREAM_2", "127.0.0.1:" + ports[1]);
    haproxy = builder.start();
    await(() -> status("talead-1") != null || !haproxy.isAlive(), "HAProxy's stats page");
    if (!haproxy.isAlive()) {
      fail("haproxy exited with " + haproxy.exitValue() + ":\n" + Files.readString(haproxyLog));
    }
  }

  /**
   * A self-signed certificate for 127.0.0.1, as the PEM HAProxy reads; and a client trusting it.
   */
  private SSLContext certificate() throws Exception {
    Path key = work.resolve("key.pem");
    Path cert = work.resolve("cert.pem");
    Process openssl =
        new ProcessBuilder(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
                "-keyout",
                key.toString(),
                "-out",
                cert.toString())
            .redirectErrorStream(true)
            .start();
    String output = new String(openssl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(openssl.waitFor()).as(output).isZero();
    Files.writeString(work.resolve("talea.pem"), Files.readString(cert) + Files.readString(key));
    KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
    trusted.load(null, null);
    try (InputStream in = new ByteArrayInputStream(Files.readAllBytes(cert))) {
      trusted.setCertificateEntry(
          "talea", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory trust =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(trusted);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, trust.getTrustManagers(), null);
    return context;
  }

  // ---- HAProxy's view -------------------------------------------------------------------------

  /** A server's status on HAProxy's stats page ({@code UP}, {@code DOWN}, {@code UP 1/2}, ...). */
  private String status(String server) {
    try {
      HttpResponse<String> csv =
          plain.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + statsPort + "/stats;csv"))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      List<String> lines = csv.body().lines().toList();
      List<String> columns = List.of(lines.get(0).replaceFirst("^# ", "").split(","));
      int name = columns.indexOf("svname");
      int proxy = columns.indexOf("pxname");
      int status = columns.indexOf("status");
      for (String line : lines.subList(1, lines.size())) {
        String[] fields = line.split(",", -1);
        if (fields.length > status
            && "talead".equals(fields[proxy])
            && server.equals(fields[name])) {
          return fields[status];
        }
      }
      return null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private void awaitStatus(String server, String expected) {
    await(() -> expected.equals(status(server)), server + " " + expected + " on HAProxy");
  }

  /** Which instance serves the one live tail open (its metric says so). */
  private int awaitInstanceWithTheTail() {
    int[] found = {-1};
    await(
        () -> {
          for (int i = 0; i < 2; i++) {
            if (subscribers(i) == 1) {
              found[0] = i;
              return true;
            }
          }
          return false;
        },
        "the live tail to show in an instance's metrics");
    return found[0];
  }

  private int subscribers(int index) {
    try {
      String metrics =
          plain
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + metricsPorts[index] + "/metrics"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      return metrics
          .lines()
          .filter(line -> line.startsWith("talea_sse_subscribers"))
          .map(line -> (int) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
          .findFirst()
          .orElse(0);
    } catch (IOException e) {
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  // ---- requests through HAProxy ---------------------------------------------------------------

  private String lb(String path) {
    return "https://127.0.0.1:" + lbPort + path;
  }

  private static String token() {
    return TaleadProcess.TOKEN;
  }

  HttpResponse<String> send(String method, String path, String json, String key) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(lb(path)))
            .header("Authorization", "Bearer " + token())
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                json == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(json));
    if (json != null) {
      request.header("Content-Type", "application/json");
    }
    try {
      return https.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + path + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private void openBook(String book) {
    for (String[] account :
        List.of(new String[] {"assets:cash", "asset"}, new String[] {"equity:capital", "equity"})) {
      HttpResponse<String> reply =
          send(
              "PUT",
              "/v1/books/" + book + "/accounts/" + account[0],
              "{\"kind\":\"" + account[1] + "\"}",
              null);
      assertThat(reply.statusCode()).as(reply.body()).isEqualTo(201);
    }
  }

  private void post(String book, String key) {
    HttpResponse<String> reply =
        send("POST", "/v1/books/" + book + "/transactions", LiveTailTest.draft(key), null);
    assertThat(reply.statusCode()).as(reply.body()).isEqualTo(201);
  }

  private static TransactionDraft deposit(String key, String amount) {
    return new TransactionDraft(
        key,
        List.of(
            DraftPosting.debit("assets:cash", BTC, amount),
            DraftPosting.credit("equity:capital", BTC, amount)));
  }

  private Set<String> keysIn(String book) {
    return new HashSet<>(keyList(book));
  }

  private List<String> keyList(String book) {
    List<String> keys = new ArrayList<>();
    long after = 0;
    while (true) {
      JsonNode page =
          json(
              send(
                  "GET",
                  "/v1/books/" + book + "/transactions?after_seq=" + after + "&limit=1000",
                  null,
                  null));
      for (JsonNode tx : page.get("transactions")) {
        keys.add(tx.get("idempotency_key").asText());
      }
      if (page.get("next_after_seq").isNull()) {
        return keys;
      }
      after = page.get("next_after_seq").asLong();
    }
  }

  private static JsonNode json(HttpResponse<String> response) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return Json.parseResponse(response.body().getBytes(StandardCharsets.UTF_8));
  }

  private Socket tlsSocket() throws IOException {
    SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket();
    socket.connect(new InetSocketAddress("127.0.0.1", lbPort), 5_000);
    return socket;
  }

  /** Sends a raw request and returns the status line of the answer. */
  private static String statusLine(Socket socket, String request) throws IOException {
    try (socket) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String answer =
          new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      return answer.lines().findFirst().orElse("");
    }
  }

  /** Runs {@code then} once {@code condition} holds, polling it every 20 ms, for at most WAIT. */
  private static Thread watch(BooleanSupplier condition, Runnable then) {
    Thread thread =
        new Thread(
            () -> {
              long deadline = System.nanoTime() + WAIT.toNanos();
              while (System.nanoTime() < deadline) {
                if (condition.getAsBoolean()) {
                  then.run();
                  return;
                }
                try {
                  Thread.sleep(20);
                } catch (InterruptedException e) {
                  return;
                }
              }
            });
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  private static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  /**
   * Steady load through HAProxy: posters that send one post after another with a plain client and
   * no retries, so that any failure — a connection error, any status but 201 — is seen as it is.
   */
  private static final class Load {
    private final AtomicBoolean going = new AtomicBoolean(true);
    private final Set<String> acknowledged = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();

    static Load start(HaproxyIT test, String book, int posters) {
      Load load = new Load();
      for (int p = 0; p < posters; p++) {
        int poster = p;
        Thread thread =
            new Thread(
                () -> {
                  for (int i = 0; load.going.get(); i++) {
                    String key = book + "-" + poster + "-" + i;
                    try {
                      HttpResponse<String> reply =
                          test.send(
                              "POST",
                              "/v1/books/" + book + "/transactions",
                              LiveTailTest.draft(key),
                              null);
                      if (reply.statusCode() == 201) {
                        load.acknowledged.add(key);
                      } else {
                        load.failures.add(key + ": " + reply.statusCode() + " " + reply.body());
                      }
                    } catch (RuntimeException e) {
                      load.failures.add(key + ": " + e);
                    }
                  }
                },
                "load-" + p);
        thread.start();
        load.threads.add(thread);
      }
      return load;
    }

    int acknowledged() {
      return acknowledged.size();
    }

    Set<String> acknowledgedKeys() {
      return Set.copyOf(acknowledged);
    }

    List<String> failures() {
      return List.copyOf(failures);
    }

    void awaitAcknowledged(int count) {
      await(
          () -> acknowledged.size() >= count || !failures.isEmpty(),
          count + " posts acknowledged through HAProxy");
    }

    void stop() throws InterruptedException {
      going.set(false);
      for (Thread thread : threads) {
        thread.join(WAIT.toMillis());
      }
    }
  }
}
