package dev.talea.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.talea.actors.CommitFeed;
import dev.talea.actors.LedgerService;
import dev.talea.protocol.ErrorCode;
import dev.talea.protocol.LedgerError;
import dev.talea.protocol.LedgerException;
import dev.talea.protocol.Names;
import dev.talea.protocol.Paging;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.Timestamps;
import dev.talea.protocol.TransactionDraft;
import dev.talea.protocol.json.Json;
import dev.talea.protocol.json.WireReader;
import dev.talea.protocol.json.WireWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaType;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Rejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.japi.pf.PFBuilder;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API of contract v1, over {@link LedgerService}. Every route checks, in this order: the
 * bearer token (401), the names in its path (400), the token's scope for the book (403), the query
 * parameters and body (400, 413, 415), and then asks the ledger. Every answer carries {@code
 * X-Talea-Backend}; every error is a problem document ({@link Problems}).
 */
final class ApiRoutes extends AllDirectives {

  /**
   * Runs a callback in the thread that completes the stage. Pekko's stages are Scala futures behind
   * {@code CompletionStage}, whose plain {@code whenComplete} and friends run the callback on the
   * default asynchronous executor; on a machine with two cores that executor starts a new thread
   * for every task, which once cost talead a sixth of its CPU.
   */
  private static final Executor SAME_THREAD = Runnable::run;

  private static final Logger LOG = LoggerFactory.getLogger(ApiRoutes.class);

  static final long MAX_BODY_BYTES = 1024 * 1024;

  private static final ContentType JSON = ContentTypes.APPLICATION_JSON;

  /** Where the build puts {@code docs/openapi.yaml} on the classpath. */
  static final String OPENAPI_RESOURCE = "talea/openapi.yaml";

  private static final ContentType YAML =
      MediaTypes.applicationWithFixedCharset("yaml", HttpCharsets.UTF_8).toContentType();

  private final LedgerService ledger;
  private final Tokens tokens;
  private final Admission admission;
  private final ServerMetrics metrics;
  private final Duration keepalive;
  private final Duration bodyTimeout;
  private final LiveTailLimits liveTails;
  private final Drain drain;
  private final ClusterNode cluster;
  private final boolean accessLog;
  private final List<HttpHeader> defaultHeaders;
  private final HttpHeader backendHeader;
  private final byte[] openApiDocument;

  ApiRoutes(
      LedgerService ledger,
      Tokens tokens,
      Admission admission,
      ServerMetrics metrics,
      Duration keepalive,
      Duration bodyTimeout,
      LiveTailLimits liveTails,
      Drain drain,
      ClusterNode cluster,
      boolean accessLog) {
    this.ledger = ledger;
    this.tokens = tokens;
    this.admission = admission;
    this.metrics = metrics;
    this.keepalive = keepalive;
    this.bodyTimeout = bodyTimeout;
    this.liveTails = liveTails;
    this.drain = drain;
    this.cluster = cluster;
    this.accessLog = accessLog;
    this.backendHeader = ServerIdentity.backendHeader();
    List<HttpHeader> headers = new ArrayList<>(HttpText.securityHeaders());
    headers.add(backendHeader);
    this.defaultHeaders = List.copyOf(headers);
    this.openApiDocument = openApiDocument();
  }

  /**
   * The whole API. A request is authenticated (on {@code /v1}) and its body read whole, within
   * {@code TALEA_BODY_TIMEOUT}, before it takes an admission slot: a client that is slow to send,
   * or has no valid token, never holds one.
   */
  Route routes() {
    return withRequestTimeoutResponse(
        request ->
            Problems.of(
                    LedgerError.of(
                        ErrorCode.UNAVAILABLE,
                        "the server could not answer in time (pekko.http.server.request-timeout);"
                            + " retry shortly"))
                .addHeaders(defaultHeaders),
        () ->
            respondWithDefaultHeaders(
                defaultHeaders,
                () ->
                    measured(
                        () ->
                            handleExceptions(
                                exceptionHandler(),
                                () ->
                                    handleRejections(
                                        rejectionHandler(),
                                        () ->
                                            concat(
                                                extractMethod(
                                                    method ->
                                                        method.equals(HttpMethods.OPTIONS)
                                                            ? options()
                                                            : reject()),
                                                path(
                                                    "health",
                                                    () ->
                                                        get(
                                                            () ->
                                                                whole(
                                                                    () -> admitted(this::health)))),
                                                pathPrefix(
                                                    "v1",
                                                    () ->
                                                        authenticated(
                                                            principal ->
                                                                whole(
                                                                    () ->
                                                                        admitted(
                                                                            () ->
                                                                                v1(
                                                                                    principal)))))))))));
  }

