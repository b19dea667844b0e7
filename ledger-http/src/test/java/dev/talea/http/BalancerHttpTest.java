package dev.talea.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.talea.http.HardeningTest.RawResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP that load balancers, health checkers and uptime monitors speak (contract §17): HTTP/1.0
 * and requests without {@code Host}, {@code HEAD}, {@code OPTIONS}, and the parser's refusals as
 * problem documents with their own statuses. Sent as raw bytes, since a well-behaved client would
 * not send most of them.
 */
class BalancerHttpTest {

  @TempDir static Path temp;
  private static ServerHarness server;

  @BeforeAll
  static void start() {
    server = ServerHarness.start("log:" + temp.resolve("log"), Map.of());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static RawResponse exchange(String request) throws IOException {
    return RawResponse.exchange(server, request);
  }

  // ---- health checks -------------------------------------------------------------------------

  @Test
  void anHttp10HealthCheckWithoutHostIsServed() throws IOException {
    RawResponse health = exchange("GET /health HTTP/1.0\r\n\r\n");
    assertThat(health.status()).isEqualTo(200);
    assertThat(health.json().get("status").asText()).isEqualTo("ok");
    assertThat(health.json().get("backend").asText()).isEqualTo("log");

    // HAProxy's plain `option httpchk` sends exactly this.
    RawResponse options = exchange("OPTIONS / HTTP/1.0\r\n\r\n");
    assertThat(options.status()).isEqualTo(204);
    assertThat(options.header("allow")).isEqualTo("GET, HEAD, OPTIONS, POST, PUT");
  }

  @Test
  void anHttp11RequestWithoutHostIsServedToo() throws IOException {
    RawResponse health =
        exchange("GET /health HTTP/1.1\r\nUser-Agent: monitor\r\nConnection: close\r\n\r\n");
    assertThat(health.status()).isEqualTo(200);
    assertThat(health.json().get("status").asText()).isEqualTo("ok");
    // One with a Host is untouched, and so is an authenticated one without.
    assertThat(exchange("GET /health HTTP/1.1\r\nHost: lb.example\r\n\r\n").status())
        .isEqualTo(200);
    RawResponse assets =
        exchange(
            "GET /v1/assets HTTP/1.1\r\nAuthorization: Bearer "
                + ServerHarness.ADMIN_TOKEN
                + "\r\nConnection: close\r\n\r\n");
    assertThat(assets.status()).isEqualTo(200);
    assertThat(assets.json().has("assets")).isTrue();
  }

  // ---- HEAD ----------------------------------------------------------------------------------

  @Test
  void headAnswersAsGetDoesWithoutTheBody() throws IOException {
    String token = "Authorization: Bearer " + ServerHarness.ADMIN_TOKEN + "\r\n";
    for (String path : new String[] {"/health", "/v1/assets", "/v1/openapi.yaml"}) {
      RawResponse get = exchange("GET " + path + " HTTP/1.1\r\nHost: x\r\n" + token + "\r\n");
      // HEAD then GET on one connection: the GET's status line must follow the HEAD's headers at
      // once, so the HEAD carried no body.
      String both =
          pipelined(
              "HEAD "
                  + path
                  + " HTTP/1.1\r\nHost: x\r\n"
                  + token
                  + "\r\nGET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      String head = both.substring(0, both.indexOf("\r\n\r\n") + 4);
      assertThat(head).as(path).startsWith("HTTP/1.1 200 OK\r\n");
      assertThat(head)
          .as(path)
          .containsIgnoringCase("content-length: " + get.header("content-length") + "\r\n")
          .containsIgnoringCase("content-type: " + get.header("content-type") + "\r\n");
      assertThat(both.substring(head.length())).as(path).startsWith("HTTP/1.1 200 OK\r\n");
    }
    // HEAD is authenticated like GET.
    String refused = pipelined("HEAD /v1/assets HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertThat(refused).startsWith("HTTP/1.1 401 Unauthorized\r\n").endsWith("\r\n\r\n");
  }

  // ---- OPTIONS and Allow ---------------------------------------------------------------------

  @Test
  void optionsAnswers204WithAllowAndNeedsNoToken() throws IOException {
    RawResponse transactions =
        exchange("OPTIONS /v1/books/b/transactions HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(transactions.status()).isEqualTo(204);
    assertThat(transactions.header("allow")).isEqualTo("GET, HEAD, OPTIONS, POST");
    assertThat(transactions.body()).isEmpty();
    assertThat(
            exchange("OPTIONS /v1/books/b/transactions/batch HTTP/1.1\r\nHost: x\r\n\r\n")
                .header("allow"))
        .isEqualTo("OPTIONS, POST");
    assertThat(exchange("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n").header("allow"))
        .isEqualTo("GET, HEAD, OPTIONS, POST, PUT");
    RawResponse missing = exchange("OPTIONS /v2/nothing HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.error()).isEqualTo("not_found");

    RawResponse wrongMethod = exchange("DELETE /health HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(wrongMethod.status()).isEqualTo(405);
    assertThat(wrongMethod.error()).isEqualTo("method_not_allowed");
    assertThat(wrongMethod.header("allow")).isEqualTo("GET, HEAD, OPTIONS");
  }

  // ---- what the parser refuses ---------------------------------------------------------------

  @Test
  void aUriTooLongIs414() throws IOException {
    RawResponse answer =
        exchange("GET /health?x=" + "a".repeat(3 * 1024) + " HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(answer.status()).isEqualTo(414);
    assertThat(answer.error()).isEqualTo("uri_too_long");
    assertThat(answer.header("content-type")).isEqualTo("application/problem+json");
  }

  @Test
  void headersTooLargeOrTooManyAre431() throws IOException {
    RawResponse big =
        exchange("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n");
    assertThat(big.status()).isEqualTo(431);
    assertThat(big.error()).isEqualTo("headers_too_large");
    StringBuilder many = new StringBuilder("GET /health HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < 100; i++) {
      many.append("X-H").append(i).append(": a\r\n");
    }
    RawResponse count = exchange(many.append("\r\n").toString());
    assertThat(count.status()).isEqualTo(431);
    assertThat(count.error()).isEqualTo("headers_too_large");
    assertThat(count.header("content-type")).isEqualTo("application/problem+json");
  }

  @Test
  void anUnsupportedHttpVersionIs505() throws IOException {
    RawResponse answer = exchange("GET /health HTTP/2.0\r\nHost: x\r\n\r\n");
    assertThat(answer.status()).isEqualTo(505);
    assertThat(answer.error()).isEqualTo("http_version_not_supported");
    assertThat(answer.header("content-type")).isEqualTo("application/problem+json");
  }

  @Test
  void aCharsetOtherThanUtf8Is415() throws IOException {
    String body = "{\"code\":\"EUR\",\"decimals\":2}";
    for (String type :
        new String[] {
          "application/json; charset=iso-8859-1", "application/json;charset=UTF-16", "text/plain"
        }) {
      RawResponse answer = post("/v1/assets", type, body);
      assertThat(answer.status()).as(type).isEqualTo(415);
      assertThat(answer.error()).as(type).isEqualTo("unsupported_media_type");
    }
    assertThat(post("/v1/assets", "application/json; charset=utf-8", body).status()).isEqualTo(201);
    assertThat(post("/v1/assets", "application/json", body).status()).isEqualTo(200);
  }

  private static RawResponse post(String path, String type, String body) throws IOException {
    return exchange(
        "POST "
            + path
            + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + ServerHarness.ADMIN_TOKEN
            + "\r\nContent-Type: "
            + type
            + "\r\nContent-Length: "
            + body.getBytes(StandardCharsets.UTF_8).length
            + "\r\n\r\n"
            + body);
  }

  /** Sends the requests on one connection and reads everything until the server closes it. */
  private static String pipelined(String requests) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", server.server().address().getPort())) {
      socket.setSoTimeout(30_000);
      socket.getOutputStream().write(requests.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      in.transferTo(all);
      return all.toString(StandardCharsets.ISO_8859_1);
    }
  }
}
