package dev.talea.http;

import dev.talea.store.Store;
import dev.talea.store.StoreSettings;
import dev.talea.store.StoreUrl;
import dev.talea.store.Stores;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code talead init}: creates or migrates the store, generates an API token, writes {@code
 * TALEA_DB_URL}, {@code TALEA_API_TOKEN} and {@code TALEA_BIND} to {@code ./.env} (keeping its
 * other lines), and applies {@code ./talea.seed.toml} if there is one. Safe to run again: it keeps
 * the token unless told {@code --force}.
 */
@Command(
    name = "init",
    mixinStandardHelpOptions = true,
    description = {
      "Create or migrate the store, generate an API token, and write TALEA_DB_URL,"
          + " TALEA_API_TOKEN and TALEA_BIND to ./.env (other lines of .env are kept).",
      "",
      "The store is --db-url, else TALEA_DB_URL (environment, then ./.env), else the embedded"
          + " default sqlite:./talea.db. If ./talea.seed.toml exists (or --seed names a file), its"
          + " assets and accounts are created; identical ones are left alone.",
      "",
      "Re-running is safe and keeps the existing token; --force makes a new one. The token is"
          + " never printed: read it from .env.",
      "",
      "Exit codes: 0 done, 1 the store cannot be opened or migrated, 2 a bad URL or seed file."
    })
final class InitCommand implements Callable<Integer> {

  static final String DEFAULT_DB_URL = "sqlite:./talea.db";
  static final String DEFAULT_BIND = "127.0.0.1:8080";

  @Option(
      names = "--db-url",
      paramLabel = "URL",
      description =
          "postgres://user:pass@host:port/db, jdbc:postgresql://..., sqlite:<path> or log:<dir>")
  private String dbUrl;

  @Option(names = "--force", description = "Generate a new token even if .env already has one.")
  private boolean force;

  @Option(
      names = "--seed",
      paramLabel = "FILE",
      description = "Apply this seed file instead of ./talea.seed.toml (it must exist).")
  private Path seedFile;

  @Spec private CommandSpec spec;

  private final Path directory;

  InitCommand() {
    this(Path.of(""));
  }

  InitCommand(Path directory) {
    this.directory = directory;
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    Path envFile = directory.resolve(".env");
    Map<String, String> dotEnv = DotEnv.read(envFile);
    String url = dbUrl;
    if (url == null) {
      url = System.getenv("TALEA_DB_URL");
    }
    if (url == null) {
      url = dotEnv.getOrDefault("TALEA_DB_URL", DEFAULT_DB_URL);
    }
    StoreUrl storeUrl;
    try {
      storeUrl = StoreUrl.parse(url);
    } catch (IllegalArgumentException e) {
      throw new SettingsException("--db-url: " + e.getMessage());
    }
    String backend;
    SeedFile.Applied seeded = null;
    Path seed =
        seedFile != null ? directory.resolve(seedFile) : directory.resolve("talea.seed.toml");
    if (seedFile != null && !Files.isRegularFile(seed)) {
      throw new SettingsException("--seed: " + seed + " does not exist");
    }
    try (Store store = Stores.open(storeUrl, StoreSettings.defaults())) {
      backend = store.backend();
      if (Files.isRegularFile(seed)) {
        seeded = SeedFile.apply(seed, store);
      }
    }
    String token = dotEnv.get("TALEA_API_TOKEN");
    boolean newToken = force || token == null || token.isBlank();
    if (newToken) {
      token = generateToken();
    }
    Map<String, String> updates = new LinkedHashMap<>();
    updates.put("TALEA_DB_URL", url);
    updates.put("TALEA_API_TOKEN", token);
    updates.put("TALEA_BIND", dotEnv.getOrDefault("TALEA_BIND", DEFAULT_BIND));
    DotEnv.write(envFile, updates);

    out.println("talead init: store " + storeUrl + " (backend " + backend + ") is ready");
    if (seeded != null) {
      out.printf(
          "talead init: %s: %d assets created, %d already present; %d accounts created, %d already"
              + " present%n",
          seed,
          seeded.assetsCreated(),
          seeded.assetsPresent(),
          seeded.accountsCreated(),
          seeded.accountsPresent());
    }
    out.println(
        "talead init: "
            + (newToken ? "generated a new API token" : "kept the existing API token")
            + " in "
            + envFile.toAbsolutePath().normalize()
            + " (TALEA_API_TOKEN)");
    out.println(
        "talead init: next, run `talead serve`; clients read the token with"
            + " export TALEA_TOKEN=$(grep '^TALEA_API_TOKEN=' .env | cut -d= -f2)");
    out.flush();
    return 0;
  }

  /** 32 random bytes, URL-safe base64 without padding: 43 characters. */
  static String generateToken() {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
