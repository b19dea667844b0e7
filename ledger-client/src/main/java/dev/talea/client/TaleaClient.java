package dev.talea.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.talea.protocol.Account;
import dev.talea.protocol.AccountBalances;
import dev.talea.protocol.AccountPage;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.Asset;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.BookSummary;
import dev.talea.protocol.LedgerApi;
import dev.talea.protocol.LedgerError;
import dev.talea.protocol.Names;
import dev.talea.protocol.Paging;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.PostingPage;
import dev.talea.protocol.Registration;
import dev.talea.protocol.Timestamps;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionDraft;
import dev.talea.protocol.TransactionPage;
import dev.talea.protocol.TrialBalance;
import dev.talea.protocol.VerifyResult;
import dev.talea.protocol.json.Json;
import dev.talea.protocol.json.WireFormatException;
import dev.talea.protocol.json.WireReader;
import dev.talea.protocol.json.WireWriter;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The talea API over HTTP: {@link LedgerApi} on {@code java.net.http}, with no actor system and no
 * Scala on the classpath. One client is thread-safe and meant to be shared; close it when done.
 *
 * <p>Contract errors surface as {@link dev.talea.protocol.LedgerException} with the server's code
 * and fields; the client checks arguments at the boundary and fails with the same codes the server
 * would use. Failures to get an answer at all are {@link TaleaTransportException}s; answers that
 * are not the contract's are {@link TaleaProtocolException}s.
 *
 * <p>Requests answered {@code 503}, {@code 429} or {@code 408}, and transport failures, are retried
 * by the {@link RetryPolicy}. That is safe for every operation: a post carries its idempotency key,
 * so a retry after a lost answer returns the original commit ({@code deduplicated}) instead of
 * posting twice. The client never invents a key.
 *
 * <pre>{@code
 * try (TaleaClient talea = TaleaClient.builder()
 *     .baseUrl("http://127.0.0.1:8080").token(System.getenv("TALEA_TOKEN")).build()) {
 *   Transaction tx = talea.post("payments", new TransactionDraft("deposit-0xabc-0", List.of(
 *       DraftPosting.debit("assets:hot-wallet", "BTC", "0.5"),
 *       DraftPosting.credit("liabilities:customers:alice", "BTC", "0.5"))));
 * }
 * }</pre>
 */
public final class TaleaClient implements LedgerApi, AutoCloseable {

  static final String USER_AGENT = "talea-java-client";

  private final URI base;
  private final String token;
  private final Duration requestTimeout;
  private final RetryPolicy retry;
  private final ExecutorService executor;
  private final ScheduledExecutorService scheduler;
  private final HttpClient http;
  private final Set<SseSubscription> subscriptions = ConcurrentHashMap.newKeySet();

