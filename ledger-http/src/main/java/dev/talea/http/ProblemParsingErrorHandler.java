package dev.talea.http;

import dev.talea.protocol.ErrorCode;
import dev.talea.protocol.LedgerError;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * Answers requests that Pekko HTTP rejects before they reach the routes (a declared body over the
 * limit, a malformed request line or header) with talea's problem documents instead of plain text.
 * Configured by {@code pekko.http.server.parsing.error-handler}.
 */
public final class ProblemParsingErrorHandler extends ParsingErrorHandler {

  @Override
  public org.apache.pekko.http.scaladsl.model.HttpResponse handle(
      StatusCode status, ErrorInfo error, LoggingAdapter log, ServerSettings settings) {
    LedgerError problem =
        status.intValue() == 413
            ? LedgerError.of(ErrorCode.PAYLOAD_TOO_LARGE, "the request body exceeds 1 MiB")
            : LedgerError.invalidRequest("request", "malformed HTTP request: " + safe(error));
    return (org.apache.pekko.http.scaladsl.model.HttpResponse)
        Problems.of(problem)
            .addHeader(ServerIdentity.backendHeader())
            .addHeaders(HttpText.securityHeaders());
  }

  /**
   * What was wrong, without what the client sent: a parser's summary can quote a header's value
   * ({@code Illegal 'authorization' header: ...}), which may be a secret. Only the part before the
   * first colon is kept.
   */
  static String safe(ErrorInfo error) {
    String summary = error.summary();
    int colon = summary.indexOf(':');
    return colon < 0 ? summary : summary.substring(0, colon);
  }
}
