package dev.talea.store;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The ledger's files are the ledger: the embedded stores create their files readable and writable
 * by their owner only ({@code 0600}) and their directories {@code 0700}, whatever the umask allows.
 * On a file system without POSIX permissions nothing is set.
 */
public final class FileModes {

  private static final boolean POSIX =
      FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

  private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> DIRECTORY =
      PosixFilePermissions.fromString("rwx------");

  private FileModes() {}

  /** The attributes of a new file that only its owner may read and write (none without POSIX). */
  public static FileAttribute<?>[] ownerOnlyFile() {
    return POSIX
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(FILE)}
        : new FileAttribute<?>[0];
  }

  /** Creates {@code directory} and its missing parents, each {@code 0700}. */
  public static void createDirectories(Path directory) throws IOException {
    Path absolute = directory.toAbsolutePath();
    if (Files.isDirectory(absolute)) {
      return;
    }
    if (absolute.getParent() != null) {
      createDirectories(absolute.getParent());
    }
    if (POSIX) {
      Files.createDirectory(absolute, PosixFilePermissions.asFileAttribute(DIRECTORY));
      // The umask may have taken bits away, never added them; set exactly 0700.
      Files.setPosixFilePermissions(absolute, DIRECTORY);
    } else {
      Files.createDirectory(absolute);
    }
  }

  /** Creates {@code file} empty with mode {@code 0600} unless it exists. */
  public static void createFileIfAbsent(Path file) throws IOException {
    if (Files.exists(file)) {
      return;
    }
    try {
      Files.createFile(file, ownerOnlyFile());
    } catch (java.nio.file.FileAlreadyExistsException raced) {
      // Created meanwhile by another process: its mode is its own.
    }
  }
}
