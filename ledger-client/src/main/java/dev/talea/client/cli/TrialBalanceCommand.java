package dev.talea.client.cli;

import dev.talea.client.TaleaClient;
import dev.talea.protocol.TrialBalance;
import dev.talea.protocol.json.WireWriter;
import java.time.Instant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code talea trial-balance}: every non-zero balance of a book in debit and credit columns. */
@Command(
    name = "trial-balance",
    mixinStandardHelpOptions = true,
    description = {
      "Show a book's trial balance: its non-zero balances and the totals per asset.",
      "",
      "Each account's raw balance (debits minus credits) per asset is shown in the DEBIT or the"
          + " CREDIT column (zero balances are left out), then one TOTAL row per asset. Double"
          + " entry keeps the totals equal; the last line says `balanced`, or `NOT BALANCED` if"
          + " they ever differ.",
      "",
      "With --as-of, the state after every commit made at or before that moment."
    },
    footerHeading = "%nExample:%n",
    footer = {
      "  $ talea trial-balance --book demo",
      "  trial balance of book demo at seq 1",
      "  ACCOUNT                      KIND       ASSET       DEBIT      CREDIT",
      "  assets:hot-wallet            asset      BTC    1.50000000",
      "  liabilities:customers:alice  liability  BTC                1.50000000",
      "  TOTAL                                   BTC    1.50000000  1.50000000",
      "  balanced"
    })
final class TrialBalanceCommand extends ApiCommand {

  @Option(names = "--book", required = true, paramLabel = "BOOK", description = "The book.")
  String book;

  @Option(
      names = "--as-of",
      paramLabel = "TIMESTAMP",
      converter = Converters.Timestamp.class,
      description = "As of this moment of commit time, RFC 3339 (default: now).")
  Instant asOf;

  @Override
  int run(TaleaClient client) {
    TrialBalance trial = client.trialBalance(book, asOf);
    if (json()) {
      printJson(WireWriter.trialBalance(trial));
      return 0;
    }
    out()
        .println(
            "trial balance of book "
                + trial.book()
                + " at seq "
                + trial.seq()
                + (trial.asOf() == null ? "" : ", as of " + Render.time(trial.asOf())));
    Table table = Table.of("ACCOUNT", "KIND", "ASSET", "DEBIT>", "CREDIT>");
    for (TrialBalance.Line line : trial.accounts()) {
      table.row(
          line.account(),
          line.kind().wireName(),
          line.asset(),
          Render.unlessZero(line.debit()),
          Render.unlessZero(line.credit()));
    }
    for (TrialBalance.Total total : trial.totals()) {
      table.row("TOTAL", null, total.asset(), total.debit(), total.credit());
    }
    table.print(out());
    out().println(trial.balanced() ? "balanced" : "NOT BALANCED");
    return 0;
  }
}
