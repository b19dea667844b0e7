package dev.talea.store.log;

import dev.talea.store.FileModes;
import dev.talea.store.Store;
import dev.talea.store.StoreException;
import dev.talea.store.StoreSettings;
import dev.talea.store.StoreUnavailableException;
import dev.talea.store.StoreUrl;
import dev.talea.store.read.StoredCommit;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;

/** Opens the append-log store in a directory, replaying the log into memory. */
public final class LogStores {

  /** Segment files are rotated past this size (a commit batch never straddles two segments). */
  public static final long DEFAULT_SEGMENT_BYTES = 64L * 1024 * 1024;

  private LogStores() {}

  /**
   * Locks the directory (creating it if needed), recovers the log and rebuilds the indexes.
   *
   * @throws StoreException if another process holds the directory, or the log is damaged anywhere
   *     but a torn tail ({@link LogCorruptedException}, naming the file and offset)
   * @throws StoreUnavailableException if the directory cannot be read or written
   */
  public static Store open(StoreUrl.Log url, StoreSettings settings) {
    return open(url.directory(), settings, DEFAULT_SEGMENT_BYTES);
  }

  static Store open(Path directory, StoreSettings settings, long segmentBytes) {
    return open(directory, settings, segmentBytes, commit -> {});
  }

  /**
   * @param beforeApply called with each durable commit before it reaches the indexes (a seam for
   *     tests that make applying fail)
   */
  static Store open(
      Path directory,
      StoreSettings settings,
      long segmentBytes,
      Consumer<StoredCommit> beforeApply) {
    if (segmentBytes < 4096 || segmentBytes > (1L << 30)) {
      throw new IllegalArgumentException("segment size must be 4 KiB to 1 GiB: " + segmentBytes);
    }
    Path absolute = directory.toAbsolutePath();
    try {
      FileModes.createDirectories(absolute);
    } catch (IOException e) {
      throw new StoreUnavailableException(
          "cannot create the log directory " + absolute + ": " + e.getMessage(), e);
    }
    return new LogStore(absolute, segmentBytes, settings, beforeApply);
  }
}
