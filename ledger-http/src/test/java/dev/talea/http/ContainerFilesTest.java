package dev.talea.http;

import static dev.talea.http.ComposeStackTest.list;
import static dev.talea.http.ComposeStackTest.mounts;
import static dev.talea.http.ComposeStackTest.names;
import static dev.talea.http.ComposeStackTest.service;
import static dev.talea.http.ComposeStackTest.strings;
import static dev.talea.http.ComposeStackTest.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The container files at the repository root, checked as files because no container engine runs on
 * the build machine: the {@code Dockerfile} (parsed into stages and instructions, continuation
 * lines and JSON forms included, the way the engine reads it), its {@code .dockerignore} (matched
 * the way the engine matches it), and the {@code cluster} profile of {@code docker-compose.yml}
 * against HAProxy's shipped config. The image's health check is a bash script, so it is run here
 * against a real talead: serving, draining and stopped. {@code HaproxyIT} runs the same deployment
 * (two talead, Postgres, HAProxy) as processes.
 */
class ContainerFilesTest {

  /** The repository root: tests run in the module's directory. */
  private static final Path ROOT = Path.of("..");

  private static final Path DOCKERFILE = ROOT.resolve("Dockerfile");
  private static final Path DOCKERIGNORE = ROOT.resolve(".dockerignore");
  private static final Path COMPOSE = ROOT.resolve("docker-compose.yml");
  private static final Path HAPROXY_CONFIG = ROOT.resolve("deploy/haproxy/haproxy.cfg");

  /** The module whose shaded jar is talead. */
  private static final String MODULE = "ledger-http";

  private static final String IMAGE = "talea/talead:dev";
  private static final List<String> TALEADS = List.of("talead-1", "talead-2");

  /** An Eclipse Temurin tag pinned to one release: {@code 17.0.13_11-jre-jammy}. */
  private static final Pattern TEMURIN =
      Pattern.compile("eclipse-temurin:(\\d+)\\.(\\d+)\\.(\\d+)_(\\d+)-(jdk|jre)-([a-z]+)");

  private static final ObjectMapper JSON = new ObjectMapper();

  // ---- Dockerfile: stages ----------------------------------------------------------------------

  @Test
  void theJarIsBuiltOnATemurin17JdkAndRunsOnTheSameReleasesJre() throws Exception {
    Dockerfile file = dockerfile();
    assertThat(file.global()).as("instructions before the first FROM").isEmpty();
    assertThat(file.stages()).extracting(Stage::name).containsExactly("build", null);

    Matcher jdk = temurin(file.stage("build"));
    Matcher jre = temurin(file.last());
    String release = pomProperty(ROOT.resolve("pom.xml"), "maven.compiler.release");
    assertThat(release).isEqualTo("17");
    assertThat(jdk.group(1)).as("the JDK's feature release").isEqualTo(release);
    assertThat(jdk.group(5)).isEqualTo("jdk");
    assertThat(jre.group(1)).as("the JRE's feature release").isEqualTo(release);
    assertThat(jre.group(5)).isEqualTo("jre");
    for (int group : new int[] {2, 3, 4, 6}) {
      assertThat(jre.group(group))
          .as("the JRE is the JDK's release and flavour: %s vs %s", jre.group(), jdk.group())
          .isEqualTo(jdk.group(group));
    }
  }

  @Test
  void theBuildStagePackagesLedgerHttpAndWhatItNeedsWithTheWrapper() throws Exception {
    Stage build = dockerfile().stage("build");
    assertThat(rootModules()).contains(MODULE);
    assertThat(build.all("RUN")).hasSize(1);
    Instruction run = build.only("RUN");
    assertThat(run.flags()).isEqualTo(Map.of("mount", "type=cache,target=/root/.m2"));
    assertThat(words(run.rest()))
        .containsExactly(
            "./mvnw", "-B", "-q", "package", "-DskipTests", "-DskipITs", "-pl", MODULE, "-am");
    for (Instruction copy : build.all("COPY")) {
      assertThat(copy.index())
          .as("COPY on line %d comes before the build", copy.line())
          .isLessThan(run.index());
    }
  }