  /** Reads the request's body whole, within {@code TALEA_BODY_TIMEOUT} (408) and 1 MiB (413). */
  private Route whole(Supplier<Route> inner) {
    // Most bodies arrive with their headers and are strict already. Pekko's toStrict would still
    // run a stream for them (an actor per request), so it is kept for the bodies on their way.
    return extractRequestEntity(
        entity ->
            entity.isStrict()
                ? inner.get()
                : toStrictEntity(
                    scala.concurrent.duration.Duration.fromNanos(bodyTimeout.toNanos()),
                    MAX_BODY_BYTES,
                    inner));
  }

  /**
   * Counts every answer by method, route template and status, and times it; with {@code
   * TALEA_ACCESS_LOG=stdout} logs it too. While talead drains, every answer closes its connection,
   * so that a balancer opens its next one to another instance.
   */
  private Route measured(Supplier<Route> inner) {
    return extractRequest(
        request -> {
          long start = System.nanoTime();
          String method = request.method().name();
          String route = RouteTemplate.of(request.getUri().path());
          AccessLog.Caller caller = accessLog ? new AccessLog.Caller() : null;
          Route served =
              mapResponse(
                  response -> {
                    long nanos = System.nanoTime() - start;
                    int status = response.status().intValue();
                    metrics.requestCompleted(method, route, status, nanos);
                    if (caller != null) {
                      AccessLog.write(method, route, status, nanos, caller.token());
                    }
                    return drain.draining() ? response.addHeader(CONNECTION_CLOSE) : response;
                  },
                  inner);
          return caller == null
              ? served
              : mapRequest(r -> r.addAttribute(AccessLog.CALLER, caller), () -> served);
        });
  }

  private static final HttpHeader RETRY_AFTER =
      org.apache.pekko.http.javadsl.model.headers.RawHeader.create("Retry-After", "1");

  private static final HttpHeader CONNECTION_CLOSE =
      org.apache.pekko.http.javadsl.model.headers.Connection.create("close");

  /**
   * Runs the route if the admission limit allows, holding the slot until the route's response is
   * ready (a streamed response body, such as a live tail, does not hold it); otherwise answers 503
   * overloaded at once.
   */
  private Route admitted(Supplier<Route> inner) {
    // extractRequestContext runs its function for each request; the decision must be made there.
    return extractRequestContext(
        request -> {
          if (!admission.tryAcquire()) {
            metrics.shed();
            return problem(
                LedgerError.of(
                    ErrorCode.OVERLOADED,
                    "the server is at its limit of "
                        + admission.limit()
                        + " requests in flight; retry shortly"));
          }
          return mapRouteResultFuture(
              result ->
                  result.whenCompleteAsync((done, failure) -> admission.release(), SAME_THREAD),
              inner);
        });
  }

  // ---- the route tree -------------------------------------------------------------------------

  private Route v1(Principal principal) {
    return concat(
        pathPrefix(
            "assets",
            () ->
                concat(
                    pathEnd(
                        () -> concat(post(() -> registerAsset(principal)), get(this::listAssets))),
                    path(PathMatchers.segment(), code -> get(() -> getAsset(code))))),
        pathPrefix(
            "books",
            () ->
                concat(
                    pathEnd(() -> get(() -> listBooks(principal))),
                    pathPrefix(PathMatchers.segment(), book -> book(principal, book)))),
        path(
            PathMatchers.segment("transactions").slash(PathMatchers.segment()),
            id -> get(() -> getTransaction(principal, id))),
        path("openapi.yaml", () -> get(this::openApi)),
        path("cluster", () -> get(() -> clusterState(principal))));
  }

