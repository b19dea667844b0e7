package dev.talea.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.LedgerException;
import dev.talea.protocol.Names;
import dev.talea.protocol.json.WireReader;
import dev.talea.store.Store;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * {@code talea.seed.toml}: assets and accounts to create when a store is initialised, applied
 * idempotently (an identical asset or account is left as it is). See {@code
 * talea.seed.example.toml}.
 */
final class SeedFile {

  /** How many entries the seed created and how many were already there. */
  record Applied(int assetsCreated, int assetsPresent, int accountsCreated, int accountsPresent) {}

  private SeedFile() {}

  /**
   * @throws SettingsException naming the entry and field of anything invalid or conflicting
   */
  static Applied apply(Path file, Store store) {
    JsonNode root;
    try {
      root = new TomlMapper().readTree(Files.readString(file, StandardCharsets.UTF_8));
    } catch (JsonProcessingException e) {
      throw new SettingsException(
          file
              + " is not valid TOML (line "
              + (e.getLocation() == null ? "?" : e.getLocation().getLineNr())
              + "): "
              + e.getOriginalMessage());
    } catch (IOException e) {
      throw new SettingsException("cannot read " + file + ": " + e.getMessage(), e);
    }
    if (root == null) {
      return new Applied(0, 0, 0, 0);
    }
    for (Map.Entry<String, JsonNode> key : root.properties()) {
      if (!Set.of("assets", "accounts").contains(key.getKey())) {
        throw new SettingsException(
            file + ": unknown key '" + key.getKey() + "' (expected [[assets]] and [[accounts]])");
      }
    }
    int assetsCreated = 0;
    int assetsPresent = 0;
    int i = 0;
    for (JsonNode entry : array(root, "assets", file)) {
      String where = file + ": assets[" + i++ + "]";
      AssetSpec spec = decode(where, () -> WireReader.assetSpec(entry));
      boolean created = decode(where, () -> store.registerAsset(spec).created());
      if (created) {
        assetsCreated++;
      } else {
        assetsPresent++;
      }
    }
    int accountsCreated = 0;
    int accountsPresent = 0;
    i = 0;
    for (JsonNode entry : array(root, "accounts", file)) {
      String where = file + ": accounts[" + i++ + "]";
      if (!entry.isObject()) {
        throw new SettingsException(where + " must be a table");
      }
      ObjectNode spec = ((ObjectNode) entry).deepCopy();
      String book = text(spec.remove("book"), where, "book");
      String account = text(spec.remove("account"), where, "account");
      decode(where, () -> Names.requireBook(book, "book"));
      decode(where, () -> Names.requireAccount(account, "account"));
      AccountSpec accountSpec = decode(where, () -> WireReader.accountSpec(spec));
      boolean created =
          decode(where, () -> store.openAccount(book, account, accountSpec).created());
      if (created) {
        accountsCreated++;
      } else {
        accountsPresent++;
      }
    }
    return new Applied(assetsCreated, assetsPresent, accountsCreated, accountsPresent);
  }

  private static Iterable<JsonNode> array(JsonNode root, String key, Path file) {
    JsonNode node = root.get(key);
    if (node == null) {
      return java.util.List.of();
    }
    if (!node.isArray()) {
      throw new SettingsException(
          file + ": " + key + " must be an array of tables ([[" + key + "]])");
    }
    return node;
  }

  private static String text(JsonNode node, String where, String field) {
    if (node == null || !node.isTextual()) {
      throw new SettingsException(where + " needs " + field + " = \"...\"");
    }
    return node.textValue();
  }

  private static <T> T decode(String where, java.util.function.Supplier<T> step) {
    try {
      return step.get();
    } catch (LedgerException e) {
      String field = e.field("field");
      throw new SettingsException(
          where
              + (field == null ? "" : " field " + field)
              + ": "
              + e.error().detail()
              + " ("
              + e.code().wireName()
              + ")");
    }
  }
}