  @Test
  void theBuildStageCopiesEveryPomAndTheSourcesOfEveryModuleLedgerHttpNeeds() throws Exception {
    Stage build = dockerfile().stage("build");
    assertThat(build.only("WORKDIR").arguments()).isEqualTo("/src");

    // What Maven reads with `-pl ledger-http -am`: the wrapper, the parent pom, every module's
    // pom (the parent lists them all), the whole of each module ledger-http depends on (test
    // scope too: -DskipTests still compiles tests), and resources ledger-http takes from outside.
    Set<String> needed = neededModules(MODULE);
    assertThat(needed)
        .containsExactlyInAnyOrder(
            "ledger-http",
            "ledger-actors",
            "ledger-stores",
            "ledger-protocol",
            "ledger-testkit",
            "ledger-client");
    Set<String> expected = new TreeSet<>(List.of("mvnw", "pom.xml", ".mvn"));
    expected.addAll(resourcesOutside(MODULE));
    assertThat(expected).contains("docs/openapi.yaml");
    for (String module : rootModules()) {
      expected.add(needed.contains(module) ? module : module + "/pom.xml");
    }

    Map<String, String> landings = new TreeMap<>();
    for (Instruction copy : build.all("COPY")) {
      assertThat(copy.flags()).as("COPY on line %d", copy.line()).isEmpty();
      List<String> args = words(copy.rest());
      assertThat(args).as("COPY on line %d", copy.line()).hasSizeGreaterThanOrEqualTo(2);
      String destination = args.get(args.size() - 1);
      List<String> sources = args.subList(0, args.size() - 1);
      if (sources.size() > 1) {
        assertThat(destination).as("COPY of several files on line %d", copy.line()).endsWith("/");
      }
      for (String source : sources) {
        String path = clean(source);
        Path onHost = ROOT.resolve(path);
        assertThat(onHost).as("COPY source %s on line %d", source, copy.line()).exists();
        // A directory's contents land in the destination; a file lands in it if it ends in /.
        String landing =
            Files.isDirectory(onHost) || !destination.endsWith("/")
                ? clean(destination)
                : clean(destination + onHost.getFileName());
        assertThat(landings.put(path, landing)).as("%s is copied once", path).isNull();
      }
    }
    assertThat(landings.keySet()).containsExactlyInAnyOrderElementsOf(expected);
    landings.forEach(
        (source, landing) ->
            assertThat(landing).as("where %s lands, under the WORKDIR", source).isEqualTo(source));
  }

  @Test
  void theFinalStageHoldsOnlyTheJarTheBuildStageProduces() throws Exception {
    Dockerfile file = dockerfile();
    Stage runtime = file.last();
    assertThat(runtime.all("ADD")).isEmpty();
    assertThat(runtime.all("COPY")).hasSize(1);
    Instruction copy = runtime.only("COPY");
    assertThat(copy.flags()).isEqualTo(Map.of("from", "build"));

    String finalName = shadedJarName(ROOT.resolve(MODULE).resolve("pom.xml"));
    assertThat(finalName).isEqualTo("talead");
    String built =
        file.stage("build").only("WORKDIR").arguments()
            + "/"
            + MODULE
            + "/target/"
            + finalName
            + ".jar";
    assertThat(words(copy.rest())).containsExactly(built, "/opt/talea/talead.jar");
    assertThat(runtime.only("ENTRYPOINT").execForm()).contains("/opt/talea/talead.jar");
  }

  // ---- Dockerfile: how talead runs -------------------------------------------------------------

  @Test
  void taleadRunsAsANonRootNumericUserOwningItsDataDirectory() throws Exception {
    Stage runtime = dockerfile().last();
    assertThat(runtime.all("USER")).hasSize(1);
    Instruction user = runtime.only("USER");
    Matcher ids = Pattern.compile("(\\d+):(\\d+)").matcher(user.arguments());
    assertThat(ids.matches()).as("USER %s is a numeric uid:gid", user.arguments()).isTrue();
    assertThat(ids.group(1)).isEqualTo("10001").isNotEqualTo("0");
    assertThat(ids.group(2)).isEqualTo("10001");

    assertThat(runtime.all("RUN")).hasSize(1);
    Instruction run = runtime.only("RUN");
    String commands = String.join(" ", words(run.rest()));
    assertThat(commands)
        .contains("groupadd --system --gid 10001 talea")
        .contains("useradd --system --uid 10001 --gid talea")
        .contains("chown talea:talea /var/lib/talea");
    assertThat(runtime.only("WORKDIR").arguments()).isEqualTo("/var/lib/talea");
    Instruction volume = runtime.only("VOLUME");
    assertThat(words(volume.arguments())).containsExactly("/var/lib/talea");
    // The engine discards what a later instruction changes in a volume, and runs RUN as USER.
    assertThat(volume.index()).isGreaterThan(run.index());
    assertThat(user.index()).isGreaterThan(run.index());
  }

  @Test
  void taleadListensOnEveryInterfaceAtThePortTheImageExposes() throws Exception {
    Stage runtime = dockerfile().last();
    HostPort bind = HostPort.parse(runtime.env().get("TALEA_BIND"), "TALEA_BIND");
    assertThat(bind).isEqualTo(new HostPort("0.0.0.0", 8080));
    assertThat(words(runtime.only("EXPOSE").arguments()))
        .containsExactly(String.valueOf(bind.port()));
  }

  @Test
  void theJvmSizesItsHeapFromTheContainerAndExitsOnOutOfMemory() throws Exception {
    Map<String, String> env = dockerfile().last().env();
    assertThat(env.keySet()).containsExactlyInAnyOrder("JAVA_TOOL_OPTIONS", "TALEA_BIND");
    String options = env.get("JAVA_TOOL_OPTIONS");
    assertThat(words(options))
        .containsExactly("-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-XX:+UseG1GC");
    // A JVM refuses to start on an option it does not know: this one (17 or newer) takes them.
    ProcessBuilder java =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-version");
    java.environment().put("JAVA_TOOL_OPTIONS", options);
    Run version = run(java);
    assertThat(version.exit()).as(version.output()).isZero();
    assertThat(version.output()).contains("Picked up JAVA_TOOL_OPTIONS: " + options);
  }