  private Route book(Principal principal, String book) {
    return concat(
        pathPrefix(
            "accounts",
            () ->
                concat(
                    pathEnd(() -> get(() -> listAccounts(principal, book))),
                    pathPrefix(
                        PathMatchers.segment(),
                        account ->
                            concat(
                                pathEnd(
                                    () ->
                                        concat(
                                            put(() -> openAccount(principal, book, account)),
                                            get(() -> getAccount(principal, book, account)))),
                                path(
                                    "postings",
                                    () -> get(() -> postings(principal, book, account))),
                                path(
                                    "balances",
                                    () -> get(() -> balances(principal, book, account))))))),
        pathPrefix(
            "transactions",
            () ->
                concat(
                    pathEnd(
                        () ->
                            concat(
                                post(() -> postTransaction(principal, book)),
                                get(() -> listTransactions(principal, book)))),
                    path("batch", () -> post(() -> postBatch(principal, book))))),
        path("trial-balance", () -> get(() -> trialBalance(principal, book))),
        path("verify", () -> get(() -> verify(principal, book))),
        path("events", () -> get(() -> events(principal, book))));
  }

  // ---- operations -----------------------------------------------------------------------------

  /**
   * {@code OPTIONS} on any route: 204 with its {@code Allow}, without a token (a browser's
   * preflight carries none). {@code OPTIONS *} and {@code OPTIONS /} — which a balancer's default
   * check sends — describe the server as a whole.
   */
  private Route options() {
    return extractUri(
        uri -> {
          String path = uri.path();
          Set<String> methods =
              path.equals("*") || path.equals("/") || path.isEmpty()
                  ? RouteTemplate.allMethods()
                  : RouteTemplate.methods(RouteTemplate.of(path));
          if (methods.isEmpty()) {
            return problem(LedgerError.of(ErrorCode.NOT_FOUND, "no such route"));
          }
          return complete(
              HttpResponse.create()
                  .withStatus(StatusCodes.NO_CONTENT)
                  .addHeader(
                      org.apache.pekko.http.javadsl.model.headers.RawHeader.create(
                          "Allow", RouteTemplate.allow(methods))));
        });
  }

  private Route health() {
    if (drain.draining()) {
      return notServing("draining");
    }
    if (cluster != null) {
      // A cluster node takes traffic once it is an Up member with its shard region registered.
      return onSuccess(
          cluster.ready().exceptionally(failure -> false),
          ready -> ready ? storeHealth() : notServing("joining"));
    }
    return storeHealth();
  }

  private Route notServing(String status) {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.put("status", status);
    body.put("backend", ledger.backend());
    return complete(json(StatusCodes.SERVICE_UNAVAILABLE, body, RETRY_AFTER));
  }

  /**
   * {@code GET /v1/cluster} (contract §18), for operators: any read-write token for all books. A
   * single instance answers 404: it is in no cluster.
   */
  private Route clusterState(Principal principal) {
    if (!principal.canAdminister()) {
      return problem(LedgerError.forbidden("*"));
    }
    return noQuery(
        () ->
            cluster == null
                ? problem(
                    LedgerError.notFound(
                        "this talead is a single instance, in no cluster (TALEA_CLUSTER_BIND is"
                            + " unset)"))
                : complete(json(StatusCodes.OK, cluster.describe())));
  }

  private Route storeHealth() {
    return respond(
        ledger.healthAsync(),
        ignored -> {
          ObjectNode body = JsonNodeFactory.instance.objectNode();
          body.put("status", "ok");
          body.put("backend", ledger.backend());
          return json(StatusCodes.OK, body);
        });
  }

  /** The API's OpenAPI document, {@code docs/openapi.yaml} as built into the jar. */
  private Route openApi() {
    return noQuery(
        () ->
            complete(
                HttpResponse.create()
                    .withStatus(StatusCodes.OK)
                    .withEntity(YAML, openApiDocument)));
  }

  private static byte[] openApiDocument() {
    try (InputStream in = ApiRoutes.class.getClassLoader().getResourceAsStream(OPENAPI_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(OPENAPI_RESOURCE + " is missing from the classpath");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + OPENAPI_RESOURCE, e);
    }
  }

  // ---- assets ---------------------------------------------------------------------------------

