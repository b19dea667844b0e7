package dev.talea.http;

import dev.talea.protocol.ErrorCode;
import dev.talea.protocol.LedgerError;
import dev.talea.protocol.LedgerException;
import dev.talea.protocol.json.Json;
import dev.talea.protocol.json.WireWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Errors as RFC 9457 problem documents: {@code application/problem+json} with the contract's {@code
 * error} code, its fields, and the headers the contract asks for ({@code Retry-After} on 429 and
 * 503, {@code WWW-Authenticate} on 401). A failure that is not a contract error is a bug: it is
 * logged with its stack trace and answered {@code 500 internal} without one.
 */
final class Problems {

  private static final Logger LOG = LoggerFactory.getLogger(Problems.class);

  static final ContentType PROBLEM_JSON =
      MediaTypes.applicationWithFixedCharset("problem+json", HttpCharsets.UTF_8).toContentType();

  private Problems() {}

  static HttpResponse of(LedgerError error, HttpHeader... extra) {
    List<HttpHeader> headers = new ArrayList<>(List.of(extra));
    ErrorCode code = error.code();
    if (code.httpStatus() == 429 || code.httpStatus() == 503) {
      headers.add(RawHeader.create("Retry-After", "1"));
    }
    if (code == ErrorCode.UNAUTHORIZED) {
      headers.add(RawHeader.create("WWW-Authenticate", "Bearer"));
    }
    return HttpResponse.create()
        .withStatus(StatusCodes.get(code.httpStatus()))
        .withHeaders(headers)
        .withEntity(PROBLEM_JSON, Json.toBytes(WireWriter.problem(error)));
  }

  /** The response for a failure of a route's asynchronous work. */
  static HttpResponse of(Throwable failure) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof LedgerException ledger) {
      if (ledger.code() == ErrorCode.INTERNAL) {
        LOG.error("internal error", ledger.getCause() != null ? ledger.getCause() : ledger);
      }
      return of(ledger.error());
    }
    LOG.error("unexpected failure while serving a request", cause);
    return of(LedgerError.of(ErrorCode.INTERNAL, "internal error"));
  }
}