  @Test
  void javaIsTheProcessThatGetsSigtermAndServesByDefault() throws Exception {
    Stage runtime = dockerfile().last();
    assertThat(runtime.all("ENTRYPOINT")).hasSize(1);
    assertThat(runtime.all("CMD")).hasSize(1);
    assertThat(runtime.only("ENTRYPOINT").execForm())
        .containsExactly("java", "-jar", "/opt/talea/talead.jar");
    List<String> command = runtime.only("CMD").execForm();
    assertThat(command).containsExactly("serve");
    assertThat(Talead.commandLine().getSubcommands()).containsKey(command.get(0));
    assertThat(runtime.only("STOPSIGNAL").arguments()).isEqualTo("SIGTERM");
  }

  @Test
  void theHealthCheckPassesOnAServingTaleadAndFailsOnADrainingOrStoppedOne(@TempDir Path temp)
      throws Exception {
    Instruction healthcheck = dockerfile().last().only("HEALTHCHECK");
    assertThat(healthcheck.flags())
        .isEqualTo(
            Map.of("interval", "10s", "timeout", "3s", "start-period", "60s", "retries", "3"));
    assertThat(healthcheck.rest()).startsWith("CMD ");
    List<String> command = execForm(healthcheck.rest().substring(4).strip(), healthcheck);
    assertThat(command).hasSize(3);
    assertThat(command.subList(0, 2)).containsExactly("bash", "-c");
    String script = command.get(2);
    assertThat(script)
        .contains("/dev/tcp/127.0.0.1/${TALEA_BIND##*:}")
        .contains("GET /health HTTP/1.0\\r\\n\\r\\n");

    // A grace long enough for the check to run while talead drains.
    try (ServerHarness talead =
        ServerHarness.start("log:" + temp.resolve("log"), Map.of("TALEA_DRAIN_GRACE", "60s"))) {
      int port = talead.server().address().getPort();
      assertThat(talead.get("/health", null).status()).isEqualTo(200);
      Run serving = health(script, port);
      assertThat(serving.exit()).as("the check on a serving talead: %s", serving.output()).isZero();

      talead.server().drain();
      assertThat(talead.get("/health", null).status()).isEqualTo(503);
      Run draining = health(script, port);
      assertThat(draining.exit())
          .as("the check on a draining talead: %s", draining.output())
          .isEqualTo(1);

      // A second signal closes the listener at once.
      talead.server().drain().toCompletableFuture().get(60, TimeUnit.SECONDS);
      Run stopped = health(script, port);
      assertThat(stopped.exit())
          .as("the check on a stopped talead: %s", stopped.output())
          .isEqualTo(1);
    }
  }

  @Test
  void noSecretIsSetOrCopiedIntoTheImage() throws Exception {
    Pattern secret = Pattern.compile("(?i)token|secret|password|passwd|\\.env\\b|\\.pem$|\\.key$");
    for (Stage stage : dockerfile().stages()) {
      assertThat(stage.all("ARG")).as("ARG in stage %s", stage.base()).isEmpty();
      assertThat(stage.all("ADD")).as("ADD in stage %s", stage.base()).isEmpty();
      assertThat(stage.env().keySet()).noneMatch(name -> secret.matcher(name).find());
      for (Instruction instruction : stage.instructions()) {
        assertThat(instruction.arguments())
            .as("line %d", instruction.line())
            .doesNotContain("TALEA_API_TOKEN")
            .doesNotContain("TALEA_TOKENS_FILE");
      }
      for (Instruction copy : stage.all("COPY")) {
        List<String> args = words(copy.rest());
        for (String source : args.subList(0, args.size() - 1)) {
          assertThat(clean(source))
              .as("COPY source on line %d (never the whole context)", copy.line())
              .isNotEmpty();
          assertThat(secret.matcher(source).find())
              .as("COPY source %s on line %d", source, copy.line())
              .isFalse();
        }
      }
    }
  }

  // ---- .dockerignore ---------------------------------------------------------------------------

