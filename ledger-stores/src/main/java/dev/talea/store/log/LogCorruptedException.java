package dev.talea.store.log;

import dev.talea.store.StoreException;
import java.nio.file.Path;

/**
 * The log holds damaged data that is not a torn tail: acknowledged records may be affected, so the
 * store refuses to open rather than drop anything. Names the segment file and byte offset.
 */
public final class LogCorruptedException extends StoreException {

  private final Path file;
  private final long offset;

  LogCorruptedException(Path file, long offset, String problem) {
    super(
        "the append log is damaged: "
            + file
            + " at byte offset "
            + offset
            + ": "
            + problem
            + ". Nothing was truncated; restore this file from a backup or inspect it before"
            + " reopening.");
    this.file = file;
    this.offset = offset;
  }

  public Path file() {
    return file;
  }

  public long offset() {
    return offset;
  }
}
