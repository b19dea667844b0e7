package dev.talea.client.cli;

import dev.talea.client.TaleaClient;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.json.WireWriter;
import java.io.PrintWriter;
import java.util.OptionalLong;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code talea tail}: prints a book's commits as they happen, until interrupted. The client's
 * subscription reconnects by itself and resumes after the last seq printed, so every commit is
 * printed once, in seq order. The commits are printed on the command's own thread; interrupting
 * that thread (or Ctrl-C) stops the tail.
 */
@Command(
    name = "tail",
    mixinStandardHelpOptions = true,
    description = {
      "Follow a book's commits live, until interrupted (Ctrl-C).",
      "",
      "With --from-seq N, first every commit from seq N on, then the live ones; without it, only"
          + " commits made from now on. If the connection drops or the server restarts, talea"
          + " reconnects by itself and resumes after the last commit printed: nothing is skipped"
          + " or printed twice.",
      "",
      "Each commit prints as a line `seq N  committed_at T  idempotency_key K  tx_id ID` (and"
          + " `memo M` if it has one), then its postings indented; with --json, each commit is one"
          + " line of JSON, as the server sends it."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  talea tail --book demo",
      "  talea tail --book demo --from-seq 1",
      "  talea tail --book demo --json | jq -c '{seq, idempotency_key}'"
    })
final class TailCommand extends ApiCommand {

  @Option(names = "--book", required = true, paramLabel = "BOOK", description = "The book.")
  String book;

  @Option(
      names = "--from-seq",
      paramLabel = "N",
      description = "Start with the commit at seq N (1 for the whole history); default: live only.")
  Long fromSeq;

  @Override
  void validate() {
    if (fromSeq != null && fromSeq < 1) {
      throw usage("--from-seq must be at least 1, got " + fromSeq);
    }
  }

  @Override
  int run(TaleaClient client) throws Exception {
    BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    Flow.Subscription[] subscription = new Flow.Subscription[1];
    client
        .subscribe(book, fromSeq == null ? OptionalLong.empty() : OptionalLong.of(fromSeq))
        .subscribe(
            new Flow.Subscriber<Transaction>() {
              @Override
              public void onSubscribe(Flow.Subscription s) {
                subscription[0] = s;
                s.request(1);
              }

              @Override
              public void onNext(Transaction tx) {
                events.add(tx);
              }

              @Override
              public void onError(Throwable failure) {
                events.add(failure);
              }

              @Override
              public void onComplete() {
                events.add(Boolean.TRUE);
              }
            });
    PrintWriter out = out();
    try {
      while (true) {
        Object event = events.take();
        if (event instanceof Transaction tx) {
          print(out, tx);
          out.flush();
          subscription[0].request(1);
        } else if (event instanceof RuntimeException failure) {
          throw failure;
        } else if (event instanceof Throwable failure) {
          throw new IllegalStateException(failure);
        } else {
          return 0;
        }
      }
    } catch (InterruptedException e) {
      // Stopped: the normal end of a tail.
      subscription[0].cancel();
      Thread.currentThread().interrupt();
      return 0;
    }
  }

  private void print(PrintWriter out, Transaction tx) {
    if (json()) {
      printJson(WireWriter.transaction(tx));
      return;
    }
    out.println(
        "seq "
            + tx.seq()
            + "  committed_at "
            + Render.time(tx.committedAt())
            + "  idempotency_key "
            + tx.idempotencyKey()
            + "  tx_id "
            + tx.txId()
            + (tx.memo() == null ? "" : "  memo " + tx.memo()));
    Render.postings(tx).print(out, false, "  ");
  }
}
