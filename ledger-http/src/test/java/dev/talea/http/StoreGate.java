package dev.talea.http;

import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.TransactionDraft;
import dev.talea.store.Store;
import dev.talea.store.testing.ForwardingStore;
import java.util.List;

/**
 * A gate in front of a server's store, open unless a test holds it: while held, every group commit
 * waits, so the posts behind it stay in flight, each holding its admission slot, until the test
 * lets them go. Everything else passes straight through.
 */
final class StoreGate {

  private final Object lock = new Object();
  private boolean held;

  /** Group commits wait from now on. */
  void hold() {
    synchronized (lock) {
      held = true;
    }
  }

  /** Lets waiting and later group commits through. */
  void release() {
    synchronized (lock) {
      held = false;
      lock.notifyAll();
    }
  }

  private void pass() {
    synchronized (lock) {
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (held && System.nanoTime() < deadline) {
        try {
          lock.wait(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  Store around(Store store) {
    return new ForwardingStore(store) {
      @Override
      public List<PostOutcome> commitBatch(String book, List<TransactionDraft> drafts) {
        pass();
        return super.commitBatch(book, drafts);
      }
    };
  }
}
