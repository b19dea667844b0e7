package dev.talea.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.Materializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The admission queue on its own: an exact bound, slots given back by releases only. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdmissionQueueTest {

  private ActorSystem<Void> system;
  private Materializer materializer;

  @BeforeAll
  void start() {
    system = ActorSystem.create(Behaviors.empty(), "admission-queue-test");
    materializer = Materializer.matFromSystem(system);
  }

  @AfterAll
  void stop() {
    system.terminate();
  }

  @Test
  void admitsExactlyTheLimitAndNoMoreUntilASlotIsReleased() {
    Admission admission = Admission.start(4, materializer);

    for (int i = 0; i < 4; i++) {
      assertThat(admission.tryAcquire()).as("slot %d", i + 1).isTrue();
    }
    assertThat(admission.tryAcquire()).isFalse();
    assertThat(admission.tryAcquire()).isFalse();
    assertThat(admission.inFlight()).isEqualTo(4);

    admission.release();
    awaitInFlight(admission, 3);
    assertThat(admission.tryAcquire()).isTrue();
    assertThat(admission.tryAcquire()).isFalse();
    assertThat(admission.inFlight()).isEqualTo(4);
  }

  @Test
  void aReleasedSlotIsFreeAtOnceAndTheQueueDrainsOnlyWhatNobodyTookOver() {
    Admission admission = Admission.start(2, materializer);
    assertThat(admission.tryAcquire()).isTrue();
    assertThat(admission.tryAcquire()).isTrue();

    // No waiting for the queue to process the release: the next request takes the slot over.
    admission.release();
    assertThat(admission.tryAcquire()).isTrue();
    assertThat(admission.tryAcquire()).isFalse();
    assertThat(admission.inFlight()).isEqualTo(2);

    // Released and not taken over: the queue drains them, and exactly two fit again.
    admission.release();
    admission.release();
    awaitInFlight(admission, 0);
    assertThat(admission.tryAcquire()).isTrue();
    assertThat(admission.tryAcquire()).isTrue();
    assertThat(admission.tryAcquire()).isFalse();
  }

  @Test
  void aQueueNobodyReleasesNeverDrainsOnItsOwn() throws InterruptedException {
    Admission admission = Admission.start(2, materializer);
    assertThat(admission.tryAcquire()).isTrue();
    assertThat(admission.tryAcquire()).isTrue();

    // The sink must not pull without a release: had it pulled, a slot would free up here.
    Thread.sleep(200);
    assertThat(admission.inFlight()).isEqualTo(2);
    assertThat(admission.tryAcquire()).isFalse();
  }

  @Test
  void releasesArrivingTogetherEachFreeOneSlot() {
    Admission admission = Admission.start(8, materializer);
    for (int i = 0; i < 8; i++) {
      assertThat(admission.tryAcquire()).isTrue();
    }
    for (int i = 0; i < 8; i++) {
      admission.release();
    }
    awaitInFlight(admission, 0);
    for (int i = 0; i < 8; i++) {
      assertThat(admission.tryAcquire()).as("slot %d", i + 1).isTrue();
    }
    assertThat(admission.tryAcquire()).isFalse();
  }

  @Test
  void underContentionTheBoundIsNeverExceededAndEverySlotComesBack() throws Exception {
    int limit = 16;
    Admission admission = Admission.start(limit, materializer);
    AtomicInteger held = new AtomicInteger();
    AtomicInteger mostHeld = new AtomicInteger();
    AtomicInteger admitted = new AtomicInteger();
    int threads = 8;
    int attemptsPerThread = 20_000;
    CountDownLatch done = new CountDownLatch(threads);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread worker =
          new Thread(
              () -> {
                try {
                  for (int i = 0; i < attemptsPerThread; i++) {
                    if (admission.tryAcquire()) {
                      admitted.incrementAndGet();
                      int now = held.incrementAndGet();
                      mostHeld.accumulateAndGet(now, Math::max);
                      if (ThreadLocalRandom.current().nextInt(8) == 0) {
                        Thread.yield();
                      }
                      held.decrementAndGet();
                      admission.release();
                    }
                  }
                } finally {
                  done.countDown();
                }
              });
      workers.add(worker);
      worker.start();
    }
    assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();

    assertThat(mostHeld.get()).isBetween(1, limit);
    assertThat(admitted.get()).isPositive();
    awaitInFlight(admission, 0);
    for (int i = 0; i < limit; i++) {
      assertThat(admission.tryAcquire()).as("slot %d after the storm", i + 1).isTrue();
    }
    assertThat(admission.tryAcquire()).isFalse();
  }

  @Test
  void aLimitBelowOneIsRefused() {
    assertThatThrownBy(() -> Admission.start(0, materializer))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("limit must be at least 1: 0");
  }

  private static void awaitInFlight(Admission admission, int expected) {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (admission.inFlight() != expected && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(admission.inFlight()).isEqualTo(expected);
  }
}
