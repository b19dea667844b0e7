package dev.talea.http;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Files that hold secrets ({@code .env}, the tokens file) should be readable by their owner only.
 */
final class SecretFiles {

  private static final Logger LOG = LoggerFactory.getLogger("talead");

  private SecretFiles() {}

  /**
   * Warns (once, at start-up) when {@code file} can be read or written by its group or by others.
   * Says nothing on a file system without POSIX permissions.
   *
   * @return whether it warned
   */
  static boolean warnIfShared(Path file, String what) {
    Set<PosixFilePermission> mode;
    try {
      mode = Files.getPosixFilePermissions(file);
    } catch (UnsupportedOperationException | IOException e) {
      return false;
    }
    boolean shared =
        mode.contains(PosixFilePermission.GROUP_READ)
            || mode.contains(PosixFilePermission.GROUP_WRITE)
            || mode.contains(PosixFilePermission.OTHERS_READ)
            || mode.contains(PosixFilePermission.OTHERS_WRITE);
    if (shared) {
      LOG.warn(
          "{} ({}) holds secrets but its mode is {}: others on this machine can read or change it;"
              + " run chmod 600 {}",
          what,
          file,
          PosixFilePermissions.toString(mode),
          file);
    }
    return shared;
  }
}
