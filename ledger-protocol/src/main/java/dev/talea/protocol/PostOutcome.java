package dev.talea.protocol;

import java.util.Objects;

/** The outcome of one draft of a (batch) post: committed, replayed, or rejected with a code. */
public sealed interface PostOutcome {

  /**
   * The HTTP status the contract gives this outcome: 201 new, 200 replay, or the error's status.
   */
  int httpStatus();

  /** A new commit or, if {@code transaction.deduplicated()}, the original commit of a replay. */
  record Committed(Transaction transaction) implements PostOutcome {
    public Committed {
      Objects.requireNonNull(transaction, "transaction");
    }

    @Override
    public int httpStatus() {
      return transaction.deduplicated() ? 200 : 201;
    }
  }

  /** Nothing was recorded; the idempotency key stays free. */
  record Rejected(LedgerError error) implements PostOutcome {
    public Rejected {
      Objects.requireNonNull(error, "error");
    }

    @Override
    public int httpStatus() {
      return error.code().httpStatus();
    }
  }
}
