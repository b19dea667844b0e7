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
 * scoped tokens of {@code TALEA_TOKENS_FILE}. Only SHA-256 digests of the secrets are kept (a
 * tokens file may give just the digest, {@code token_sha256}, and hold no secret at all); a
 * presented token is compared against every one of them in constant time, so neither timing nor an
 * early exit tells a caller how close a guess was. No secret is ever logged or put in a message.
 *
 * <p>A secret must be an RFC 6750 {@code b64token} — letters, digits and {@code -._~+/}, then any
 * {@code =} padding — so that every HTTP parser on the way reads the {@code Authorization} header
 * the same way (one that does not parse is logged by some of them, value and all).
 */
final class Tokens {

  static final int MIN_LENGTH = 16;

  /**
   * RFC 6750 section 2.1: {@code b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" )
   * *"="}.
   */
  private static final java.util.regex.Pattern B64TOKEN =
      java.util.regex.Pattern.compile("[A-Za-z0-9._~+/-]+=*");

  private static final java.util.regex.Pattern SHA256_HEX =
      java.util.regex.Pattern.compile("[0-9a-f]{64}");

  private static final java.util.HexFormat HEX = java.util.HexFormat.of();

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
      secrets.add(HEX.formatHex(digest(apiToken)));
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
    SecretFiles.warnIfShared(file, "TALEA_TOKENS_FILE");
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
        if (!Set.of("token", "token_sha256", "books", "access").contains(key)) {
          throw new SettingsException(what + " has an unknown key '" + key + "'");
        }
      }
      byte[] digest = secretDigest(table, what);
      if (!secrets.add(HEX.formatHex(digest))) {
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
      entries.add(new Entry(digest, principal));
    }
  }

  /**
   * The digest of a token table's secret: {@code token = "..."} or {@code token_sha256 = "<hex>"}.
   */
  private static byte[] secretDigest(JsonNode table, String what) {
    JsonNode secret = table.get("token");
    JsonNode hashed = table.get("token_sha256");
    if (secret != null && hashed != null) {
      throw new SettingsException(what + " has both token and token_sha256; give one of them");
    }
    if (hashed != null) {
      if (!hashed.isTextual() || !SHA256_HEX.matcher(hashed.textValue()).matches()) {
        throw new SettingsException(
            what + " has a token_sha256 that is not 64 lower-case hex digits (a SHA-256 digest)");
      }
      return HEX.parseHex(hashed.textValue());
    }
    if (secret == null || !secret.isTextual()) {
      throw new SettingsException(what + " has no token = \"...\" (or token_sha256 = \"...\")");
    }
    requireUsable(secret.textValue(), what);
    return digest(secret.textValue());
  }

  private static void requireUsable(String secret, String what) {
    if (secret.length() < MIN_LENGTH) {
      throw new SettingsException(what + " is shorter than " + MIN_LENGTH + " characters");
    }
    if (!B64TOKEN.matcher(secret).matches()) {
      throw new SettingsException(
          what
              + " has a character outside the bearer-token grammar (RFC 6750: letters, digits and"
              + " -._~+/, then any = padding); `talead init` generates one that fits");
    }
  }

  /** The digest a tokens file gives as {@code token_sha256} for a secret: lower-case hex. */
  static String sha256Hex(String secret) {
    return HEX.formatHex(digest(secret));
  }

  private static byte[] digest(String secret) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
