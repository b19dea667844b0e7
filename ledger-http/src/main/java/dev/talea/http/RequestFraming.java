package dev.talea.http;

import java.util.Locale;
import org.apache.pekko.util.ByteString;

/**
 * Follows the requests on one HTTP/1.x connection as raw bytes: where a request's head ends and
 * where its body ends ({@code Content-Length} or chunked), so that {@link ConnectionGuard} can time
 * each part. It only frames; Pekko's parser, behind it, still validates everything. A connection
 * whose bytes it cannot frame (say a length that does not parse) is left to that parser, which
 * rejects the request and closes it.
 *
 * <p>It changes one thing: an HTTP/1.1 request without a {@code Host} header gets an empty one
 * ({@code Host:}), which Pekko then fills with {@code pekko.http.server.default-host-header}, as it
 * does for HTTP/1.0. Pekko refuses such a request outright; health checkers and monitors send it.
 * So a request's head is held back until it ends (up to {@link #MAX_HELD_HEAD} bytes; a longer one
 * is passed on as it comes, unchanged).
 */
final class RequestFraming {

  /** Where the connection is: between requests, in a request's head, or in its body. */
  enum Phase {
    IDLE,
    HEAD,
    BODY
  }

  /** The longest head line kept for inspection; longer ones are only scanned for their end. */
  private static final int MAX_KEPT_LINE = 256;

  /** The most of one request's head held back to be completed with a {@code Host} header. */
  static final int MAX_HELD_HEAD = 64 * 1024;

  private static final ByteString EMPTY_HOST = ByteString.fromString("Host:\r\n");

  private enum State {
    IDLE,
    HEAD,
    LENGTH_BODY,
    CHUNK_SIZE,
    CHUNK_DATA,
    CHUNK_DATA_END,
    TRAILERS
  }

  private State state;
  private final StringBuilder line = new StringBuilder();
  private boolean sawRequestLine;
  private long contentLength;
  private boolean chunked;
  private long remaining;
  private long heads;

  /** This head's bytes from earlier chunks, not passed on yet. */
  private ByteString held = ByteString.emptyByteString();

  /** Whether this head is passed on as it comes (it grew over {@link #MAX_HELD_HEAD}). */
  private boolean passing;

  private boolean http11;
  private boolean sawHost;

  /** Bytes of this head so far, and where its current line starts. */
  private int headLength;

  private int lineStart;

  /** Set when a head ends: the bytes to pass on for it, and where they end in the chunk. */
  private ByteString endedHead;

  /** A new connection, in the head of its first request (which has not started yet). */
  RequestFraming() {
    state = State.HEAD;
  }

  Phase phase() {
    return switch (state) {
      case IDLE -> Phase.IDLE;
      case HEAD -> Phase.HEAD;
      default -> Phase.BODY;
    };
  }

  /** Whether a request has begun arriving and has not arrived whole yet. */
  boolean midRequest() {
    return state != State.IDLE && !(state == State.HEAD && headLength == 0);
  }

  /** How many request heads have ended so far. */
  long heads() {
    return heads;
  }

