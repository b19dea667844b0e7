package dev.talea.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.talea.protocol.Names;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The bearer tokens the server accepts: {@code TALEA_API_TOKEN} (read-write, every book) and the
 * scoped tokens of {@code TALEA_TOKENS_FILE}. Only SHA-256 digests of the secrets are kept; a
 * presented token is compared against every one of them in constant time, so neither timing nor an
 * early exit tells a caller how close a guess was. No secret is ever logged or put in a message.
 */
final class Tokens {

  static final int MIN_LENGTH = 16;

  private record Entry(byte[] digest, Principal principal) {}

  private final List<Entry> entries;

  private Tokens(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  /**
   * @param apiToken {@code TALEA_API_TOKEN}, or {@code null}
   * @param tokensFile {@code TALEA_TOKENS_FILE}, or {@code null}
   * @throws SettingsException for a token that is too short, a file that is missing, unparsable,
   *     empty or inconsistent; the message names the problem and the token's name, never its secret
   */
  static Tokens load(String apiToken, Path tokensFile) {
    List<Entry> entries = new ArrayList<>();
    Set<String> secrets = new HashSet<>();
    if (apiToken != null) {
      requireUsable(apiToken, "TALEA_API_TOKEN");
      secrets.add(apiToken);
      entries.add(
          new Entry(digest(apiToken), new Principal("TALEA_API_TOKEN", Set.of(), true, true)));
    }
    if (tokensFile != null) {
      readFile(tokensFile, secrets, entries);
    }
    return new Tokens(entries);
  }

  boolean isEmpty() {
    return entries.isEmpty();
  }

  int size() {
    return entries.size();
  }

  /** The principal of a presented token, if it is one of ours. */
  Optional<Principal> authenticate(String presented) {
    byte[] digest = digest(presented);
    Principal found = null;
    for (Entry entry : entries) {
      if (MessageDigest.isEqual(digest, entry.digest()) && found == null) {
        found = entry.principal();
      }
    }
    return Optional.ofNullable(found);
  }

  private static void readFile(Path file, Set<String> secrets, List<Entry> entries) {
    String where = "TALEA_TOKENS_FILE (" + file + ")";
    if (!Files.isRegularFile(file)) {
      throw new SettingsException(where + " does not exist or is not a file");
    }
    JsonNode root;
    try {
      root = new TomlMapper().readTree(Files.readString(file, StandardCharsets.UTF_8));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      // The parser's own message may quote the offending line, which may hold a secret.
      throw new SettingsException(
          where
              + " is not valid TOML (line "
              + (e.getLocation() == null ? "?" : e.getLocation().getLineNr())
              + ")");
    } catch (IOException e) {
      throw new SettingsException(where + " cannot be read: " + e.getClass().getSimpleName());
    }
    JsonNode tokens = root == null ? null : root.get("tokens");
    if (tokens == null || !tokens.isObject() || tokens.isEmpty()) {
      throw new SettingsException(
          where + " defines no tokens; expected [tokens.<name>] tables with token, books, access");
    }
    for (Map.Entry<String, JsonNode> top : root.properties()) {
      String key = top.getKey();
      if (!key.equals("tokens")) {
        throw new SettingsException(where + " has an unknown top-level key '" + key + "'");
      }
    }
    for (Map.Entry<String, JsonNode> named : tokens.properties()) {
      String name = named.getKey();
      JsonNode table = named.getValue();
      String what = where + ": token '" + name + "'";
      if (!table.isObject()) {
        throw new SettingsException(what + " must be a table with token, books and access");
      }
      for (Map.Entry<String, JsonNode> property : table.properties()) {
        String key = property.getKey();
        if (!Set.of("token", "books", "access").contains(key)) {
          throw new SettingsException(what + " has an unknown key '" + key + "'");
        }
      }
      JsonNode secretNode = table.get("token");
      if (secretNode == null || !secretNode.isTextual()) {
        throw new SettingsException(what + " has no token = \"...\"");
      }
      String secret = secretNode.textValue();
      requireUsable(secret, what);
      if (!secrets.add(secret)) {
        throw new SettingsException(what + " has the same secret as another token");
      }
      JsonNode access = table.get("access");
      if (access == null
          || !access.isTextual()
          || !(access.textValue().equals("rw") || access.textValue().equals("ro"))) {
        throw new SettingsException(what + " has access other than \"rw\" or \"ro\"");
      }
      JsonNode books = table.get("books");
      if (books == null || !books.isArray() || books.isEmpty()) {
        throw new SettingsException(
            what + " needs books = [\"<book>\", ...] (exact names) or books = [\"*\"]");
      }
      Set<String> names = new HashSet<>();
      boolean all = false;
      for (JsonNode book : books) {
        if (!book.isTextual()) {
          throw new SettingsException(what + " has a book that is not a string");
        }
        if (book.textValue().equals("*")) {
          all = true;
        } else if (Names.isBook(book.textValue())) {
          names.add(book.textValue());
        } else {
          throw new SettingsException(
              what + " names '" + book.textValue() + "', which is not a valid book name");
        }
      }
      Principal principal = new Principal(name, names, all, access.textValue().equals("rw"));
      entries.add(new Entry(digest(secret), principal));
    }
  }

  private static void requireUsable(String secret, String what) {
    if (secret.length() < MIN_LENGTH) {
      throw new SettingsException(what + " is shorter than " + MIN_LENGTH + " characters");
    }
    for (int i = 0; i < secret.length(); i++) {
      char c = secret.charAt(i);
      if (c < 0x21 || c > 0x7E) {
        throw new SettingsException(
            what + " contains a character that cannot appear in an Authorization header");
      }
    }
  }

  private static byte[] digest(String secret) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
