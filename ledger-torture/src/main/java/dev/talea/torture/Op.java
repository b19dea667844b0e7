package dev.talea.torture;

import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.TransactionDraft;
import java.util.List;

/**
 * One operation of the history: what a client asked of which book, when it asked and when it got
 * its answer (on one monotonic clock), and what the answer was. A post records the drafts it sent
 * and, when answered, one outcome per draft; a read records its request and its answer.
 */
final class Op {

  enum Kind {
    DEPOSIT,
    TRANSFER,
    BATCH,
    REPLAY,
    CHANGED_REPLAY,
    BALANCE,
    BALANCE_AS_OF,
    TRIAL_BALANCE,
    STATEMENT,
    TRANSACTIONS,
    VERIFY,
    TAIL;

    boolean posts() {
      return this == DEPOSIT
          || this == TRANSFER
          || this == BATCH
          || this == REPLAY
          || this == CHANGED_REPLAY;
    }
  }

  /**
   * {@code OK}: answered; {@code FAIL}: refused with a contract error that leaves nothing behind;
   * {@code UNKNOWN}: no answer that says what happened (a timeout, a 503, a lost connection).
   */
  enum Outcome {
    OK,
    FAIL,
    UNKNOWN
  }

  final long id;
  final int client;
  final Kind kind;
  final String book;
  final long invokedNanos;
  final List<TransactionDraft> drafts;
  final Object request;

  long completedNanos;
  Outcome outcome;

  /** The contract error code of a refusal, or a short description of an unknown outcome. */
  String error;

  /** For an answered post: one outcome per draft. */
  List<PostOutcome> results;

  /** For an answered read. */
  Object answer;

  Op(long id, int client, Kind kind, String book, List<TransactionDraft> drafts, Object request) {
    this.id = id;
    this.client = client;
    this.kind = kind;
    this.book = book;
    this.invokedNanos = System.nanoTime();
    this.drafts = drafts;
    this.request = request;
  }

  void ok(List<PostOutcome> postResults, Object readAnswer) {
    completedNanos = System.nanoTime();
    outcome = Outcome.OK;
    results = postResults;
    answer = readAnswer;
  }

  void failed(String code) {
    completedNanos = System.nanoTime();
    outcome = Outcome.FAIL;
    error = code;
  }

  void unknown(String what) {
    completedNanos = System.nanoTime();
    outcome = Outcome.UNKNOWN;
    error = what;
  }

  /** A line of evidence: enough to find the operation in the run's history file. */
  @Override
  public String toString() {
    StringBuilder text =
        new StringBuilder("op ")
            .append(id)
            .append(" client ")
            .append(client)
            .append(' ')
            .append(kind)
            .append(' ')
            .append(book)
            .append(" -> ")
            .append(outcome);
    if (error != null) {
      text.append(" (").append(error).append(')');
    }
    if (drafts != null) {
      for (TransactionDraft draft : drafts) {
        text.append("\n    draft ")
            .append(draft.idempotencyKey())
            .append(' ')
            .append(draft.postings());
      }
    }
    if (results != null) {
      for (PostOutcome result : results) {
        text.append("\n    result ").append(result);
      }
    }
    if (request != null) {
      text.append("\n    request ").append(request);
    }
    if (answer != null) {
      String shown = String.valueOf(answer);
      text.append("\n    answer ")
          .append(shown.length() > 800 ? shown.substring(0, 800) + "..." : shown);
    }
    return text.toString();
  }
}
