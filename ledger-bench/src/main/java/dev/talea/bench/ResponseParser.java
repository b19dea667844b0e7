package dev.talea.bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads HTTP/1.1 responses off one keep-alive connection as their bytes arrive: the status, the
 * {@code Connection: close} flag, and the body (framed by {@code Content-Length} or chunked). Only
 * what a benchmark needs; anything else it cannot frame is a {@link Malformed} error.
 */
final class ResponseParser {

  /** One complete response. */
  record Response(int status, byte[] body, boolean close) {
    String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /** A response this parser cannot read. */
  static final class Malformed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Malformed(String message) {
      super(message);
    }
  }

  private final int maxBytes;
  private byte[] buffer = new byte[16 * 1024];
  private int length;

  /**
   * @param maxBytes the largest response (head and body) accepted
   */
  ResponseParser(int maxBytes) {
    this.maxBytes = maxBytes;
  }

  /** Room for at least {@code n} more bytes, then the buffer to read into. */
  ByteBuffer writable(int n) {
    if (buffer.length - length < n) {
      int wanted = Math.max(buffer.length * 2, length + n);
      if (wanted > maxBytes + n) {
        wanted = maxBytes + n;
      }
      buffer = Arrays.copyOf(buffer, wanted);
    }
    return ByteBuffer.wrap(buffer, length, buffer.length - length);
  }

  /** Records that {@code n} bytes were read into the buffer {@link #writable} returned. */
  void advance(int n) {
    length += n;
    if (length > maxBytes) {
      throw new Malformed("a response longer than " + maxBytes + " bytes");
    }
  }

  /** Appends bytes (for tests and small reads). */
  void append(byte[] bytes) {
    writable(bytes.length).put(bytes);
    advance(bytes.length);
  }

  /** Bytes received and not yet consumed by a complete response. */
  int buffered() {
    return length;
  }

  /** Forgets whatever was buffered (the connection is being replaced). */
  void reset() {
    length = 0;
  }

  /**
   * The complete response at the front of what was received, which is then consumed, or null when
   * more bytes are needed.
   */
  Response poll() {
    int headEnd = indexOfBlankLine(buffer, length);
    if (headEnd < 0) {
      return null;
    }
    if (length < 12 || !startsWith(buffer, "HTTP/1.")) {
      throw new Malformed("not an HTTP/1.x status line");
    }
    int status = digit(buffer[9]) * 100 + digit(buffer[10]) * 10 + digit(buffer[11]);
    long contentLength = -1;
    boolean chunked = false;
    boolean close = false;
    int line = lineEnd(buffer, 0, headEnd + 2) + 2;
    while (line < headEnd + 2) {
      int end = lineEnd(buffer, line, headEnd + 2);
      int colon = indexOf(buffer, (byte) ':', line, end);
      if (colon > line) {
        String name = ascii(buffer, line, colon).trim();
        String value = ascii(buffer, colon + 1, end).trim();
        if (name.equalsIgnoreCase("Content-Length")) {
          try {
            contentLength = Long.parseLong(value);
          } catch (NumberFormatException e) {
            throw new Malformed("Content-Length: " + value);
          }
        } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
          chunked = value.toLowerCase().contains("chunked");
        } else if (name.equalsIgnoreCase("Connection")) {
          close = value.equalsIgnoreCase("close");
        }
      }
      line = end + 2;
    }
    int bodyStart = headEnd + 4;
    if (chunked) {
      return chunked(status, close, bodyStart);
    }
    if (contentLength < 0) {
      if (status == 204 || status == 304 || status / 100 == 1) {
        contentLength = 0;
      } else {
        throw new Malformed("a " + status + " response with neither Content-Length nor chunks");
      }
    }
    if (contentLength > maxBytes) {
      throw new Malformed("Content-Length " + contentLength + " over " + maxBytes);
    }
    int end = bodyStart + (int) contentLength;
    if (length < end) {
      return null;
    }
    Response response = new Response(status, Arrays.copyOfRange(buffer, bodyStart, end), close);
    consume(end);
    return response;
  }

  private Response chunked(int status, boolean close, int bodyStart) {
    byte[] body = new byte[0];
    int bodyLength = 0;
    int at = bodyStart;
    while (true) {
      int sizeEnd = lineEnd(buffer, at, length);
      if (sizeEnd < 0) {
        return null;
      }
      String sizeText = ascii(buffer, at, sizeEnd);
      int semicolon = sizeText.indexOf(';');
      int size;
      try {
        size =
            Integer.parseInt(
                (semicolon < 0 ? sizeText : sizeText.substring(0, semicolon)).trim(), 16);
      } catch (NumberFormatException e) {
        throw new Malformed("chunk size " + sizeText);
      }
      at = sizeEnd + 2;
      if (size == 0) {
        // Trailers (none expected) end with an empty line.
        while (true) {
          int end = lineEnd(buffer, at, length);
          if (end < 0) {
            return null;
          }
          boolean empty = end == at;
          at = end + 2;
          if (empty) {
            break;
          }
        }
        Response response = new Response(status, Arrays.copyOf(body, bodyLength), close);
        consume(at);
        return response;
      }
      if (length < at + size + 2) {
        return null;
      }
      if (body.length < bodyLength + size) {
        body = Arrays.copyOf(body, Math.max(body.length * 2, bodyLength + size));
      }
      System.arraycopy(buffer, at, body, bodyLength, size);
      bodyLength += size;
      at += size + 2;
    }
  }

  private void consume(int n) {
    System.arraycopy(buffer, n, buffer, 0, length - n);
    length -= n;
  }

  private static int digit(byte b) {
    if (b < '0' || b > '9') {
      throw new Malformed("a status code that is not three digits");
    }
    return b - '0';
  }

  private static boolean startsWith(byte[] bytes, String prefix) {
    for (int i = 0; i < prefix.length(); i++) {
      if (bytes[i] != prefix.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** The index of the {@code \r\n\r\n} ending the head, or -1. */
  static int indexOfBlankLine(byte[] bytes, int length) {
    for (int i = 0; i + 3 < length; i++) {
      if (bytes[i] == '\r'
          && bytes[i + 1] == '\n'
          && bytes[i + 2] == '\r'
          && bytes[i + 3] == '\n') {
        return i;
      }
    }
    return -1;
  }

  /** The index of the {@code \r\n} ending the line that starts at {@code from}, or -1. */
  private static int lineEnd(byte[] bytes, int from, int limit) {
    for (int i = from; i + 1 < limit; i++) {
      if (bytes[i] == '\r' && bytes[i + 1] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private static int indexOf(byte[] bytes, byte b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    return -1;
  }

  private static String ascii(byte[] bytes, int from, int to) {
    return new String(bytes, from, to - from, StandardCharsets.ISO_8859_1);
  }
}
