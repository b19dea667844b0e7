package dev.talea.store.log;

import dev.talea.store.StoreException;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * One process owns a log directory: an OS file lock on {@code LOCK}, held for the store's lifetime
 * and released by the OS if the process dies. The file also says who holds it, for the message a
 * second process gets.
 */
final class DirectoryLock implements AutoCloseable {

  static final String FILE_NAME = "LOCK";

  private final FileChannel channel;
  private final FileLock lock;

  private DirectoryLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * @throws StoreException at once if another process (or another store in this one) holds it
   */
  static DirectoryLock acquire(Path directory) {
    Path file = directory.resolve(FILE_NAME);
    FileChannel channel;
    try {
      channel =
          FileChannel.open(
              file,
              java.util.Set.of(
                  StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE),
              dev.talea.store.FileModes.ownerOnlyFile());
    } catch (IOException e) {
      throw new StoreException("cannot open the lock file " + file + ": " + e.getMessage(), e);
    }
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      closeQuietly(channel);
      throw new StoreException(
          "the log store directory " + directory + " is already open in this process");
    } catch (IOException e) {
      closeQuietly(channel);
      throw new StoreException("cannot lock " + file + ": " + e.getMessage(), e);
    }
    if (lock == null) {
      String holder = readHolder(file);
      closeQuietly(channel);
      throw new StoreException(
          "the log store directory "
              + directory
              + " is in use by another process"
              + (holder.isEmpty() ? "" : " (" + holder + ")")
              + "; only one process may open it");
    }
    try {
      byte[] holder =
          ("pid "
                  + ProcessHandle.current().pid()
                  + " on "
                  + hostName()
                  + " since "
                  + Instant.now()
                  + " ("
                  + ManagementFactory.getRuntimeMXBean().getName()
                  + ")\n")
              .getBytes(StandardCharsets.UTF_8);
      channel.truncate(0);
      channel.write(ByteBuffer.wrap(holder), 0);
      channel.force(true);
    } catch (IOException e) {
      // The lock is what matters; the holder note is only for messages.
    }
    return new DirectoryLock(channel, lock);
  }

  private static String readHolder(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      return "";
    }
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "unknown host";
    }
  }

  private static void closeQuietly(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // Nothing to release beyond the descriptor.
    }
  }

  @Override
  public void close() {
    try {
      lock.release();
    } catch (IOException ignored) {
      // Closing the channel releases it too.
    }
    closeQuietly(channel);
  }
}