  private Route registerAsset(Principal principal) {
    if (!principal.canAdminister()) {
      return problem(LedgerError.forbidden("*"));
    }
    return noQuery(
        () ->
            jsonBody(
                body ->
                    respond(
                        ledger.registerAssetAsync(WireReader.assetSpec(body)),
                        registration ->
                            registration.created()
                                ? json(
                                    StatusCodes.CREATED,
                                    WireWriter.asset(registration.value()),
                                    Location.create("/v1/assets/" + registration.value().code()))
                                : json(StatusCodes.OK, WireWriter.asset(registration.value())))));
  }

  private Route listAssets() {
    return noQuery(
        () -> respond(ledger.listAssetsAsync(), assets -> ok(WireWriter.assets(assets))));
  }

  private Route getAsset(String code) {
    return guard(
        () -> {
          Names.requireAssetCode(code, "code");
          return noQuery(() -> respond(ledger.getAssetAsync(code), a -> ok(WireWriter.asset(a))));
        });
  }

  // ---- books and accounts ---------------------------------------------------------------------

  private Route listBooks(Principal principal) {
    return noQuery(
        () ->
            respond(
                ledger.listBooksAsync(),
                books ->
                    ok(
                        WireWriter.books(
                            books.stream().filter(b -> principal.canRead(b.book())).toList()))));
  }

  private Route openAccount(Principal principal, String book, String account) {
    return writable(
        principal,
        book,
        () ->
            guard(
                () -> {
                  Names.requireAccount(account, "account");
                  return noQuery(
                      () ->
                          jsonBody(
                              body ->
                                  respond(
                                      ledger.openAccountAsync(
                                          book, account, WireReader.accountSpec(body)),
                                      registration ->
                                          registration.created()
                                              ? json(
                                                  StatusCodes.CREATED,
                                                  WireWriter.account(registration.value()),
                                                  Location.create(
                                                      "/v1/books/" + book + "/accounts/" + account))
                                              : json(
                                                  StatusCodes.OK,
                                                  WireWriter.account(registration.value())))));
                }));
  }

  private Route listAccounts(Principal principal, String book) {
    return readable(
        principal,
        book,
        () ->
            query(
                Set.of("after", "limit"),
                params -> {
                  String after = params.get("after");
                  if (after != null) {
                    Names.requireAccount(after, "after");
                  }
                  int limit = limit(params);
                  return respond(
                      ledger.listAccountsAsync(book, after, limit),
                      page -> ok(WireWriter.accountPage(page)));
                }));
  }

  private Route getAccount(Principal principal, String book, String account) {
    return readable(
        principal,
        book,
        () ->
            guard(
                () -> {
                  Names.requireAccount(account, "account");
                  return noQuery(
                      () ->
                          respond(
                              ledger.getAccountAsync(book, account),
                              a -> ok(WireWriter.account(a))));
                }));
  }

  // ---- transactions ---------------------------------------------------------------------------

  private Route postTransaction(Principal principal, String book) {
    return writable(
        principal,
        book,
        () ->
            noQuery(
                () ->
                    jsonBody(
                        body ->
                            optionalHeaderValueByName(
                                "Idempotency-Key",
                                header ->
                                    guard(
                                        () -> {
                                          TransactionDraft draft =
                                              WireReader.draft(body, header.orElse(null));
                                          return respond(
                                              ledger.postAsync(book, draft),
                                              tx ->
                                                  tx.deduplicated()
                                                      ? json(
                                                          StatusCodes.OK,
                                                          WireWriter.transaction(tx))
                                                      : json(
                                                          StatusCodes.CREATED,
                                                          WireWriter.transaction(tx),
                                                          Location.create(
                                                              "/v1/transactions/" + tx.txId())));
                                        })))));
  }

  private Route postBatch(Principal principal, String book) {
    return writable(
        principal,
        book,
        () ->
            noQuery(
                () ->
                    jsonBody(
                        body -> {
                          List<WireReader.BatchItem> items = WireReader.batchRequest(body);
                          List<TransactionDraft> drafts = new ArrayList<>();
                          for (WireReader.BatchItem item : items) {
                            if (item.draft() != null) {
                              drafts.add(item.draft());
                            }
                          }
                          CompletionStage<List<PostOutcome>> committed =
                              drafts.isEmpty()
                                  ? CompletableFuture.completedFuture(List.of())
                                  : ledger.postBatchAsync(book, drafts);
                          return respond(
                              committed,
                              outcomes -> {
                                List<PostOutcome> results = new ArrayList<>(items.size());
                                int next = 0;
                                for (WireReader.BatchItem item : items) {
                                  results.add(
                                      item.draft() != null
                                          ? outcomes.get(next++)
                                          : new PostOutcome.Rejected(item.error()));
                                }
                                return ok(WireWriter.batchResults(results));
                              });
                        })));
  }

