package dev.talea.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/** The load of each scenario, as {@link LoadEngine.Workload}s. */
final class Workloads {

  private Workloads() {}

  /** What the server committed per book, by this tool's count of successful answers. */
  static final class Commits {
    private final Map<String, Long> perBook = new ConcurrentHashMap<>();
    private volatile long unknown;

    void add(String book, long n) {
      perBook.merge(book, n, Long::sum);
    }

    /** A post whose outcome is unknown (408, a dropped connection): it may or may not be in. */
    void addUnknown(long n) {
      unknown += n;
    }

    long of(String book) {
      return perBook.getOrDefault(book, 0L);
    }

    long unknown() {
      return unknown;
    }
  }

  /**
   * Two-posting transfers between random customers of a random book, with unique idempotency keys;
   * a share of the operations may be balance reads instead.
   */
  static final class Transfers implements LoadEngine.Workload {
    private final Requests requests;
    private final List<String> books;
    private final int accounts;
    private final double readShare;
    private final String keyPrefix;
    private final Recorder recorder;
    private final Commits commits;
    private final SplittableRandom random;
    private final StringBuilder json = new StringBuilder(512);
    private long next;

    Transfers(
        Requests requests,
        List<String> books,
        int accounts,
        double readShare,
        String keyPrefix,
        Recorder recorder,
        Commits commits,
        long seed) {
      this.requests = requests;
      this.books = books;
      this.accounts = accounts;
      this.readShare = readShare;
      this.keyPrefix = keyPrefix;
      this.recorder = recorder;
      this.commits = commits;
      this.random = new SplittableRandom(seed);
    }

    @Override
    public LoadEngine.Request next() {
      String book = books.get(books.size() == 1 ? 0 : random.nextInt(books.size()));
      int from = random.nextInt(accounts);
      if (readShare > 0 && random.nextDouble() < readShare) {
        String path = "/v1/books/" + book + "/accounts/" + Requests.customer(from) + "/balances";
        return new LoadEngine.Request(requests.get(path, "application/json"), new Op("read", book));
      }
      json.setLength(0);
      transferFrom(json, keyPrefix + "-" + next++, from, accounts, random);
      return new LoadEngine.Request(
          requests.post("/v1/books/" + book + "/transactions", json.toString()),
          new Op("post", book));
    }

    @Override
    public void answered(
        LoadEngine.Request request, ResponseParser.Response response, long due, long done) {
      Op op = (Op) request.tag();
      int status = response.status();
      if (op.kind.equals("post") && status == 201) {
        commits.add(op.book, 1);
        recorder.succeeded("post", due, done, 1);
      } else if (op.kind.equals("read") && status == 200) {
        recorder.succeeded("read", due, done, 1);
      } else {
        if (op.kind.equals("post") && status == 408) {
          commits.addUnknown(1);
        }
        String key =
            status == 200 ? "200 deduplicated" : Recorder.errorKey(status, response.bodyText());
        recorder.failed(op.kind, key, due, done);
      }
    }

    @Override
    public void failed(LoadEngine.Request request, String reason, long due, long done) {
      Op op = (Op) request.tag();
      if (op.kind.equals("post")) {
        commits.addUnknown(1);
      }
      recorder.failed(op.kind, "io " + reason, due, done);
    }
  }

  /** Batches of transfers on one book through the batch endpoint. */
  static final class Batches implements LoadEngine.Workload {
    private static final JsonFactory JSON = new JsonFactory();

    private final Requests requests;
    private final String book;
    private final int accounts;
    private final int batchSize;
    private final String keyPrefix;
    private final Recorder recorder;
    private final Commits commits;
    private final SplittableRandom random;
    private final StringBuilder json = new StringBuilder(256 * 1024);
    private long next;

    Batches(
        Requests requests,
        String book,
        int accounts,
        int batchSize,
        String keyPrefix,
        Recorder recorder,
        Commits commits,
        long seed) {
      this.requests = requests;
      this.book = book;
      this.accounts = accounts;
      this.batchSize = batchSize;
      this.keyPrefix = keyPrefix;
      this.recorder = recorder;
      this.commits = commits;
      this.random = new SplittableRandom(seed);
    }

    @Override
    public LoadEngine.Request next() {
      json.setLength(0);
      json.append("{\"transactions\":[");
      for (int i = 0; i < batchSize; i++) {
        if (i > 0) {
          json.append(',');
        }
        transferFrom(json, keyPrefix + "-" + next++, random.nextInt(accounts), accounts, random);
      }
      json.append("]}");
      return new LoadEngine.Request(
          requests.post("/v1/books/" + book + "/transactions/batch", json.toString()), null);
    }

    @Override
    public void answered(
        LoadEngine.Request request, ResponseParser.Response response, long due, long done) {
      if (response.status() != 200) {
        if (response.status() == 408) {
          commits.addUnknown(batchSize);
        }
        recorder.failed(
            "batch", Recorder.errorKey(response.status(), response.bodyText()), due, done);
        return;
      }
      long created = 0;
      try (JsonParser parser = JSON.createParser(response.body())) {
        // {"results":[{"status":201,"transaction":{...}} | {"status":422,"error":{...}}, ...]}
        int depth = 0;
        int status = 0;
        JsonToken token;
        while ((token = parser.nextToken()) != null) {
          switch (token) {
            case START_OBJECT, START_ARRAY -> depth++;
            case END_OBJECT, END_ARRAY -> depth--;
            case FIELD_NAME -> {
              String name = parser.currentName();
              if (depth == 3 && name.equals("status")) {
                parser.nextToken();
                status = parser.getIntValue();
                if (status == 201) {
                  created++;
                }
              } else if (depth == 4 && name.equals("error") && status != 201) {
                parser.nextToken();
                if (parser.currentToken() == JsonToken.VALUE_STRING) {
                  recorder.partFailed("draft", status + " " + parser.getText(), 1);
                }
              }
            }
            default -> {}
          }
        }
      } catch (IOException e) {
        recorder.failed("batch", "unreadable answer", due, done);
        return;
      }
      commits.add(book, created);
      recorder.succeeded("batch", due, done, created);
    }

    @Override
    public void failed(LoadEngine.Request request, String reason, long due, long done) {
      commits.addUnknown(batchSize);
      recorder.failed("batch", "io " + reason, due, done);
    }
  }

  /**
   * Appends a transfer of a random amount (1 to 999,999 minor units) from customer {@code from} to
   * another customer chosen at random.
   */
  private static void transferFrom(
      StringBuilder json, String key, int from, int accounts, SplittableRandom random) {
    int to = random.nextInt(accounts - 1);
    if (to >= from) {
      to++;
    }
    Requests.transfer(
        json, key, Requests.customer(from), Requests.customer(to), 1 + random.nextInt(1_000_000));
  }

  /** An operation's kind and book, remembered with its request. */
  private record Op(String kind, String book) {}
}
