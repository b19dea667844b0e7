package dev.talea.store.jdbc;

import java.sql.Connection;
import java.sql.SQLException;

/** Work done with a connection; may throw {@link SQLException}. */
@FunctionalInterface
interface SqlWork<T> {
  T apply(Connection connection) throws SQLException;
}
