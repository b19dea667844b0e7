package dev.talea.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.talea.http.RequestFraming.Phase;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

class RequestFramingTest {

  private static ByteString bytes(String text) {
    return ByteString.fromString(text, StandardCharsets.ISO_8859_1);
  }

  /** Feeds the text one byte at a time, as the slowest client would send it. */
  private static void trickle(RequestFraming framing, String text) {
    for (int i = 0; i < text.length(); i++) {
      framing.feed(bytes(text.substring(i, i + 1)));
    }
  }

  @Test
  void aNewConnectionIsInTheHeadOfItsFirstRequest() {
    RequestFraming framing = new RequestFraming();
    assertThat(framing.phase()).isEqualTo(Phase.HEAD);
    framing.feed(bytes("GET /health HTTP/1.1\r\nHost: x\r\n"));
    assertThat(framing.phase()).isEqualTo(Phase.HEAD);
    assertThat(framing.heads()).isZero();
    framing.feed(bytes("\r\n"));
    assertThat(framing.phase()).isEqualTo(Phase.IDLE);
    assertThat(framing.heads()).isEqualTo(1);
  }

  @Test
  void aContentLengthBodyIsFollowedToItsLastByte() {
    RequestFraming framing = new RequestFraming();
    framing.feed(bytes("POST /v1/x HTTP/1.1\r\nContent-Length: 5\r\n\r\nabc"));
    assertThat(framing.phase()).isEqualTo(Phase.BODY);
    framing.feed(bytes("d"));
    assertThat(framing.phase()).isEqualTo(Phase.BODY);
    framing.feed(bytes("eGET /health HTTP/1.1\r\n"));
    assertThat(framing.phase()).isEqualTo(Phase.HEAD);
    assertThat(framing.heads()).isEqualTo(1);
    framing.feed(bytes("\r\n"));
    assertThat(framing.heads()).isEqualTo(2);
    assertThat(framing.phase()).isEqualTo(Phase.IDLE);
  }

  @Test
  void aChunkedBodyIsFollowedThroughItsChunksExtensionsAndTrailers() {
    RequestFraming framing = new RequestFraming();
    trickle(
        framing,
        "POST /v1/x HTTP/1.1\r\ntransfer-encoding: CHUNKED\r\n\r\n"
            + "4;name=value\r\nwiki\r\n"
            + "A\r\n0123456789\r\n"
            + "0\r\nX-Trailer: t\r\n");
    assertThat(framing.phase()).isEqualTo(Phase.BODY);
    framing.feed(bytes("\r\n"));
    assertThat(framing.phase()).isEqualTo(Phase.IDLE);
    assertThat(framing.heads()).isEqualTo(1);
  }

  @Test
  void emptyLinesBeforeARequestLineAreIgnoredAndLongLinesDoNotGrowMemory() {
    RequestFraming framing = new RequestFraming();
    framing.feed(bytes("\r\n\r\nGET / HTTP/1.1\r\nAuthorization: Bearer " + "x".repeat(10_000)));
    assertThat(framing.phase()).isEqualTo(Phase.HEAD);
    framing.feed(bytes("\r\n\r\n"));
    assertThat(framing.phase()).isEqualTo(Phase.IDLE);
    assertThat(framing.heads()).isEqualTo(1);
  }

  @Test
  void bareLineFeedsEndLinesToo() {
    RequestFraming framing = new RequestFraming();
    framing.feed(bytes("GET / HTTP/1.0\nContent-Length: 2\n\nok"));
    assertThat(framing.phase()).isEqualTo(Phase.IDLE);
    assertThat(framing.heads()).isEqualTo(1);
  }

  // ---- what is passed on ----------------------------------------------------------------------

  /** Feeds the text in pieces of {@code size} bytes and returns everything passed on. */
  private static String through(RequestFraming framing, String text, int size) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < text.length(); i += size) {
      out.append(
          framing
              .feed(bytes(text.substring(i, Math.min(text.length(), i + size))))
              .decodeString(StandardCharsets.ISO_8859_1));
    }
    return out.toString();
  }

  @Test
  void everyByteIsPassedOnUnchangedWhenEveryRequestHasAHost() {
    String pipelined =
        "POST /v1/x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
            + "GET /health HTTP/1.1\r\nhost: b\r\n\r\n"
            + "GET /health HTTP/1.0\r\n\r\n"
            + "POST /v1/y HTTP/1.1\r\nHOST: c\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "3\r\nabc\r\n0\r\n\r\n";
    for (int size : new int[] {1, 2, 3, 7, 64, 4096}) {
      assertThat(through(new RequestFraming(), pipelined, size))
          .as("pieces of %d", size)
          .isEqualTo(pipelined);
    }
  }

  @Test
  void anHttp11RequestWithoutAHostGetsAnEmptyOneWhereverItsBytesAreCut() {
    String request = "GET /health HTTP/1.1\r\nX-Check: 1\r\n\r\n";
    String post = "POST /v1/x HTTP/1.1\r\nContent-Length: 2\r\n\r\nok";
    String expected =
        "GET /health HTTP/1.1\r\nX-Check: 1\r\nHost:\r\n\r\n"
            + "POST /v1/x HTTP/1.1\r\nContent-Length: 2\r\nHost:\r\n\r\nok";
    for (int size : new int[] {1, 2, 3, 5, 64}) {
      assertThat(through(new RequestFraming(), request + post, size))
          .as("pieces of %d", size)
          .isEqualTo(expected);
    }
    // Bare line feeds, and a head with no header at all.
    assertThat(through(new RequestFraming(), "GET / HTTP/1.1\n\n", 1))
        .isEqualTo("GET / HTTP/1.1\nHost:\r\n\n");
  }

  @Test
  void aHeadIsHeldBackUntilItEndsButNeverBeyondTheBound() {
    RequestFraming framing = new RequestFraming();
    assertThat(framing.feed(bytes("GET /health HTTP/1.1\r\nHost: x\r\n")).isEmpty()).isTrue();
    assertThat(framing.feed(bytes("\r\n")).decodeString(StandardCharsets.ISO_8859_1))
        .isEqualTo("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    // A head over the bound is passed on as it comes (Pekko's parser refuses it), unchanged.
    String big = "GET / HTTP/1.1\r\nX-Big: " + "x".repeat(RequestFraming.MAX_HELD_HEAD);
    assertThat(framing.feed(bytes(big)).length()).isEqualTo(big.length());
    assertThat(framing.feed(bytes("y")).decodeString(StandardCharsets.ISO_8859_1)).isEqualTo("y");
    assertThat(framing.feed(bytes("\r\n\r\n")).decodeString(StandardCharsets.ISO_8859_1))
        .isEqualTo("\r\n\r\n");
    assertThat(framing.heads()).isEqualTo(2);
  }
}
