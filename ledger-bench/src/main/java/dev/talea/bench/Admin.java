package dev.talea.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;

/**
 * The few calls a benchmark makes outside its measured load: registering the asset, opening
 * accounts, reading the books' heads, and verifying them afterwards. Plain {@code java.net.http};
 * any answer other than the expected one stops the benchmark with what the server said.
 */
final class Admin {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final String token;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  Admin(URI base, String token) {
    this.base = base;
    this.token = token;
  }

  /** Registers an asset (201, or 200 if it exists identically). */
  void registerAsset(String code, int decimals) {
    String body = "{\"code\":\"" + code + "\",\"decimals\":" + decimals + "}";
    expect(send("POST", "/v1/assets", body, Duration.ofSeconds(30)), 200, 201);
  }

  /** Opens accounts (201, or 200 if they exist identically), {@code parallel} at a time. */
  void openAccounts(String book, List<String> accounts, String kind, int parallel) {
    Semaphore slots = new Semaphore(parallel);
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (String account : accounts) {
      slots.acquireUninterruptibly();
      HttpRequest request =
          request("/v1/books/" + book + "/accounts/" + account, Duration.ofSeconds(30))
              .header("Content-Type", "application/json")
              .PUT(HttpRequest.BodyPublishers.ofString("{\"kind\":\"" + kind + "\"}"))
              .build();
      calls.add(
          http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
              .whenComplete((response, failure) -> slots.release()));
    }
    for (CompletableFuture<HttpResponse<String>> call : calls) {
      expect(call.join(), 200, 201);
    }
  }

  /** Each readable book's last seq. */
  Map<String, Long> heads() {
    JsonNode books = expect(send("GET", "/v1/books", null, Duration.ofSeconds(30)), 200);
    Map<String, Long> heads = new LinkedHashMap<>();
    for (JsonNode book : books.get("books")) {
      heads.put(book.get("book").asText(), book.get("last_seq").asLong());
    }
    return heads;
  }

  /** The server's verification of a book: the answer as it came. */
  JsonNode verify(String book, Duration timeout) {
    return expect(send("GET", "/v1/books/" + book + "/verify", null, timeout), 200);
  }

  private HttpResponse<String> send(String method, String path, String body, Duration timeout) {
    HttpRequest.Builder request = request(path, timeout);
    if (body == null) {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      request
          .header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(body));
    }
    try {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new BenchException(method + " " + path + " failed: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BenchException("interrupted during " + method + " " + path);
    }
  }

  private HttpRequest.Builder request(String path, Duration timeout) {
    return HttpRequest.newBuilder(base.resolve(path))
        .timeout(timeout)
        .header("Authorization", "Bearer " + token)
        .header("Accept", "application/json");
  }

  private static JsonNode expect(HttpResponse<String> response, int... statuses) {
    for (int status : statuses) {
      if (response.statusCode() == status) {
        try {
          return JSON.readTree(response.body());
        } catch (IOException e) {
          throw new BenchException(
              response.request().uri() + " answered unreadable JSON: " + response.body());
        }
      }
    }
    throw new BenchException(
        response.request().method()
            + " "
            + response.request().uri().getPath()
            + " answered "
            + response.statusCode()
            + ": "
            + response.body());
  }
}
