package dev.talea.http;

import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.SinkShape;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.stage.AbstractGraphStageWithMaterializedValue;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStageLogic;

/**
 * The server's global bound on requests in flight ({@code TALEA_MAX_INFLIGHT}). A request is
 * admitted or refused synchronously, at once: excess load is answered {@code 503 overloaded} with
 * {@code Retry-After: 1} instead of queueing toward collapse. {@code /health} counts too, so that
 * it reports saturation (wire it to readiness, not liveness).
 *
 * <p>The bound is a materialized {@code Source.queue(limit)}: admitting a request offers one
 * element, and {@link BoundedSourceQueue#offer} answers {@code Dropped} synchronously when the
 * buffer is full. The elements are the slots themselves, so the buffer must only drain when a
 * request finishes: downstream is a sink that pulls exactly one element per release and never
 * otherwise. The buffer's occupancy therefore bounds the requests in flight exactly.
 *
 * <p>A release reaches the sink asynchronously, a moment after the response. So that a slot is free
 * again at once, a release is first recorded as owed; a request that finds the buffer full takes
 * over an owed release's element instead of enqueuing one (the sink then does not pull for that
 * release), and the sink pulls only for the owed releases nobody took over. Either way one element
 * stands for each request in flight or release not yet processed, never fewer.
 */
final class Admission {

  private static final NotUsed SLOT = NotUsed.getInstance();

  private final int limit;
  private final BoundedSourceQueue<NotUsed> slots;
  private final AsyncCallback<NotUsed> release;

  /** Releases whose element is still in the buffer, neither pulled nor taken over. */
  private final AtomicInteger owed;

  private Admission(
      int limit,
      BoundedSourceQueue<NotUsed> slots,
      AsyncCallback<NotUsed> release,
      AtomicInteger owed) {
    this.limit = limit;
    this.slots = slots;
    this.release = release;
    this.owed = owed;
  }

  /** Materializes the admission queue; it lives as long as {@code materializer}. */
  static Admission start(int limit, Materializer materializer) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1: " + limit);
    }
    AtomicInteger owed = new AtomicInteger();
    Pair<BoundedSourceQueue<NotUsed>, AsyncCallback<NotUsed>> queueAndRelease =
        Source.<NotUsed>queue(limit)
            .toMat(Sink.fromGraph(new ReleaseDrivenSink(owed)), Keep.both())
            .run(materializer);
    return new Admission(limit, queueAndRelease.first(), queueAndRelease.second(), owed);
  }

  /** Takes a slot if one is free; never waits. */
  boolean tryAcquire() {
    QueueOfferResult offered = slots.offer(SLOT);
    if (offered == QueueOfferResult.enqueued()) {
      return true;
    }
    // Full, or closed at shutdown: only a release not yet processed can make room.
    return offered == QueueOfferResult.dropped() && takeOwed(owed);
  }

  /** Gives back a slot taken by {@link #tryAcquire()}. */
  void release() {
    owed.incrementAndGet();
    release.invoke(SLOT);
  }

  int inFlight() {
    return Math.max(0, slots.size() - owed.get());
  }

  /** Claims one owed release, if there is one. */
  private static boolean takeOwed(AtomicInteger owed) {
    while (true) {
      int current = owed.get();
      if (current == 0) {
        return false;
      }
      if (owed.compareAndSet(current, current - 1)) {
        return true;
      }
    }
  }

  int limit() {
    return limit;
  }

  /**
   * A sink that does not pull on its own: each invocation of its materialized callback lets exactly
   * one element through.
   */
  private static final class ReleaseDrivenSink
      extends AbstractGraphStageWithMaterializedValue<SinkShape<NotUsed>, AsyncCallback<NotUsed>> {

    private final Inlet<NotUsed> in = Inlet.create("Admission.release.in");
    private final SinkShape<NotUsed> shape = SinkShape.of(in);
    private final AtomicInteger owed;

    ReleaseDrivenSink(AtomicInteger owed) {
      this.owed = owed;
    }

    @Override
    public SinkShape<NotUsed> shape() {
      return shape;
    }

    @Override
    public Pair<GraphStageLogic, AsyncCallback<NotUsed>> createLogicAndMaterializedValuePair(
        Attributes attributes) {
      Logic logic = new Logic();
      return Pair.create(logic, logic.releases);
    }

    private final class Logic extends GraphStageLogic {
      /** Releases claimed here and not yet matched by an element taken out of the queue. */
      private int toPull;

      final AsyncCallback<NotUsed> releases;

      Logic() {
        super(shape);
        releases =
            createAsyncCallback(
                ignored -> {
                  // Unless a new request has taken this release's element over already.
                  if (takeOwed(owed)) {
                    toPull++;
                    pullIfOwed();
                  }
                });
        setHandler(
            in,
            new AbstractInHandler() {
              @Override
              public void onPush() {
                grab(in);
                toPull--;
                pullIfOwed();
              }
            });
      }

      private void pullIfOwed() {
        if (toPull > 0 && !hasBeenPulled(in) && !isClosed(in)) {
          pull(in);
        }
      }
    }
  }
}
