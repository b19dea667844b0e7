package dev.talea.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class RequestsTest {

  @Test
  void amountsHaveExactlySixDecimals() {
    assertThat(Requests.amount(1)).isEqualTo("0.000001");
    assertThat(Requests.amount(999_999)).isEqualTo("0.999999");
    assertThat(Requests.amount(1_000_000)).isEqualTo("1.000000");
    assertThat(Requests.amount(123_456_789)).isEqualTo("123.456789");
  }

  @Test
  void customerNamesArePaddedAndValid() {
    assertThat(Requests.customer(0)).isEqualTo("liabilities:customers:c000000");
    assertThat(Requests.customer(42)).isEqualTo("liabilities:customers:c000042");
    assertThat(Requests.customer(1_234_567)).isEqualTo("liabilities:customers:c1234567");
    assertThat(Requests.customer(999)).matches("^[a-z0-9][a-z0-9_.:-]{0,127}$");
  }

  @Test
  void aTransferIsATwoPostingDraft() {
    StringBuilder json = new StringBuilder();
    Requests.transfer(json, "k-1", "a", "b", 1_500_000);

    assertThat(json.toString())
        .isEqualTo(
            "{\"idempotency_key\":\"k-1\",\"postings\":["
                + "{\"account\":\"a\",\"asset\":\"USDC\",\"debit\":\"1.500000\"},"
                + "{\"account\":\"b\",\"asset\":\"USDC\",\"credit\":\"1.500000\"}]}");
  }

  @Test
  void aPostCarriesItsLengthAndToken() {
    Requests requests = new Requests("127.0.0.1:8080", "secret-token");
    String request =
        new String(
            requests.post("/v1/books/b/transactions", "{\"x\":\"é\"}"), StandardCharsets.UTF_8);

    assertThat(request)
        .isEqualTo(
            "POST /v1/books/b/transactions HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
                + "Authorization: Bearer secret-token\r\nContent-Type: application/json\r\n"
                + "Content-Length: 10\r\n\r\n{\"x\":\"é\"}");
  }

  @Test
  void aResumedLiveTailNamesTheLastEventReceived() {
    Requests requests = new Requests("127.0.0.1:8080", "t0k3n");

    assertThat(new String(requests.resume("/v1/books/b/events", 41), StandardCharsets.UTF_8))
        .isEqualTo(
            "GET /v1/books/b/events HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
                + "Authorization: Bearer t0k3n\r\nAccept: text/event-stream\r\n"
                + "Last-Event-ID: 41\r\n\r\n");
    assertThat(new String(requests.get("/v1/books", "application/json"), StandardCharsets.UTF_8))
        .isEqualTo(
            "GET /v1/books HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
                + "Authorization: Bearer t0k3n\r\nAccept: application/json\r\n\r\n");
  }

  @Test
  void errorKeysNameStatusAndCode() {
    assertThat(Recorder.errorKey(429, "{\"type\":\"t\",\"error\":\"overloaded\",\"book\":\"b\"}"))
        .isEqualTo("429 overloaded");
    assertThat(Recorder.errorKey(502, "<html>bad gateway</html>")).isEqualTo("502");
  }

  @Test
  void durationsReadTheUsualUnits() {
    TaleaBench.Durations durations = new TaleaBench.Durations();
    assertThat(durations.convert("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(durations.convert("5m")).isEqualTo(Duration.ofMinutes(5));
    assertThat(durations.convert("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(durations.convert("12")).isEqualTo(Duration.ofSeconds(12));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> durations.convert("soon"))
        .isInstanceOf(CommandLine.TypeConversionException.class);
  }

  @Test
  void postgresUrlsBecomeJdbcWithCredentialsApart() {
    Server.Jdbc jdbc = Server.Jdbc.of("postgres://talea:s%40cret@db.example:6432/ledger");

    assertThat(jdbc.url()).isEqualTo("jdbc:postgresql://db.example:6432/ledger");
    assertThat(jdbc.properties().getProperty("user")).isEqualTo("talea");
    assertThat(jdbc.properties().getProperty("password")).isEqualTo("s@cret");
    assertThat(Server.withDatabase("postgres://talea:pw@h:5432/postgres?sslmode=disable", "x"))
        .isEqualTo("postgres://talea:pw@h:5432/x?sslmode=disable");
    assertThat(Server.redacted("postgres://talea:pw@h/db")).isEqualTo("postgres://talea:***@h/db");
  }

  @Test
  void aBookMustHoldExactlyTheAcknowledgedCommitsUnlessSomeOutcomesAreUnknown() {
    assertThat(Run.countMatches(100, 100, 0)).isTrue();
    assertThat(Run.countMatches(101, 100, 0)).isFalse();
    assertThat(Run.countMatches(99, 100, 0)).isFalse();
    assertThat(Run.countMatches(102, 100, 2)).isTrue();
    assertThat(Run.countMatches(103, 100, 2)).isFalse();
  }
}
