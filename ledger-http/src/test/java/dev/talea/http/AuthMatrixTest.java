package dev.talea.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.talea.http.ServerHarness.Reply;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Who may do what (contract §2): every route of §4–§7 and §9 against every kind of token, each cell
 * with the status the contract gives it; the books each token may list; and the tokens file's
 * start-up failures, whose messages never repeat a secret.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuthMatrixTest {

  /** The book the scoped tokens are about. */
  private static final String BOOK = "payments";

  /** Another book, the only one of {@link Token#RW_OTHER}. */
  private static final String OTHER = "treasury";

  private static final String ASSET = "USD";

  /** The kinds of credential a request can carry. */
  enum Token {
    NONE("no token", null, false, Set.of(), false),
    UNKNOWN("unknown token", "unknown-token-0123456789abcdef", false, Set.of(), false),
    RO_BOOK("ro token for " + BOOK, "ro-payments-secret-0123456789", false, Set.of(BOOK), false),
    RW_OTHER("rw token for " + OTHER, "rw-treasury-secret-0123456789", false, Set.of(OTHER), true),
    RW_BOOK("rw token for " + BOOK, "rw-payments-secret-0123456789", false, Set.of(BOOK), true),
    RW_ALL("rw token for *", "rw-everything-secret-0123456789", true, Set.of(), true),
    API_TOKEN("TALEA_API_TOKEN", ServerHarness.ADMIN_TOKEN, true, Set.of(), true);

    final String label;
    final String secret;
    final boolean allBooks;
    final Set<String> books;
    final boolean readWrite;

    Token(String label, String secret, boolean allBooks, Set<String> books, boolean readWrite) {
      this.label = label;
      this.secret = secret;
      this.allBooks = allBooks;
      this.books = books;
      this.readWrite = readWrite;
    }

    boolean valid() {
      return this != NONE && this != UNKNOWN;
    }

    boolean canRead(String book) {
      return valid() && (allBooks || books.contains(book));
    }

    boolean canWrite(String book) {
      return canRead(book) && readWrite;
    }
  }

  /** What a route needs, which decides the status of each cell. */
  enum Needs {
    /** Any valid token (global reads). */
    ANY_TOKEN,
    /** A token that can read {@link #BOOK}; else 403 naming it. */
    READ_BOOK,
    /** A read-write token for {@link #BOOK}; else 403 naming it. */
    WRITE_BOOK,
    /** A read-write token for {@code *}; else 403. */
    ADMIN,
    /** A token that can read the transaction's book; else 404, as for an unknown id. */
    READ_TX,
    /** Nothing: {@code /health}. */
    NOTHING
  }

  /** One route: its method, its path as the contract writes it, and a request for one cell. */
  record Route(String method, String template, Needs needs, int success) {}

  private static final List<Route> ROUTES =
      List.of(
          new Route("POST", "/v1/assets", Needs.ADMIN, 201),
          new Route("GET", "/v1/assets", Needs.ANY_TOKEN, 200),
          new Route("GET", "/v1/assets/{code}", Needs.ANY_TOKEN, 200),
          new Route("GET", "/v1/books", Needs.ANY_TOKEN, 200),
          new Route("PUT", "/v1/books/{book}/accounts/{account}", Needs.WRITE_BOOK, 201),
          new Route("GET", "/v1/books/{book}/accounts/{account}", Needs.READ_BOOK, 200),
          new Route("GET", "/v1/books/{book}/accounts", Needs.READ_BOOK, 200),
          new Route("POST", "/v1/books/{book}/transactions", Needs.WRITE_BOOK, 201),
          new Route("POST", "/v1/books/{book}/transactions/batch", Needs.WRITE_BOOK, 200),
          new Route("GET", "/v1/books/{book}/transactions", Needs.READ_BOOK, 200),
          new Route("GET", "/v1/books/{book}/transactions?idempotency_key=", Needs.READ_BOOK, 200),
          new Route("GET", "/v1/transactions/{tx_id}", Needs.READ_TX, 200),
          new Route("GET", "/v1/books/{book}/accounts/{account}/postings", Needs.READ_BOOK, 200),
          new Route("GET", "/v1/books/{book}/accounts/{account}/balances", Needs.READ_BOOK, 200),
          new Route("GET", "/v1/books/{book}/trial-balance", Needs.READ_BOOK, 200),
          new Route("GET", "/v1/books/{book}/verify", Needs.READ_BOOK, 200),
          new Route("GET", "/health", Needs.NOTHING, 200));

  @TempDir static Path temp;

  private ServerHarness server;
  private String seedTxId;

  @BeforeAll
  void startServer() throws IOException {
    StringBuilder file = new StringBuilder();
    for (Token token : Token.values()) {
      if (!token.valid() || token == Token.API_TOKEN) {
        continue;
      }
      List<String> books = new ArrayList<>();
      if (token.allBooks) {
        books.add("\"*\"");
      }
      token.books.forEach(b -> books.add("\"" + b + "\""));
      file.append("[tokens.")
          .append(token.name().toLowerCase().replace('_', '-'))
          .append("]\ntoken = \"")
          .append(token.secret)
          .append("\"\nbooks = [")
          .append(String.join(", ", books))
          .append("]\naccess = \"")
          .append(token.readWrite ? "rw" : "ro")
          .append("\"\n\n");
    }
    Path tokens = temp.resolve("tokens.toml");
    Files.writeString(tokens, file.toString());
    server =
        ServerHarness.start(
            "log:" + temp.resolve("log"), Map.of("TALEA_TOKENS_FILE", tokens.toString()));

    expect(server.post("/v1/assets", "{\"code\":\"" + ASSET + "\",\"decimals\":2}"), 201);
    expect(server.put(accountPath(BOOK, "assets:cash"), "{\"kind\":\"asset\"}"), 201);
    expect(server.put(accountPath(BOOK, "equity:capital"), "{\"kind\":\"equity\"}"), 201);
    expect(server.put(accountPath(OTHER, "assets:cash"), "{\"kind\":\"asset\"}"), 201);
    Reply seed = server.post("/v1/books/" + BOOK + "/transactions", draft("seed", "100.00"));
    expect(seed, 201);
    seedTxId = seed.json().get("tx_id").asText();
  }

  @AfterAll
  void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  // ---- the matrix ------------------------------------------------------------------------------

  static Stream<Arguments> matrix() {
    List<Arguments> cells = new ArrayList<>();
    for (Route route : ROUTES) {
      for (Token token : Token.values()) {
        cells.add(
            Arguments.of(
                route.method() + " " + route.template() + " × " + token.label, route, token));
      }
    }
    return cells.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("matrix")
  void eachRouteAnswersEachTokenAsTheContractSays(String name, Route route, Token token) {
    // Unique per cell, so that every authorized write creates something new.
    String suffix = token.name().toLowerCase().replace('_', '-') + "-r" + ROUTES.indexOf(route);
    Reply reply = request(route, token, suffix);

    assertThat(reply.header("X-Talea-Backend")).isEqualTo("log");
    Expected expected = expected(route, token);
    assertThat(reply.status()).as("%s: %s", name, reply.body()).isEqualTo(expected.status());
    switch (expected.status()) {
      case 401 -> {
        assertThat(reply.error()).isEqualTo("unauthorized");
        assertThat(reply.header("WWW-Authenticate")).isEqualTo("Bearer");
      }
      case 403 -> {
        assertThat(reply.header("Content-Type")).isEqualTo("application/problem+json");
        assertThat(reply.error()).isEqualTo("forbidden");
        assertThat(reply.json().path("book").asText(null)).isEqualTo(expected.book());
      }
      case 404 -> {
        assertThat(reply.header("Content-Type")).isEqualTo("application/problem+json");
        assertThat(reply.error()).isEqualTo("not_found");
      }
      default -> assertSuccess(route, reply, suffix);
    }
  }

  private record Expected(int status, String book) {}

  private static Expected expected(Route route, Token token) {
    if (route.needs() == Needs.NOTHING) {
      return new Expected(200, null);
    }
    if (!token.valid()) {
      return new Expected(401, null);
    }
    return switch (route.needs()) {
      case ANY_TOKEN -> new Expected(route.success(), null);
      case ADMIN ->
          token.allBooks && token.readWrite
              ? new Expected(route.success(), null)
              : new Expected(403, "*");
      case READ_BOOK ->
          token.canRead(BOOK) ? new Expected(route.success(), null) : new Expected(403, BOOK);
      case WRITE_BOOK ->
          token.canWrite(BOOK) ? new Expected(route.success(), null) : new Expected(403, BOOK);
      case READ_TX ->
          token.canRead(BOOK) ? new Expected(route.success(), null) : new Expected(404, null);
      case NOTHING -> new Expected(200, null);
    };
  }

  /** The request of one cell; writes use names and keys of their own, so they would succeed. */
  private Reply request(Route route, Token token, String suffix) {
    String secret = token.secret;
    String book = "/v1/books/" + BOOK;
    return switch (route.method() + " " + route.template()) {
      case "POST /v1/assets" ->
          server.post(
              "/v1/assets", secret, "{\"code\":\"" + assetCode(suffix) + "\",\"decimals\":2}");
      case "GET /v1/assets" -> server.get("/v1/assets", secret);
      case "GET /v1/assets/{code}" -> server.get("/v1/assets/" + ASSET, secret);
      case "GET /v1/books" -> server.get("/v1/books", secret);
      case "PUT /v1/books/{book}/accounts/{account}" ->
          server.put(accountPath(BOOK, "assets:" + suffix), secret, "{\"kind\":\"asset\"}");
      case "GET /v1/books/{book}/accounts/{account}" ->
          server.get(accountPath(BOOK, "assets:cash"), secret);
      case "GET /v1/books/{book}/accounts" -> server.get(book + "/accounts", secret);
      case "POST /v1/books/{book}/transactions" ->
          server.post(book + "/transactions", secret, draft("post-" + suffix, "1.00"));
      case "POST /v1/books/{book}/transactions/batch" ->
          server.post(
              book + "/transactions/batch",
              secret,
              "{\"transactions\":[" + draft("batch-" + suffix, "2.00") + "]}");
      case "GET /v1/books/{book}/transactions" -> server.get(book + "/transactions", secret);
      case "GET /v1/books/{book}/transactions?idempotency_key=" ->
          server.get(book + "/transactions?idempotency_key=seed", secret);
      case "GET /v1/transactions/{tx_id}" -> server.get("/v1/transactions/" + seedTxId, secret);
      case "GET /v1/books/{book}/accounts/{account}/postings" ->
          server.get(accountPath(BOOK, "assets:cash") + "/postings", secret);
      case "GET /v1/books/{book}/accounts/{account}/balances" ->
          server.get(accountPath(BOOK, "assets:cash") + "/balances", secret);
      case "GET /v1/books/{book}/trial-balance" -> server.get(book + "/trial-balance", secret);
      case "GET /v1/books/{book}/verify" -> server.get(book + "/verify", secret);
      case "GET /health" -> server.get("/health", secret);
      default -> throw new IllegalArgumentException("no request for " + route);
    };
  }

  /** What an authorized answer holds, beyond its status. */
  private void assertSuccess(Route route, Reply reply, String suffix) {
    assertThat(reply.header("Content-Type")).isEqualTo("application/json");
    JsonNode body = reply.json();
    switch (route.method() + " " + route.template()) {
      case "POST /v1/assets" -> {
        assertThat(body.get("code").asText()).isEqualTo(assetCode(suffix));
        assertThat(reply.header("Location")).isEqualTo("/v1/assets/" + assetCode(suffix));
      }
      case "PUT /v1/books/{book}/accounts/{account}" -> {
        assertThat(body.get("account").asText()).isEqualTo("assets:" + suffix);
        assertThat(reply.header("Location")).isEqualTo(accountPath(BOOK, "assets:" + suffix));
      }
      case "POST /v1/books/{book}/transactions" -> {
        assertThat(body.get("idempotency_key").asText()).isEqualTo("post-" + suffix);
        assertThat(reply.header("Location"))
            .isEqualTo("/v1/transactions/" + body.get("tx_id").asText());
      }
      case "POST /v1/books/{book}/transactions/batch" -> {
        assertThat(body.get("results")).hasSize(1);
        assertThat(body.get("results").get(0).get("status").asInt()).isEqualTo(201);
      }
      case "GET /v1/books/{book}/transactions?idempotency_key=" -> {
        assertThat(body.get("transactions")).hasSize(1);
        assertThat(body.get("transactions").get(0).get("tx_id").asText()).isEqualTo(seedTxId);
      }
      case "GET /v1/transactions/{tx_id}" -> {
        assertThat(body.get("tx_id").asText()).isEqualTo(seedTxId);
        assertThat(body.get("book").asText()).isEqualTo(BOOK);
      }
      case "GET /v1/books/{book}/verify" -> assertThat(body.get("ok").asBoolean()).isTrue();
      default -> {}
    }
  }

  // ---- GET /v1/books ---------------------------------------------------------------------------

  static Stream<Arguments> bookListings() {
    return Stream.of(
        Arguments.of(Token.RO_BOOK, List.of(BOOK)),
        Arguments.of(Token.RW_OTHER, List.of(OTHER)),
        Arguments.of(Token.RW_BOOK, List.of(BOOK)),
        Arguments.of(Token.RW_ALL, List.of(BOOK, OTHER)),
        Arguments.of(Token.API_TOKEN, List.of(BOOK, OTHER)));
  }

  @ParameterizedTest(name = "GET /v1/books × {0}")
  @MethodSource("bookListings")
  void listingBooksShowsOnlyTheBooksTheTokenCanRead(Token token, List<String> books) {
    Reply reply = server.get("/v1/books", token.secret);
    assertThat(reply.status()).as(reply.body()).isEqualTo(200);
    List<String> listed = new ArrayList<>();
    reply.json().get("books").forEach(b -> listed.add(b.get("book").asText()));
    assertThat(listed).containsExactlyInAnyOrderElementsOf(books);
  }

  // ---- tokens file failures --------------------------------------------------------------------

  /** A tokens file, or {@code null} for none at the path, and what the failure must say. */
  record BadFile(String name, String content, List<String> mentions, List<String> secrets) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<BadFile> badTokenFiles() {
    return Stream.of(
        new BadFile(
            "missing file", null, List.of("TALEA_TOKENS_FILE", "does not exist"), List.of()),
        new BadFile(
            "unparsable TOML",
            """
            [tokens.payments]
            token = "unterminated-secret-0123456789
            books = ["payments"]
            access = "rw"
            """,
            List.of("TALEA_TOKENS_FILE", "not valid TOML"),
            List.of("unterminated-secret-0123456789")),
        new BadFile("empty file", "", List.of("TALEA_TOKENS_FILE", "no tokens"), List.of()),
        new BadFile(
            "a tokens table without tokens",
            "[tokens]\n",
            List.of("TALEA_TOKENS_FILE", "no tokens"),
            List.of()),
        new BadFile(
            "a token shorter than 16 characters",
            """
            [tokens.payments]
            token = "short-secret15c"
            books = ["payments"]
            access = "rw"
            """,
            List.of("payments", "shorter than 16 characters"),
            List.of("short-secret15c")),
        new BadFile(
            "a duplicate secret",
            """
            [tokens.first]
            token = "shared-secret-0123456789"
            books = ["payments"]
            access = "rw"

            [tokens.second]
            token = "shared-secret-0123456789"
            books = ["treasury"]
            access = "ro"
            """,
            List.of("second", "same secret"),
            List.of("shared-secret-0123456789")),
        new BadFile(
            "an unknown access value",
            """
            [tokens.payments]
            token = "access-secret-0123456789"
            books = ["payments"]
            access = "admin"
            """,
            List.of("payments", "access"),
            List.of("access-secret-0123456789")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badTokenFiles")
  void aBadTokensFileStopsStartUpNamingTheProblemButNoSecret(BadFile bad) throws IOException {
    Path dir = Files.createTempDirectory(temp, "bad");
    Path file = dir.resolve("tokens.toml");
    if (bad.content() != null) {
      Files.writeString(file, bad.content());
    }

    assertThatThrownBy(
            () ->
                ServerHarness.start(
                        "log:" + dir.resolve("log"), Map.of("TALEA_TOKENS_FILE", file.toString()))
                    .close())
        .isInstanceOf(SettingsException.class)
        .satisfies(
            e -> {
              String message = e.getMessage();
              for (String mention : bad.mentions()) {
                assertThat(message).contains(mention);
              }
              for (String secret : bad.secrets()) {
                assertThat(message).doesNotContain(secret);
              }
              assertThat(message).doesNotContain(ServerHarness.ADMIN_TOKEN);
              for (Token token : Token.values()) {
                if (token.secret != null) {
                  assertThat(message).doesNotContain(token.secret);
                }
              }
            });
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private static String assetCode(String suffix) {
    return "A" + suffix.toUpperCase().replace(':', '.');
  }

  private static String accountPath(String book, String account) {
    return "/v1/books/" + book + "/accounts/" + account;
  }

  private static String draft(String key, String amount) {
    return "{\"idempotency_key\":\""
        + key
        + "\",\"postings\":["
        + "{\"account\":\"assets:cash\",\"asset\":\""
        + ASSET
        + "\",\"debit\":\""
        + amount
        + "\"},{\"account\":\"equity:capital\",\"asset\":\""
        + ASSET
        + "\",\"credit\":\""
        + amount
        + "\"}]}";
  }

  private static void expect(Reply reply, int status) {
    assertThat(reply.status()).as(reply.body()).isEqualTo(status);
  }
}