  private Route listTransactions(Principal principal, String book) {
    return readable(
        principal,
        book,
        () ->
            query(
                Set.of("after_seq", "limit", "idempotency_key"),
                params -> {
                  String key = params.get("idempotency_key");
                  if (key != null) {
                    if (params.size() > 1) {
                      throw LedgerError.invalidRequest(
                              "idempotency_key",
                              "idempotency_key cannot be combined with after_seq or limit")
                          .toException();
                    }
                    return respond(
                        ledger.findTransactionAsync(book, key),
                        found ->
                            ok(WireWriter.transactions(found.map(List::of).orElse(List.of()))));
                  }
                  long afterSeq = afterSeq(params);
                  int limit = limit(params);
                  return respond(
                      ledger.listTransactionsAsync(book, afterSeq, limit),
                      page -> ok(WireWriter.transactionPage(page)));
                }));
  }

  private Route getTransaction(Principal principal, String id) {
    return guard(
        () -> {
          UUID txId;
          try {
            txId = UUID.fromString(id);
          } catch (IllegalArgumentException e) {
            throw LedgerError.invalidRequest("tx_id", "tx_id must be a UUID").toException();
          }
          String notFound = "no transaction " + txId;
          return noQuery(
              () ->
                  respond(
                      ledger.getTransactionAsync(txId),
                      tx -> {
                        // A transaction in a book the token cannot read does not exist for it.
                        if (!principal.canRead(tx.book())) {
                          return Problems.of(LedgerError.notFound(notFound));
                        }
                        return ok(WireWriter.transaction(tx));
                      }));
        });
  }

  private Route postings(Principal principal, String book, String account) {
    return readable(
        principal,
        book,
        () ->
            guard(
                () -> {
                  Names.requireAccount(account, "account");
                  return query(
                      Set.of("asset", "after_seq", "limit"),
                      params -> {
                        String asset = params.get("asset");
                        if (asset != null) {
                          Names.requireAssetCode(asset, "asset");
                        }
                        long afterSeq = afterSeq(params);
                        int limit = limit(params);
                        return respond(
                            ledger.listPostingsAsync(book, account, asset, afterSeq, limit),
                            page -> ok(WireWriter.postingPage(page)));
                      });
                }));
  }

  // ---- balances -------------------------------------------------------------------------------

  private Route balances(Principal principal, String book, String account) {
    return readable(
        principal,
        book,
        () ->
            guard(
                () -> {
                  Names.requireAccount(account, "account");
                  return query(
                      Set.of("as_of", "asset"),
                      params -> {
                        String asset = params.get("asset");
                        if (asset != null) {
                          Names.requireAssetCode(asset, "asset");
                        }
                        Instant asOf = asOf(params);
                        return respond(
                            ledger.balancesAsync(book, account, asOf, asset),
                            balances -> ok(WireWriter.accountBalances(balances)));
                      });
                }));
  }

  private Route trialBalance(Principal principal, String book) {
    return readable(
        principal,
        book,
        () ->
            query(
                Set.of("as_of"),
                params ->
                    respond(
                        ledger.trialBalanceAsync(book, asOf(params)),
                        trial -> ok(WireWriter.trialBalance(trial)))));
  }

  private Route verify(Principal principal, String book) {
    return readable(
        principal,
        book,
        () ->
            noQuery(
                () ->
                    respond(
                        ledger.verifyAsync(book), result -> ok(WireWriter.verifyResult(result)))));
  }

  // ---- live tail ------------------------------------------------------------------------------

  private static final MediaType.WithFixedCharset EVENT_STREAM = MediaTypes.TEXT_EVENT_STREAM;
  private static final ByteString KEEPALIVE = ByteString.fromString(": keepalive\n\n");

