package dev.talea.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.talea.protocol.AccountKind;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.AssetSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded stores create what they write readable by their owner only. */
class FileModesTest {

  @TempDir Path temp;

  private static String mode(Path path) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }

  private static void write(Store store) {
    store.registerAsset(new AssetSpec("BTC", 8, "Bitcoin"));
    store.openAccount("modes", "assets:cash", new AccountSpec(AccountKind.ASSET));
  }

  @Test
  void theSqliteFileItsJournalsAndNewDirectoriesAreTheOwnersOnly() throws IOException {
    Path file = temp.resolve("new/nested/talea.db");
    try (Store store = Stores.open("sqlite:" + file, StoreSettings.defaults())) {
      write(store);
      assertThat(mode(file)).isEqualTo("rw-------");
      assertThat(mode(file.resolveSibling("talea.db-wal"))).isEqualTo("rw-------");
      assertThat(mode(file.resolveSibling("talea.db-shm"))).isEqualTo("rw-------");
    }
    assertThat(mode(temp.resolve("new/nested"))).isEqualTo("rwx------");
    assertThat(mode(temp.resolve("new"))).isEqualTo("rwx------");
  }

  @Test
  void theLogDirectoryItsSegmentsAndItsLockAreTheOwnersOnly() throws IOException {
    Path directory = temp.resolve("fresh/log");
    try (Store store = Stores.open("log:" + directory, StoreSettings.defaults())) {
      write(store);
      List<Path> files;
      try (Stream<Path> listing = Files.list(directory)) {
        files = listing.toList();
      }
      assertThat(files).isNotEmpty();
      for (Path file : files) {
        assertThat(mode(file)).as(file.toString()).isEqualTo("rw-------");
      }
    }
    assertThat(mode(directory)).isEqualTo("rwx------");
    assertThat(mode(temp.resolve("fresh"))).isEqualTo("rwx------");
  }
}
