package dev.talea.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.talea.http.ServerHarness.Reply;
import dev.talea.store.testing.PostgresTestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A request the server cannot finish within Pekko HTTP's own request timeout (the backstop behind
 * talea's commit timeout: a read stuck behind a lock or on an unreachable database, say) is
 * answered like every other error — a problem document, {@code 503 unavailable} with {@code
 * Retry-After}, and the backend header — not with Pekko's plain-text default.
 */
class RequestTimeoutTest {

  @Test
  void aReadStuckLongerThanTheServersRequestTimeoutIsAnswered503Unavailable() throws Exception {
    try (PostgresTestDatabase db = PostgresTestDatabase.create();
        ServerHarness server =
            LiveTailTest.startWithProperties(
                Map.of("pekko.http.server.request-timeout", "1s"),
                EndToEndTest.jdbcUrlWithCredentials(db.url()),
                Map.of())) {
      assertThat(server.post("/v1/assets", "{\"code\":\"BTC\",\"decimals\":8}").status())
          .isEqualTo(201);
      String cash = "/v1/books/stuck/accounts/assets:cash";
      assertThat(server.put(cash, "{\"kind\":\"asset\"}").status()).isEqualTo(201);

      try (Connection locker = db.connect()) {
        locker.setAutoCommit(false);
        try (Statement lock = locker.createStatement()) {
          // Nobody can read balances until this transaction ends.
          lock.execute("LOCK TABLE balances IN ACCESS EXCLUSIVE MODE");
        }
        // Answered while the lock is still held: only the timeout can have answered it.
        Reply stuck = server.get(cash + "/balances");

        assertThat(stuck.status()).as(stuck.body()).isEqualTo(503);
        assertThat(stuck.header("Content-Type")).isEqualTo("application/problem+json");
        assertThat(stuck.json().get("error").asText()).isEqualTo("unavailable");
        assertThat(stuck.json().get("status").asInt()).isEqualTo(503);
        assertThat(stuck.header("Retry-After")).isEqualTo("1");
        assertThat(stuck.header("X-Talea-Backend")).isEqualTo("postgres");
        locker.rollback();
      }

      // The read that was stuck finishes once the lock is gone, and the server is fine.
      Reply after = server.get(cash + "/balances");
      assertThat(after.status()).as(after.body()).isEqualTo(200);
    }
  }
}
