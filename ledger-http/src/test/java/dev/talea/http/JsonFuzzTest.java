package dev.talea.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.talea.protocol.ErrorCode;
import dev.talea.protocol.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * Hostile bodies for the four write routes, against a real server (log store) on a random port.
 * Each body starts as a valid request and is mutated: fields dropped, duplicated, renamed or added;
 * values replaced by every JSON type, huge and negative numbers, deep nesting, long strings,
 * unicode and control characters, amounts and timestamps just outside the grammar; then, sometimes,
 * the bytes themselves are cut, corrupted with invalid UTF-8 or replaced by noise.
 *
 * <p>Whatever arrives, the answer must be one the contract lists: never {@code 500} nor a status
 * outside the contract's table, always a JSON object (a problem document with a known {@code error}
 * code matching its status, or the success shape of the route), always with {@code
 * X-Talea-Backend}. A failure prints the exact body sent.
 */
class JsonFuzzTest {

  private static final String BOOK = "fuzz";
  private static final String BACKEND = "log";
  private static final int ONE_MIB = 1024 * 1024;

  /** Every status the contract's error table and routes can answer, 500 excluded. */
  private static final Set<Integer> CONTRACT_STATUSES =
      Set.of(200, 201, 400, 401, 403, 404, 405, 408, 409, 413, 415, 422, 429, 503);

  private static final List<String> ACCOUNTS =
      List.of(
          "assets:hot",
          "liabilities:alice",
          "liabilities:bob",
          "equity:owner",
          "expenses:fees",
          "income:fees");

  private static final List<String> ASSETS = List.of("BTC", "USDC", "ZERO");

  /** Field names of every request object, used for renames and additions. */
  private static final List<String> FIELD_NAMES =
      List.of(
          "code",
          "decimals",
          "name",
          "kind",
          "min_balance",
          "metadata",
          "idempotency_key",
          "postings",
          "occurred_at",
          "memo",
          "account",
          "asset",
          "debit",
          "credit",
          "transactions",
          "tx_id",
          "seq",
          "Code",
          "DEBIT",
          "debit ",
          "",
          "\u0000",
          "postings\u0000",
          "__proto__",
          "m\u00e9mo");

  private static final String DUPLICATE_MARK = "\u0000#dup#";
  private static final String RAW_MARK = "\u0000#raw#";

  private static Path directory;
  private static ServerHarness server;

  @BeforeContainer
  static void startServer() throws IOException {
    directory = Files.createTempDirectory("talea-json-fuzz");
    server = ServerHarness.start("log:" + directory.resolve("log"));
    expect(server.post("/v1/assets", "{\"code\":\"BTC\",\"decimals\":8}"), 201);
    expect(server.post("/v1/assets", "{\"code\":\"USDC\",\"decimals\":6}"), 201);
    expect(server.post("/v1/assets", "{\"code\":\"ZERO\",\"decimals\":0}"), 201);
    for (String account : ACCOUNTS) {
      String kind = account.substring(0, account.indexOf(':'));
      kind =
          switch (kind) {
            case "assets" -> "asset";
            case "liabilities" -> "liability";
            case "expenses" -> "expense";
            default -> kind;
          };
      String minBalance = kind.equals("liability") ? ",\"min_balance\":\"0\"" : "";
      expect(
          server.put(
              "/v1/books/" + BOOK + "/accounts/" + account,
              "{\"kind\":\"" + kind + "\"" + minBalance + "}"),
          201);
    }
  }