  @Test
  void theBuildContextLeavesOutOutputsHistoryAndSecretsButNoSource() throws Exception {
    DockerIgnore ignore = DockerIgnore.parse(Files.readString(DOCKERIGNORE));
    for (String path :
        List.of(
            ".git",
            ".git/HEAD",
            "target",
            "target/classes/A.class",
            "ledger-http/target/talead.jar",
            "ledger-stores/target/classes",
            ".env",
            ".env.local",
            "ledger-http/.env",
            "talea.db",
            "talea.db-wal",
            "talea-data/00000001.log",
            "deploy/haproxy/certs/talea.pem",
            "talea.pem")) {
      assertThat(ignore.excludes(path)).as("%s is left out of the build context", path).isTrue();
    }

    // Everything the build stage copies reaches it: each path it names, and each source file
    // under those paths.
    Stage build = dockerfile().stage("build");
    List<String> files = new ArrayList<>();
    for (Instruction copy : build.all("COPY")) {
      List<String> args = words(copy.rest());
      for (String source : args.subList(0, args.size() - 1)) {
        String path = clean(source);
        files.add(path);
        Path onHost = ROOT.resolve(path);
        if (Files.isDirectory(onHost)) {
          files.addAll(sourcesUnder(onHost));
        }
      }
    }
    assertThat(files)
        .contains("mvnw", "ledger-http/pom.xml", ".mvn/wrapper/maven-wrapper.properties");
    assertThat(files).anyMatch(f -> f.startsWith("ledger-http/src/main/java/dev/talea/http/"));
    for (String file : files) {
      assertThat(ignore.excludes(file)).as("%s reaches the build", file).isFalse();
    }
  }

  // ---- docker-compose.yml: profile cluster -----------------------------------------------------

  @Test
  void theClusterProfileAddsTwoTaleadsAndHaproxyAndLeavesTheRestAsItWas() throws Exception {
    JsonNode compose = yaml(COMPOSE);
    assertThat(names(compose)).containsExactlyInAnyOrder("services", "volumes");
    assertThat(names(compose.get("volumes")))
        .containsExactlyInAnyOrder("talea-postgres", "talea-prometheus");
    Map<String, List<String>> profiles = new TreeMap<>();
    for (String name : names(compose.get("services"))) {
      JsonNode service = compose.get("services").get(name);
      profiles.put(name, service.has("profiles") ? list(service.get("profiles")) : List.of());
    }
    assertThat(profiles)
        .isEqualTo(
            Map.of(
                "postgres", List.of(),
                "prometheus", List.of("metrics"),
                "grafana", List.of("metrics"),
                "talead-1", List.of("cluster"),
                "talead-2", List.of("cluster"),
                "haproxy", List.of("cluster")));
    // The metrics profile's services keep exactly their settings (ComposeStackTest checks values).
    assertThat(names(service("prometheus")))
        .containsExactly("image", "profiles", "ports", "volumes", "extra_hosts", "restart");
    assertThat(names(service("grafana")))
        .containsExactly(
            "image", "profiles", "depends_on", "environment", "ports", "volumes", "restart");
  }

  @Test
  void bothTaleadsRunThisDockerfilesImageOnTheComposePostgres() throws Exception {
    JsonNode postgres = service("postgres");
    Map<String, String> db = strings(postgres.get("environment"));
    String postgresPort = list(postgres.get("ports")).get(0).replaceAll(".*:", "");
    assertThat(postgres.get("healthcheck")).as("postgres has a healthcheck").isNotNull();
    assertThat(ROOT.resolve("Dockerfile")).isRegularFile();

    for (String name : TALEADS) {
      JsonNode talead = service(name);
      assertThat(names(talead))
          .as(name)
          .containsExactlyInAnyOrder(
              "build",
              "image",
              "profiles",
              "depends_on",
              "environment",
              "stop_grace_period",
              "restart");
      assertThat(talead.get("build").asText()).as(name).isEqualTo(".");
      assertThat(talead.get("image").asText()).as(name).isEqualTo(IMAGE);
      assertThat(JSON.writeValueAsString(talead.get("depends_on")))
          .as(name)
          .isEqualTo("{\"postgres\":{\"condition\":\"service_healthy\"}}");
      JsonNode env = talead.get("environment");
      assertThat(names(env))
          .as(name)
          .containsExactlyInAnyOrder(
              "TALEA_DB_URL", "TALEA_API_TOKEN", "TALEA_DRAIN_GRACE", "TALEA_SHUTDOWN_TIMEOUT");
      Matcher url =
          Pattern.compile("postgres://(\\w+):(\\w+)@([\\w-]+):(\\d+)/(\\w+)")
              .matcher(env.get("TALEA_DB_URL").asText());
      assertThat(url.matches()).as("%s TALEA_DB_URL %s", name, env.get("TALEA_DB_URL")).isTrue();
      assertThat(url.group(1)).isEqualTo(db.get("POSTGRES_USER"));
      assertThat(url.group(2)).isEqualTo(db.get("POSTGRES_PASSWORD"));
      assertThat(url.group(3)).as("the Postgres service's name").isEqualTo("postgres");
      assertThat(url.group(4)).as("the Postgres container's port").isEqualTo(postgresPort);
      assertThat(url.group(5)).isEqualTo(db.get("POSTGRES_DB"));
    }
    assertThat(service("talead-2")).as("talead-2 is talead-1 again").isEqualTo(service("talead-1"));
  }

