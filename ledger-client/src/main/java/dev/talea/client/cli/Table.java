package dev.talea.client.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A plain-text table: a header row, then the rows, each column as wide as its widest cell, columns
 * separated by two spaces, right-aligned columns (amounts, numbers) padded on the left. Trailing
 * spaces are trimmed, so the output is the same whatever the terminal.
 */
final class Table {

  /** How a column's cells line up. */
  enum Align {
    LEFT,
    RIGHT
  }

  private final String[] headers;
  private final Align[] aligns;
  private final List<String[]> rows = new ArrayList<>();

  private Table(String[] headers, Align[] aligns) {
    this.headers = headers;
    this.aligns = aligns;
  }

  /**
   * A table with these column headers; a header ending in {@code >} (which is not printed) marks a
   * right-aligned column.
   */
  static Table of(String... headers) {
    String[] names = new String[headers.length];
    Align[] aligns = new Align[headers.length];
    for (int i = 0; i < headers.length; i++) {
      boolean right = headers[i].endsWith(">");
      names[i] = right ? headers[i].substring(0, headers[i].length() - 1) : headers[i];
      aligns[i] = right ? Align.RIGHT : Align.LEFT;
    }
    return new Table(names, aligns);
  }

  /** Adds a row; {@code null} cells print empty. */
  Table row(Object... cells) {
    if (cells.length != headers.length) {
      throw new IllegalArgumentException(
          "a row of " + cells.length + " cells for " + headers.length + " columns");
    }
    String[] texts = new String[cells.length];
    for (int i = 0; i < cells.length; i++) {
      texts[i] = cells[i] == null ? "" : cells[i].toString();
    }
    rows.add(texts);
    return this;
  }

  int size() {
    return rows.size();
  }

  /** Prints the header row and every row. */
  void print(PrintWriter out) {
    print(out, true, "");
  }

  /** Prints the rows, with or without the header, each line starting with {@code indent}. */
  void print(PrintWriter out, boolean withHeader, String indent) {
    int[] widths = new int[headers.length];
    if (withHeader) {
      for (int i = 0; i < headers.length; i++) {
        widths[i] = width(headers[i]);
      }
    }
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], width(row[i]));
      }
    }
    if (withHeader) {
      out.println(indent + line(headers, widths));
    }
    for (String[] row : rows) {
      out.println(indent + line(row, widths));
    }
  }

  private String line(String[] cells, int[] widths) {
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < cells.length; i++) {
      if (i > 0) {
        line.append("  ");
      }
      char[] pad = new char[widths[i] - width(cells[i])];
      Arrays.fill(pad, ' ');
      if (aligns[i] == Align.RIGHT) {
        line.append(pad).append(cells[i]);
      } else {
        line.append(cells[i]).append(pad);
      }
    }
    return line.toString().stripTrailing();
  }

  private static int width(String text) {
    return text.codePointCount(0, text.length());
  }
}
