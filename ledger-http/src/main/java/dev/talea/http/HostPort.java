package dev.talea.http;

/** A listener address, {@code host:port} ({@code [::1]:8080} for IPv6); port 0 picks a free one. */
record HostPort(String host, int port) {

  static HostPort parse(String text, String variable) {
    String value = text.trim();
    int colon = value.lastIndexOf(':');
    if (colon <= 0 || colon == value.length() - 1) {
      throw new SettingsException(
          variable
              + " must be host:port, such as 127.0.0.1:8080 or [::1]:8080 (got '"
              + text
              + "')");
    }
    String host = value.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(value.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new SettingsException(
          variable + " has a port that is not a number (got '" + text + "')");
    }
    if (port < 0 || port > 65535) {
      throw new SettingsException(variable + " has a port outside 0-65535 (got '" + text + "')");
    }
    return new HostPort(host, port);
  }

  static HostPort of(java.net.InetSocketAddress address) {
    return new HostPort(address.getAddress().getHostAddress(), address.getPort());
  }

  @Override
  public String toString() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