  @Test
  void theApiTokenIsPassedOnFromTheEnvironmentAndNeverWrittenDown() throws Exception {
    for (String name : TALEADS) {
      JsonNode env = service(name).get("environment");
      assertThat(env.has("TALEA_API_TOKEN")).as(name).isTrue();
      assertThat(env.get("TALEA_API_TOKEN").isNull())
          .as("%s TALEA_API_TOKEN has no value (Compose passes on the shell's): %s", name, env)
          .isTrue();
    }
    // A required variable (${X:?...}) is resolved for every service whatever the profile, so it
    // would stop `docker compose up` for Postgres alone.
    Pattern required = Pattern.compile("\\$\\{[A-Za-z_][A-Za-z0-9_]*:?\\?");
    List<String> values = new ArrayList<>();
    texts(yaml(COMPOSE), values);
    assertThat(values).isNotEmpty().noneMatch(value -> required.matcher(value).find());
  }

  @Test
  void eachTaleadIsGivenTimeToDrainBeforeItIsKilled() throws Exception {
    for (String name : TALEADS) {
      JsonNode talead = service(name);
      Map<String, String> env = new TreeMap<>();
      env.put("TALEA_DRAIN_GRACE", talead.get("environment").get("TALEA_DRAIN_GRACE").asText());
      env.put(
          "TALEA_SHUTDOWN_TIMEOUT",
          talead.get("environment").get("TALEA_SHUTDOWN_TIMEOUT").asText());
      assertThat(env).isEqualTo(Map.of("TALEA_DRAIN_GRACE", "5s", "TALEA_SHUTDOWN_TIMEOUT", "30s"));
      Duration drain =
          duration(env.get("TALEA_DRAIN_GRACE")).plus(duration(env.get("TALEA_SHUTDOWN_TIMEOUT")));
      Duration grace = duration(talead.get("stop_grace_period").asText());
      assertThat(grace).as(name).isEqualTo(Duration.ofSeconds(40));
      assertThat(grace).as("%s stop_grace_period against a whole drain", name).isGreaterThan(drain);
    }
  }

  @Test
  void haproxyRunsTheShippedConfigInFrontOfExactlyTheTwoTaleads() throws Exception {
    JsonNode haproxy = service("haproxy");
    assertThat(haproxy.get("image").asText()).isEqualTo("haproxy:2.6");
    Map<String, String> mounts = mounts(haproxy);
    assertThat(mounts)
        .isEqualTo(
            Map.of(
                "/usr/local/etc/haproxy/haproxy.cfg", "./deploy/haproxy/haproxy.cfg:ro",
                "/usr/local/etc/haproxy/certs", "./deploy/haproxy/certs:ro"));
    assertThat(HAPROXY_CONFIG).isRegularFile();
    assertThat(list(haproxy.get("ports"))).containsExactly("127.0.0.1:8443:8443");
    assertThat(names(haproxy.get("depends_on"))).containsExactlyInAnyOrderElementsOf(TALEADS);

    // The variables the config reads, with its defaults, and the server lines that use them.
    String config = Files.readString(HAPROXY_CONFIG);
    Map<String, String> defaults = new TreeMap<>();
    Matcher variable = Pattern.compile("\"\\$\\{(TALEA_[A-Z0-9_]+)-([^}]*)\\}\"").matcher(config);
    while (variable.find()) {
      String before = defaults.put(variable.group(1), variable.group(2));
      assertThat(before).as("%s has one default", variable.group(1)).isIn(null, variable.group(2));
    }
    assertThat(defaults.keySet())
        .containsExactlyInAnyOrder(
            "TALEA_LB_BIND",
            "TALEA_LB_CERT",
            "TALEA_LB_STATS",
            "TALEA_UPSTREAM_1",
            "TALEA_UPSTREAM_2");
    Map<String, String> servers = new TreeMap<>();
    Matcher server =
        Pattern.compile("(?m)^\\s*server\\s+(\\S+)\\s+\"\\$\\{(TALEA_[A-Z0-9_]+)-").matcher(config);
    while (server.find()) {
      servers.put(server.group(2), server.group(1));
    }
    assertThat(servers)
        .isEqualTo(Map.of("TALEA_UPSTREAM_1", "talead-1", "TALEA_UPSTREAM_2", "talead-2"));

    Map<String, String> env = strings(haproxy.get("environment"));
    assertThat(env.keySet()).isEqualTo(defaults.keySet());
    // Upstreams: each talead service by name, at the port its image listens on (compose does not
    // change TALEA_BIND).
    int port = HostPort.parse(dockerfile().last().env().get("TALEA_BIND"), "TALEA_BIND").port();
    Set<String> upstreams = new TreeSet<>();
    for (Map.Entry<String, String> entry : env.entrySet()) {
      if (entry.getKey().startsWith("TALEA_UPSTREAM_")) {
        upstreams.add(entry.getValue());
      }
    }
    List<String> expected = TALEADS.stream().map(name -> name + ":" + port).toList();
    assertThat(upstreams).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(env.get("TALEA_UPSTREAM_1")).isEqualTo("talead-1:" + port);
    assertThat(env.get("TALEA_UPSTREAM_2")).isEqualTo("talead-2:" + port);
    for (String name : TALEADS) {
      assertThat(service(name).get("environment").has("TALEA_BIND")).as(name).isFalse();
    }
    // TLS where the port is published, the certificate in the mounted directory, stats private.
    assertThat(env.get("TALEA_LB_BIND")).isEqualTo(":8443");
    assertThat(env.get("TALEA_LB_CERT")).isEqualTo("/usr/local/etc/haproxy/certs/talea.pem");
    assertThat(Path.of(env.get("TALEA_LB_CERT")).getParent().toString()).isIn(mounts.keySet());
    assertThat(env.get("TALEA_LB_STATS")).isEqualTo("127.0.0.1:8404");
  }

