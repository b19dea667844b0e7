package dev.talea.torture;

import com.fasterxml.jackson.databind.JsonNode;
import dev.talea.client.RetryPolicy;
import dev.talea.client.TaleaClient;
import dev.talea.client.TaleaClientException;
import dev.talea.protocol.AccountKind;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.DecimalAmount;
import dev.talea.protocol.ErrorCode;
import dev.talea.protocol.LedgerError;
import dev.talea.protocol.LedgerException;
import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionDraft;
import dev.talea.protocol.json.Json;
import dev.talea.protocol.json.WireReader;
import dev.talea.protocol.json.WireWriter;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The clients of a run: threads that each post and read through their own connections until told to
 * stop, recording every operation in the history. Even clients use {@link TaleaClient} with its
 * retry policy, odd ones without retries, and every third one posts over raw HTTP; one tail per
 * book follows the whole run through {@link TaleaClient#subscribe}, reconnecting by itself.
 */
final class Workload {

  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

  private final Bank bank;
  private final List<Talead> servers;
  private final long seed;
  private final int clients;
  private final AtomicLong ids = new AtomicLong();
  private final ConcurrentLinkedQueue<Op> history = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final List<Thread> threads = new ArrayList<>();
  private final List<TaleaClient> opened = new CopyOnWriteArrayList<>();

  /** Commits acknowledged so far, for as_of moments and tail starts; any client may add. */
  private final List<Transaction> acknowledged = new ArrayList<>();

  /** One HTTP client for the raw live tails (each session its own connection). */
  private final HttpClient tails = HttpClient.newHttpClient();

  /** Per book, the live tail that follows the whole run. */
  final Map<String, Op> followers = new ConcurrentHashMap<>();

  /**
   * @param servers the instances to load: one, or the nodes of a cluster; client {@code c} (and its
   *     raw posts and tails) goes to node {@code c % n}, the tail of book {@code b} to node {@code
   *     b % n}, set-up and read-back to the first
   */
  Workload(Bank bank, List<Talead> servers, long seed, int clients) {
    this.bank = bank;
    this.servers = List.copyOf(servers);
    this.seed = seed;
    this.clients = clients;
  }

  List<Op> history() {
    return List.copyOf(history);
  }

  TaleaClient client(RetryPolicy retries) {
    return client(retries, 0);
  }

  /** The instance client {@code id} talks to. */
  private Talead node(int id) {
    return servers.get(id % servers.size());
  }

  private TaleaClient client(RetryPolicy retries, int id) {
    Talead server = node(id);
    TaleaClient client =
        TaleaClient.builder()
            .baseUrl(server.url().toString())
            .token(server.token())
            .connectTimeout(Duration.ofSeconds(2))
            .requestTimeout(REQUEST_TIMEOUT)
            .retryPolicy(retries)
            .build();
    opened.add(client);
    return client;
  }

  static RetryPolicy patient() {
    return RetryPolicy.defaults().withMaxElapsed(Duration.ofSeconds(60)).withMaxAttempts(40);
  }

  // ---- set-up ---------------------------------------------------------------------------------

  /** Registers the asset, opens the accounts and funds every customer of every book. */
  void setUp() {
    TaleaClient admin = client(patient());
    admin.registerAsset(new AssetSpec(Bank.ASSET, Bank.DECIMALS, "US dollar"));
    for (String book : bank.books) {
      admin.openAccount(book, Bank.VAULT, new AccountSpec(AccountKind.ASSET));
      for (String customer : bank.customers) {
        admin.openAccount(
            book,
            customer,
            new AccountSpec(AccountKind.LIABILITY, DecimalAmount.parseSigned("0", "m"), Map.of()));
      }
      for (String customer : bank.customers) {
        post(0, admin, null, Op.Kind.DEPOSIT, book, List.of(Bank.deposit(customer)));
      }
    }
  }

  // ---- the run --------------------------------------------------------------------------------

  void start() {
    for (String book : bank.books) {
      follow(book);
    }
    for (int c = 1; c <= clients; c++) {
      int id = c;
      Thread thread = new Thread(() -> runClient(id), "torture-client-" + id);
      thread.setDaemon(true);
      threads.add(thread);
      thread.start();
    }
  }

  /** Stops the clients (each finishes its operation in progress) and the tails. */
  void stop() {
    stopping.set(true);
    for (Thread thread : threads) {
      try {
        thread.join(Duration.ofSeconds(90).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Closes every client, ending the tails. */
  void close() {
    followers.values().forEach(op -> op.ok(null, op.answer));
    opened.forEach(TaleaClient::close);
  }

  private void runClient(int id) {
    Random random = new Random(seed * 1_000_003L + id);
    TaleaClient client = client(id % 2 == 0 ? patient() : RetryPolicy.none(), id);
    HttpClient raw = id % 3 == 2 ? HttpClient.newBuilder().build() : null;
    List<TransactionDraft> sent = new ArrayList<>();
    long n = 0;
    while (!stopping.get()) {
      String book = bank.books.get(random.nextInt(bank.books.size()));
      int pick = random.nextInt(100);
      n++;
      Op done = null;
      if (pick < 40) {
        TransactionDraft draft = randomTransfer(random, "t-" + id + "-" + n);
        sent.add(draft);
        done = post(id, client, raw, Op.Kind.TRANSFER, book, List.of(draft));
      } else if (pick < 47) {
        List<TransactionDraft> drafts = new ArrayList<>();
        for (int d = 0; d < 2 + random.nextInt(4); d++) {
          drafts.add(randomTransfer(random, "b-" + id + "-" + n + "-" + d));
        }
        sent.addAll(drafts);
        done = post(id, client, raw, Op.Kind.BATCH, book, drafts);
      } else if (pick < 54 && !sent.isEmpty()) {
        TransactionDraft earlier = sent.get(random.nextInt(sent.size()));
        done = post(id, client, raw, Op.Kind.REPLAY, bookOf(earlier, book), List.of(earlier));
      } else if (pick < 57 && !sent.isEmpty()) {
        TransactionDraft earlier = sent.get(random.nextInt(sent.size()));
        done =
            post(
                id,
                client,
                raw,
                Op.Kind.CHANGED_REPLAY,
                bookOf(earlier, book),
                List.of(changed(earlier)));
      } else if (pick < 99) {
        done = read(id, client, random, book, pick);
      } else {
        rawTail(id, random, book);
      }
      if (done != null && done.outcome == Op.Outcome.UNKNOWN) {
        // The server is down or stopped: do not spin, as a real client backs off.
        Talead.sleep(100);
      }
    }
  }

  /** Replays go to the book the draft was first sent to; clients pick books by key order. */
  private final Map<String, String> bookOfKey = new ConcurrentHashMap<>();

  private String bookOf(TransactionDraft draft, String fallback) {
    return bookOfKey.getOrDefault(draft.idempotencyKey(), fallback);
  }

  private TransactionDraft randomTransfer(Random random, String key) {
    String from = bank.customers.get(random.nextInt(bank.customers.size()));
    String to = bank.customers.get(random.nextInt(bank.customers.size()));
    while (to.equals(from)) {
      to = bank.customers.get(random.nextInt(bank.customers.size()));
    }
    // Up to 300.00 against 1,000.00 deposits: enough refusals, enough successes.
    return Bank.transfer(key, from, to, 1 + random.nextInt(30_000));
  }

  /** The same key with another amount: a different request. */
  private static TransactionDraft changed(TransactionDraft draft) {
    String from = draft.postings().get(0).account();
    String to = draft.postings().get(1).account();
    long cents =
        draft.postings().get(0).amount().toMinorUnits(Bank.DECIMALS, "amount").longValueExact() + 1;
    return Bank.transfer(draft.idempotencyKey(), from, to, cents);
  }

  // ---- posts ----------------------------------------------------------------------------------

  private Op post(
      int id,
      TaleaClient client,
      HttpClient raw,
      Op.Kind kind,
      String book,
      List<TransactionDraft> drafts) {
    drafts.forEach(d -> bookOfKey.putIfAbsent(d.idempotencyKey(), book));
    Op op = new Op(ids.incrementAndGet(), id, kind, book, List.copyOf(drafts), null);
    history.add(op);
    try {
      List<PostOutcome> results;
      if (raw != null) {
        results = rawPost(id, raw, book, drafts);
      } else if (drafts.size() == 1 && kind != Op.Kind.BATCH) {
        results = List.of(new PostOutcome.Committed(client.post(book, drafts.get(0))));
      } else {
        results = client.postBatch(book, drafts);
      }
      synchronized (acknowledged) {
        for (PostOutcome result : results) {
          if (result instanceof PostOutcome.Committed committed) {
            acknowledged.add(committed.transaction());
          }
        }
      }
      op.ok(results, null);
    } catch (LedgerException e) {
      classify(op, e.error());
    } catch (TaleaClientException e) {
      op.unknown(e.getClass().getSimpleName() + ": " + e.getMessage());
    } catch (RuntimeException e) {
      op.unknown(e.toString());
    }
    return op;
  }

  /** Refusals that leave nothing behind are failures; the rest say nothing of the outcome. */
  private static void classify(Op op, LedgerError error) {
    ErrorCode code = error.code();
    if (code == ErrorCode.TIMEOUT
        || code == ErrorCode.UNAVAILABLE
        || code == ErrorCode.OVERLOADED
        || code == ErrorCode.INTERNAL) {
      op.unknown(code.wireName() + "/" + code.httpStatus());
    } else {
      op.failed(code.wireName() + "/" + code.httpStatus());
    }
  }

  private List<PostOutcome> rawPost(
      int id, HttpClient raw, String book, List<TransactionDraft> drafts) {
    Talead server = node(id);
    boolean batch = drafts.size() > 1;
    JsonNode body = batch ? WireWriter.batchRequest(drafts) : WireWriter.draft(drafts.get(0));
    URI uri = server.url().resolve("/v1/books/" + book + "/transactions" + (batch ? "/batch" : ""));
    HttpResponse<byte[]> response;
    try {
      response =
          raw.send(
              HttpRequest.newBuilder(uri)
                  .timeout(REQUEST_TIMEOUT)
                  .header("Authorization", "Bearer " + server.token())
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofByteArray(Json.toBytes(body)))
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new TaleaClientException("raw HTTP: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TaleaClientException("interrupted", e);
    }
    JsonNode answer = Json.parseResponse(response.body());
    if (response.statusCode() >= 400) {
      throw WireReader.problem(response.statusCode(), answer).toException();
    }
    return batch
        ? WireReader.batchResults(answer)
        : List.of(new PostOutcome.Committed(WireReader.transaction(answer)));
  }

  // ---- reads ----------------------------------------------------------------------------------

  private Op read(int id, TaleaClient client, Random random, String book, int pick) {
    String account = bank.customers.get(random.nextInt(bank.customers.size()));
    Op.Kind kind;
    Object request;
    if (pick < 67) {
      kind = Op.Kind.BALANCE;
      request = account;
    } else if (pick < 73 && known(random) != null) {
      kind = Op.Kind.BALANCE_AS_OF;
      Transaction known = known(random);
      request = new Object[] {account, known.committedAt()};
      book = known.book();
    } else if (pick < 79) {
      kind = Op.Kind.TRIAL_BALANCE;
      request = null;
    } else if (pick < 87) {
      kind = Op.Kind.STATEMENT;
      request = new Object[] {account, (long) random.nextInt(50), 1 + random.nextInt(50)};
    } else if (pick < 96) {
      kind = Op.Kind.TRANSACTIONS;
      request = new long[] {random.nextInt(200), 1 + random.nextInt(100)};
    } else {
      kind = Op.Kind.VERIFY;
      request = null;
    }
    Op op = new Op(ids.incrementAndGet(), id, kind, book, null, request);
    history.add(op);
    try {
      Object answer =
          switch (kind) {
            case BALANCE -> client.balances(book, account, null, null);
            case BALANCE_AS_OF ->
                client.balances(
                    book,
                    (String) ((Object[]) request)[0],
                    (Instant) ((Object[]) request)[1],
                    null);
            case TRIAL_BALANCE -> client.trialBalance(book, null);
            case STATEMENT -> {
              Object[] r = (Object[]) request;
              yield client.listPostings(book, (String) r[0], null, (Long) r[1], (Integer) r[2]);
            }
            case TRANSACTIONS -> {
              long[] r = (long[]) request;
              yield client.listTransactions(book, r[0], (int) r[1]);
            }
            case VERIFY -> client.verify(book);
            default -> throw new IllegalStateException(kind.name());
          };
      op.ok(null, answer);
    } catch (LedgerException e) {
      classify(op, e.error());
    } catch (RuntimeException e) {
      op.unknown(e.toString());
    }
    return op;
  }

  /** A random acknowledged commit, or null before the first. */
  private Transaction known(Random random) {
    synchronized (acknowledged) {
      return acknowledged.isEmpty() ? null : acknowledged.get(random.nextInt(acknowledged.size()));
    }
  }

  // ---- live tails -----------------------------------------------------------------------------

  /** A tail of the whole run: from seq 1, reconnecting by itself across every fault. */
  private void follow(String book) {
    Op op = new Op(ids.incrementAndGet(), 0, Op.Kind.TAIL, book, null, 1L);
    List<Transaction> events = java.util.Collections.synchronizedList(new ArrayList<>());
    op.answer = events;
    followers.put(book, op);
    history.add(op);
    client(patient(), bank.books.indexOf(book))
        .subscribe(book, OptionalLong.of(1))
        .subscribe(
            new Flow.Subscriber<>() {
              @Override
              public void onSubscribe(Flow.Subscription subscription) {
                subscription.request(Long.MAX_VALUE);
              }

              @Override
              public void onNext(Transaction tx) {
                events.add(tx);
              }

              @Override
              public void onError(Throwable failure) {
                op.error = "tail ended: " + failure;
              }

              @Override
              public void onComplete() {}
            });
  }

  /**
   * A tail over raw HTTP that joins near the head, takes a few events, leaves, and resumes after
   * the last one with {@code Last-Event-ID}: one session per connection, each recorded.
   */
  private void rawTail(int id, Random random, String book) {
    long head;
    synchronized (acknowledged) {
      head =
          acknowledged.stream()
              .skip(Math.max(0, acknowledged.size() - 50))
              .filter(tx -> tx.book().equals(book))
              .mapToLong(Transaction::seq)
              .max()
              .orElse(1);
    }
    long from = Math.max(1, head - random.nextInt(20));
    long last = session(id, book, "?from_seq=" + from, null, from);
    if (last > 0) {
      session(id, book, "", String.valueOf(last), last + 1);
    }
  }

  /** Reads up to 10 events or for 3 s; returns the last seq received, 0 if none. */
  private long session(int id, String book, String query, String lastEventId, long from) {
    Op op = new Op(ids.incrementAndGet(), id, Op.Kind.TAIL, book, null, from);
    history.add(op);
    Talead server = node(id);
    List<Transaction> events = new ArrayList<>();
    HttpRequest.Builder request =
        HttpRequest.newBuilder(server.url().resolve("/v1/books/" + book + "/events" + query))
            .timeout(REQUEST_TIMEOUT)
            .header("Accept", "text/event-stream")
            .header("Authorization", "Bearer " + server.token());
    if (lastEventId != null) {
      request.header("Last-Event-ID", lastEventId);
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
    SessionLines lines = new SessionLines();
    try {
      // The status is known when the headers arrive; the exchange itself completes only when the
      // body ends.
      CompletableFuture<Integer> headers = new CompletableFuture<>();
      tails
          .sendAsync(
              request.build(),
              info -> {
                headers.complete(info.statusCode());
                return HttpResponse.BodySubscribers.fromLineSubscriber(lines);
              })
          .whenComplete((response, failure) -> headers.completeExceptionally(failure));
      int status = headers.get(REQUEST_TIMEOUT.toSeconds() + 1, TimeUnit.SECONDS);
      // The body arrives as lines; a quiet stream ends the session at its deadline, not at the
      // next heartbeat.
      while (events.size() < 10) {
        String line = lines.next(deadline);
        if (line == null) {
          break;
        }
        if (status == 200 && line.startsWith("data: ")) {
          events.add(
              WireReader.transaction(
                  Json.parseResponse(line.substring(6).getBytes(StandardCharsets.UTF_8))));
        }
      }
      if (lines.failure != null) {
        throw new IOException("the event stream broke", lines.failure);
      }
      if (status != 200) {
        op.unknown("status " + status);
        return 0;
      }
      op.ok(null, events);
    } catch (IOException | ExecutionException | TimeoutException | RuntimeException e) {
      op.unknown(e.toString());
      op.answer = events; // what arrived before the connection broke is still checked
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      op.unknown("interrupted");
    } finally {
      lines.cancel();
    }
    return events.isEmpty() ? 0 : events.get(events.size() - 1).seq();
  }

  /** The lines of one event stream, one requested at a time, until the session cancels it. */
  private static final class SessionLines implements Flow.Subscriber<String> {
    private static final String END = new String("end of stream");
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private volatile Flow.Subscription subscription;
    private volatile Throwable failure;

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      this.subscription = subscription;
      subscription.request(1);
    }

    @Override
    public void onNext(String line) {
      lines.add(line);
    }

    @Override
    public void onError(Throwable throwable) {
      failure = throwable;
      lines.add(END);
    }

    @Override
    public void onComplete() {
      lines.add(END);
    }

    /** The next line, or null at the end of the stream or at the deadline. */
    String next(long deadlineNanos) throws InterruptedException {
      long left = deadlineNanos - System.nanoTime();
      String line = left <= 0 ? lines.poll() : lines.poll(left, TimeUnit.NANOSECONDS);
      if (line == null || line == END) {
        return null;
      }
      subscription.request(1);
      return line;
    }

    void cancel() {
      Flow.Subscription current = subscription;
      if (current != null) {
        current.cancel();
      }
    }
  }
}