  /**
   * Follows the next bytes received; returns what to pass on to the server now (heads that ended,
   * completed with a {@code Host} where needed, and body bytes; not the head still arriving).
   */
  ByteString feed(ByteString bytes) {
    ByteString out = ByteString.emptyByteString();
    int from = 0; // where the bytes of this chunk not yet passed on or held begin
    for (int i = 0; i < bytes.length(); i++) {
      byte b = bytes.apply(i);
      switch (state) {
        case IDLE -> {
          out = out.concat(bytes.slice(from, i));
          from = i;
          startHead();
          headByte(b);
        }
        case HEAD -> headByte(b);
        case LENGTH_BODY -> {
          long take = Math.min(remaining, bytes.length() - i);
          remaining -= take;
          i += (int) take - 1;
          if (remaining == 0) {
            state = State.IDLE;
          }
        }
        case CHUNK_SIZE -> {
          if (lineByte(b)) {
            String size = line.toString();
            int extension = size.indexOf(';');
            long length = hex(extension < 0 ? size : size.substring(0, extension));
            line.setLength(0);
            if (length < 0) {
              state = State.IDLE; // unframeable: Pekko's parser will refuse it
            } else if (length == 0) {
              state = State.TRAILERS;
            } else {
              remaining = length;
              state = State.CHUNK_DATA;
            }
          }
        }
        case CHUNK_DATA -> {
          long take = Math.min(remaining, bytes.length() - i);
          remaining -= take;
          i += (int) take - 1;
          if (remaining == 0) {
            state = State.CHUNK_DATA_END;
          }
        }
        case CHUNK_DATA_END -> {
          if (lineByte(b)) {
            line.setLength(0);
            state = State.CHUNK_SIZE;
          }
        }
        case TRAILERS -> {
          if (lineByte(b)) {
            boolean empty = line.length() == 0;
            line.setLength(0);
            if (empty) {
              state = State.IDLE;
            }
          }
        }
        default -> throw new IllegalStateException(state.name());
      }
      if (endedHead != null) {
        // The head ended at byte i: pass it on whole, completed where needed.
        out = out.concat(completed(bytes.slice(from, i + 1)));
        from = i + 1;
        endedHead = null;
      }
    }
    ByteString rest = bytes.slice(from, bytes.length());
    if (state != State.HEAD || passing) {
      return out.concat(rest);
    }
    held = held.concat(rest);
    if (held.length() > MAX_HELD_HEAD) {
      passing = true;
      out = out.concat(held);
      held = ByteString.emptyByteString();
    }
    return out;
  }

  /** The head that just ended: what was held of it and its last bytes, with a Host if needed. */
  private ByteString completed(ByteString last) {
    ByteString head = held.concat(last);
    held = ByteString.emptyByteString();
    if (passing) {
      return last; // the rest was passed on already; nothing can be added
    }
    if (http11 && !sawHost) {
      return head.take(lineStart).concat(EMPTY_HOST).concat(head.drop(lineStart));
    }
    return head;
  }

  private void startHead() {
    state = State.HEAD;
    line.setLength(0);
    sawRequestLine = false;
    contentLength = 0;
    chunked = false;
    held = ByteString.emptyByteString();
    passing = false;
    http11 = false;
    sawHost = false;
    headLength = 0;
    lineStart = 0;
  }

  private void headByte(byte b) {
    headLength++;
    if (!lineByte(b)) {
      return;
    }
    int start = lineStart;
    lineStart = headLength;
    String text = line.toString();
    line.setLength(0);
    if (text.isEmpty()) {
      if (sawRequestLine) {
        lineStart = start; // where the blank line that ends the head begins
        endHead();
      }
      // Empty lines before a request line are allowed and ignored.
      return;
    }
    if (!sawRequestLine) {
      sawRequestLine = true;
      http11 = text.endsWith(" HTTP/1.1");
      return;
    }
    int colon = text.indexOf(':');
    if (colon < 0) {
      return;
    }
    String name = text.substring(0, colon).trim().toLowerCase(Locale.ROOT);
    String value = text.substring(colon + 1).trim().toLowerCase(Locale.ROOT);
    if (name.equals("content-length")) {
      try {
        contentLength = Long.parseLong(value);
      } catch (NumberFormatException e) {
        contentLength = 0;
      }
    } else if (name.equals("transfer-encoding") && value.contains("chunked")) {
      chunked = true;
    } else if (name.equals("host")) {
      sawHost = true;
    }
  }

  private void endHead() {
    heads++;
    endedHead = ByteString.emptyByteString();
    if (chunked) {
      state = State.CHUNK_SIZE;
    } else if (contentLength > 0) {
      remaining = contentLength;
      state = State.LENGTH_BODY;
    } else {
      state = State.IDLE;
    }
  }

  /** Adds a byte to the current line; true when the line has ended (its CR/LF not kept). */
  private boolean lineByte(byte b) {
    if (b == '\n') {
      int last = line.length() - 1;
      if (last >= 0 && line.charAt(last) == '\r') {
        line.setLength(last);
      }
      return true;
    }
    if (line.length() < MAX_KEPT_LINE) {
      line.append((char) (b & 0xFF));
    }
    return false;
  }

  private static long hex(String text) {
    String digits = text.trim();
    if (digits.isEmpty() || digits.length() > 15) {
      return -1;
    }
    try {
      return Long.parseLong(digits, 16);
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
