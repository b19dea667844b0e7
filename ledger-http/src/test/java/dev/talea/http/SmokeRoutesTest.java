package dev.talea.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SmokeRoutesTest {
  @TempDir Path temp;

  @Test
  void healthAnswersWithTheBackend() {
    try (ServerHarness server = ServerHarness.start("log:" + temp.resolve("log"))) {
      ServerHarness.Reply health = server.get("/health", null);
      assertThat(health.status()).isEqualTo(200);
      assertThat(health.body()).isEqualTo("{\"status\":\"ok\",\"backend\":\"log\"}");
      assertThat(health.header("X-Talea-Backend")).isEqualTo("log");
    }
  }
}
