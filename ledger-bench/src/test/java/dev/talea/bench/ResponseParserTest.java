package dev.talea.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ResponseParserTest {

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aContentLengthResponseIsReadWholeAndConsumed() {
    ResponseParser parser = new ResponseParser(1 << 20);
    parser.append(
        bytes(
            "HTTP/1.1 201 Created\r\nX-Talea-Backend: log\r\nContent-Length: 9\r\n"
                + "Content-Type: application/json\r\n\r\n{\"seq\":1}"));

    ResponseParser.Response response = parser.poll();

    assertThat(response.status()).isEqualTo(201);
    assertThat(response.bodyText()).isEqualTo("{\"seq\":1}");
    assertThat(response.close()).isFalse();
    assertThat(parser.buffered()).isZero();
    assertThat(parser.poll()).isNull();
  }

  @Test
  void aResponseArrivingByteByByteIsCompleteOnlyAtItsLastByte() {
    String whole = "HTTP/1.1 429 Too Many Requests\r\ncontent-length: 5\r\n\r\nslow!";
    ResponseParser parser = new ResponseParser(1 << 20);
    for (int i = 0; i < whole.length() - 1; i++) {
      parser.append(bytes(whole.substring(i, i + 1)));
      assertThat(parser.poll()).as("after %d bytes", i + 1).isNull();
    }
    parser.append(bytes("!"));

    ResponseParser.Response response = parser.poll();

    assertThat(response.status()).isEqualTo(429);
    assertThat(response.bodyText()).isEqualTo("slow!");
  }

  @Test
  void chunkedBodiesAreJoinedAndTrailersSkipped() {
    ResponseParser parser = new ResponseParser(1 << 20);
    parser.append(
        bytes(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                + "4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nX-Trailer: t\r\n\r\n"));

    ResponseParser.Response response = parser.poll();

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.bodyText()).isEqualTo("Wikipedia");
    assertThat(response.close()).isTrue();
    assertThat(parser.buffered()).isZero();
  }

  @Test
  void anIncompleteChunkedBodyWaitsForMore() {
    ResponseParser parser = new ResponseParser(1 << 20);
    parser.append(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWi"));
    assertThat(parser.poll()).isNull();
    parser.append(bytes("ki\r\n0\r\n"));
    assertThat(parser.poll()).isNull();
    parser.append(bytes("\r\n"));

    assertThat(parser.poll().bodyText()).isEqualTo("Wiki");
  }

  @Test
  void twoResponsesInOneReadComeOutOneAfterTheOther() {
    ResponseParser parser = new ResponseParser(1 << 20);
    parser.append(
        bytes(
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"
                + "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 1\r\n\r\nB"));

    assertThat(parser.poll().bodyText()).isEqualTo("A");
    ResponseParser.Response second = parser.poll();
    assertThat(second.status()).isEqualTo(503);
    assertThat(second.bodyText()).isEqualTo("B");
  }

  @Test
  void aBodyLargerThanTheLimitIsRefused() {
    ResponseParser parser = new ResponseParser(100);
    parser.append(bytes("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"));

    assertThatThrownBy(parser::poll)
        .isInstanceOf(ResponseParser.Malformed.class)
        .hasMessageContaining("1000");
  }

  @Test
  void somethingThatIsNotHttpIsRefused() {
    ResponseParser parser = new ResponseParser(1 << 20);
    parser.append(bytes("SSH-2.0-OpenSSH_9.2\r\n\r\n"));

    assertThatThrownBy(parser::poll).isInstanceOf(ResponseParser.Malformed.class);
  }
}
