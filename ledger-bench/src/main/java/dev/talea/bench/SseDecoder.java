package dev.talea.bench;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Decodes one live-tail response as its bytes arrive: the status line and head, then the body
 * (chunked or not) as server-sent events. Each complete event is handed on with its {@code id} and
 * {@code data}; comment lines (keepalives and the server's goodbye) are handed to a second
 * consumer.
 */
final class SseDecoder {

  /** One event. */
  record Event(String id, String data) {}

  private enum State {
    HEAD,
    CHUNK_SIZE,
    CHUNK_DATA,
    CHUNK_END,
    PLAIN
  }

  private static final int CRLF_CRLF = 0x0d0a0d0a;

  private final Consumer<Event> events;
  private final Consumer<String> comments;
  private final ByteArrayOutputStream head = new ByteArrayOutputStream();
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();
  private final StringBuilder sizeLine = new StringBuilder();
  private final StringBuilder data = new StringBuilder();
  private State state = State.HEAD;
  private int status = -1;
  private long chunkLeft;
  private boolean sawCr;
  private int lastFour;
  private String id;
  private boolean ended;

  SseDecoder(Consumer<Event> events, Consumer<String> comments) {
    this.events = events;
    this.comments = comments;
  }

  /** Whether the server ended the stream (its last chunk arrived). */
  boolean ended() {
    return ended;
  }

  /** The response status, or -1 before the head is complete. */
  int status() {
    return status;
  }

  /** Feeds received bytes. */
  void feed(byte[] bytes, int offset, int count) {
    int i = offset;
    int end = offset + count;
    while (i < end) {
      switch (state) {
        case HEAD -> {
          byte b = bytes[i++];
          head.write(b);
          lastFour = (lastFour << 8) | (b & 0xff);
          if (lastFour == CRLF_CRLF) {
            String text = head.toString(StandardCharsets.ISO_8859_1);
            if (!text.startsWith("HTTP/1.") || text.length() < 12) {
              throw new ResponseParser.Malformed("not an HTTP/1.x status line");
            }
            status = Integer.parseInt(text.substring(9, 12));
            boolean chunked = text.toLowerCase().contains("\r\ntransfer-encoding: chunked");
            state = chunked ? State.CHUNK_SIZE : State.PLAIN;
          }
        }
        case CHUNK_SIZE -> {
          char c = (char) bytes[i++];
          if (c == '\n') {
            String text = sizeLine.toString().trim();
            sizeLine.setLength(0);
            int semicolon = text.indexOf(';');
            chunkLeft = Long.parseLong(semicolon < 0 ? text : text.substring(0, semicolon), 16);
            if (chunkLeft == 0) {
              ended = true;
              return;
            }
            state = State.CHUNK_DATA;
          } else if (c != '\r') {
            sizeLine.append(c);
          }
        }
        case CHUNK_DATA -> {
          int n = (int) Math.min(chunkLeft, end - i);
          body(bytes, i, n);
          i += n;
          chunkLeft -= n;
          if (chunkLeft == 0) {
            state = State.CHUNK_END;
          }
        }
        case CHUNK_END -> {
          // The CRLF after a chunk's data; then the next size line.
          if (bytes[i++] == '\n') {
            state = State.CHUNK_SIZE;
          }
        }
        case PLAIN -> {
          body(bytes, i, end - i);
          i = end;
        }
      }
    }
  }

  private void body(byte[] bytes, int offset, int count) {
    for (int i = offset; i < offset + count; i++) {
      byte b = bytes[i];
      if (b == '\n' && sawCr) {
        // The LF of a CRLF: the line already ended at the CR.
        sawCr = false;
      } else if (b == '\n' || b == '\r') {
        line(line.toString(StandardCharsets.UTF_8));
        line.reset();
        sawCr = b == '\r';
      } else {
        sawCr = false;
        line.write(b);
      }
    }
  }

  private void line(String text) {
    if (text.isEmpty()) {
      if (data.length() > 0) {
        events.accept(new Event(id, data.toString()));
      }
      id = null;
      data.setLength(0);
    } else if (text.startsWith(":")) {
      comments.accept(text.substring(1).trim());
    } else if (text.startsWith("id:")) {
      id = text.substring(3).trim();
    } else if (text.startsWith("data:")) {
      if (data.length() > 0) {
        data.append('\n');
      }
      String value = text.substring(5);
      data.append(value.startsWith(" ") ? value.substring(1) : value);
    }
    // "event:" and "retry:" lines carry nothing the benchmark needs.
  }
}
