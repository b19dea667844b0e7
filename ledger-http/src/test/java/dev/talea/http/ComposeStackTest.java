package dev.talea.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.talea.http.ServerHarness.Reply;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compose stack at the repository root: {@code docker-compose.yml} with its Postgres and, in
 * the {@code metrics} profile, Prometheus and Grafana, configured from {@code deploy/}. The files
 * are read exactly as Compose, Prometheus and Grafana would: the services and their settings, the
 * scrape target against talead's metrics port, Grafana's provisioning against the directories
 * Compose mounts, and the "talea" dashboard's panels. Then the real thing: {@code promtool check
 * config} on the Prometheus config, and every query of the dashboard run by a real Prometheus
 * scraping a real talead (in this JVM, on the embedded log store) that has seen traffic of every
 * kind the panels show. No Docker is needed.
 */
class ComposeStackTest {

  /** The repository root: tests run in the module's directory. */
  private static final Path ROOT = Path.of("..");

  private static final Path COMPOSE = ROOT.resolve("docker-compose.yml");
  private static final Path PROMETHEUS_CONFIG = ROOT.resolve("deploy/prometheus/prometheus.yml");
  static final Path DASHBOARD = ROOT.resolve("deploy/grafana/dashboards/talea.json");

  private static final int METRICS_PORT = 9100;

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The dashboard's panels by title, each with the talea metrics its queries read (and nothing
   * else).
   */
  private static final Map<String, Set<String>> PANELS = panels();

  private static Map<String, Set<String>> panels() {
    Map<String, Set<String>> panels = new LinkedHashMap<>();
    panels.put("Requests per second by route and status", Set.of("talea_http_requests_total"));
    panels.put(
        "Commits per second",
        Set.of("talea_commit_batch_size_count", "talea_commit_batch_size_sum"));
    panels.put(
        "HTTP latency (p50, p95, p99)", Set.of("talea_http_request_duration_seconds_bucket"));
    panels.put("HTTP p99 latency by route", Set.of("talea_http_request_duration_seconds_bucket"));
    panels.put(
        "Store commit latency (p50, p99)", Set.of("talea_store_commit_duration_seconds_bucket"));
    panels.put(
        "Commit batch size",
        Set.of(
            "talea_commit_batch_size_sum",
            "talea_commit_batch_size_count",
            "talea_commit_batch_size_bucket"));
    panels.put(
        "Write queue depth", Set.of("talea_write_queue_depth", "talea_write_queue_depth_max"));
    panels.put(
        "Admission sheds", Set.of("talea_admission_shed_total", "talea_http_requests_total"));
    panels.put(
        "In flight vs limit", Set.of("talea_http_requests_in_flight", "talea_http_requests_limit"));
    panels.put("SSE subscribers", Set.of("talea_sse_subscribers"));
    panels.put("Store commit failures", Set.of("talea_store_commit_failures_total"));
    panels.put("Backend", Set.of("talea_backend_info"));
    panels.put(
        "Cluster members", Set.of("talea_cluster_members", "talea_cluster_members_unreachable"));
    panels.put(
        "Book writers per node",
        Set.of("talea_cluster_books", "talea_cluster_shards", "talea_commit_batch_size_sum"));
    return panels;
  }

  private static final Pattern METRIC = Pattern.compile("\\btalea_[a-z0-9_]+");

  /** Grafana's interval variables, given the range a panel over the last minutes would get. */
  private static final Map<String, String> GRAFANA_VARIABLES =
      Map.of(
          "$__rate_interval", "30s",
          "${__rate_interval}", "30s",
          "$__interval", "30s",
          "${__interval}", "30s",
          "$__range", "30s",
          "${__range}", "30s");

  // ---- docker-compose.yml -----------------------------------------------------------------------

  @Test
  void composeHasPostgresPrometheusGrafanaTheClusterAndTwoNamedVolumes() throws IOException {
    JsonNode compose = yaml(COMPOSE);
    assertThat(names(compose)).containsExactlyInAnyOrder("services", "volumes");
    assertThat(names(compose.get("services")))
        .containsExactlyInAnyOrder(
            "postgres", "prometheus", "grafana", "talead-1", "talead-2", "haproxy");
    assertThat(names(compose.get("volumes")))
        .containsExactlyInAnyOrder("talea-postgres", "talea-prometheus");
  }

  @Test
  void postgresIsPostgres17WithTaleaCredentialsAVolumeAndAPgIsReadyHealthcheck()
      throws IOException {
    JsonNode postgres = service("postgres");
    assertThat(postgres.get("image").asText()).isEqualTo("postgres:17");
    assertThat(strings(postgres.get("environment")))
        .isEqualTo(
            Map.of("POSTGRES_USER", "talea", "POSTGRES_PASSWORD", "talea", "POSTGRES_DB", "talea"));
    assertThat(list(postgres.get("ports"))).containsExactly("127.0.0.1:5432:5432");
    assertThat(list(postgres.get("volumes")))
        .containsExactly("talea-postgres:/var/lib/postgresql/data");
    assertThat(postgres.has("profiles")).as("postgres runs in every profile").isFalse();

    JsonNode healthcheck = postgres.get("healthcheck");
    assertThat(healthcheck).as("postgres healthcheck").isNotNull();
    assertThat(names(healthcheck))
        .containsExactlyInAnyOrder("test", "interval", "timeout", "retries");
    assertThat(list(healthcheck.get("test")))
        .containsExactly("CMD", "pg_isready", "-U", "talea", "-d", "talea");
    assertThat(healthcheck.get("interval").asText()).isEqualTo("2s");
    assertThat(healthcheck.get("timeout").asText()).isEqualTo("5s");
    assertThat(healthcheck.get("retries").isInt()).isTrue();
    assertThat(healthcheck.get("retries").asInt()).isEqualTo(30);
  }

  @Test
  void theDatabaseUrlTheComposeFileDocumentsIsItsPostgres() throws IOException {
    Matcher url =
        Pattern.compile("TALEA_DB_URL=postgres://(\\w+):(\\w+)@127\\.0\\.0\\.1:(\\d+)/(\\w+)")
            .matcher(Files.readString(COMPOSE));
    assertThat(url.find()).as("docker-compose.yml documents TALEA_DB_URL").isTrue();
    Map<String, String> env = strings(service("postgres").get("environment"));
    assertThat(url.group(1)).isEqualTo(env.get("POSTGRES_USER"));
    assertThat(url.group(2)).isEqualTo(env.get("POSTGRES_PASSWORD"));
    assertThat(url.group(3) + ":" + url.group(3))
        .isEqualTo(list(service("postgres").get("ports")).get(0).replace("127.0.0.1:", ""));
    assertThat(url.group(4)).isEqualTo(env.get("POSTGRES_DB"));
  }

  @Test
  void prometheusAndGrafanaRunOnlyInTheMetricsProfile() throws IOException {
    JsonNode prometheus = service("prometheus");
    JsonNode grafana = service("grafana");
    assertThat(list(prometheus.get("profiles"))).containsExactly("metrics");
    assertThat(list(grafana.get("profiles"))).containsExactly("metrics");
    assertThat(prometheus.get("image").asText()).isEqualTo("prom/prometheus:v2.55.1");
    assertThat(grafana.get("image").asText()).isEqualTo("grafana/grafana:11.3.0");
    assertThat(list(prometheus.get("ports"))).containsExactly("127.0.0.1:9090:9090");
    assertThat(list(grafana.get("ports"))).containsExactly("127.0.0.1:3000:3000");
    assertThat(list(grafana.get("depends_on"))).containsExactly("prometheus");
  }

  // ---- Prometheus -------------------------------------------------------------------------------

  @Test
  void prometheusScrapesTaleadOnTheHostAtTheMetricsPortTheComposeFileDocuments()
      throws IOException {
    JsonNode prometheus = service("prometheus");
    assertThat(mounts(prometheus))
        .isEqualTo(
            Map.of(
                "/etc/prometheus/prometheus.yml", "./deploy/prometheus/prometheus.yml:ro",
                "/prometheus", "talea-prometheus"));
    assertThat(list(prometheus.get("extra_hosts")))
        .containsExactly("host.docker.internal:host-gateway");

    JsonNode config = yaml(PROMETHEUS_CONFIG);
    assertThat(names(config)).containsExactlyInAnyOrder("global", "scrape_configs");
    assertThat(strings(config.get("global")))
        .isEqualTo(Map.of("scrape_interval", "5s", "evaluation_interval", "5s"));
    assertThat(config.get("scrape_configs")).hasSize(1);
    JsonNode job = config.get("scrape_configs").get(0);
    assertThat(job.get("job_name").asText()).isEqualTo("talead");
    assertThat(job.get("metrics_path").asText()).isEqualTo("/metrics");
    assertThat(job.get("static_configs")).hasSize(1);
    List<String> targets = list(job.get("static_configs").get(0).get("targets"));
    assertThat(targets).containsExactly("host.docker.internal:" + METRICS_PORT);

    // The bind the compose file tells talead to use is the one Prometheus scrapes, as talead
    // parses it.
    Matcher bind = Pattern.compile("TALEA_METRICS_BIND=(\\S+)").matcher(Files.readString(COMPOSE));
    assertThat(bind.find()).as("docker-compose.yml documents TALEA_METRICS_BIND").isTrue();
    HostPort documented = HostPort.parse(bind.group(1), "TALEA_METRICS_BIND");
    assertThat(documented).isEqualTo(new HostPort("0.0.0.0", METRICS_PORT));
    HostPort target = HostPort.parse(targets.get(0), "target");
    assertThat(target.port()).isEqualTo(documented.port());
  }

  @Test
  void promtoolChecksThePrometheusConfig() throws Exception {
    Run check =
        run(
            List.of(
                binary("promtool").toString(), "check", "config", PROMETHEUS_CONFIG.toString()));
    assertThat(check.exit()).as("promtool check config said: %s", check.output()).isZero();
    assertThat(check.output()).contains("SUCCESS");
  }

  // ---- Grafana ----------------------------------------------------------------------------------

  @Test
  void grafanaIsAnAnonymousAdminDevInstanceOpeningOnTheTaleaDashboard() throws IOException {
    JsonNode grafana = service("grafana");
    assertThat(strings(grafana.get("environment")))
        .isEqualTo(
            Map.of(
                "GF_AUTH_ANONYMOUS_ENABLED", "true",
                "GF_AUTH_ANONYMOUS_ORG_ROLE", "Admin",
                "GF_AUTH_DISABLE_LOGIN_FORM", "true",
                "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH",
                    "/var/lib/grafana/dashboards/talea.json"));
  }

  @Test
  void grafanaProvisioningIsWhereComposeMountsIt() throws IOException {
    JsonNode grafana = service("grafana");
    Map<String, String> mounts = mounts(grafana);
    assertThat(mounts)
        .isEqualTo(
            Map.of(
                "/etc/grafana/provisioning", "./deploy/grafana/provisioning:ro",
                "/var/lib/grafana/dashboards", "./deploy/grafana/dashboards:ro"));
    Path provisioning = hostPath(mounts.get("/etc/grafana/provisioning"));
    Path dashboards = hostPath(mounts.get("/var/lib/grafana/dashboards"));
    assertThat(files(provisioning))
        .containsExactly("dashboards/talea.yml", "datasources/prometheus.yml");
    assertThat(files(dashboards)).containsExactly("talea.json");
    assertThat(dashboards.resolve("talea.json")).isEqualTo(DASHBOARD);

    // The datasource: the compose service prometheus on the port it listens on.
    JsonNode datasources = yaml(provisioning.resolve("datasources/prometheus.yml"));
    assertThat(names(datasources)).containsExactlyInAnyOrder("apiVersion", "datasources");
    assertThat(datasources.get("apiVersion").asInt()).isEqualTo(1);
    assertThat(datasources.get("datasources")).hasSize(1);
    JsonNode datasource = datasources.get("datasources").get(0);
    assertThat(datasource.get("uid").asText()).isEqualTo("prometheus");
    assertThat(datasource.get("type").asText()).isEqualTo("prometheus");
    assertThat(datasource.get("access").asText()).isEqualTo("proxy");
    assertThat(datasource.get("url").asText()).isEqualTo("http://prometheus:9090");
    assertThat(datasource.get("isDefault").asBoolean()).isTrue();
    assertThat(datasource.get("isDefault").isBoolean()).isTrue();
    URI url = URI.create(datasource.get("url").asText());
    assertThat(names(yaml(COMPOSE).get("services"))).contains(url.getHost());
    assertThat(list(service(url.getHost()).get("ports")))
        .containsExactly("127.0.0.1:" + url.getPort() + ":" + url.getPort());
    // $__rate_interval follows the scrape interval.
    assertThat(datasource.get("jsonData").get("timeInterval").asText())
        .isEqualTo(yaml(PROMETHEUS_CONFIG).get("global").get("scrape_interval").asText());

    // The dashboard provider reads the directory the dashboards are mounted on.
    JsonNode providers = yaml(provisioning.resolve("dashboards/talea.yml"));
    assertThat(names(providers)).containsExactlyInAnyOrder("apiVersion", "providers");
    assertThat(providers.get("apiVersion").asInt()).isEqualTo(1);
    assertThat(providers.get("providers")).hasSize(1);
    JsonNode provider = providers.get("providers").get(0);
    assertThat(provider.get("type").asText()).isEqualTo("file");
    assertThat(provider.get("options").get("path").asText())
        .isEqualTo("/var/lib/grafana/dashboards");
    assertThat(strings(grafana.get("environment")))
        .containsEntry(
            "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH",
            provider.get("options").get("path").asText() + "/talea.json");
  }

  @Test
  void theDashboardIsTaleaWithItsPanelsAllOnThePrometheusDatasource() throws IOException {
    JsonNode dashboard = JSON.readTree(DASHBOARD.toFile());
    assertThat(dashboard.get("title").asText()).isEqualTo("talea");
    assertThat(dashboard.get("uid").asText()).isEqualTo("talea");

    Map<String, Set<String>> metricsByPanel = new LinkedHashMap<>();
    Set<Integer> ids = new HashSet<>();
    for (JsonNode panel : dashboard.get("panels")) {
      String title = panel.get("title").asText();
      assertThat(ids.add(panel.get("id").asInt())).as("panel id of %s is unique", title).isTrue();
      assertThat(datasourceUid(panel)).as("datasource of panel %s", title).isEqualTo("prometheus");
      assertThat(panel.get("targets")).as("targets of %s", title).isNotEmpty();
      Set<String> refIds = new HashSet<>();
      Set<String> metrics = new TreeSet<>();
      for (JsonNode target : panel.get("targets")) {
        String refId = target.get("refId").asText();
        assertThat(refIds.add(refId)).as("refId %s of %s is unique", refId, title).isTrue();
        assertThat(datasourceUid(target))
            .as("datasource of %s target %s", title, refId)
            .isEqualTo("prometheus");
        assertThat(target.get("datasource").get("type").asText()).isEqualTo("prometheus");
        Matcher metric = METRIC.matcher(target.get("expr").asText());
        while (metric.find()) {
          metrics.add(metric.group());
        }
      }
      assertThat(metricsByPanel.put(title, metrics)).as("one panel %s", title).isNull();
    }
    assertThat(metricsByPanel).isEqualTo(PANELS);
  }

  // ---- the dashboard's queries on a real scrape -------------------------------------------------

  /**
   * A talead with metrics on, driven through every kind of traffic the panels show (writes, reads,
   * a 404, a request shed at the admission limit, an open live tail), scraped every second by a
   * real Prometheus with the shipped config: every query of the dashboard answers, with a series
   * that has a number.
   */
  @Test
  void everyDashboardQueryAnswersFromARealPrometheusScrapingARealTalead(@TempDir Path temp)
      throws Exception {
    List<Query> queries = dashboardQueries();
    int limit = 2;
    String book = "compose";
    int metricsPort = freePort();
    int prometheusPort = freePort();
    URI api = URI.create("http://127.0.0.1:" + prometheusPort);
    HttpClient client = LiveTailTest.newClient();
    Path prometheusLog = temp.resolve("prometheus.log");
    Process prometheus = null;
    ServerHarness server = null;
    LiveTailTest.Sse tail = null;
    try {
      // Prometheus first: it takes a few seconds to load its targets (its scrape manager applies
      // them every 5 s), time that talead's start and the traffic below take anyway. Until talead
      // listens, its scrapes fail (up is 0).
      Path config = temp.resolve("prometheus.yml");
      Files.writeString(config, testConfig(metricsPort));
      prometheus =
          new ProcessBuilder(
                  binary("prometheus").toString(),
                  "--config.file=" + config,
                  "--storage.tsdb.path=" + temp.resolve("tsdb"),
                  "--web.listen-address=127.0.0.1:" + prometheusPort)
              .redirectErrorStream(true)
              .redirectOutput(prometheusLog.toFile())
              .start();
      Process running = prometheus;

      server =
          LiveTailTest.startWithKeepalive(
              "log:" + temp.resolve("log"),
              Map.of(
                  "TALEA_METRICS_BIND",
                  "127.0.0.1:" + metricsPort,
                  "TALEA_MAX_INFLIGHT",
                  String.valueOf(limit)));
      ServerHarness talead = server;
      expect(talead.post("/v1/assets", "{\"code\":\"BTC\",\"decimals\":8}"), 201);
      expect(talead.put(account(book, "assets:cash"), "{\"kind\":\"asset\"}"), 201);
      expect(talead.put(account(book, "equity:capital"), "{\"kind\":\"equity\"}"), 201);
      tail =
          LiveTailTest.Sse.open(
              talead.uri("/v1/books/" + book + "/events?from_seq=1"), ServerHarness.ADMIN_TOKEN);
      assertThat(tail.awaitStatus()).isEqualTo(200);
      int[] posted = {0};
      JsonNode first = post(talead, book, ++posted[0]).json();
      expect(talead.get("/v1/transactions/" + first.get("tx_id").asText()), 200);
      expect(talead.get(account(book, "assets:missing")), 404);

      // Requests held in every admission slot: the next one is shed.
      awaitIdle(talead);
      List<AdmissionTest.HeldPost> held = new ArrayList<>();
      try {
        for (int i = 0; i < limit; i++) {
          AdmissionTest.HeldPost post =
              AdmissionTest.HeldPost.start(
                  talead,
                  "/v1/books/" + book + "/transactions",
                  ServerHarness.ADMIN_TOKEN,
                  LiveTailTest.draft("compose-" + ++posted[0]));
          held.add(post);
          post.awaitAdmitted(held.size());
        }
        Reply shed = talead.get("/health", null);
        assertThat(shed.status()).as(shed.body()).isEqualTo(503);
        assertThat(shed.error()).isEqualTo("overloaded");
        for (AdmissionTest.HeldPost post : held) {
          AdmissionTest.RawResponse response = post.finish();
          assertThat(response.status()).as(response.body()).isEqualTo(201);
        }
      } finally {
        held.forEach(AdmissionTest.HeldPost::close);
      }
      awaitIdle(talead);
      assertThat(LiveTailTest.seqs(tail.awaitEvents(posted[0])))
          .isEqualTo(LiveTailTest.range(1, posted[0]));

      awaitPrometheus(
          "Prometheus to be ready",
          running,
          prometheusLog,
          () -> get(client, api.resolve("/-/ready")).statusCode() == 200);
      // Traffic goes on while Prometheus scrapes, so that the rates have something to show: a
      // rate needs two scrapes in its range, and a histogram's quantile needs observations between
      // them. Talead's reporter shows a commit within a second (its tick).
      awaitPrometheus(
          "three scrapes of talead that show its commits",
          running,
          prometheusLog,
          () -> {
            post(talead, book, ++posted[0]);
            expect(talead.get(account(book, "assets:cash") + "/balances"), 200);
            List<Double> scrapes =
                values(
                    query(
                        client,
                        api,
                        "count_over_time(talea_commit_batch_size_count{job=\"talead\"}[1m])"));
            return !scrapes.isEmpty() && scrapes.get(0) >= 3;
          });
      // Then until every query has a number, or the deadline: the assertions below say which
      // did not.
      Map<Query, JsonNode> answers = new LinkedHashMap<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      do {
        post(talead, book, ++posted[0]);
        expect(talead.get(account(book, "assets:cash") + "/balances"), 200);
        for (Query query : queries) {
          answers.put(query, query(client, api, query.promql()));
        }
        if (answers.values().stream().allMatch(a -> values(a).stream().anyMatch(finite()))) {
          break;
        }
        Thread.sleep(200);
      } while (System.nanoTime() < deadline);

      assertThat(values(query(client, api, "up{job=\"talead\"}"))).containsExactly(1.0);
      assertThat(answers.keySet()).containsExactlyElementsOf(queries);
      // Every query is checked, and every one that fails is named.
      SoftAssertions.assertSoftly(
          softly -> {
            for (Map.Entry<Query, JsonNode> answer : answers.entrySet()) {
              Query query = answer.getKey();
              JsonNode body = answer.getValue();
              softly
                  .assertThat(body.path("status").asText())
                  .as("status of %s: %s", query, body)
                  .isEqualTo("success");
              softly
                  .assertThat(body.path("data").path("resultType").asText())
                  .as("result type of %s: %s", query, body)
                  .isEqualTo("vector");
              softly
                  .assertThat(body.path("data").path("result"))
                  .as("series of %s: %s", query, body)
                  .isNotEmpty();
              softly
                  .assertThat(values(body))
                  .as("%s has a series with a number: %s", query, body)
                  .anyMatch(finite());
            }
          });
      // A few of them, exactly: what the traffic above left in the gauges and counters that it
      // does not move any more (one request at a time: no further shed).
      assertThat(values(answer(answers, "sum(talea_sse_subscribers)"))).containsExactly(1.0);
      assertThat(values(answer(answers, "sum(talea_http_requests_limit)")))
          .containsExactly((double) limit);
      JsonNode backend = answer(answers, "max by (backend) (talea_backend_info)");
      assertThat(backend.get("data").get("result")).hasSize(1);
      assertThat(backend.get("data").get("result").get(0).get("metric").get("backend").asText())
          .isEqualTo("log");
      assertThat(values(query(client, api, "talea_admission_shed_total"))).containsExactly(1.0);
      assertThat(values(query(client, api, "talea_store_commit_failures_total")))
          .containsExactly(0.0);
    } finally {
      if (prometheus != null) {
        prometheus.destroy();
        if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
          prometheus.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      }
      if (tail != null) {
        tail.close();
      }
      if (server != null) {
        server.close();
      }
    }
  }

  /** A dashboard query: its panel, its refId, and its PromQL with Grafana's variables set. */
  private record Query(String panel, String refId, String promql) {
    @Override
    public String toString() {
      return "panel \"" + panel + "\" target " + refId + " [" + promql + "]";
    }
  }

  private static List<Query> dashboardQueries() throws IOException {
    List<Query> queries = new ArrayList<>();
    for (JsonNode panel : JSON.readTree(DASHBOARD.toFile()).get("panels")) {
      for (JsonNode target : panel.get("targets")) {
        String promql = target.get("expr").asText();
        for (Map.Entry<String, String> variable : GRAFANA_VARIABLES.entrySet()) {
          promql = promql.replace(variable.getKey(), variable.getValue());
        }
        assertThat(promql)
            .as("a Grafana variable this test does not know, in %s", target.get("expr"))
            .doesNotContain("$");
        queries.add(new Query(panel.get("title").asText(), target.get("refId").asText(), promql));
      }
    }
    assertThat(queries).hasSizeGreaterThanOrEqualTo(PANELS.size());
    return queries;
  }

  private static JsonNode answer(Map<Query, JsonNode> answers, String promql) {
    return answers.entrySet().stream()
        .filter(e -> e.getKey().promql().equals(promql))
        .map(Map.Entry::getValue)
        .findFirst()
        .orElseGet(() -> fail("no dashboard query %s", promql));
  }

  /** The shipped Prometheus config, scraping {@code 127.0.0.1:port} every second instead. */
  private static String testConfig(int port) throws IOException {
    ObjectNode config = (ObjectNode) yaml(PROMETHEUS_CONFIG);
    ObjectNode global = (ObjectNode) config.get("global");
    global.put("scrape_interval", "1s");
    global.put("scrape_timeout", "1s");
    global.put("evaluation_interval", "1s");
    assertThat(config.get("scrape_configs")).hasSize(1);
    ObjectNode scrape =
        (ObjectNode) config.get("scrape_configs").get(0).get("static_configs").get(0);
    scrape.putArray("targets").add("127.0.0.1:" + port);
    return YAML.writeValueAsString(config);
  }

  private static JsonNode query(HttpClient client, URI api, String promql) {
    HttpResponse<String> response =
        get(
            client,
            api.resolve(
                "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)));
    try {
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new AssertionError(
          "Prometheus answered " + promql + " with no JSON: " + response.body(), e);
    }
  }

  /** The sample values of an instant-query answer (none if it failed). */
  private static List<Double> values(JsonNode answer) {
    List<Double> values = new ArrayList<>();
    if (!"success".equals(answer.path("status").asText())) {
      return values;
    }
    for (JsonNode series : answer.path("data").path("result")) {
      String value = series.get("value").get(1).asText();
      values.add(
          switch (value) {
            case "NaN" -> Double.NaN;
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(value);
          });
    }
    return values;
  }

  private static java.util.function.Predicate<Double> finite() {
    return Double::isFinite;
  }

  private static HttpResponse<String> get(HttpClient client, URI uri) {
    try {
      return client.send(
          HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException("GET " + uri + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A condition that may throw while Prometheus is still coming up. */
  private interface Probe {
    boolean holds() throws Exception;
  }

  /**
   * Polls {@code probe} every 200 ms for up to 20 s; fails with Prometheus's log if it does not
   * hold by then or Prometheus exits.
   */
  private static void awaitPrometheus(String what, Process prometheus, Path log, Probe probe)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    Exception last = null;
    while (true) {
      if (!prometheus.isAlive()) {
        fail(
            "Prometheus exited with %d waiting for %s; its log:%n%s",
            prometheus.exitValue(), what, Files.readString(log));
      }
      try {
        if (probe.holds()) {
          return;
        }
        last = null;
      } catch (IllegalStateException e) {
        last = e;
      }
      if (System.nanoTime() > deadline) {
        fail(
            "timed out after 20s waiting for %s (last error: %s); Prometheus's log:%n%s",
            what, last, Files.readString(log));
      }
      Thread.sleep(200);
    }
  }

  private static void awaitIdle(ServerHarness server) {
    LiveTailTest.await(
        "every admission slot to be free",
        Duration.ofSeconds(2),
        () -> server.server().requestsInFlight() == 0);
  }

  private static Reply post(ServerHarness server, String book, int key) {
    return expect(
        server.post("/v1/books/" + book + "/transactions", LiveTailTest.draft("compose-" + key)),
        201);
  }

  private static Reply expect(Reply reply, int status) {
    assertThat(reply.status()).as(reply.body()).isEqualTo(status);
    return reply;
  }

  private static String account(String book, String account) {
    return "/v1/books/" + book + "/accounts/" + account;
  }

  private static int freePort() throws IOException {
    try (ServerSocket free = new ServerSocket(0)) {
      return free.getLocalPort();
    }
  }

  // ---- helpers ----------------------------------------------------------------------------------

  static JsonNode yaml(Path file) throws IOException {
    assertThat(file).as("%s", file.normalize()).isRegularFile();
    return YAML.readTree(file.toFile());
  }

  static JsonNode service(String name) throws IOException {
    JsonNode service = yaml(COMPOSE).get("services").get(name);
    assertThat(service).as("service %s", name).isNotNull();
    return service;
  }

  static List<String> names(JsonNode object) {
    assertThat(object.isObject()).as("%s is a mapping", object).isTrue();
    List<String> names = new ArrayList<>();
    object.fieldNames().forEachRemaining(names::add);
    return names;
  }

  static List<String> list(JsonNode array) {
    assertThat(array).as("a list").isNotNull();
    assertThat(array.isArray()).as("%s is a list", array).isTrue();
    List<String> values = new ArrayList<>();
    array.forEach(
        value -> {
          assertThat(value.isTextual()).as("%s is a string", value).isTrue();
          values.add(value.asText());
        });
    return values;
  }

  /** A mapping of strings (Compose's environment in its mapping form). */
  static Map<String, String> strings(JsonNode object) {
    Map<String, String> values = new TreeMap<>();
    for (String name : names(object)) {
      JsonNode value = object.get(name);
      assertThat(value.isTextual()).as("%s: %s is a string", name, value).isTrue();
      values.put(name, value.asText());
    }
    return values;
  }

  /** A service's volumes as container path to source (with {@code :ro} if read-only). */
  static Map<String, String> mounts(JsonNode service) {
    Map<String, String> mounts = new TreeMap<>();
    for (String volume : list(service.get("volumes"))) {
      String[] parts = volume.split(":");
      assertThat(parts.length).as("volume %s", volume).isBetween(2, 3);
      String source = parts.length == 3 ? parts[0] + ":" + parts[2] : parts[0];
      assertThat(mounts.put(parts[1], source)).as("one mount on %s", parts[1]).isNull();
    }
    return mounts;
  }

  /** The directory a bind mount's source ({@code ./path[:ro]}) names, from the repository root. */
  private static Path hostPath(String source) {
    String path = source.endsWith(":ro") ? source.substring(0, source.length() - 3) : source;
    assertThat(path).as("a bind mount relative to the compose file").startsWith("./");
    Path dir = ROOT.resolve(path.substring(2));
    assertThat(dir).as("%s", path).isDirectory();
    return dir;
  }

  /** The regular files under {@code dir}, as sorted relative paths with {@code /}. */
  private static List<String> files(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile)
          .map(file -> dir.relativize(file).toString().replace('\\', '/'))
          .sorted()
          .toList();
    }
  }

  private static String datasourceUid(JsonNode node) {
    return Optional.ofNullable(node.get("datasource")).map(d -> d.path("uid").asText()).orElse("");
  }

  private record Run(int exit, String output) {}

  private static Run run(List<String> command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getOutputStream().close();
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    try (InputStream out = process.getInputStream()) {
      out.transferTo(output);
    }
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("%s finished", command).isTrue();
    return new Run(process.exitValue(), output.toString(StandardCharsets.UTF_8));
  }

  /**
   * A binary of the Debian package {@code prometheus}, on the PATH or in /usr/bin; a test that
   * needs it fails (never skips) without it.
   */
  private static Path binary(String name) {
    List<String> dirs = new ArrayList<>();
    for (String dir :
        Optional.ofNullable(System.getenv("PATH")).orElse("").split(java.io.File.pathSeparator)) {
      if (!dir.isEmpty()) {
        dirs.add(dir);
      }
    }
    dirs.add("/usr/bin");
    for (String dir : dirs) {
      Path candidate = Path.of(dir, name);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return fail(
        "%s is not installed (looked on the PATH and in /usr/bin). Install the Debian package"
            + " `prometheus` (apt-get install prometheus; .ci/run does), which provides"
            + " /usr/bin/prometheus and /usr/bin/promtool.",
        name);
  }
}
