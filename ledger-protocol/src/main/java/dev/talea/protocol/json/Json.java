package dev.talea.protocol.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.talea.protocol.LedgerError;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The one Jackson configuration of talea's wire format: strict parsing (duplicate keys and trailing
 * content rejected, numbers kept exact) and compact output.
 */
public final class Json {

  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
          .build();

  private Json() {}

  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /**
   * Parses a request body.
   *
   * @throws dev.talea.protocol.LedgerException {@code invalid_request} on field {@code body} if it
   *     is not a single well-formed JSON value
   */
  public static JsonNode parseRequest(byte[] body) {
    try {
      JsonNode node = MAPPER.readTree(body);
      if (node == null || node.isMissingNode()) {
        throw LedgerError.invalidRequest("body", "the request body is empty").toException();
      }
      return node;
    } catch (IOException e) {
      throw LedgerError.invalidRequest("body", "the request body is not well-formed JSON")
          .toException();
    } catch (NumberFormatException e) {
      // Jackson refuses some numbers (an exponent of thirty digits) outside its IOExceptions.
      throw LedgerError.invalidRequest(
              "body", "the request body holds a number that cannot be read")
          .toException();
    }
  }

  /**
   * Parses a response body.
   *
   * @throws WireFormatException if it is not a single well-formed JSON value
   */
  public static JsonNode parseResponse(byte[] body) {
    try {
      JsonNode node = MAPPER.readTree(body);
      if (node == null || node.isMissingNode()) {
        throw new WireFormatException("the response body is empty");
      }
      return node;
    } catch (IOException | NumberFormatException e) {
      throw new WireFormatException("the response body is not well-formed JSON", e);
    }
  }

  public static byte[] toBytes(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static String toString(JsonNode node) {
    return new String(toBytes(node), StandardCharsets.UTF_8);
  }
}