  @AfterContainer
  static void stopServer() throws IOException {
    try {
      if (server != null) {
        ServerHarness.Reply health = server.get("/health", null);
        assertThat(health.status())
            .as("the server is still healthy after the fuzzing")
            .isEqualTo(200);
        server.close();
      }
    } finally {
      if (directory != null) {
        try (Stream<Path> files = Files.walk(directory)) {
          for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
            Files.deleteIfExists(file);
          }
        }
      }
    }
  }

  private static void expect(ServerHarness.Reply reply, int status) {
    assertThat(reply.status()).as(reply.body()).isEqualTo(status);
  }

  // ---- properties -------------------------------------------------------------------------------

  @Property(tries = 700, shrinking = ShrinkingMode.OFF, edgeCases = EdgeCasesMode.NONE)
  void registeringMutatedAssetsAnswersOnlyContractStatusesAndShapes(
      @ForAll("assetRequests") Request request) {
    check(request);
  }

  @Property(tries = 700, shrinking = ShrinkingMode.OFF, edgeCases = EdgeCasesMode.NONE)
  void openingMutatedAccountsAnswersOnlyContractStatusesAndShapes(
      @ForAll("accountRequests") Request request) {
    check(request);
  }

  @Property(tries = 900, shrinking = ShrinkingMode.OFF, edgeCases = EdgeCasesMode.NONE)
  void postingMutatedTransactionsAnswersOnlyContractStatusesAndShapes(
      @ForAll("transactionRequests") Request request) {
    check(request);
  }

  @Property(tries = 700, shrinking = ShrinkingMode.OFF, edgeCases = EdgeCasesMode.NONE)
  void postingMutatedBatchesAnswersOnlyContractStatusesAndShapes(
      @ForAll("batchRequests") Request request) {
    check(request);
  }

  @Provide
  Arbitrary<Request> assetRequests() {
    return Arbitraries.randoms().map(random -> new Fuzzer(random).request(Route.ASSET));
  }

  @Provide
  Arbitrary<Request> accountRequests() {
    return Arbitraries.randoms().map(random -> new Fuzzer(random).request(Route.ACCOUNT));
  }

  @Provide
  Arbitrary<Request> transactionRequests() {
    return Arbitraries.randoms().map(random -> new Fuzzer(random).request(Route.TRANSACTION));
  }

  @Provide
  Arbitrary<Request> batchRequests() {
    return Arbitraries.randoms().map(random -> new Fuzzer(random).request(Route.BATCH));
  }

  // ---- the check --------------------------------------------------------------------------------

  private static void check(Request request) {
    try {
      exchange(request);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\nexact body saved to " + save(request), e);
    }
  }

  /** Keeps a failing body byte for byte under target/, since the message may abbreviate it. */
  private static Path save(Request request) {
    try {
      Path dir = Path.of("target", "json-fuzz-failures");
      Files.createDirectories(dir);
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(request.body());
      Path file = dir.resolve(HexFormat.of().formatHex(digest, 0, 8) + ".body");
      Files.write(file, request.body());
      return file.toAbsolutePath();
    } catch (IOException | NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void exchange(Request request) {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(server.uri(request.path()))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + ServerHarness.ADMIN_TOKEN)
            .method(request.method(), HttpRequest.BodyPublishers.ofByteArray(request.body()));
    if (request.contentType() != null) {
      builder.header("Content-Type", request.contentType());
    }
    if (request.idempotencyHeader() != null) {
      builder.header("Idempotency-Key", request.idempotencyHeader());
    }
    HttpResponse<byte[]> response;
    try {
      response = server.client().send(builder.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      if (request.body().length > ONE_MIB) {
        // The server may refuse a declared body over 1 MiB and close before the client is done
        // sending it; the client then sees the connection end instead of the 413.
        return;
      }
      throw new AssertionError("no answer to " + request + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }

    int status = response.statusCode();
    Statistics.collect(status, errorCode(response.body()));
    String answer = new String(response.body(), StandardCharsets.UTF_8);
    String context = "answer " + status + " " + abbreviate(answer, 2000) + "\nto " + request;
    assertThat(status).as("status outside the contract; " + context).isIn(CONTRACT_STATUSES);
    assertThat(response.headers().firstValue("X-Talea-Backend"))
        .as("X-Talea-Backend; " + context)
        .contains(BACKEND);
    JsonNode body;
    try {
      body = Json.parseResponse(response.body());
    } catch (RuntimeException e) {
      throw new AssertionError("the answer is not JSON; " + context, e);
    }
    assertThat(body.isObject()).as("the answer is a JSON object; " + context).isTrue();
    String contentType = response.headers().firstValue("Content-Type").orElse("");
    if (status >= 400) {
      assertThat(contentType).as(context).isEqualTo("application/problem+json");
      assertProblem(body, status, context);
    } else {
      assertThat(contentType).as(context).isEqualTo("application/json");
      assertSuccess(request.route(), status, body, context);
    }
  }

  /** The error code of a problem answer, for the statistics; "-" for anything else. */
  private static String errorCode(byte[] body) {
    try {
      return Json.parseResponse(body).path("error").asText("-");
    } catch (RuntimeException e) {
      return "-";
    }
  }

  private static void assertProblem(JsonNode problem, int status, String context) {
    JsonNode error = problem.get("error");
    assertThat(error != null && error.isTextual()).as("an error string; " + context).isTrue();
    ErrorCode code = null;
    for (ErrorCode candidate : ErrorCode.values()) {
      if (candidate.wireName().equals(error.textValue()) && candidate.httpStatus() == status) {
        code = candidate;
      }
    }
    assertThat(code)
        .as("error '%s' with status %d is in the contract; %s", error.textValue(), status, context)
        .isNotNull()
        .isNotEqualTo(ErrorCode.INTERNAL);
    assertThat(problem.path("status").asInt()).as(context).isEqualTo(status);
    assertThat(problem.path("type").asText()).as(context).isEqualTo(code.typeUri());
    assertThat(problem.path("title").isTextual()).as(context).isTrue();
    assertThat(problem.path("detail").isTextual()).as(context).isTrue();
    for (String field : code.extraFields()) {
      assertThat(problem.path(field).isTextual())
          .as("problem field '%s'; %s", field, context)
          .isTrue();
    }
  }

  private static void assertSuccess(Route route, int status, JsonNode body, String context) {
    switch (route) {
      case ASSET -> {
        assertThat(status).as(context).isIn(200, 201);
        assertThat(body.path("code").isTextual()).as(context).isTrue();
        assertThat(body.path("decimals").isIntegralNumber()).as(context).isTrue();
        assertThat(body.path("created_at").isTextual()).as(context).isTrue();
      }
      case ACCOUNT -> {
        assertThat(status).as(context).isIn(200, 201);
        assertThat(body.path("book").asText()).as(context).isEqualTo(BOOK);
        assertThat(body.path("kind").isTextual()).as(context).isTrue();
        assertThat(body.path("normal_side").asText()).as(context).isIn("debit", "credit");
        assertThat(body.path("metadata").isObject()).as(context).isTrue();
        assertThat(body.path("balances").isArray()).as(context).isTrue();
      }
      case TRANSACTION -> {
        assertThat(status).as(context).isIn(200, 201);
        assertTransaction(body, context);
        assertThat(body.path("deduplicated").asBoolean()).as(context).isEqualTo(status == 200);
      }
      case BATCH -> {
        assertThat(status).as(context).isEqualTo(200);
        JsonNode results = body.path("results");
        assertThat(results.isArray() && !results.isEmpty()).as(context).isTrue();
        for (JsonNode result : results) {
          int itemStatus = result.path("status").asInt();
          assertThat(itemStatus).as(context).isIn(CONTRACT_STATUSES);
          if (itemStatus < 300) {
            assertThat(itemStatus).as(context).isIn(200, 201);
            assertTransaction(result.path("transaction"), context);
          } else {
            assertThat(result.path("error").isObject()).as(context).isTrue();
            assertProblem(result.path("error"), itemStatus, context);
          }
        }
      }
    }
  }

  private static void assertTransaction(JsonNode tx, String context) {
    assertThat(tx.path("tx_id").isTextual()).as(context).isTrue();
    assertThat(tx.path("book").asText()).as(context).isEqualTo(BOOK);
    assertThat(tx.path("seq").asLong()).as(context).isPositive();
    assertThat(tx.path("hash").asText()).as(context).matches("[0-9a-f]{64}");
    assertThat(tx.path("postings").size()).as(context).isBetween(2, 256);
  }

  // ---- requests ---------------------------------------------------------------------------------

  enum Route {
    ASSET,
    ACCOUNT,
    TRANSACTION,
    BATCH
  }

  /** One request as sent; its text form shows the body exactly, bytes that are not UTF-8 in hex. */
  record Request(
      Route route,
      String method,
      String path,
      String contentType,
      String idempotencyHeader,
      byte[] body,
      List<String> mutations) {

    @Override
    public String toString() {
      return method
          + " "
          + path
          + " (Content-Type: "
          + contentType
          + (idempotencyHeader == null ? "" : ", Idempotency-Key: " + idempotencyHeader)
          + "; "
          + body.length
          + " bytes; mutations "
          + mutations
          + ")\nbody: "
          + show(body);
    }
  }

  /** Java string literal form of the body; bytes that are not valid UTF-8 as \xNN. */
  static String show(byte[] body) {
    StringBuilder out = new StringBuilder("\"");
    int shown = 0;
    for (int i = 0; i < body.length && shown < 6000; shown++) {
      int b = body[i] & 0xff;
      int length = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : 4;
      String decoded = null;
      if (b >= 0x80 && b < 0xf5 && i + length <= body.length) {
        String candidate = new String(body, i, length, StandardCharsets.UTF_8);
        byte[] again = candidate.getBytes(StandardCharsets.UTF_8);
        if (!candidate.contains("\ufffd")
            && java.util.Arrays.equals(again, 0, again.length, body, i, i + length)) {
          decoded = candidate;
        }
      }
      if (b < 0x80) {
        char c = (char) b;
        if (c == '"' || c == '\\') {
          out.append('\\').append(c);
        } else if (c < 0x20 || c == 0x7f) {
          out.append(String.format("\\x%02x", b));
        } else {
          out.append(c);
        }
        i++;
      } else if (decoded != null) {
        decoded.codePoints().forEach(cp -> out.append(String.format("\\u{%x}", cp)));
        i += length;
      } else {
        out.append(String.format("\\x%02x", b));
        i++;
      }
    }
    if (body.length > 0 && shown >= 6000) {
      return out.append("\" ... (").append(body.length).append(" bytes in all)").toString();
    }
    return out.append('"').toString();
  }

  private static String abbreviate(String text, int max) {
    return text.length() <= max ? text : text.substring(0, max) + "...";
  }

  /** Builds one mutated request from a source of randomness. */
  static final class Fuzzer {
    private final Random random;
    private final JsonNodeFactory nodes = JsonNodeFactory.instance;
    private final List<String> mutations = new ArrayList<>();

    Fuzzer(Random random) {
      this.random = random;
    }

    Request request(Route route) {
      ObjectNode valid =
          switch (route) {
            case ASSET -> validAsset();
            case ACCOUNT -> validAccount();
            case TRANSACTION -> validDraft();
            case BATCH -> validBatch();
          };
      String path =
          switch (route) {
            case ASSET -> "/v1/assets";
            case ACCOUNT -> "/v1/books/" + BOOK + "/accounts/" + pick(ACCOUNTS) + pickNew();
            case TRANSACTION -> "/v1/books/" + BOOK + "/transactions";
            case BATCH -> "/v1/books/" + BOOK + "/transactions/batch";
          };
      String method = route == Route.ACCOUNT ? "PUT" : "POST";

      int treeMutations = chance(12) ? 0 : 1 + random.nextInt(chance(20) ? 8 : 3);
      for (int i = 0; i < treeMutations; i++) {
        mutateTree(valid);
      }
      byte[] body = write(valid, random.nextBoolean()).getBytes(StandardCharsets.UTF_8);
      if (chance(30)) {
        body = mutateBytes(body);
      }

      String contentType = "application/json";
      if (chance(4)) {
        contentType =
            pick(
                List.of(
                    "application/json; charset=utf-8",
                    "application/json; charset=UTF-8",
                    "application/json; charset=iso-8859-1",
                    "text/plain",
                    "application/x-www-form-urlencoded",
                    "application/problem+json"));
        mutations.add("content type " + contentType);
      }
      String header = null;
      if (route == Route.TRANSACTION && chance(8)) {
        header = pick(List.of("key-1", "key-2", "other", "a b", "~!@#$%^&*()", "x".repeat(300)));
        mutations.add("Idempotency-Key header");
      }
      return new Request(route, method, path, contentType, header, body, List.copyOf(mutations));
    }

    // ---- valid starting points ------------------------------------------------------------------

    private ObjectNode validAsset() {
      ObjectNode asset = nodes.objectNode();
      asset.put("code", chance(50) ? pick(ASSETS) : "FZ" + random.nextInt(40));
      asset.put("decimals", pick(List.of(0, 2, 6, 8, 18, 36)));
      if (random.nextBoolean()) {
        asset.put("name", pick(List.of("Bitcoin", "USD Coin", "Fuzz coin", "")));
      }
      return asset;
    }

    private ObjectNode validAccount() {
      ObjectNode account = nodes.objectNode();
      account.put("kind", pick(List.of("asset", "liability", "equity", "income", "expense")));
      if (random.nextBoolean()) {
        account.put("min_balance", pick(List.of("0", "-500", "10.5", "0.00000001")));
      }
      if (random.nextBoolean()) {
        ObjectNode metadata = account.putObject("metadata");
        metadata.put("customer_id", "c-" + random.nextInt(100));
        metadata.put("tier", "retail");
      }
      return account;
    }

    private ObjectNode validDraft() {
      ObjectNode draft = nodes.objectNode();
      draft.put(
          "idempotency_key",
          chance(30) ? "key-" + random.nextInt(20) : "k-" + Long.toHexString(random.nextLong()));
      ArrayNode postings = draft.putArray("postings");
      String asset = pick(ASSETS);
      String amount =
          switch (asset) {
            case "BTC" -> pick(List.of("0.5", "1", "0.00000001", "21000000", "1.23456789"));
            case "USDC" -> pick(List.of("250.5", "1", "0.000001", "1000000000"));
            default -> pick(List.of("1", "42", "1000"));
          };
      String from = pick(ACCOUNTS);
      String to = pick(ACCOUNTS);
      ObjectNode debit = postings.addObject();
      debit.put("account", from);
      debit.put("asset", asset);
      debit.put("debit", amount);
      ObjectNode credit = postings.addObject();
      credit.put("account", to);
      credit.put("asset", asset);
      credit.put("credit", amount);
      if (random.nextBoolean()) {
        draft.put("occurred_at", "2026-11-20T14:02:00Z");
      }
      if (random.nextBoolean()) {
        draft.put("memo", "deposit 0xabc");
      }
      if (random.nextBoolean()) {
        draft.putObject("metadata").put("chain_tx", "0xabc");
      }
      return draft;
    }

    private ObjectNode validBatch() {
      ObjectNode batch = nodes.objectNode();
      ArrayNode drafts = batch.putArray("transactions");
      int count = 1 + random.nextInt(4);
      for (int i = 0; i < count; i++) {
        drafts.add(validDraft());
      }
      return batch;
    }

    // ---- tree mutations -------------------------------------------------------------------------

    /** A place in the tree: a member of an object or an element of an array. */
    private record Slot(JsonNode container, String key, int index) {}

    private void mutateTree(ObjectNode root) {
      List<Slot> slots = new ArrayList<>();
      List<JsonNode> containers = new ArrayList<>();
      collect(root, slots, containers);
      int choice = random.nextInt(100);
      if (slots.isEmpty() || choice < 10) {
        JsonNode container = pick(containers);
        if (container instanceof ObjectNode object) {
          String name = fieldName();
          object.set(name, value());
          mutations.add("add field " + printable(name));
        } else {
          ((ArrayNode) container).add(value());
          mutations.add("add element");
        }
        return;
      }
      Slot slot = pick(slots);
      if (choice < 25) {
        remove(slot);
        mutations.add("drop " + describe(slot));
      } else if (choice < 35) {
        JsonNode copy = chance(50) ? get(slot).deepCopy() : value();
        if (slot.container() instanceof ObjectNode object) {
          object.set(slot.key() + DUPLICATE_MARK + random.nextInt(1000), copy);
        } else {
          ((ArrayNode) slot.container()).insert(slot.index(), copy);
        }
        mutations.add("duplicate " + describe(slot));
      } else if (choice < 45 && slot.container() instanceof ObjectNode object) {
        JsonNode value = object.remove(slot.key());
        String name = fieldName();
        object.set(name, value);
        mutations.add("rename " + describe(slot) + " to " + printable(name));
      } else if (choice < 60) {
        set(slot, amountLike());
        mutations.add("amount-like value at " + describe(slot));
      } else {
        set(slot, value());
        mutations.add("replace " + describe(slot));
      }
    }

    private void collect(JsonNode node, List<Slot> slots, List<JsonNode> containers) {
      if (node instanceof ObjectNode object) {
        containers.add(object);
        List<String> names = new ArrayList<>();
        object.properties().forEach(entry -> names.add(entry.getKey()));
        for (String name : names) {
          slots.add(new Slot(object, name, -1));
          collect(object.get(name), slots, containers);
        }
      } else if (node instanceof ArrayNode array) {
        containers.add(array);
        for (int i = 0; i < array.size(); i++) {
          slots.add(new Slot(array, null, i));
          collect(array.get(i), slots, containers);
        }
      }
    }

    private JsonNode get(Slot slot) {
      return slot.key() != null
          ? slot.container().get(slot.key())
          : slot.container().get(slot.index());
    }

    private void set(Slot slot, JsonNode value) {
      if (slot.container() instanceof ObjectNode object) {
        object.set(slot.key(), value);
      } else {
        ((ArrayNode) slot.container()).set(slot.index(), value);
      }
    }

    private void remove(Slot slot) {
      if (slot.container() instanceof ObjectNode object) {
        object.remove(slot.key());
      } else {
        ((ArrayNode) slot.container()).remove(slot.index());
      }
    }

    private String describe(Slot slot) {
      return slot.key() != null ? printable(slot.key()) : "[" + slot.index() + "]";
    }

    private String fieldName() {
      return switch (random.nextInt(4)) {
        case 0, 1 -> pick(FIELD_NAMES);
        case 2 -> randomString(1 + random.nextInt(12));
        default -> pick(FIELD_NAMES).toUpperCase(java.util.Locale.ROOT);
      };
    }

    // ---- value zoo ------------------------------------------------------------------------------

    private JsonNode value() {
      return switch (random.nextInt(12)) {
        case 0 -> nodes.nullNode();
        case 1 -> nodes.booleanNode(random.nextBoolean());
        case 2 -> raw(number());
        case 3 -> nodes.textNode(pick(List.of("", " ", "BTC", "btc", "asset", "liability", "0")));
        case 4 -> nodes.textNode(randomString(random.nextInt(40)));
        case 5 -> nodes.textNode(longString());
        case 6 -> nodes.textNode(unicode());
        case 7 -> raw(deepNesting());
        case 8 -> array();
        case 9 -> object();
        case 10 -> nodes.textNode(timestamp());
        default -> nodes.textNode(name());
      };
    }

    private String number() {
      String digits400 = "9".repeat(400);
      return pick(
          List.of(
              "0",
              "-0",
              "1",
              "-1",
              "8",
              "37",
              "-2147483649",
              "2147483648",
              "9223372036854775808",
              "-9223372036854775809",
              "1.5",
              "8.0",
              "8e0",
              "-1.5e-300",
              "1e400",
              "1E+99999",
              "-1e-99999",
              digits400,
              "-" + digits400,
              "0." + digits400,
              "1" + "0".repeat(1001),
              new BigInteger(random.nextInt(500) + 1, random).toString()));
    }

    private JsonNode amountLike() {
      String uint256 =
          "115792089237316195423570985008687907853269984665640564039457584007913129639935";
      String twoTo256 =
          "115792089237316195423570985008687907853269984665640564039457584007913129639936";
      if (chance(15)) {
        return raw(number());
      }
      return nodes.textNode(
          pick(
              List.of(
                  "1",
                  "0",
                  "0.0",
                  "-1",
                  "-0",
                  "+1",
                  "01",
                  "00",
                  "1.",
                  ".5",
                  "1e3",
                  "1E-2",
                  " 1",
                  "1 ",
                  "1,5",
                  "1_000",
                  "0x10",
                  "NaN",
                  "Infinity",
                  "-Infinity",
                  "\u0661",
                  "\uff11",
                  "0.000000001",
                  "0.0000001",
                  "1.1234567890123456789012345678901234567890",
                  uint256,
                  twoTo256,
                  "1157920892373161954235709850086879078532699846656405640394575840079131.29639935",
                  "1157920892373161954235709850086879078532699846656405640394575840079131.29639936",
                  "9".repeat(78),
                  "9".repeat(79),
                  "9".repeat(100) + "." + "9".repeat(100),
                  "-" + "9".repeat(78),
                  "1" + "0".repeat(2000),
                  "0." + "0".repeat(2000) + "1")));
    }

    private String timestamp() {
      return pick(
          List.of(
              "2026-11-20T14:02:00Z",
              "2026-11-20T14:02:00.123456Z",
              "2026-11-20T14:02:00.1234567Z",
              "2026-11-20t14:02:00z",
              "2026-11-20T14:02:00+23:59",
              "2026-11-20T14:02:00-24:00",
              "2026-11-20T14:02:00+99:99",
              "2026-13-45T25:61:61Z",
              "2026-02-30T00:00:00Z",
              "0000-01-01T00:00:00Z",
              "0000-01-01T00:00:00+00:01",
              "9999-12-31T23:59:59.999999Z",
              "9999-12-31T23:59:59.999999-23:59",
              "2026-11-20 14:02:00Z",
              "2026-11-20T14:02:60Z",
              "2026-11-20",
              "1732111320"));
    }

    private String name() {
      return pick(
          List.of(
              "a",
              "A",
              "a:b",
              "a".repeat(129),
              "A".repeat(33),
              "-a",
              "\u00f1",
              "assets:hot",
              "liabilities:alice",
              "USDC.ERC20",
              "B TC",
              "btc\n",
              "../../etc/passwd"));
    }

    private String longString() {
      int length =
          pick(
              List.of(129, 1025, 16 * 1024 + 1, 100_000, 700_000, chance(20) ? ONE_MIB + 10 : 300));
      return (chance(50) ? "x" : "\u00e9").repeat(length);
    }

    private String unicode() {
      return pick(
          List.of(
              "\u0000",
              "a\u0000b",
              "\u0001\u001f\u007f",
              "\t\n\r\b\f",
              "\ud800",
              "\udfff",
              "x\ud83d",
              "\ude00y",
              "\ud83d\ude00",
              "\ufeffBTC",
              "\u2028\u2029",
              "\u202eabc",
              "e\u0301",
              "\u4e2d\u6587",
              "\uffff\ufffe",
              "\u0085"));
    }

    private String deepNesting() {
      int depth = pick(List.of(10, 500, 999, 1000, 1001, 5000, 100_000));
      String open = random.nextBoolean() ? "[" : "{\"a\":";
      String close = open.equals("[") ? "]" : "}";
      return open.repeat(depth) + "1" + close.repeat(depth);
    }

    private JsonNode array() {
      ArrayNode array = nodes.arrayNode();
      int size = pick(List.of(0, 1, 2, 3, 257, 1001));
      boolean postings = random.nextBoolean();
      for (int i = 0; i < size; i++) {
        if (postings) {
          ObjectNode posting = array.addObject();
          posting.put("account", pick(ACCOUNTS));
          posting.put("asset", "BTC");
          posting.put(i % 2 == 0 ? "debit" : "credit", "1");
        } else {
          array.add(i % 3 == 0 ? nodes.textNode("a") : nodes.numberNode(i));
        }
      }
      return array;
    }

    private JsonNode object() {
      ObjectNode object = nodes.objectNode();
      switch (random.nextInt(4)) {
        case 0 -> {}
        case 1 -> object.put("a", "b");
        case 2 -> object.put("a", 1).putObject("b").put("c", "d");
        default -> {
          for (int i = 0; i < 600; i++) {
            object.put("key-" + i, "value-" + i);
          }
        }
      }
      return object;
    }

    private JsonNode raw(String json) {
      return nodes.textNode(RAW_MARK + json);
    }

    // ---- byte mutations -------------------------------------------------------------------------

    private static final List<byte[]> INVALID_UTF8 =
        List.of(
            new byte[] {(byte) 0xc3, 0x28},
            new byte[] {(byte) 0xa0, (byte) 0xa1},
            new byte[] {(byte) 0xe2, 0x28, (byte) 0xa1},
            new byte[] {(byte) 0xf0, 0x28, (byte) 0x8c, (byte) 0xbc},
            new byte[] {(byte) 0xff},
            new byte[] {(byte) 0xfe, (byte) 0xff},
            new byte[] {(byte) 0xc0, (byte) 0xaf},
            new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
            new byte[] {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
            new byte[] {(byte) 0xe2, (byte) 0x82});

    private byte[] mutateBytes(byte[] body) {
      switch (random.nextInt(8)) {
        case 0 -> {
          int at = random.nextInt(body.length + 1);
          mutations.add("truncate at " + at);
          return java.util.Arrays.copyOf(body, at);
        }
        case 1, 2 -> {
          byte[] bad = pick(INVALID_UTF8);
          int at = insertionPoint(body);
          mutations.add("invalid UTF-8 at " + at);
          return splice(body, at, bad);
        }
        case 3 -> {
          byte[] copy = body.clone();
          int flips = 1 + random.nextInt(5);
          for (int i = 0; i < flips && copy.length > 0; i++) {
            copy[random.nextInt(copy.length)] = (byte) random.nextInt(256);
          }
          mutations.add("overwrite " + flips + " bytes");
          return copy;
        }
        case 4 -> {
          byte[] noise = new byte[random.nextInt(2000)];
          random.nextBytes(noise);
          mutations.add("random bytes");
          return noise;
        }
        case 5 -> {
          mutations.add(random.nextBoolean() ? "BOM prefix" : "trailing value");
          return mutations.get(mutations.size() - 1).equals("BOM prefix")
              ? splice(body, 0, new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf})
              : splice(body, body.length, " {}".getBytes(StandardCharsets.US_ASCII));
        }
        case 6 -> {
          mutations.add("empty body");
          return new byte[0];
        }
        default -> {
          byte[] noise = new byte[1 + random.nextInt(16)];
          random.nextBytes(noise);
          int at = random.nextInt(body.length + 1);
          mutations.add("insert random bytes at " + at);
          return splice(body, at, noise);
        }
      }
    }

    /** Just after a quote (inside a string) when there is one, else anywhere. */
    private int insertionPoint(byte[] body) {
      List<Integer> quotes = new ArrayList<>();
      for (int i = 0; i < body.length; i++) {
        if (body[i] == '"') {
          quotes.add(i + 1);
        }
      }
      if (!quotes.isEmpty() && random.nextInt(4) > 0) {
        return pick(quotes);
      }
      return random.nextInt(body.length + 1);
    }

    private static byte[] splice(byte[] body, int at, byte[] inserted) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + inserted.length);
      out.write(body, 0, at);
      out.write(inserted, 0, inserted.length);
      out.write(body, at, body.length - at);
      return out.toByteArray();
    }

    // ---- writing --------------------------------------------------------------------------------

    /**
     * JSON text of the tree: duplicate-marked keys written under their original name, raw-marked
     * strings written verbatim, other strings escaped (non-ASCII as \\u escapes or raw UTF-8).
     */
    private static String write(JsonNode node, boolean escapeNonAscii) {
      StringBuilder out = new StringBuilder();
      write(node, escapeNonAscii, out);
      return out.toString();
    }

    private static void write(JsonNode node, boolean escapeNonAscii, StringBuilder out) {
      if (node instanceof ObjectNode object) {
        out.append('{');
        boolean first = true;
        for (Map.Entry<String, JsonNode> entry : object.properties()) {
          if (!first) {
            out.append(',');
          }
          first = false;
          String key = entry.getKey();
          int mark = key.indexOf(DUPLICATE_MARK);
          string(mark >= 0 ? key.substring(0, mark) : key, escapeNonAscii, out);
          out.append(':');
          write(entry.getValue(), escapeNonAscii, out);
        }
        out.append('}');
      } else if (node instanceof ArrayNode array) {
        out.append('[');
        for (int i = 0; i < array.size(); i++) {
          if (i > 0) {
            out.append(',');
          }
          write(array.get(i), escapeNonAscii, out);
        }
        out.append(']');
      } else if (node.isTextual() && node.textValue().startsWith(RAW_MARK)) {
        out.append(node.textValue(), RAW_MARK.length(), node.textValue().length());
      } else if (node.isTextual()) {
        string(node.textValue(), escapeNonAscii, out);
      } else {
        out.append(node);
      }
    }

    private static void string(String text, boolean escapeNonAscii, StringBuilder out) {
      out.append('"');
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        boolean pairedSurrogate =
            (Character.isHighSurrogate(c)
                    && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1)))
                || (Character.isLowSurrogate(c)
                    && i > 0
                    && Character.isHighSurrogate(text.charAt(i - 1)));
        if (c == '"' || c == '\\') {
          out.append('\\').append(c);
        } else if (c < 0x20
            || (c >= 0x80 && escapeNonAscii)
            || (Character.isSurrogate(c) && !pairedSurrogate)) {
          out.append(String.format("\\u%04x", (int) c));
        } else {
          out.append(c);
        }
      }
      out.append('"');
    }

    // ---- randomness -----------------------------------------------------------------------------

    private boolean chance(int percent) {
      return random.nextInt(100) < percent;
    }

    private <T> T pick(List<T> options) {
      return options.get(random.nextInt(options.size()));
    }

    private String pickNew() {
      return chance(10) ? ":" + random.nextInt(50) : "";
    }

    private String randomString(int length) {
      StringBuilder text = new StringBuilder(length);
      for (int i = 0; i < length; i++) {
        text.append(
            (char) (random.nextBoolean() ? 0x20 + random.nextInt(0x5f) : random.nextInt(0x3000)));
      }
      return text.toString();
    }

    private static String printable(String text) {
      StringBuilder out = new StringBuilder("'");
      text.codePoints()
          .limit(40)
          .forEach(
              cp -> {
                if (cp < 0x20 || cp > 0x7e) {
                  out.append(String.format("\\u{%x}", cp));
                } else {
                  out.appendCodePoint(cp);
                }
              });
      return out.append(text.length() > 40 ? "...'" : "'").toString();
    }
  }
}