  private TaleaClient(Builder builder) {
    this.base = builder.baseUrl;
    this.token = builder.token;
    this.requestTimeout = builder.requestTimeout;
    this.retry = builder.retry;
    this.executor = Executors.newFixedThreadPool(builder.threads, daemon("talea-client"));
    this.scheduler = Executors.newSingleThreadScheduledExecutor(daemon("talea-client-retry"));
    HttpClient.Builder http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(builder.connectTimeout)
            .executor(executor);
    if (builder.sslContext != null) {
      http.sslContext(builder.sslContext);
    }
    this.http = http.build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** How to build a {@link TaleaClient}. */
  public static final class Builder {
    private URI baseUrl;
    private String token;
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration requestTimeout = Duration.ofSeconds(30);
    private RetryPolicy retry = RetryPolicy.defaults();
    private int threads = 4;
    private javax.net.ssl.SSLContext sslContext;

    private Builder() {}

    /** The server, e.g. {@code http://127.0.0.1:8080}. Required. */
    public Builder baseUrl(String url) {
      URI uri = URI.create(Objects.requireNonNull(url, "baseUrl"));
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
        throw new IllegalArgumentException("baseUrl must be an http:// or https:// URL: " + url);
      }
      this.baseUrl = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
      return this;
    }

    /** The bearer token. Required for everything but {@link #health()}. */
    public Builder token(String value) {
      this.token = value;
      return this;
    }

    /** How long to wait for a connection (default 5 s). */
    public Builder connectTimeout(Duration value) {
      this.connectTimeout = requirePositive(value, "connectTimeout");
      return this;
    }

    /**
     * How long to wait for one answer before trying again (default 30 s). Keep it above the
     * server's {@code TALEA_REQUEST_TIMEOUT}, so that a slow commit is answered 408 by the server.
     */
    public Builder requestTimeout(Duration value) {
      this.requestTimeout = requirePositive(value, "requestTimeout");
      return this;
    }

    /**
     * When to retry (default {@link RetryPolicy#defaults()}; {@link RetryPolicy#none()} to never).
     */
    public Builder retryPolicy(RetryPolicy value) {
      this.retry = Objects.requireNonNull(value, "retryPolicy");
      return this;
    }

    /**
     * The TLS context for an {@code https://} base URL (default: the JVM's, which trusts the JDK's
     * certificate authorities). Set one that trusts your own CA when the balancer in front of talea
     * presents a certificate from it.
     */
    public Builder sslContext(javax.net.ssl.SSLContext value) {
      this.sslContext = Objects.requireNonNull(value, "sslContext");
      return this;
    }

    /** Threads that complete asynchronous calls (default 4). */
    public Builder threads(int value) {
      if (value < 1) {
        throw new IllegalArgumentException("threads must be at least 1: " + value);
      }
      this.threads = value;
      return this;
    }

    public TaleaClient build() {
      if (baseUrl == null) {
        throw new IllegalStateException("baseUrl is required");
      }
      return new TaleaClient(this);
    }

    private static Duration requirePositive(Duration value, String name) {
      Objects.requireNonNull(value, name);
      if (value.isZero() || value.isNegative()) {
        throw new IllegalArgumentException(name + " must be positive: " + value);
      }
      return value;
    }
  }

  // ---- health ---------------------------------------------------------------------------------

  /** The server's backend ({@code postgres}, {@code sqlite}, {@code log}) if it is ready. */
  public CompletionStage<String> healthAsync() {
    return call("GET", "/health", null, null, body -> body.path("backend").asText());
  }

  public String health() {
    return join(healthAsync());
  }

  // ---- assets ---------------------------------------------------------------------------------

  @Override
  public CompletionStage<Registration<Asset>> registerAssetAsync(AssetSpec spec) {
    Objects.requireNonNull(spec, "spec");
    return exchange(
        "POST",
        "/v1/assets",
        WireWriter.assetSpec(spec),
        null,
        response ->
            new Registration<>(WireReader.asset(json(response)), response.statusCode() == 201));
  }

  @Override
  public CompletionStage<List<Asset>> listAssetsAsync() {
    return call("GET", "/v1/assets", null, null, WireReader::assets);
  }

  @Override
  public CompletionStage<Asset> getAssetAsync(String code) {
    return checked(() -> Names.requireAssetCode(code, "code"))
        .thenCompose(c -> call("GET", "/v1/assets/" + c, null, null, WireReader::asset));
  }

  // ---- books and accounts ---------------------------------------------------------------------

  @Override
  public CompletionStage<List<BookSummary>> listBooksAsync() {
    return call("GET", "/v1/books", null, null, WireReader::books);
  }

  @Override
  public CompletionStage<Registration<Account>> openAccountAsync(
      String book, String account, AccountSpec spec) {
    return checked(
            () -> {
              Names.requireBook(book, "book");
              Names.requireAccount(account, "account");
              return Objects.requireNonNull(spec, "spec");
            })
        .thenCompose(
            s ->
                exchange(
                    "PUT",
                    "/v1/books/" + book + "/accounts/" + account,
                    WireWriter.accountSpec(s),
                    null,
                    response ->
                        new Registration<>(
                            WireReader.account(json(response)), response.statusCode() == 201)));
  }

  @Override
  public CompletionStage<AccountPage> listAccountsAsync(String book, String after, int limit) {
    return checked(
            () -> {
              Names.requireBook(book, "book");
              if (after != null) {
                Names.requireAccount(after, "after");
              }
              return Paging.requireLimit(limit);
            })
        .thenCompose(
            l ->
                call(
                    "GET",
                    "/v1/books/" + book + "/accounts" + query("after", after, "limit", l),
                    null,
                    null,
                    WireReader::accountPage));
  }

