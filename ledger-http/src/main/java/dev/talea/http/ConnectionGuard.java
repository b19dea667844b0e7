package dev.talea.http;

import dev.talea.protocol.ErrorCode;
import dev.talea.protocol.LedgerError;
import dev.talea.protocol.json.Json;
import dev.talea.protocol.json.WireWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.BidiShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * Limits on the raw bytes of every connection, in front of Pekko's HTTP server, which has no time
 * limit on a request's head and so lets a client that sends one byte every few seconds hold a
 * connection forever (idle timeouts restart with every byte):
 *
 * <ul>
 *   <li>a request's head (request line and headers) must arrive within {@code headerTimeout} of its
 *       first byte — or, for a new connection, of the connection itself;
 *   <li>its body must arrive within {@code bodyTimeout} of the head's end plus a grace second (the
 *       routes answer a slow body {@code 408} at {@code bodyTimeout}; this cuts what they never
 *       read);
 *   <li>at most {@code maxConnections} connections are served at once; one more is read up to the
 *       end of its head (within {@code headerTimeout}) and answered {@code 503 overloaded} with
 *       {@code Retry-After}, so that no connection waits unanswered in the accept queue.
 * </ul>
 *
 * <p>A request cut for being slow is answered {@code 408 timeout} as a problem document and its
 * connection closed — unless part of a response is already on its way, which a reply cannot
 * interrupt, and then the connection is just closed. This all happens before authentication and
 * before an admission slot is taken, so slow clients cost a connection each and nothing more.
 *
 * <p>When the server closes a connection (after answering a body over the size limit, say) while
 * the client may still be sending, what arrives is read and dropped until the client closes its
 * side or for a second ({@code LINGER}): closing with bytes unread would make the kernel reset the
 * connection, and the client could lose the answer already sent.
 */
final class ConnectionGuard {

  /** The grace after the body timeout before a body the routes never read is cut. */
  static final Duration BODY_GRACE = Duration.ofSeconds(1);

  private final Duration headerTimeout;
  private final Duration bodyTimeout;
  private final int maxConnections;
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger receiving = new AtomicInteger();

  ConnectionGuard(Duration headerTimeout, Duration bodyTimeout, int maxConnections) {
    this.headerTimeout = headerTimeout;
    this.bodyTimeout = bodyTimeout;
    this.maxConnections = maxConnections;
  }

  /** Connections open now, refused ones included until they are answered. */
  int openConnections() {
    return open.get();
  }

  /**
   * Connections on which a request has begun arriving but has not arrived whole: a drain waits for
   * them, since such a request holds no admission slot yet.
   */
  int requestsArriving() {
    return receiving.get();
  }

  /**
   * The guard of one connection: bytes from the server ({@code in1}) to the network ({@code out1}),
   * bytes from the network ({@code in2}) to the server ({@code out2}).
   */
  BidiFlow<ByteString, ByteString, ByteString, ByteString, NotUsed> forConnection() {
    return BidiFlow.fromGraph(new Stage());
  }

  /** How long a connection that was answered here keeps reading before it is closed. */
  private static final Duration LINGER = Duration.ofSeconds(1);

  private enum Timer {
    HEAD,
    BODY,
    LINGER
  }

