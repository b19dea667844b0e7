package dev.talea.http;

import dev.talea.actors.LedgerMetrics;

/**
 * Everything talead reports: the write path ({@link LedgerMetrics}) and the HTTP layer. {@link
 * #none()} when {@code TALEA_METRICS_BIND} is unset; {@link KamonMetrics} otherwise.
 */
interface ServerMetrics extends LedgerMetrics, AutoCloseable {

  /** A request was answered. */
  default void requestCompleted(String method, String route, int status, long nanos) {}

  /** A request was refused at the admission limit. */
  default void shed() {}

  /** A live-tail subscriber connected or went away. */
  default void subscribers(int delta) {}

  /** This talead is a cluster node: report its members, unreachable members, shards and books. */
  default void cluster(ClusterNode node) {}

  @Override
  default void close() {}

  static ServerMetrics none() {
    return new ServerMetrics() {};
  }
}
