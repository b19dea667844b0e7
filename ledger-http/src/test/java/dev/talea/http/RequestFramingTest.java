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
}