  @Override
  public CompletionStage<Account> getAccountAsync(String book, String account) {
    return checked(
            () -> {
              Names.requireBook(book, "book");
              return Names.requireAccount(account, "account");
            })
        .thenCompose(
            a ->
                call(
                    "GET",
                    "/v1/books/" + book + "/accounts/" + a,
                    null,
                    null,
                    WireReader::account));
  }

  // ---- transactions ---------------------------------------------------------------------------

  @Override
  public CompletionStage<Transaction> postAsync(String book, TransactionDraft draft) {
    return checked(
            () -> {
              Names.requireBook(book, "book");
              return Objects.requireNonNull(draft, "draft");
            })
        .thenCompose(
            d ->
                call(
                    "POST",
                    "/v1/books/" + book + "/transactions",
                    WireWriter.draft(d),
                    null,
                    WireReader::transaction));
  }

  @Override
  public CompletionStage<List<PostOutcome>> postBatchAsync(
      String book, List<TransactionDraft> drafts) {
    return checked(
            () -> {
              Names.requireBook(book, "book");
              if (drafts == null || drafts.isEmpty() || drafts.size() > WireReader.MAX_BATCH) {
                throw LedgerError.invalidRequest(
                        "transactions", "a batch holds 1 to " + WireReader.MAX_BATCH + " drafts")
                    .toException();
              }
              return List.copyOf(drafts);
            })
        .thenCompose(
            d ->
                call(
                    "POST",
                    "/v1/books/" + book + "/transactions/batch",
                    WireWriter.batchRequest(d),
                    null,
                    WireReader::batchResults));
  }

  @Override
  public CompletionStage<Transaction> getTransactionAsync(UUID txId) {
    return checked(() -> Objects.requireNonNull(txId, "txId"))
        .thenCompose(
            id -> call("GET", "/v1/transactions/" + id, null, null, WireReader::transaction));
  }

  @Override
  public CompletionStage<TransactionPage> listTransactionsAsync(
      String book, long afterSeq, int limit) {
    return checked(
            () -> {
              Names.requireBook(book, "book");
              Paging.requireAfterSeq(afterSeq);
              return Paging.requireLimit(limit);
            })
        .thenCompose(
            l ->
                call(
                    "GET",
                    "/v1/books/"
                        + book
                        + "/transactions"
                        + query("after_seq", afterSeq, "limit", l),
                    null,
                    null,
                    WireReader::transactionPage));
  }

  @Override
  public CompletionStage<Optional<Transaction>> findTransactionAsync(
      String book, String idempotencyKey) {
    return checked(
            () -> {
              Names.requireBook(book, "book");
              return Names.requireIdempotencyKey(idempotencyKey, "idempotency_key");
            })
        .thenCompose(
            key ->
                call(
                    "GET",
                    "/v1/books/" + book + "/transactions" + query("idempotency_key", key),
                    null,
                    null,
                    body -> WireReader.transactions(body).stream().findFirst()));
  }

  @Override
  public CompletionStage<PostingPage> listPostingsAsync(
      String book, String account, String asset, long afterSeq, int limit) {
    return checked(
            () -> {
              Names.requireBook(book, "book");
              Names.requireAccount(account, "account");
              if (asset != null) {
                Names.requireAssetCode(asset, "asset");
              }
              Paging.requireAfterSeq(afterSeq);
              return Paging.requireLimit(limit);
            })
        .thenCompose(
            l ->
                call(
                    "GET",
                    "/v1/books/"
                        + book
                        + "/accounts/"
                        + account
                        + "/postings"
                        + query("asset", asset, "after_seq", afterSeq, "limit", l),
                    null,
                    null,
                    WireReader::postingPage));
  }

  // ---- balances -------------------------------------------------------------------------------

  @Override
  public CompletionStage<AccountBalances> balancesAsync(
      String book, String account, Instant asOf, String asset) {
    return checked(
            () -> {
              Names.requireBook(book, "book");
              Names.requireAccount(account, "account");
              if (asset != null) {
                Names.requireAssetCode(asset, "asset");
              }
              return account;
            })
        .thenCompose(
            a ->
                call(
                    "GET",
                    "/v1/books/"
                        + book
                        + "/accounts/"
                        + a
                        + "/balances"
                        + query("as_of", timestamp(asOf), "asset", asset),
                    null,
                    null,
                    WireReader::accountBalances));
  }

