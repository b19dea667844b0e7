package dev.talea.client.cli;

import dev.talea.client.TaleaClient;
import dev.talea.protocol.AccountBalances;
import dev.talea.protocol.json.WireWriter;
import java.time.Instant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code talea balance}: an account's balances, now or as of a moment. */
@Command(
    name = "balance",
    mixinStandardHelpOptions = true,
    description = {
      "Show an account's balances, now or as of a moment.",
      "",
      "One balance per asset, on the account's normal side: a customer's liability account"
          + " holding 1.5 BTC reads 1.50000000.",
      "",
      "With --as-of, the balances after every commit made at or before that moment; the first"
          + " line names the last seq included."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  $ talea balance --book demo --account liabilities:customers:alice",
      "  liabilities:customers:alice in book demo (liability, normal side credit) at seq 1",
      "  ASSET     BALANCE",
      "  BTC    1.50000000",
      "",
      "  $ talea balance --book demo --account liabilities:customers:alice --asset BTC \\",
      "      --as-of 2026-11-20T00:00:00Z"
    })
final class BalanceCommand extends ApiCommand {

  @Option(names = "--book", required = true, paramLabel = "BOOK", description = "The book.")
  String book;

  @Option(
      names = "--account",
      required = true,
      paramLabel = "ACCOUNT",
      description = "The account.")
  String account;

  @Option(names = "--asset", paramLabel = "CODE", description = "Only this asset.")
  String asset;

  @Option(
      names = "--as-of",
      paramLabel = "TIMESTAMP",
      converter = Converters.Timestamp.class,
      description = "As of this moment of commit time, RFC 3339 (default: now).")
  Instant asOf;

  @Override
  int run(TaleaClient client) {
    AccountBalances balances = client.balances(book, account, asOf, asset);
    if (json()) {
      printJson(WireWriter.accountBalances(balances));
      return 0;
    }
    out()
        .println(
            balances.account()
                + " in book "
                + balances.book()
                + " ("
                + balances.kind().wireName()
                + ", normal side "
                + balances.normalSide().wireName()
                + ") at seq "
                + balances.seq()
                + (balances.asOf() == null ? "" : ", as of " + Render.time(balances.asOf())));
    Render.balances(out(), balances.balances());
    return 0;
  }
}