  // ---- the Dockerfile, as the engine reads it --------------------------------------------------

  /**
   * One instruction: its keyword in upper case, its arguments with continuation lines joined, its
   * first line, and its place in the file.
   */
  record Instruction(String keyword, String arguments, int line, int index) {

    private static final Pattern FLAG = Pattern.compile("\\G--([a-z-]+)(?:=(\\S*))?\\s+");

    /** The leading {@code --name=value} flags. */
    Map<String, String> flags() {
      Map<String, String> flags = new LinkedHashMap<>();
      Matcher flag = FLAG.matcher(arguments);
      while (flag.find()) {
        flags.put(flag.group(1), flag.group(2) == null ? "" : flag.group(2));
      }
      return flags;
    }

    /** The arguments after the flags. */
    String rest() {
      Matcher flag = FLAG.matcher(arguments);
      int end = 0;
      while (flag.find()) {
        end = flag.end();
      }
      return arguments.substring(end).strip();
    }

    /** The arguments in exec (JSON) form, which they must be. */
    List<String> execForm() {
      return ContainerFilesTest.execForm(rest(), this);
    }
  }

  /** A stage: its base image, its name ({@code AS}), and its instructions after the FROM. */
  record Stage(String base, String name, List<Instruction> instructions) {

    List<Instruction> all(String keyword) {
      return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
    }

    /** The stage's one {@code keyword} instruction. */
    Instruction only(String keyword) {
      List<Instruction> found = all(keyword);
      assertThat(found).as("%s in the stage FROM %s", keyword, base).hasSize(1);
      return found.get(0);
    }

    /** The variables its ENV instructions set, in either form. */
    Map<String, String> env() {
      Map<String, String> env = new TreeMap<>();
      for (Instruction instruction : all("ENV")) {
        List<String> words = words(instruction.arguments());
        if (words.get(0).contains("=")) {
          for (String word : words) {
            int equals = word.indexOf('=');
            assertThat(equals).as("ENV on line %d: %s", instruction.line(), word).isPositive();
            env.put(word.substring(0, equals), word.substring(equals + 1));
          }
        } else {
          env.put(words.get(0), instruction.arguments().substring(words.get(0).length()).strip());
        }
      }
      return env;
    }
  }

  record Dockerfile(List<Instruction> global, List<Stage> stages) {

    Stage stage(String name) {
      return stages.stream()
          .filter(s -> name.equals(s.name()))
          .findFirst()
          .orElseGet(() -> fail("no stage %s", name));
    }

    Stage last() {
      return stages.get(stages.size() - 1);
    }

    /**
     * Reads a Dockerfile as the engine does (with the default escape character): comment lines and
     * blank lines are skipped, also inside an instruction that continues over several lines; a line
     * ending in a backslash continues on the next.
     */
    static Dockerfile parse(String text) {
      List<Instruction> instructions = new ArrayList<>();
      String[] lines = text.split("\r?\n", -1);
      StringBuilder current = null;
      int first = 0;
      for (int i = 0; i < lines.length; i++) {
        String line = lines[i].stripTrailing();
        String trimmed = line.strip();
        if (trimmed.isEmpty() || trimmed.startsWith("#")) {
          continue;
        }
        if (current == null) {
          current = new StringBuilder();
          first = i + 1;
        }
        if (line.endsWith("\\")) {
          current.append(line, 0, line.length() - 1);
          continue;
        }
        current.append(line);
        String instruction = current.toString().strip();
        int space = instruction.indexOf(' ');
        assertThat(space).as("line %d has arguments: %s", first, instruction).isPositive();
        instructions.add(
            new Instruction(
                instruction.substring(0, space).toUpperCase(Locale.ROOT),
                instruction.substring(space + 1).strip(),
                first,
                instructions.size()));
        current = null;
      }
      assertThat(current).as("the Dockerfile ends inside a continued line").isNull();

      List<Instruction> global = new ArrayList<>();
      List<Stage> stages = new ArrayList<>();
      for (Instruction instruction : instructions) {
        if (instruction.keyword().equals("FROM")) {
          List<String> words = words(instruction.rest());
          assertThat(words.size()).as("FROM on line %d", instruction.line()).isIn(1, 3);
          if (words.size() == 3) {
            assertThat(words.get(1))
                .as("FROM on line %d", instruction.line())
                .isEqualToIgnoringCase("AS");
          }
          stages.add(
              new Stage(words.get(0), words.size() == 3 ? words.get(2) : null, new ArrayList<>()));
        } else if (stages.isEmpty()) {
          global.add(instruction);
        } else {
          stages.get(stages.size() - 1).instructions().add(instruction);
        }
      }
      return new Dockerfile(global, stages);
    }
  }