  private final class Stage
      extends GraphStage<BidiShape<ByteString, ByteString, ByteString, ByteString>> {

    final Inlet<ByteString> fromServer = Inlet.create("ConnectionGuard.fromServer");
    final Outlet<ByteString> toNetwork = Outlet.create("ConnectionGuard.toNetwork");
    final Inlet<ByteString> fromNetwork = Inlet.create("ConnectionGuard.fromNetwork");
    final Outlet<ByteString> toServer = Outlet.create("ConnectionGuard.toServer");
    final BidiShape<ByteString, ByteString, ByteString, ByteString> shape =
        BidiShape.of(fromServer, toNetwork, fromNetwork, toServer);

    @Override
    public BidiShape<ByteString, ByteString, ByteString, ByteString> shape() {
      return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes attributes) {
      return new TimerGraphStageLogic(shape) {
        private final RequestFraming framing = new RequestFraming();
        private boolean refused;
        private boolean counted;
        private boolean answered;

        /** Whether this connection is counted in {@link #receiving}. */
        private boolean arriving;

        /** Whether what the client sends is read and dropped: the server reads no more. */
        private boolean draining;

        /** Whether the server has sent bytes since the current request began. */
        private boolean responding;

        {
          setHandler(
              fromNetwork,
              new AbstractInHandler() {
                @Override
                public void onPush() {
                  ByteString bytes = grab(fromNetwork);
                  if (answered || draining) {
                    // Read and drop what the client still sends, so that closing does not reset
                    // the connection before it has read the answer.
                    pull(fromNetwork);
                    return;
                  }
                  RequestFraming.Phase before = framing.phase();
                  long heads = framing.heads();
                  ByteString forward = framing.feed(bytes);
                  track(before, heads);
                  arriving(framing.midRequest() && !refused);
                  if (refused) {
                    if (framing.heads() > heads) {
                      answer(
                          LedgerError.of(
                              ErrorCode.OVERLOADED,
                              "the server is at its limit of "
                                  + maxConnections
                                  + " connections; retry shortly"));
                    } else {
                      pull(fromNetwork);
                    }
                    return;
                  }
                  if (forward.isEmpty()) {
                    pull(fromNetwork); // a head still arriving: held back until it ends
                  } else {
                    push(toServer, forward);
                  }
                }

                @Override
                public void onUpstreamFinish() {
                  if (answered || refused || isClosed(fromServer)) {
                    completeStage();
                  } else if (!isClosed(toServer)) {
                    complete(toServer);
                  }
                }
              });
          setHandler(
              toServer,
              new AbstractOutHandler() {
                @Override
                public void onPull() {
                  if (!hasBeenPulled(fromNetwork) && !isClosed(fromNetwork)) {
                    pull(fromNetwork);
                  }
                }

                @Override
                public void onDownstreamFinish(Throwable cause) {
                  // The server reads no more of this connection (it answered a request it would
                  // not read, such as one over the size limit, and will close). The client may
                  // still be sending that request's body: read and drop it, as closing with
                  // unread bytes would reset the connection and lose the answer.
                  drain();
                }
              });
          setHandler(
              fromServer,
              new AbstractInHandler() {
                @Override
                public void onPush() {
                  responding = true;
                  push(toNetwork, grab(fromServer));
                }

                @Override
                public void onUpstreamFinish() {
                  if (answered) {
                    return;
                  }
                  if (isClosed(fromNetwork)) {
                    complete(toNetwork);
                  } else {
                    // Closing now could reset the connection under a client still sending; the
                    // answer is on its way, so read and drop until the client closes, or for
                    // LINGER.
                    drain();
                    scheduleOnce(Timer.LINGER, LINGER);
                  }
                }
              });
          setHandler(
              toNetwork,
              new AbstractOutHandler() {
                @Override
                public void onPull() {
                  if (!refused && !answered && !isClosed(fromServer)) {
                    pull(fromServer);
                  }
                }
              });
        }

        @Override
        public void preStart() {
          counted = true;
          refused = open.incrementAndGet() > maxConnections;
          scheduleOnce(Timer.HEAD, headerTimeout);
          if (refused) {
            // Nothing reaches the server: read the head ourselves, then answer 503.
            complete(toServer);
            cancel(fromServer);
            pull(fromNetwork);
          }
        }

        /** Arms and disarms the timers as requests begin and their parts end. */
        private void track(RequestFraming.Phase before, long heads) {
          RequestFraming.Phase now = framing.phase();
          boolean headEnded = framing.heads() > heads;
          if (now == RequestFraming.Phase.HEAD
              && (before == RequestFraming.Phase.IDLE || headEnded)) {
            // A new request began in these bytes.
            responding = false;
            cancelTimer(Timer.BODY);
            scheduleOnce(Timer.HEAD, headerTimeout);
          } else if (now == RequestFraming.Phase.BODY
              && (before != RequestFraming.Phase.BODY || headEnded)) {
            cancelTimer(Timer.HEAD);
            scheduleOnce(Timer.BODY, bodyTimeout.plus(BODY_GRACE));
          } else if (now == RequestFraming.Phase.IDLE) {
            cancelTimer(Timer.HEAD);
            cancelTimer(Timer.BODY);
          }
        }

        @Override
        public void onTimer(Object key) {
          if (key == Timer.LINGER) {
            completeStage();
          } else if (key == Timer.HEAD) {
            cut(
                "the request's headers did not arrive within "
                    + HttpText.duration(headerTimeout)
                    + " (TALEA_HEADER_TIMEOUT)");
          } else {
            cut(
                "the request body did not arrive within "
                    + HttpText.duration(bodyTimeout)
                    + " (TALEA_BODY_TIMEOUT)");
          }
        }

        private void cut(String detail) {
          if (responding && !refused) {
            completeStage();
          } else {
            answer(LedgerError.of(ErrorCode.TIMEOUT, detail));
          }
        }

        /**
         * Sends a problem document in place of the server's answer, then closes the connection once
         * the client has closed its side, or after {@link #LINGER}.
         */
        private void answer(LedgerError error) {
          answered = true;
          cancelTimer(Timer.HEAD);
          cancelTimer(Timer.BODY);
          if (!isClosed(toServer)) {
            complete(toServer);
          }
          if (!isClosed(fromServer)) {
            cancel(fromServer);
          }
          emit(toNetwork, response(error));
          scheduleOnce(Timer.LINGER, LINGER);
          if (!isClosed(fromNetwork) && !hasBeenPulled(fromNetwork)) {
            pull(fromNetwork);
          }
        }

        private void drain() {
          draining = true;
          cancelTimer(Timer.HEAD);
          cancelTimer(Timer.BODY);
          if (!isClosed(fromNetwork) && !hasBeenPulled(fromNetwork)) {
            pull(fromNetwork);
          }
        }

        private void arriving(boolean now) {
          if (now != arriving) {
            arriving = now;
            receiving.addAndGet(now ? 1 : -1);
          }
        }

        @Override
        public void postStop() {
          arriving(false);
          if (counted) {
            open.decrementAndGet();
          }
        }
      };
    }
  }

  /** A whole HTTP/1.1 response with a problem document, closing the connection. */
  static ByteString response(LedgerError error) {
    int status = error.code().httpStatus();
    byte[] body = Json.toBytes(WireWriter.problem(error));
    StringBuilder head =
        new StringBuilder("HTTP/1.1 ")
            .append(status)
            .append(' ')
            .append(status == 408 ? "Request Timeout" : "Service Unavailable")
            .append("\r\nServer: talead")
            .append("\r\nContent-Type: application/problem+json")
            .append("\r\nContent-Length: ")
            .append(body.length)
            .append("\r\nConnection: close");
    for (var header : HttpText.securityHeaders()) {
      head.append("\r\n").append(header.name()).append(": ").append(header.value());
    }
    head.append("\r\n")
        .append(ServerIdentity.backendHeader().name())
        .append(": ")
        .append(ServerIdentity.backendHeader().value());
    if (status == 503) {
      head.append("\r\nRetry-After: 1");
    }
    head.append("\r\n\r\n");
    return ByteString.fromString(head.toString(), StandardCharsets.ISO_8859_1)
        .concat(ByteString.fromArrayUnsafe(body));
  }
}