  /**
   * Server-sent events: every commit with {@code seq >= from_seq} (or after {@code Last-Event-ID},
   * which wins), catch-up then live, as {@code id: <seq> / event: commit / data: <transaction>},
   * and a {@code : keepalive} comment whenever nothing else was sent for a while. A subscriber that
   * falls too far behind is disconnected and resumes with {@code Last-Event-ID}.
   */
  private Route events(Principal principal, String book) {
    return readable(
        principal,
        book,
        () ->
            query(
                Set.of("from_seq"),
                params ->
                    optionalHeaderValueByName(
                        "Last-Event-ID",
                        lastEventId ->
                            guard(
                                () -> {
                                  OptionalLong from = startingSeq(params, lastEventId);
                                  return respond(
                                      ledger.getBookAsync(book),
                                      head -> limitedEventStream(principal.name(), book, from));
                                }))));
  }

  /** A live tail, if the limits on live tails allow one more; else 429 overloaded. */
  private HttpResponse limitedEventStream(String token, String book, OptionalLong from) {
    LiveTailLimits.Place place = liveTails.acquire(token, book);
    try {
      return eventStream(book, from, place);
    } catch (RuntimeException e) {
      place.release();
      throw e;
    }
  }

  private static OptionalLong startingSeq(
      Map<String, String> params, java.util.Optional<String> lastEventId) {
    if (lastEventId.isPresent()) {
      String text = lastEventId.get().trim();
      if (!text.matches("[0-9]{1,18}")) {
        throw LedgerError.invalidRequest(
                "Last-Event-ID", "Last-Event-ID must be the seq of the last event received")
            .toException();
      }
      return OptionalLong.of(Long.parseLong(text) + 1);
    }
    String fromSeq = params.get("from_seq");
    if (fromSeq == null) {
      return OptionalLong.empty();
    }
    if (!fromSeq.matches("[0-9]{1,18}")) {
      throw LedgerError.invalidRequest("from_seq", "from_seq must be an integer >= 0")
          .toException();
    }
    return OptionalLong.of(Long.parseLong(fromSeq));
  }

  /** The stream of a live tail, which gives its place back when it ends, however it ends. */
  private HttpResponse eventStream(String book, OptionalLong from, LiveTailLimits.Place place) {
    Source<ByteString, NotUsed> events =
        ledger
            .commits(book, from)
            .map(
                tx ->
                    ByteString.fromString("id: " + tx.seq() + "\nevent: commit\ndata: ")
                        .concat(
                            ByteString.fromArrayUnsafe(Json.toBytes(WireWriter.transaction(tx))))
                        .concat(ByteString.fromString("\n\n")))
            .keepAlive(keepalive, () -> KEEPALIVE)
            .recover(
                new PFBuilder<Throwable, ByteString>()
                    .matchAny(failure -> endOfStream(book, failure))
                    .build());
    return HttpResponse.create()
        .withStatus(StatusCodes.OK)
        .withHeaders(
            List.of(
                org.apache.pekko.http.javadsl.model.headers.RawHeader.create(
                    "X-Accel-Buffering", "no")))
        .withEntity(
            HttpEntities.createChunked(
                EVENT_STREAM.toContentType(), counted(drain.endable(events), place)));
  }

  /** A live tail's bytes, counted as a subscriber and holding its place until they end. */
  private Source<ByteString, NotUsed> counted(
      Source<ByteString, NotUsed> events, LiveTailLimits.Place place) {
    return events.watchTermination(
        (notUsed, done) -> {
          place.started();
          metrics.subscribers(1);
          done.whenCompleteAsync(
              (ignored, failure) -> {
                metrics.subscribers(-1);
                place.release();
              },
              SAME_THREAD);
          return NotUsed.notUsed();
        });
  }

  /**
   * Ends a live tail that cannot go on — a subscriber that fell too far behind, a store that became
   * unreachable — with a last comment saying why, and a clean end of the response: the client
   * reconnects with {@code Last-Event-ID} and loses nothing.
   */
  private static ByteString endOfStream(String book, Throwable failure) {
    boolean slow = failure instanceof CommitFeed.SlowSubscriberException;
    if (slow) {
      LOG.info("live tail of book {} disconnected: {}", book, failure.getMessage());
    } else {
      LOG.warn("live tail of book {} ended by a failure: {}", book, failure.toString());
    }
    return ByteString.fromString(
        ": disconnected ("
            + (slow ? "too slow" : "server unavailable")
            + "); reconnect with Last-Event-ID\n\n");
  }

