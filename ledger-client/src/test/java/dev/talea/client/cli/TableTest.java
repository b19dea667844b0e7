package dev.talea.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class TableTest {

  @Test
  void columnsAreAsWideAsTheirWidestCellAndRightAlignedColumnsPadOnTheLeft() {
    Table table = Table.of("ACCOUNT", "ASSET", "BALANCE>");
    table.row("assets:hot-wallet", "BTC", "1.50000000");
    table.row("income:fees", "USDC", "0.010000");

    assertThat(print(table, true, ""))
        .isEqualTo(
            """
            ACCOUNT            ASSET     BALANCE
            assets:hot-wallet  BTC    1.50000000
            income:fees        USDC     0.010000
            """);
  }

  @Test
  void emptyAndNullCellsLeaveNoTrailingSpaces() {
    Table table = Table.of("ACCOUNT", "DEBIT>", "CREDIT>");
    table.row("a", "1", null);
    table.row("b", "", "22");

    assertThat(print(table, true, ""))
        .isEqualTo(
            """
            ACCOUNT  DEBIT  CREDIT
            a            1
            b                   22
            """);
  }

  @Test
  void withoutAHeaderOnlyTheRowsSetTheWidthsAndEachLineIsIndented() {
    Table table = Table.of("A LONG HEADER", "N>");
    table.row("x", "10");
    table.row("yy", "2");

    assertThat(print(table, false, "  "))
        .isEqualTo(
            """
              x   10
              yy   2
            """);
  }

  @Test
  void aTableWithoutRowsPrintsItsHeader() {
    assertThat(print(Table.of("ACCOUNT", "KIND", "DEBIT>"), true, ""))
        .isEqualTo("ACCOUNT  KIND  DEBIT\n");
  }

  private static String print(Table table, boolean header, String indent) {
    StringWriter text = new StringWriter();
    try (PrintWriter out = new PrintWriter(text)) {
      table.print(out, header, indent);
    }
    return text.toString().replace(System.lineSeparator(), "\n");
  }
}