  @Override
  public CompletionStage<TrialBalance> trialBalanceAsync(String book, Instant asOf) {
    return checked(() -> Names.requireBook(book, "book"))
        .thenCompose(
            b ->
                call(
                    "GET",
                    "/v1/books/" + b + "/trial-balance" + query("as_of", timestamp(asOf)),
                    null,
                    null,
                    WireReader::trialBalance));
  }

  // ---- operations -----------------------------------------------------------------------------

  @Override
  public CompletionStage<VerifyResult> verifyAsync(String book) {
    return checked(() -> Names.requireBook(book, "book"))
        .thenCompose(
            b -> call("GET", "/v1/books/" + b + "/verify", null, null, WireReader::verifyResult));
  }

  /**
   * The book's commits over the live tail: catch-up from {@code fromSeq} (or, if empty, only
   * commits after the subscription starts), then live, in order. If the connection drops or the
   * server restarts, the subscription reconnects by itself (backing off as the retry policy says)
   * and resumes after the last seq it delivered, so the subscriber sees every seq exactly once. It
   * ends with {@code onError} only for a contract error that retrying cannot fix ({@code 401},
   * {@code 403}, {@code 404}); cancelling it closes the connection. Each {@link
   * Flow.Publisher#subscribe} opens its own connection, served by a thread of its own.
   */
  @Override
  public Flow.Publisher<Transaction> subscribe(String book, OptionalLong fromSeq) {
    Names.requireBook(book, "book");
    Objects.requireNonNull(fromSeq, "fromSeq");
    return subscriber -> {
      SseSubscription subscription = new SseSubscription(this, book, fromSeq, subscriber);
      subscriptions.add(subscription);
      subscription.start();
    };
  }

  void forget(SseSubscription subscription) {
    subscriptions.remove(subscription);
  }

  // ---- HTTP -----------------------------------------------------------------------------------

  /** A JSON request whose JSON answer is decoded by {@code decode}. */
  private <T> CompletableFuture<T> call(
      String method,
      String path,
      JsonNode body,
      Map<String, String> headers,
      Function<JsonNode, T> decode) {
    return exchange(method, path, body, headers, response -> decode.apply(json(response)));
  }

  private <T> CompletableFuture<T> exchange(
      String method,
      String path,
      JsonNode body,
      Map<String, String> headers,
      Function<HttpResponse<byte[]>, T> decode) {
    HttpRequest.Builder request =
        request(path, requestTimeout)
            .header("Accept", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(Json.toBytes(body)));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    if (headers != null) {
      headers.forEach(request::header);
    }
    CompletableFuture<T> result = new CompletableFuture<>();
    attempt(request.build(), decode, 1, System.nanoTime() + retry.maxElapsed().toNanos(), result);
    return result;
  }

  HttpRequest.Builder request(String pathAndQuery, Duration timeout) {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(URI.create(base + pathAndQuery))
            .timeout(timeout)
            .header("User-Agent", USER_AGENT);
    if (token != null) {
      builder.header("Authorization", "Bearer " + token);
    }
    return builder;
  }

  private <T> void attempt(
      HttpRequest request,
      Function<HttpResponse<byte[]>, T> decode,
      int attempt,
      long deadline,
      CompletableFuture<T> result) {
    http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
        .whenComplete(
            (response, failure) -> {
              if (failure != null) {
                Throwable cause = unwrap(failure);
                if (cause instanceof IOException
                    && retryLater(
                        attempt,
                        deadline,
                        null,
                        () -> attempt(request, decode, attempt + 1, deadline, result))) {
                  return;
                }
                result.completeExceptionally(
                    new TaleaTransportException(
                        request.method()
                            + " "
                            + request.uri().getPath()
                            + " failed after "
                            + attempt
                            + (attempt == 1 ? " try: " : " tries: ")
                            + cause,
                        cause));
                return;
              }
              int status = response.statusCode();
              if (status >= 200 && status < 300) {
                try {
                  result.complete(decode.apply(response));
                } catch (WireFormatException e) {
                  result.completeExceptionally(
                      new TaleaProtocolException(
                          "unexpected answer to "
                              + request.method()
                              + " "
                              + request.uri().getPath()
                              + ": "
                              + e.getMessage(),
                          e));
                } catch (RuntimeException e) {
                  result.completeExceptionally(e);
                }
                return;
              }
              LedgerError error = problem(response);
              if (error.code().isRetryable()
                  && retryLater(
                      attempt,
                      deadline,
                      retryAfter(response),
                      () -> attempt(request, decode, attempt + 1, deadline, result))) {
                return;
              }
              result.completeExceptionally(error.toException());
            });
  }

