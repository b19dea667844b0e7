package dev.talea.http;

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
 * request finishes: downstream is a sink that pulls exactly one element per {@link #release()} and
 * never otherwise. The buffer's occupancy is therefore the number of requests in flight, and the
 * bound is exact. A release takes effect once the stream has processed it (microseconds); in that
 * window a new request may still see the slot as taken — the bound errs toward refusing, never
 * toward admitting more than {@code limit}.
 */
final class Admission {

  private static final NotUsed SLOT = NotUsed.getInstance();

  private final int limit;
  private final BoundedSourceQueue<NotUsed> slots;
  private final AsyncCallback<NotUsed> release;

  private Admission(int limit, BoundedSourceQueue<NotUsed> slots, AsyncCallback<NotUsed> release) {
    this.limit = limit;
    this.slots = slots;
    this.release = release;
  }

  /** Materializes the admission queue; it lives as long as {@code materializer}. */
  static Admission start(int limit, Materializer materializer) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1: " + limit);
    }
    Pair<BoundedSourceQueue<NotUsed>, AsyncCallback<NotUsed>> queueAndRelease =
        Source.<NotUsed>queue(limit)
            .toMat(Sink.fromGraph(new ReleaseDrivenSink()), Keep.both())
            .run(materializer);
    return new Admission(limit, queueAndRelease.first(), queueAndRelease.second());
  }

  /** Takes a slot if one is free; never waits. */
  boolean tryAcquire() {
    return slots.offer(SLOT) == QueueOfferResult.enqueued();
  }

  /** Gives back a slot taken by {@link #tryAcquire()}. */
  void release() {
    release.invoke(SLOT);
  }

  int inFlight() {
    return slots.size();
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
      /** Releases not yet matched by an element taken out of the queue. */
      private int owed;

      final AsyncCallback<NotUsed> releases;

      Logic() {
        super(shape);
        releases =
            createAsyncCallback(
                ignored -> {
                  owed++;
                  pullIfOwed();
                });
        setHandler(
            in,
            new AbstractInHandler() {
              @Override
              public void onPush() {
                grab(in);
                owed--;
                pullIfOwed();
              }
            });
      }

      private void pullIfOwed() {
        if (owed > 0 && !hasBeenPulled(in) && !isClosed(in)) {
          pull(in);
        }
      }
    }
  }
}