  // ---- authentication and scope ---------------------------------------------------------------

  private Route authenticated(Function<Principal, Route> inner) {
    return optionalHeaderValueByName(
        "Authorization",
        header -> {
          String value = header.orElse("");
          if (value.regionMatches(true, 0, "Bearer ", 0, 7)) {
            var principal = tokens.authenticate(value.substring(7).trim());
            if (principal.isPresent()) {
              return accessLog
                  ? extractRequest(
                      request -> {
                        request
                            .getAttribute(AccessLog.CALLER)
                            .ifPresent(caller -> caller.set(principal.get().name()));
                        return inner.apply(principal.get());
                      })
                  : inner.apply(principal.get());
            }
            return problem(LedgerError.of(ErrorCode.UNAUTHORIZED, "the bearer token is not valid"));
          }
          return problem(
              LedgerError.of(
                  ErrorCode.UNAUTHORIZED, "an Authorization: Bearer <token> header is required"));
        });
  }

  private Route readable(Principal principal, String book, Supplier<Route> inner) {
    return guard(
        () -> {
          Names.requireBook(book, "book");
          return principal.canRead(book) ? inner.get() : problem(LedgerError.forbidden(book));
        });
  }

  private Route writable(Principal principal, String book, Supplier<Route> inner) {
    return guard(
        () -> {
          Names.requireBook(book, "book");
          return principal.canWrite(book) ? inner.get() : problem(LedgerError.forbidden(book));
        });
  }

  // ---- request parts --------------------------------------------------------------------------

  /** The query parameters, each at most once and all of them known. */
  private Route query(Set<String> allowed, Function<Map<String, String>, Route> inner) {
    return parameterMultiMap(
        params ->
            guard(
                () -> {
                  for (Map.Entry<String, List<String>> param : params.entrySet()) {
                    if (!allowed.contains(param.getKey())) {
                      throw LedgerError.invalidRequest(
                              param.getKey(), "unknown query parameter " + param.getKey())
                          .toException();
                    }
                    if (param.getValue().size() > 1) {
                      throw LedgerError.invalidRequest(
                              param.getKey(), param.getKey() + " is given more than once")
                          .toException();
                    }
                  }
                  Map<String, String> single = new java.util.HashMap<>();
                  params.forEach((key, values) -> single.put(key, values.get(0)));
                  return inner.apply(single);
                }));
  }

  private Route noQuery(Supplier<Route> inner) {
    return query(Set.of(), params -> inner.get());
  }

  private static int limit(Map<String, String> params) {
    String text = params.get("limit");
    if (text == null) {
      return Paging.DEFAULT_LIMIT;
    }
    if (!text.matches("[0-9]{1,4}")) {
      throw LedgerError.invalidRequest("limit", "limit must be an integer 1-1000").toException();
    }
    return Paging.requireLimit(Integer.parseInt(text));
  }

  private static long afterSeq(Map<String, String> params) {
    String text = params.get("after_seq");
    if (text == null) {
      return 0;
    }
    if (!text.matches("[0-9]{1,18}")) {
      throw LedgerError.invalidRequest("after_seq", "after_seq must be an integer >= 0")
          .toException();
    }
    return Long.parseLong(text);
  }

  private static Instant asOf(Map<String, String> params) {
    String text = params.get("as_of");
    return text == null ? null : Timestamps.parse(text, "as_of");
  }

  /** The body as JSON: {@code application/json} (UTF-8), at most 1 MiB. */
  private Route jsonBody(Function<JsonNode, Route> inner) {
    return extractRequestEntity(
        entity -> {
          ContentType type = entity.getContentType();
          boolean json =
              type.mediaType().mainType().equals("application")
                  && type.mediaType().subType().equals("json")
                  && type.getCharsetOption().map(c -> c.equals(HttpCharsets.UTF_8)).orElse(true);
          if (!json) {
            return problem(
                LedgerError.of(
                    ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                    "the request body must be application/json (UTF-8)"));
          }
          return withSizeLimit(
              MAX_BODY_BYTES,
              () ->
                  entity(
                      Unmarshaller.entityToByteString(),
                      (ByteString bytes) ->
                          guard(() -> inner.apply(Json.parseRequest(bytes.toArray())))));
        });
  }