  /** Schedules the next try if the policy allows it; false if it does not. */
  private boolean retryLater(int attempt, long deadline, Duration retryAfter, Runnable next) {
    if (attempt >= retry.maxAttempts()) {
      return false;
    }
    Duration delay = retry.delay(attempt, retryAfter);
    if (System.nanoTime() + delay.toNanos() > deadline || scheduler.isShutdown()) {
      return false;
    }
    scheduler.schedule(next, delay.toMillis(), TimeUnit.MILLISECONDS);
    return true;
  }

  static LedgerError problem(HttpResponse<byte[]> response) {
    JsonNode body = null;
    try {
      body = Json.parseResponse(response.body());
    } catch (WireFormatException e) {
      // Not a problem document (a proxy's page, say): the status decides the code.
    }
    return WireReader.problem(response.statusCode(), body);
  }

  static Duration retryAfter(HttpResponse<?> response) {
    return response
        .headers()
        .firstValue("Retry-After")
        .filter(v -> v.trim().matches("[0-9]{1,6}"))
        .map(v -> Duration.ofSeconds(Long.parseLong(v.trim())))
        .orElse(null);
  }

  private static JsonNode json(HttpResponse<byte[]> response) {
    return Json.parseResponse(response.body());
  }

  RetryPolicy retryPolicy() {
    return retry;
  }

  HttpClient http() {
    return http;
  }

  /** {@code ?k1=v1&k2=v2}, leaving out null values, URL-encoded. */
  static String query(Object... keysAndValues) {
    Map<String, String> params = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      if (keysAndValues[i + 1] != null) {
        params.put((String) keysAndValues[i], String.valueOf(keysAndValues[i + 1]));
      }
    }
    if (params.isEmpty()) {
      return "";
    }
    StringBuilder query = new StringBuilder("?");
    params.forEach(
        (key, value) -> {
          if (query.length() > 1) {
            query.append('&');
          }
          query.append(key).append('=').append(URLEncoder.encode(value, StandardCharsets.UTF_8));
        });
    return query.toString();
  }

  private static String timestamp(Instant instant) {
    return instant == null ? null : Timestamps.format(Timestamps.truncate(instant));
  }

  private static <T> CompletableFuture<T> checked(java.util.function.Supplier<T> check) {
    try {
      return CompletableFuture.completedFuture(check.get());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static Throwable unwrap(Throwable failure) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  /**
   * Waits for an answer on the calling thread. The wait is interruptible: an interrupted caller
   * stops waiting at once (the request is cancelled, the interrupt flag stays set) and gets a
   * {@link TaleaTransportException}.
   */
  private static <T> T join(CompletionStage<T> stage) {
    CompletableFuture<T> future = stage.toCompletableFuture();
    try {
      return future.get();
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw new TaleaTransportException("interrupted while waiting for the server's answer", e);
    } catch (ExecutionException e) {
      Throwable cause = unwrap(e.getCause());
      if (cause instanceof dev.talea.protocol.LedgerException ledger) {
        throw new dev.talea.protocol.LedgerException(ledger.error(), ledger);
      }
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new CompletionException(cause);
    }
  }

  private static ThreadFactory daemon(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }

  /** Stops every subscription and the client's threads; calls in flight fail. */
  @Override
  public void close() {
    subscriptions.forEach(SseSubscription::cancel);
    scheduler.shutdownNow();
    executor.shutdownNow();
  }
}
