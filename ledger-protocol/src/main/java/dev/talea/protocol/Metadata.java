package dev.talea.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Metadata on accounts and transactions: a flat JSON object of string values, at most 16 KiB when
 * serialised as compact JSON in UTF-8. Stored and returned sorted by key, so every store answers
 * with the same order.
 */
public final class Metadata {

  /** The largest serialised size in bytes. */
  public static final int MAX_BYTES = 16 * 1024;

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private Metadata() {}

  /**
   * An unmodifiable, key-sorted copy; {@code null} becomes the empty map.
   *
   * @throws LedgerException {@code invalid_request} naming {@code field} for null keys or values or
   *     a size over 16 KiB
   */
  public static SortedMap<String, String> normalize(Map<String, String> metadata, String field) {
    if (metadata == null || metadata.isEmpty()) {
      return Collections.emptySortedMap();
    }
    TreeMap<String, String> copy = new TreeMap<>();
    for (Map.Entry<String, String> entry : metadata.entrySet()) {
      if (entry.getKey() == null || entry.getValue() == null) {
        throw LedgerError.invalidRequest(field, field + " keys and values must be strings")
            .toException();
      }
      TextRules.requireStorable(entry.getKey(), field);
      TextRules.requireStorable(entry.getValue(), field + "." + entry.getKey());
      copy.put(entry.getKey(), entry.getValue());
    }
    if (serializedSize(copy) > MAX_BYTES) {
      throw LedgerError.invalidRequest(field, field + " exceeds 16 KiB when serialised")
          .toException();
    }
    return Collections.unmodifiableSortedMap(copy);
  }

  /** The size of the compact UTF-8 JSON serialisation in bytes. */
  public static int serializedSize(Map<String, String> metadata) {
    try {
      return MAPPER.writeValueAsString(metadata).getBytes(StandardCharsets.UTF_8).length;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a map of strings always serialises", e);
    }
  }
}
