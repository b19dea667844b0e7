package dev.talea.actors;

import dev.talea.protocol.LedgerApi;
import dev.talea.protocol.LedgerApiContractTest;
import dev.talea.store.Store;
import dev.talea.store.StoreSettings;
import dev.talea.store.Stores;
import java.nio.file.Path;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.io.TempDir;

/** {@link LedgerService} in-process over an append-log store passes the {@link LedgerApi} suite. */
class LedgerServiceApiTest extends LedgerApiContractTest {

  @TempDir static Path temp;

  private ActorTestKit kit;
  private Store store;
  private LedgerService service;

  @Override
  protected void startApi() {
    kit = ActorTestKit.create();
    store = Stores.open("log:" + temp.resolve("log"), StoreSettings.defaults());
    service = LedgerService.start(kit.system(), store, LedgerSettings.defaults());
  }

  @Override
  protected void stopApi() {
    if (kit != null) {
      kit.shutdownTestKit();
    }
    if (store != null) {
      store.close();
    }
  }

  @Override
  protected LedgerApi api() {
    return service;
  }
}