  private static Dockerfile dockerfile() throws IOException {
    assertThat(DOCKERFILE).isRegularFile();
    return Dockerfile.parse(Files.readString(DOCKERFILE));
  }

  private static List<String> execForm(String json, Instruction instruction) {
    assertThat(json).as("line %d is in exec form", instruction.line()).startsWith("[");
    try {
      return List.of(JSON.readValue(json, String[].class));
    } catch (IOException e) {
      return fail("line %d is not a JSON array of strings: %s", instruction.line(), json);
    }
  }

  /** Splits shell words: quotes, single or double, and backslash escapes. */
  static List<String> words(String text) {
    List<String> words = new ArrayList<>();
    StringBuilder word = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isWhitespace(c)) {
        if (word != null) {
          words.add(word.toString());
          word = null;
        }
        continue;
      }
      if (word == null) {
        word = new StringBuilder();
      }
      if (c == '\'') {
        int end = text.indexOf('\'', i + 1);
        assertThat(end).as("a closing ' in %s", text).isPositive();
        word.append(text, i + 1, end);
        i = end;
      } else if (c == '"') {
        for (i++; ; i++) {
          assertThat(i).as("a closing \" in %s", text).isLessThan(text.length());
          char d = text.charAt(i);
          if (d == '"') {
            break;
          }
          if (d == '\\' && i + 1 < text.length()) {
            d = text.charAt(++i);
          }
          word.append(d);
        }
      } else if (c == '\\' && i + 1 < text.length()) {
        word.append(text.charAt(++i));
      } else {
        word.append(c);
      }
    }
    if (word != null) {
      words.add(word.toString());
    }
    return words;
  }

  /** A COPY path relative to the context or the WORKDIR: no {@code ./}, no trailing slash. */
  private static String clean(String path) {
    String clean = Path.of(path).normalize().toString().replace('\\', '/');
    return clean.equals(".") ? "" : clean;
  }

  private static Matcher temurin(Stage stage) {
    Matcher matcher = TEMURIN.matcher(stage.base());
    assertThat(matcher.matches())
        .as("FROM %s is an Eclipse Temurin image pinned to a release", stage.base())
        .isTrue();
    return matcher;
  }

  // ---- .dockerignore, as the engine matches it -------------------------------------------------

  /**
   * The rules of a {@code .dockerignore}: a path is left out if the last rule that matches it, or
   * one of its parent directories, is not an exception ({@code !}). {@code *} and {@code ?} stay
   * within a path segment; {@code **} spans any number of them.
   */
  record DockerIgnore(List<Pattern> patterns, List<Boolean> exceptions) {

    static DockerIgnore parse(String text) {
      List<Pattern> patterns = new ArrayList<>();
      List<Boolean> exceptions = new ArrayList<>();
      for (String raw : text.split("\r?\n")) {
        String line = raw.strip();
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        boolean exception = line.startsWith("!");
        String glob = clean(exception ? line.substring(1).strip() : line).replaceFirst("^/", "");
        patterns.add(regex(glob));
        exceptions.add(exception);
      }
      return new DockerIgnore(patterns, exceptions);
    }

    boolean excludes(String path) {
      boolean excluded = false;
      for (int i = 0; i < patterns.size(); i++) {
        if (matchesOrParentMatches(patterns.get(i), path)) {
          excluded = !exceptions.get(i);
        }
      }
      return excluded;
    }

    private static boolean matchesOrParentMatches(Pattern pattern, String path) {
      String[] segments = path.split("/");
      StringBuilder prefix = new StringBuilder();
      for (String segment : segments) {
        prefix.append(prefix.length() == 0 ? "" : "/").append(segment);
        if (pattern.matcher(prefix).matches()) {
          return true;
        }
      }
      return false;
    }

    private static Pattern regex(String glob) {
      StringBuilder regex = new StringBuilder();
      for (int i = 0; i < glob.length(); i++) {
        char c = glob.charAt(i);
        if (c == '*' && i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
          i++;
          if (i + 1 < glob.length() && glob.charAt(i + 1) == '/') {
            i++;
            regex.append("(?:.*/)?");
          } else {
            regex.append(".*");
          }
        } else if (c == '*') {
          regex.append("[^/]*");
        } else if (c == '?') {
          regex.append("[^/]");
        } else {
          regex.append(Pattern.quote(String.valueOf(c)));
        }
      }
      return Pattern.compile(regex.toString());
    }
  }

  /** The source files under a copied directory: its poms, wrapper files and src trees. */
  private static List<String> sourcesUnder(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile)
          .map(file -> ROOT.relativize(file).normalize().toString().replace('\\', '/'))
          .filter(
              file ->
                  file.endsWith("/pom.xml")
                      || file.startsWith(".mvn/")
                      || (file.contains("/src/") && !file.contains("/target/")))
          .filter(file -> !Path.of(file).getFileName().toString().startsWith("."))
          .toList();
    }
  }

  // ---- the poms --------------------------------------------------------------------------------

  private static Element pom(Path file) throws Exception {
    assertThat(file).isRegularFile();
    return DocumentBuilderFactory.newInstance()
        .newDocumentBuilder()
        .parse(file.toFile())
        .getDocumentElement();
  }

  private static List<Element> children(Element parent, String tag) {
    List<Element> children = new ArrayList<>();
    for (Node node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
      if (node instanceof Element element && element.getTagName().equals(tag)) {
        children.add(element);
      }
    }
    return children;
  }

  private static Element child(Element parent, String tag) {
    List<Element> found = children(parent, tag);
    assertThat(found).as("<%s> in <%s>", tag, parent.getTagName()).hasSize(1);
    return found.get(0);
  }

  private static String text(Element parent, String tag) {
    return child(parent, tag).getTextContent().strip();
  }

  private static String pomProperty(Path file, String name) throws Exception {
    return text(child(pom(file), "properties"), name);
  }

  private static List<String> rootModules() throws Exception {
    return children(child(pom(ROOT.resolve("pom.xml")), "modules"), "module").stream()
        .map(module -> module.getTextContent().strip())
        .toList();
  }

  /** The module and every module of this build it depends on, in any scope, transitively. */
  private static Set<String> neededModules(String module) throws Exception {
    List<String> modules = rootModules();
    Set<String> needed = new TreeSet<>();
    Deque<String> todo = new ArrayDeque<>(List.of(module));
    while (!todo.isEmpty()) {
      String next = todo.pop();
      if (!needed.add(next)) {
        continue;
      }
      Element project = pom(ROOT.resolve(next).resolve("pom.xml"));
      for (Element dependencies : children(project, "dependencies")) {
        for (Element dependency : children(dependencies, "dependency")) {
          if (text(dependency, "groupId").equals("dev.talea")) {
            String artifact = text(dependency, "artifactId");
            assertThat(modules).as("%s depends on %s", next, artifact).contains(artifact);
            todo.push(artifact);
          }
        }
      }
    }
    return needed;
  }

  /** Resources a module takes from directories beside it ({@code ${project.basedir}/../...}). */
  private static List<String> resourcesOutside(String module) throws Exception {
    String prefix = "${project.basedir}/../";
    List<String> paths = new ArrayList<>();
    Element build = child(pom(ROOT.resolve(module).resolve("pom.xml")), "build");
    for (Element resource : children(child(build, "resources"), "resource")) {
      String directory = text(resource, "directory");
      if (directory.startsWith(prefix)) {
        for (Element include : children(child(resource, "includes"), "include")) {
          paths.add(directory.substring(prefix.length()) + "/" + include.getTextContent().strip());
        }
      }
    }
    return paths;
  }

  /** The {@code finalName} of the module's shade plugin: its jar is target/NAME.jar. */
  private static String shadedJarName(Path pomFile) throws Exception {
    Element plugins = child(child(pom(pomFile), "build"), "plugins");
    for (Element plugin : children(plugins, "plugin")) {
      if (text(plugin, "artifactId").equals("maven-shade-plugin")) {
        return plugin.getElementsByTagName("finalName").item(0).getTextContent().strip();
      }
    }
    return fail("%s has no maven-shade-plugin", pomFile);
  }

  // ---- the health check ------------------------------------------------------------------------

  /** Runs the HEALTHCHECK's script as the engine would, with the image's TALEA_BIND on a port. */
  private static Run health(String script, int port) throws Exception {
    ProcessBuilder bash = new ProcessBuilder("bash", "-c", script);
    bash.environment().put("TALEA_BIND", "0.0.0.0:" + port);
    return run(bash);
  }

  private record Run(int exit, String output) {}

  private static Run run(ProcessBuilder command) throws Exception {
    Process process = command.redirectErrorStream(true).start();
    process.getOutputStream().close();
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    try (InputStream out = process.getInputStream()) {
      out.transferTo(output);
    }
    assertThat(process.waitFor(20, TimeUnit.SECONDS)).as("%s finished", command.command()).isTrue();
    return new Run(process.exitValue(), output.toString(StandardCharsets.UTF_8));
  }

  // ---- compose helpers (the rest are ComposeStackTest's)
  // ------------------------------------------

  /** Every string value in a document, keys left out. */
  private static void texts(JsonNode node, List<String> values) {
    if (node.isTextual()) {
      values.add(node.asText());
    }
    node.elements().forEachRemaining(child -> texts(child, values));
  }

  /** A duration in the one-unit form Compose and talead share ({@code 5s}, {@code 40s}). */
  private static Duration duration(String value) {
    return ConfigFactory.parseMap(Map.of("d", value)).getDuration("d");
  }
}
