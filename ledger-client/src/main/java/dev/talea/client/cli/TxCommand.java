package dev.talea.client.cli;

import dev.talea.client.TaleaClient;
import dev.talea.protocol.Paging;
import dev.talea.protocol.Posting;
import dev.talea.protocol.Side;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionPage;
import dev.talea.protocol.json.WireWriter;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code talea tx get|list}: committed transactions. */
@Command(
    name = "tx",
    mixinStandardHelpOptions = true,
    description = {"Read committed transactions: one by id, a page of a book, or one by its key."},
    footerHeading = "%nExamples:%n",
    footer = {
      "  talea tx get 0193a5c2-7d4e-7c3a-9f1e-0b6d2c4a8e11",
      "  talea tx list --book demo --after-seq 100 --limit 50",
      "  talea tx list --book demo --idem deposit-0xabc-0"
    },
    subcommands = {TxCommand.Get.class, TxCommand.ListTx.class})
final class TxCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "missing subcommand: `talea tx get` or `talea tx list`");
  }

  @Command(
      name = "get",
      mixinStandardHelpOptions = true,
      description = {
        "Show one transaction by its id (in any book the token can read): its fields, then its"
            + " postings with each account's balance right after the posting."
      },
      footerHeading = "%nExample:%n",
      footer = {
        "  $ talea tx get 0193a5c2-7d4e-7c3a-9f1e-0b6d2c4a8e11",
        "  tx_id            0193a5c2-7d4e-7c3a-9f1e-0b6d2c4a8e11",
        "  book             demo",
        "  seq              1",
        "  committed_at     2026-11-21T08:00:01.502117Z",
        "  occurred_at      -",
        "  idempotency_key  deposit-0xabc-0",
        "  memo             deposit 0xabc",
        "  metadata         -",
        "  hash             5d0c...",
        "  prev_hash        0000...",
        "",
        "  ACCOUNT                      ASSET       DEBIT      CREDIT  BALANCE_AFTER",
        "  assets:hot-wallet            BTC    1.50000000                 1.50000000",
        "  liabilities:customers:alice  BTC                1.50000000     1.50000000"
      })
  static final class Get extends ApiCommand {
    @Parameters(
        paramLabel = "TX_ID",
        converter = Converters.TxId.class,
        description = "The transaction id (a UUID).")
    UUID txId;

    @Override
    int run(TaleaClient client) {
      Transaction tx = client.getTransaction(txId);
      if (json()) {
        printJson(WireWriter.transaction(tx));
      } else {
        Render.transaction(out(), tx);
      }
      return 0;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = {
        "List one page of a book's transactions in seq order, one row per posting (the"
            + " transaction's seq, time, id and key on its first row). If there are more, the last"
            + " line gives the --after-seq of the next page.",
        "",
        "With --idem, look up the transaction posted under that idempotency key instead (none or"
            + " one)."
      },
      footerHeading = "%nExamples:%n",
      footer = {
        "  talea tx list --book demo",
        "  talea tx list --book demo --after-seq 100 --limit 50",
        "  talea tx list --book demo --idem deposit-0xabc-0 --json",
        "",
        "Columns: SEQ, COMMITTED_AT, TX_ID, IDEMPOTENCY_KEY, ACCOUNT, ASSET, DEBIT, CREDIT."
      })
  static final class ListTx extends ApiCommand {
    @Option(names = "--book", required = true, paramLabel = "BOOK", description = "The book.")
    String book;

    @Option(
        names = "--after-seq",
        paramLabel = "SEQ",
        description = "Start after this seq (default: 0, the beginning).")
    Long afterSeq;

    @Option(
        names = "--limit",
        paramLabel = "N",
        description =
            "At most this many transactions, 1-1000 (default: " + Paging.DEFAULT_LIMIT + ").")
    Integer limit;

    @Option(
        names = "--idem",
        paramLabel = "KEY",
        description = "Show the transaction posted under this idempotency key, if any.")
    String idem;

    @Override
    void validate() {
      if (idem != null && (afterSeq != null || limit != null)) {
        throw usage(
            "--idem looks up one transaction: do not combine it with --after-seq or --limit");
      }
    }

    @Override
    int run(TaleaClient client) {
      if (idem != null) {
        Optional<Transaction> found = client.findTransaction(book, idem);
        List<Transaction> transactions = found.map(List::of).orElse(List.of());
        if (json()) {
          printJson(WireWriter.transactions(transactions));
        } else {
          journal(transactions).print(out());
        }
        return 0;
      }
      TransactionPage page =
          client.listTransactions(
              book, afterSeq == null ? 0 : afterSeq, limit == null ? Paging.DEFAULT_LIMIT : limit);
      if (json()) {
        printJson(WireWriter.transactionPage(page));
        return 0;
      }
      journal(page.transactions()).print(out());
      if (page.nextAfterSeq() != null) {
        out().println("more transactions: --after-seq " + page.nextAfterSeq());
      }
      return 0;
    }

    private static Table journal(List<Transaction> transactions) {
      Table table =
          Table.of(
              "SEQ>",
              "COMMITTED_AT",
              "TX_ID",
              "IDEMPOTENCY_KEY",
              "ACCOUNT",
              "ASSET",
              "DEBIT>",
              "CREDIT>");
      for (Transaction tx : transactions) {
        boolean first = true;
        for (Posting posting : tx.postings()) {
          table.row(
              first ? tx.seq() : null,
              first ? Render.time(tx.committedAt()) : null,
              first ? tx.txId() : null,
              first ? tx.idempotencyKey() : null,
              posting.account(),
              posting.asset(),
              Render.onSide(Side.DEBIT, posting.side(), posting.amount()),
              Render.onSide(Side.CREDIT, posting.side(), posting.amount()));
          first = false;
        }
      }
      return table;
    }
  }
}
