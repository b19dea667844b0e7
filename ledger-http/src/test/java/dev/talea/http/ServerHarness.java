package dev.talea.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.talea.protocol.json.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A talead running in this JVM on a random port, for route and end-to-end tests, with a small HTTP
 * client around it. Settings are given as TALEA_* variables, exactly as the server reads them.
 */
final class ServerHarness implements AutoCloseable {

  /** The all-books read-write token every harness accepts. */
  static final String ADMIN_TOKEN = "admin-token-0123456789abcdef";

  private final TaleaServer server;
  private final StoreGate gate;
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final URI base;

  private ServerHarness(TaleaServer server, StoreGate gate) {
    this.server = server;
    this.gate = gate;
    this.base = URI.create("http://127.0.0.1:" + server.address().getPort());
  }

  /**
   * Starts a server on {@code dbUrl} with {@link #ADMIN_TOKEN} and any further variables (which
   * override the defaults here).
   */
  static ServerHarness start(String dbUrl, Map<String, String> variables) {
    Map<String, String> env = new HashMap<>();
    env.put("TALEA_DB_URL", dbUrl);
    env.put("TALEA_BIND", "127.0.0.1:0");
    env.put("TALEA_API_TOKEN", ADMIN_TOKEN);
    env.putAll(variables);
    StoreGate gate = new StoreGate();
    return new ServerHarness(TaleaServer.start(ServerSettings.load(env), gate::around), gate);
  }

  static ServerHarness start(String dbUrl) {
    return start(dbUrl, Map.of());
  }

  URI uri(String pathAndQuery) {
    return base.resolve(pathAndQuery);
  }

  TaleaServer server() {
    return server;
  }

  /** The gate around the server's store: hold it to keep posts in flight. */
  StoreGate gate() {
    return gate;
  }

  /** A response with its body as text and, if it is JSON, parsed. */
  record Reply(int status, HttpResponse<String> raw) {
    String body() {
      return raw.body();
    }

    JsonNode json() {
      return Json.parseResponse(raw.body().getBytes(StandardCharsets.UTF_8));
    }

    String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }

    /** The {@code error} code of a problem document. */
    String error() {
      return json().path("error").asText(null);
    }
  }

  Reply send(String method, String path, String token, String contentType, String body) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri(path))
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    try {
      HttpResponse<String> response =
          client.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return new Reply(response.statusCode(), response);
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + path + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  Reply get(String path, String token) {
    return send("GET", path, token, null, null);
  }

  Reply get(String path) {
    return get(path, ADMIN_TOKEN);
  }

  Reply post(String path, String token, String json) {
    return send("POST", path, token, "application/json", json);
  }

  Reply post(String path, String json) {
    return post(path, ADMIN_TOKEN, json);
  }

  Reply put(String path, String token, String json) {
    return send("PUT", path, token, "application/json", json);
  }

  Reply put(String path, String json) {
    return put(path, ADMIN_TOKEN, json);
  }

  HttpClient client() {
    return client;
  }

  @Override
  public void close() {
    try {
      server.shutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("talead did not shut down", e);
    }
  }
}
