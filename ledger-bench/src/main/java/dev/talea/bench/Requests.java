package dev.talea.bench;

import java.nio.charset.StandardCharsets;

/** Raw HTTP/1.1 requests and transfer drafts, written straight to bytes. */
final class Requests {

  /** The asset every scenario moves: six decimals, like USDC. */
  static final String ASSET = "USDC";

  static final int DECIMALS = 6;

  private final String head;

  /**
   * @param hostPort the {@code Host} header
   * @param token the bearer token
   */
  Requests(String hostPort, String token) {
    this.head = " HTTP/1.1\r\nHost: " + hostPort + "\r\nAuthorization: Bearer " + token + "\r\n";
  }

  byte[] get(String path, String accept) {
    return get(path, accept, "");
  }

  /** A live-tail request resuming after {@code lastEventId}. */
  byte[] resume(String path, long lastEventId) {
    return get(path, "text/event-stream", "Last-Event-ID: " + lastEventId + "\r\n");
  }

  private byte[] get(String path, String accept, String moreHeaders) {
    return ("GET " + path + head + "Accept: " + accept + "\r\n" + moreHeaders + "\r\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  byte[] post(String path, String json) {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    byte[] start =
        ("POST "
                + path
                + head
                + "Content-Type: application/json\r\nContent-Length: "
                + body.length
                + "\r\n\r\n")
            .getBytes(StandardCharsets.UTF_8);
    byte[] request = new byte[start.length + body.length];
    System.arraycopy(start, 0, request, 0, start.length);
    System.arraycopy(body, 0, request, start.length, body.length);
    return request;
  }

  /** The name of customer account {@code i}: {@code liabilities:customers:c000042}. */
  static String customer(int i) {
    String digits = Integer.toString(i);
    return "liabilities:customers:c" + "000000".substring(Math.min(6, digits.length())) + digits;
  }

  /** A two-posting transfer of {@code minorUnits} from one customer to another, as draft JSON. */
  static void transfer(StringBuilder json, String key, String from, String to, long minorUnits) {
    String amount = amount(minorUnits);
    json.append("{\"idempotency_key\":\"")
        .append(key)
        .append("\",\"postings\":[{\"account\":\"")
        .append(from)
        .append("\",\"asset\":\"" + ASSET + "\",\"debit\":\"")
        .append(amount)
        .append("\"},{\"account\":\"")
        .append(to)
        .append("\",\"asset\":\"" + ASSET + "\",\"credit\":\"")
        .append(amount)
        .append("\"}]}");
  }

  /** Minor units as a decimal string with {@link #DECIMALS} places: 1234 → "0.001234". */
  static String amount(long minorUnits) {
    String digits = Long.toString(minorUnits);
    if (digits.length() <= DECIMALS) {
      return "0." + "0".repeat(DECIMALS - digits.length()) + digits;
    }
    int point = digits.length() - DECIMALS;
    return digits.substring(0, point) + "." + digits.substring(point);
  }

  private Requests() {
    this.head = "";
  }
}
