package dev.talea.actors;

import dev.talea.protocol.PostOutcome;
import dev.talea.protocol.TransactionDraft;
import dev.talea.protocol.VerifyResult;
import dev.talea.store.Store;
import dev.talea.store.StoreUnavailableException;
import dev.talea.store.testing.ForwardingStore;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real store with a hand on its write path: group commits can be held at a gate, made to fail,
 * and are recorded by size. Everything else passes straight through.
 */
final class ControlledStore extends ForwardingStore {

  private final List<Integer> batchSizes = new CopyOnWriteArrayList<>();
  private final AtomicInteger failures = new AtomicInteger();
  private final Semaphore entered = new Semaphore(0);
  private volatile Semaphore gate;
  private final AtomicInteger verifies = new AtomicInteger();
  private final Semaphore verifyEntered = new Semaphore(0);
  private volatile java.util.concurrent.CountDownLatch verifyGate;

  ControlledStore(Store delegate) {
    super(delegate);
  }

  /** From now on, every group commit waits at the gate until {@link #releaseCommits}. */
  void holdCommits() {
    gate = new Semaphore(0);
  }

  /** Lets held (and future) group commits pass. */
  void releaseCommits() {
    Semaphore held = gate;
    gate = null;
    if (held != null) {
      held.release(Integer.MAX_VALUE / 2);
    }
  }

  /** The next {@code count} group commits fail as if the database had gone away. */
  void failNext(int count) {
    failures.set(count);
  }

  /**
   * Waits until a group commit has reached the store (and is held there, if the gate is closed).
   */
  void awaitCommitEntered() throws InterruptedException {
    if (!entered.tryAcquire(10, TimeUnit.SECONDS)) {
      throw new AssertionError("no group commit reached the store within 10 s");
    }
  }

  /** From now on, every verify waits until {@link #releaseVerifies}. */
  void holdVerifies() {
    verifyGate = new java.util.concurrent.CountDownLatch(1);
  }

  void releaseVerifies() {
    java.util.concurrent.CountDownLatch held = verifyGate;
    verifyGate = null;
    if (held != null) {
      held.countDown();
    }
  }

  /** Waits until a verify has reached the store. */
  void awaitVerifyEntered() throws InterruptedException {
    if (!verifyEntered.tryAcquire(10, TimeUnit.SECONDS)) {
      throw new AssertionError("no verify reached the store within 10 s");
    }
  }

  /** How many verifies reached the store. */
  int verifies() {
    return verifies.get();
  }

  List<Integer> batchSizes() {
    return List.copyOf(batchSizes);
  }

  @Override
  public List<PostOutcome> commitBatch(String book, List<TransactionDraft> drafts) {
    batchSizes.add(drafts.size());
    entered.release();
    Semaphore held = gate;
    if (held != null) {
      try {
        held.acquire();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StoreUnavailableException("interrupted at the gate", e);
      }
    }
    if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      throw new StoreUnavailableException("injected failure", new java.io.IOException("gone"));
    }
    return delegate().commitBatch(book, drafts);
  }

  @Override
  public VerifyResult verify(String book) {
    verifies.incrementAndGet();
    verifyEntered.release();
    java.util.concurrent.CountDownLatch held = verifyGate;
    if (held != null) {
      try {
        held.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return delegate().verify(book);
  }
}
