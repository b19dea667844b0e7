package dev.talea.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseDecoderTest {

  private final List<SseDecoder.Event> events = new ArrayList<>();
  private final List<String> comments = new ArrayList<>();
  private final SseDecoder decoder = new SseDecoder(events::add, comments::add);

  private void feed(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    decoder.feed(bytes, 0, bytes.length);
  }

  private static String chunk(String payload) {
    return Integer.toHexString(payload.getBytes(StandardCharsets.UTF_8).length)
        + "\r\n"
        + payload
        + "\r\n";
  }

  @Test
  void chunkedEventsAreDecodedAcrossChunkAndReadBoundaries() {
    String body =
        chunk("id: 1\nevent: commit\ndata: {\"seq\":1}\n\n: keepalive\n\nid: 2\nda")
            + chunk("ta: {\"seq\":2}\n\n");
    String all =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
            + body;
    // Feed one byte at a time: every boundary is a read boundary somewhere.
    for (char c : all.toCharArray()) {
      feed(String.valueOf(c));
    }

    assertThat(decoder.status()).isEqualTo(200);
    assertThat(events)
        .containsExactly(
            new SseDecoder.Event("1", "{\"seq\":1}"), new SseDecoder.Event("2", "{\"seq\":2}"));
    assertThat(comments).containsExactly("keepalive");
    assertThat(decoder.ended()).isFalse();

    // The server ends the stream (a subscriber too slow): the last chunk.
    feed(chunk(": disconnected (too slow)\n\n") + "0\r\n\r\n");

    assertThat(decoder.ended()).isTrue();
    assertThat(comments).containsExactly("keepalive", "disconnected (too slow)");
  }

  @Test
  void crlfLineEndsAndMultiLineDataAreHandled() {
    feed("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n");
    feed("id: 7\r\ndata: a\r\ndata: b\r\n\r\n");

    assertThat(events).containsExactly(new SseDecoder.Event("7", "a\nb"));
  }

  @Test
  void anErrorStatusIsReported() {
    feed("HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}");

    assertThat(decoder.status()).isEqualTo(404);
    assertThat(events).isEmpty();
  }
}
