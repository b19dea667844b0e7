package dev.talea.http;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The route template of a request path, for metrics labels: {@code /v1/books/{book}/transactions}
 * rather than the raw path, so a label's values are bounded by the API, not by the names in it.
 * Paths that are no route of the API are all {@code unmatched}.
 */
final class RouteTemplate {

  static final String UNMATCHED = "unmatched";

  /** The methods of every route, as {@code docs/openapi.yaml} documents them. */
  private static final Map<String, Set<String>> METHODS =
      Map.ofEntries(
          Map.entry("/health", Set.of("GET")),
          Map.entry("/v1/openapi.yaml", Set.of("GET")),
          Map.entry("/v1/cluster", Set.of("GET")),
          Map.entry("/v1/assets", Set.of("GET", "POST")),
          Map.entry("/v1/assets/{code}", Set.of("GET")),
          Map.entry("/v1/books", Set.of("GET")),
          Map.entry("/v1/books/{book}/accounts", Set.of("GET")),
          Map.entry("/v1/books/{book}/accounts/{account}", Set.of("GET", "PUT")),
          Map.entry("/v1/books/{book}/accounts/{account}/postings", Set.of("GET")),
          Map.entry("/v1/books/{book}/accounts/{account}/balances", Set.of("GET")),
          Map.entry("/v1/books/{book}/transactions", Set.of("GET", "POST")),
          Map.entry("/v1/books/{book}/transactions/batch", Set.of("POST")),
          Map.entry("/v1/transactions/{tx_id}", Set.of("GET")),
          Map.entry("/v1/books/{book}/trial-balance", Set.of("GET")),
          Map.entry("/v1/books/{book}/verify", Set.of("GET")),
          Map.entry("/v1/books/{book}/events", Set.of("GET")));

  private RouteTemplate() {}

  /** The methods a route template documents; empty for {@link #UNMATCHED}. */
  static Set<String> methods(String template) {
    return METHODS.getOrDefault(template, Set.of());
  }

  /**
   * The {@code Allow} header's value for a resource with these documented methods: them, {@code
   * HEAD} wherever there is {@code GET}, and {@code OPTIONS}, in alphabetical order.
   */
  static String allow(Set<String> methods) {
    Set<String> allowed = new TreeSet<>(methods);
    if (allowed.contains("GET")) {
      allowed.add("HEAD");
    }
    allowed.add("OPTIONS");
    return String.join(", ", allowed);
  }

  /** Every method some route has, for {@code OPTIONS *}. */
  static Set<String> allMethods() {
    Set<String> all = new TreeSet<>();
    METHODS.values().forEach(all::addAll);
    return all;
  }

  static String of(String path) {
    String[] s = path.startsWith("/") ? path.substring(1).split("/", -1) : path.split("/", -1);
    if (s.length == 1 && s[0].equals("health")) {
      return "/health";
    }
    if (s.length < 2 || !s[0].equals("v1")) {
      return UNMATCHED;
    }
    switch (s[1]) {
      case "assets":
        return s.length == 2 ? "/v1/assets" : s.length == 3 ? "/v1/assets/{code}" : UNMATCHED;
      case "transactions":
        return s.length == 3 ? "/v1/transactions/{tx_id}" : UNMATCHED;
      case "openapi.yaml":
        return s.length == 2 ? "/v1/openapi.yaml" : UNMATCHED;
      case "cluster":
        return s.length == 2 ? "/v1/cluster" : UNMATCHED;
      case "books":
        return books(s);
      default:
        return UNMATCHED;
    }
  }

  private static String books(String[] s) {
    if (s.length == 2) {
      return "/v1/books";
    }
    if (s.length == 4) {
      switch (s[3]) {
        case "accounts":
          return "/v1/books/{book}/accounts";
        case "transactions":
          return "/v1/books/{book}/transactions";
        case "trial-balance":
          return "/v1/books/{book}/trial-balance";
        case "verify":
          return "/v1/books/{book}/verify";
        case "events":
          return "/v1/books/{book}/events";
        default:
          return UNMATCHED;
      }
    }
    if (s.length == 5 && s[3].equals("accounts")) {
      return "/v1/books/{book}/accounts/{account}";
    }
    if (s.length == 5 && s[3].equals("transactions") && s[4].equals("batch")) {
      return "/v1/books/{book}/transactions/batch";
    }
    if (s.length == 6 && s[3].equals("accounts")) {
      switch (s[5]) {
        case "postings":
          return "/v1/books/{book}/accounts/{account}/postings";
        case "balances":
          return "/v1/books/{book}/accounts/{account}/balances";
        default:
          return UNMATCHED;
      }
    }
    return UNMATCHED;
  }
}
