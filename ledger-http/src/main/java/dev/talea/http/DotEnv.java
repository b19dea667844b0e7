package dev.talea.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code .env} file: {@code KEY=VALUE} lines, {@code #} comments, an optional {@code export}
 * prefix, optional single or double quotes around the value. Real environment variables win over
 * it. Writing keeps every line it does not set, so a user's own entries survive {@code talead
 * init}.
 */
final class DotEnv {

  private static final Pattern LINE =
      Pattern.compile("^\\s*(?:export\\s+)?([A-Za-z_][A-Za-z0-9_]*)\\s*=\\s*(.*?)\\s*$");

  private DotEnv() {}

  /** The entries of {@code file}; empty if it does not exist. */
  static Map<String, String> read(Path file) {
    Map<String, String> entries = new LinkedHashMap<>();
    if (!Files.exists(file)) {
      return entries;
    }
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        Matcher m = LINE.matcher(line);
        if (!line.trim().startsWith("#") && m.matches()) {
          entries.put(m.group(1), unquote(m.group(2)));
        }
      }
    } catch (IOException e) {
      throw new SettingsException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return entries;
  }

  /**
   * The environment as talead sees it: {@code .env} overlaid by the real environment. Warns if
   * {@code .env}, which holds the API token, can be read by others.
   */
  static Map<String, String> environment(Path dotEnv, Map<String, String> real) {
    if (Files.exists(dotEnv)) {
      SecretFiles.warnIfShared(dotEnv, ".env");
    }
    Map<String, String> merged = new HashMap<>(read(dotEnv));
    merged.putAll(real);
    return merged;
  }

  /**
   * Sets {@code updates} in {@code file}: existing lines for those keys are replaced in place, new
   * keys appended, every other line kept. The file is replaced atomically and readable only by its
   * owner, since it holds a secret.
   */
  static void write(Path file, Map<String, String> updates) {
    List<String> lines = new ArrayList<>();
    Map<String, String> pending = new LinkedHashMap<>(updates);
    try {
      if (Files.exists(file)) {
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
          Matcher m = LINE.matcher(line);
          if (!line.trim().startsWith("#") && m.matches() && updates.containsKey(m.group(1))) {
            String key = m.group(1);
            if (pending.containsKey(key)) {
              lines.add(key + "=" + pending.remove(key));
            }
          } else {
            lines.add(line);
          }
        }
      }
      pending.forEach((key, value) -> lines.add(key + "=" + value));
      Path absolute = file.toAbsolutePath();
      Path temp = Files.createTempFile(absolute.getParent(), ".env", ".tmp");
      try {
        setOwnerOnly(temp);
        Files.write(temp, lines, StandardCharsets.UTF_8);
        Files.move(
            temp, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(temp);
      }
    } catch (IOException e) {
      throw new SettingsException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  private static void setOwnerOnly(Path file) throws IOException {
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException e) {
      // Not a POSIX file system; the file keeps the default permissions.
    }
  }

  private static String unquote(String value) {
    if (value.length() >= 2
        && ((value.startsWith("\"") && value.endsWith("\""))
            || (value.startsWith("'") && value.endsWith("'")))) {
      return value.substring(1, value.length() - 1);
    }
    return value;
  }
}
