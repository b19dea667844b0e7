package dev.talea.client.cli;

import dev.talea.client.TaleaClient;
import dev.talea.protocol.AccountPosting;
import dev.talea.protocol.Paging;
import dev.talea.protocol.PostingPage;
import dev.talea.protocol.Side;
import dev.talea.protocol.json.WireWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code talea statement}: an account's postings with the running balance after each. */
@Command(
    name = "statement",
    mixinStandardHelpOptions = true,
    description = {
      "Show an account's postings with the running balance after each.",
      "",
      "The postings come in seq order, each with the account's balance in that asset right"
          + " after it (on the normal side).",
      "",
      "Follows the server's pages until --limit rows are shown or the postings end; if more"
          + " remain, the last line gives the --after-seq to continue from. With --json, the rows"
          + " shown come as one document shaped like one page of the API, whose next_after_seq"
          + " is that cursor (null at the end)."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  talea statement --book demo --account liabilities:customers:alice",
      "  talea statement --book demo --account assets:hot-wallet --asset BTC \\",
      "      --after-seq 2000 --limit 500",
      "",
      "Columns: SEQ, COMMITTED_AT, TX_ID, ASSET, DEBIT, CREDIT, BALANCE_AFTER; a page never"
          + " splits a transaction, so a few more rows than --limit may show."
    })
final class StatementCommand extends ApiCommand {

  @Option(names = "--book", required = true, paramLabel = "BOOK", description = "The book.")
  String book;

  @Option(
      names = "--account",
      required = true,
      paramLabel = "ACCOUNT",
      description = "The account.")
  String account;

  @Option(names = "--asset", paramLabel = "CODE", description = "Only postings in this asset.")
  String asset;

  @Option(
      names = "--after-seq",
      paramLabel = "SEQ",
      defaultValue = "0",
      description = "Start after this seq (default: ${DEFAULT-VALUE}, the beginning).")
  long afterSeq;

  @Option(
      names = "--limit",
      paramLabel = "N",
      defaultValue = "" + Paging.DEFAULT_LIMIT,
      description = "Show at most N postings in all (default: ${DEFAULT-VALUE}).")
  int limit;

  @Option(
      names = "--page-size",
      paramLabel = "N",
      defaultValue = "" + Paging.MAX_LIMIT,
      description = "Fetch at most N postings per request, 1-1000 (default: ${DEFAULT-VALUE}).")
  int pageSize;

  @Override
  void validate() {
    if (limit < 1) {
      throw usage("--limit must be at least 1, got " + limit);
    }
    if (pageSize < 1 || pageSize > Paging.MAX_LIMIT) {
      throw usage("--page-size must be 1-" + Paging.MAX_LIMIT + ", got " + pageSize);
    }
  }

  @Override
  int run(TaleaClient client) {
    List<AccountPosting> rows = new ArrayList<>();
    Long next = afterSeq;
    while (next != null && rows.size() < limit) {
      int want = Math.min(pageSize, limit - rows.size());
      PostingPage page = client.listPostings(book, account, asset, next, want);
      rows.addAll(page.postings());
      next = page.postings().isEmpty() ? null : page.nextAfterSeq();
    }
    if (json()) {
      printJson(WireWriter.postingPage(new PostingPage(rows, next)));
      return 0;
    }
    out()
        .println(
            "statement of "
                + account
                + " in book "
                + book
                + (asset == null ? "" : ", asset " + asset));
    Table table =
        Table.of("SEQ>", "COMMITTED_AT", "TX_ID", "ASSET", "DEBIT>", "CREDIT>", "BALANCE_AFTER>");
    for (AccountPosting posting : rows) {
      table.row(
          posting.seq(),
          Render.time(posting.committedAt()),
          posting.txId(),
          posting.asset(),
          Render.onSide(Side.DEBIT, posting.side(), posting.amount()),
          Render.onSide(Side.CREDIT, posting.side(), posting.amount()),
          posting.balanceAfter());
    }
    table.print(out());
    if (next != null) {
      out().println("more postings: --after-seq " + next);
    }
    return 0;
  }
}
