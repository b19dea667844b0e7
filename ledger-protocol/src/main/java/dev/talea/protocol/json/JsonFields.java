package dev.talea.protocol.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.talea.protocol.DecimalAmount;
import dev.talea.protocol.ErrorCode;
import dev.talea.protocol.LedgerError;
import dev.talea.protocol.LedgerException;
import dev.talea.protocol.Timestamps;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads one JSON object field by field, naming each field by its path ({@code postings[1].debit}).
 *
 * <p>In request mode every problem is the contract's {@code invalid_request} (or {@code
 * invalid_amount} for amounts) naming the field, and unknown fields are rejected. In response mode
 * unknown fields are ignored (a newer server may add some) and problems are {@link
 * WireFormatException}s.
 */
final class JsonFields {

  private final ObjectNode node;
  private final String path;
  private final boolean request;

  private JsonFields(ObjectNode node, String path, boolean request) {
    this.node = node;
    this.path = path;
    this.request = request;
  }

  static JsonFields request(JsonNode node, String path, Set<String> allowed) {
    JsonFields fields = new JsonFields(requireObject(node, path, true), path, true);
    for (Map.Entry<String, JsonNode> property : fields.node.properties()) {
      String name = property.getKey();
      if (!allowed.contains(name)) {
        throw LedgerError.invalidRequest(
                fields.pathOf(name), "unknown field " + fields.pathOf(name))
            .toException();
      }
    }
    return fields;
  }

  static JsonFields response(JsonNode node, String path) {
    return new JsonFields(requireObject(node, path, false), path, false);
  }

  private static ObjectNode requireObject(JsonNode node, String path, boolean request) {
    if (node instanceof ObjectNode object) {
      return object;
    }
    String name = path.isEmpty() ? "body" : path;
    throw problem(request, ErrorCode.INVALID_REQUEST, name, name + " must be a JSON object");
  }

  String pathOf(String name) {
    return path.isEmpty() ? name : path + "." + name;
  }

  boolean has(String name) {
    JsonNode value = node.get(name);
    return value != null && !value.isNull();
  }

  JsonNode raw(String name) {
    return node.get(name);
  }

  String requiredString(String name) {
    String value = optionalString(name);
    if (value == null) {
      throw invalid(name, pathOf(name) + " is required");
    }
    return value;
  }

  String optionalString(String name) {
    JsonNode value = node.get(name);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isTextual()) {
      throw invalid(name, pathOf(name) + " must be a string");
    }
    return value.textValue();
  }

  long requiredLong(String name) {
    JsonNode value = node.get(name);
    if (value == null || value.isNull()) {
      throw invalid(name, pathOf(name) + " is required");
    }
    if (!value.isIntegralNumber() || !value.canConvertToLong()) {
      throw invalid(name, pathOf(name) + " must be an integer");
    }
    return value.longValue();
  }

  Long optionalLong(String name) {
    return has(name) ? requiredLong(name) : null;
  }

  int requiredInt(String name, int min, int max) {
    JsonNode value = node.get(name);
    if (value == null || value.isNull()) {
      throw invalid(name, pathOf(name) + " is required");
    }
    if (!value.isIntegralNumber()
        || !value.canConvertToInt()
        || value.intValue() < min
        || value.intValue() > max) {
      throw invalid(name, pathOf(name) + " must be an integer " + min + "-" + max);
    }
    return value.intValue();
  }

  boolean requiredBoolean(String name) {
    JsonNode value = node.get(name);
    if (value == null || !value.isBoolean()) {
      throw invalid(name, pathOf(name) + " must be true or false");
    }
    return value.booleanValue();
  }

  Instant optionalTimestamp(String name) {
    String text = optionalString(name);
    if (text == null) {
      return null;
    }
    return Timestamps.parse(text, pathOf(name));
  }

  Instant requiredTimestamp(String name) {
    Instant value = optionalTimestamp(name);
    if (value == null) {
      throw invalid(name, pathOf(name) + " is required");
    }
    return value;
  }

  /** A non-negative amount string in request grammar; a JSON number is {@code invalid_amount}. */
  DecimalAmount positiveAmount(String name) {
    JsonNode value = node.get(name);
    if (value == null || value.isNull() || !value.isTextual()) {
      throw problem(
          request,
          ErrorCode.INVALID_AMOUNT,
          pathOf(name),
          pathOf(name) + " must be a decimal string such as \"0.5\"");
    }
    return DecimalAmount.parsePositive(value.textValue(), pathOf(name));
  }

  /** A signed amount string, or {@code null} when absent or JSON null. */
  DecimalAmount optionalSignedAmount(String name) {
    JsonNode value = node.get(name);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isTextual()) {
      throw problem(
          request,
          ErrorCode.INVALID_AMOUNT,
          pathOf(name),
          pathOf(name) + " must be a decimal string such as \"-500\"");
    }
    return DecimalAmount.parseSigned(value.textValue(), pathOf(name));
  }

  /** A flat object of string values; {@code null} when absent. */
  Map<String, String> optionalStringMap(String name) {
    JsonNode value = node.get(name);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isObject()) {
      throw invalid(name, pathOf(name) + " must be an object of strings");
    }
    Map<String, String> map = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> entry : value.properties()) {
      if (!entry.getValue().isTextual()) {
        String field = pathOf(name) + "." + entry.getKey();
        throw problem(request, ErrorCode.INVALID_REQUEST, field, field + " must be a string");
      }
      map.put(entry.getKey(), entry.getValue().textValue());
    }
    return map;
  }

  /** The elements of an array field, between {@code min} and {@code max} of them. */
  List<JsonNode> requiredArray(String name, int min, int max) {
    JsonNode value = node.get(name);
    if (value == null || !value.isArray()) {
      throw invalid(name, pathOf(name) + " must be an array");
    }
    if (value.size() < min || value.size() > max) {
      throw invalid(name, pathOf(name) + " must have " + min + " to " + max + " elements");
    }
    List<JsonNode> elements = new ArrayList<>(value.size());
    value.forEach(elements::add);
    return elements;
  }

  RuntimeException invalid(String name, String detail) {
    return problem(request, ErrorCode.INVALID_REQUEST, pathOf(name), detail);
  }

  private static RuntimeException problem(
      boolean request, ErrorCode code, String field, String detail) {
    if (request) {
      return new LedgerException(new LedgerError(code, detail, Map.of("field", field)));
    }
    return new WireFormatException(detail);
  }
}