  // ---- responses ------------------------------------------------------------------------------

  /** Completes with the stage's value, or with the problem its failure maps to. */
  private <T> Route respond(CompletionStage<T> stage, Function<T, HttpResponse> onSuccess) {
    return completeWithFuture(
        stage.handle(
            (value, failure) -> {
              if (failure != null) {
                return Problems.of(failure);
              }
              try {
                return onSuccess.apply(value);
              } catch (RuntimeException e) {
                return Problems.of(e);
              }
            }));
  }

  /** Builds a route, answering a contract error thrown while building it. */
  private Route guard(Supplier<Route> build) {
    try {
      return build.get();
    } catch (LedgerException e) {
      return problem(e.error());
    }
  }

  private Route problem(LedgerError error) {
    return complete(Problems.of(error));
  }

  private static HttpResponse ok(JsonNode body) {
    return json(StatusCodes.OK, body);
  }

  private static HttpResponse json(StatusCode status, JsonNode body, HttpHeader... headers) {
    return HttpResponse.create()
        .withStatus(status)
        .withHeaders(List.of(headers))
        .withEntity(JSON, Json.toBytes(body));
  }

  private ExceptionHandler exceptionHandler() {
    return ExceptionHandler.newBuilder()
        .match(
            EntityStreamSizeException.class,
            e ->
                complete(
                    Problems.of(
                        LedgerError.of(
                            ErrorCode.PAYLOAD_TOO_LARGE, "the request body exceeds 1 MiB"))))
        .match(LedgerException.class, e -> complete(Problems.of(e.error())))
        .match(
            org.apache.pekko.http.scaladsl.model.IllegalRequestException.class,
            e ->
                complete(
                    Problems.of(
                        bodyProblem(
                            e.info().summary().startsWith("Request too large")
                                ? 413
                                : e.status().intValue()))))
        .matchAny(e -> complete(Problems.of(tooLarge(e) ? payloadTooLarge() : e)))
        .build();
  }

  /**
   * What reading a body whole ({@link #whole}) failed with: Pekko says 408 for a body that took too
   * long, and 400 "Request too large" for one over the limit.
   */
  private LedgerError bodyProblem(int status) {
    return switch (status) {
      case 408 ->
          LedgerError.of(
              ErrorCode.TIMEOUT,
              "the request body did not arrive within "
                  + HttpText.duration(bodyTimeout)
                  + " (TALEA_BODY_TIMEOUT)");
      case 413 -> payloadTooLarge().error();
      default -> LedgerError.invalidRequest("body", "the request body cannot be read");
    };
  }

  private static boolean tooLarge(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof EntityStreamSizeException) {
        return true;
      }
    }
    return false;
  }

  private static LedgerException payloadTooLarge() {
    return LedgerError.of(ErrorCode.PAYLOAD_TOO_LARGE, "the request body exceeds 1 MiB")
        .toException();
  }

  private RejectionHandler rejectionHandler() {
    return RejectionHandler.newBuilder()
        .handleAll(
            MethodRejection.class,
            rejections -> {
              Set<String> supported = new TreeSet<>();
              rejections.forEach(r -> supported.add(r.supported().name()));
              String allow = RouteTemplate.allow(supported);
              return complete(
                  Problems.of(
                      LedgerError.of(
                          ErrorCode.METHOD_NOT_ALLOWED, "this resource supports " + allow),
                      org.apache.pekko.http.javadsl.model.headers.RawHeader.create(
                          "Allow", allow)));
            })
        .handle(
            MalformedRequestContentRejection.class,
            rejection ->
                complete(
                    tooLarge(rejection.getCause())
                        ? Problems.of(payloadTooLarge().error())
                        : Problems.of(
                            LedgerError.invalidRequest("body", "the request body cannot be read"))))
        .handle(
            Rejection.class,
            rejection ->
                complete(
                    Problems.of(
                        LedgerError.invalidRequest("request", "the request cannot be processed"))))
        .handleNotFound(complete(Problems.of(LedgerError.notFound("no such route"))))
        .build();
  }
}
