package dev.talea.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class StoreUrlTest {

  @Test
  void libpqFormBecomesAJdbcUrlWithCredentialsKeptApart() {
    assertThat(StoreUrl.parse("postgres://talea:s3cret@db.internal:6432/ledger?sslmode=require"))
        .isEqualTo(
            new StoreUrl.Postgres(
                "jdbc:postgresql://db.internal:6432/ledger?sslmode=require", "talea", "s3cret"));
  }

  @Test
  void postgresqlSchemeWithoutPortOrPasswordIsAccepted() {
    assertThat(StoreUrl.parse("postgresql://talea@localhost/talea"))
        .isEqualTo(new StoreUrl.Postgres("jdbc:postgresql://localhost/talea", "talea", null));
  }

  @Test
  void percentEncodedCredentialsAreDecoded() {
    assertThat(StoreUrl.parse("postgres://us%40er:p%3Aw%2Fd+x@h:5432/db"))
        .isEqualTo(new StoreUrl.Postgres("jdbc:postgresql://h:5432/db", "us@er", "p:w/d+x"));
  }

  @Test
  void jdbcFormIsPassedThrough() {
    assertThat(StoreUrl.parse("jdbc:postgresql://h:5432/db?user=a&password=b"))
        .isEqualTo(
            new StoreUrl.Postgres("jdbc:postgresql://h:5432/db?user=a&password=b", null, null));
  }

  @Test
  void embeddedFormsNameTheirPaths() {
    assertThat(StoreUrl.parse("sqlite:./talea.db"))
        .isEqualTo(new StoreUrl.Sqlite(Path.of("./talea.db")));
    assertThat(StoreUrl.parse("log:/var/lib/talea"))
        .isEqualTo(new StoreUrl.Log(Path.of("/var/lib/talea")));
  }

  @Test
  void noFormShowsAPassword() {
    assertThat(StoreUrl.parse("postgres://talea:s3cret@h:5432/db").toString())
        .doesNotContain("s3cret")
        .isEqualTo("jdbc:postgresql://h:5432/db (user talea)");
    assertThat(StoreUrl.parse("jdbc:postgresql://h/db?user=a&password=s3cret&ssl=true").toString())
        .doesNotContain("s3cret")
        .isEqualTo("jdbc:postgresql://h/db?user=a&password=***&ssl=true");
  }

  @Test
  void malformedUrlsAreRejectedWithoutEchoingTheirPassword() {
    assertThatThrownBy(() -> StoreUrl.parse("mysql://root:s3cret@h/db"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("postgres://user:pass@host:port/db")
        .hasMessageNotContaining("s3cret");
    assertThatThrownBy(() -> StoreUrl.parse("postgres://talea:s3cret@h:5432"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("names no database")
        .hasMessageNotContaining("s3cret");
    assertThatThrownBy(() -> StoreUrl.parse("sqlite:"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs a path");
    assertThatThrownBy(() -> StoreUrl.parse(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the store URL is empty");
  }

  @Test
  void everyFormOfCredentialsIsRedactedCompletely() {
    assertThat(StoreUrl.redact("postgres://u:s3c/ret@host/db")).isEqualTo("postgres://***@host/db");
    assertThat(StoreUrl.redact("postgres://u:p@ss:w0rd@host:5432/db"))
        .isEqualTo("postgres://***@host:5432/db");
    assertThat(StoreUrl.redact("postgresql://only-a-user@host/db"))
        .isEqualTo("postgresql://***@host/db");
    assertThat(StoreUrl.redact("jdbc:postgresql://u:s3cret@h/db?ssl=true"))
        .isEqualTo("jdbc:postgresql://***@h/db?ssl=true");
    assertThat(StoreUrl.redact("jdbc:postgresql://h/db?user=a&PASSWORD=s3cret&ssl=true"))
        .isEqualTo("jdbc:postgresql://h/db?user=a&PASSWORD=***&ssl=true");
    assertThat(StoreUrl.redact("postgres://u:x@h/db?password=s3cret"))
        .isEqualTo("postgres://***@h/db?password=***");
    assertThat(StoreUrl.redact("sqlite:./with@sign.db")).isEqualTo("sqlite:./with@sign.db");

    // However the URL fails to parse, its message shows no part of the password.
    for (String url :
        new String[] {
          "postgres://u:s3c/ret@host",
          "postgres://u:s3c/ret@host/db",
          "postgres://u:s3c@ret@h",
          "mysql://u:s3c/ret@h/db",
          "postgres://u:s3c%ret@h/db"
        }) {
      Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> StoreUrl.parse(url));
      String shown = thrown == null ? StoreUrl.parse(url).toString() : thrown.getMessage();
      assertThat(shown).as(url).doesNotContain("s3c").doesNotContain("ret@");
    }
  }
}
