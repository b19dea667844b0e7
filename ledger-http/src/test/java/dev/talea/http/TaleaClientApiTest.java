package dev.talea.http;

import dev.talea.client.TaleaClient;
import dev.talea.protocol.LedgerApi;
import dev.talea.protocol.LedgerApiContractTest;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TaleaClient} over HTTP against a real talead (on an append-log store) passes the {@link
 * LedgerApi} suite: the same answers as the in-process service.
 */
class TaleaClientApiTest extends LedgerApiContractTest {

  @TempDir static Path temp;

  private ServerHarness server;
  private TaleaClient client;

  @Override
  protected void startApi() {
    server = ServerHarness.start("log:" + temp.resolve("log"));
    client =
        TaleaClient.builder()
            .baseUrl("http://127.0.0.1:" + server.server().address().getPort())
            .token(ServerHarness.ADMIN_TOKEN)
            .build();
  }

  @Override
  protected void stopApi() {
    try {
      if (client != null) {
        client.close();
      }
    } finally {
      if (server != null) {
        server.close();
      }
    }
  }

  @Override
  protected LedgerApi api() {
    return client;
  }
}
