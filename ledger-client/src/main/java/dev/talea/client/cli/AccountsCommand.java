package dev.talea.client.cli;

import dev.talea.client.TaleaClient;
import dev.talea.protocol.Account;
import dev.talea.protocol.AccountKind;
import dev.talea.protocol.AccountPage;
import dev.talea.protocol.AccountSpec;
import dev.talea.protocol.Balance;
import dev.talea.protocol.DecimalAmount;
import dev.talea.protocol.Paging;
import dev.talea.protocol.Registration;
import dev.talea.protocol.json.WireWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code talea accounts list|open|show}: a book's accounts. */
@Command(
    name = "accounts",
    mixinStandardHelpOptions = true,
    description = {
      "List, open and show the accounts of a book.",
      "",
      "A book exists once it has an account. Account names may contain colons to form hierarchies: liabilities:customers:alice."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  talea accounts list --book demo",
      "  talea accounts open --book demo --account liabilities:customers:bob --kind liability \\",
      "      --min-balance 0 --meta customer_id=c-1002",
      "  talea accounts show --book demo --account liabilities:customers:bob"
    },
    subcommands = {
      AccountsCommand.ListAccounts.class,
      AccountsCommand.Open.class,
      AccountsCommand.Show.class
    })
final class AccountsCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(),
        "missing subcommand: `talea accounts list`, `talea accounts open` or `talea accounts show`");
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = {
        "List one page of a book's accounts, sorted by name, with their current balances (one"
            + " row per account and asset; '-' for an account that has held nothing yet).",
        "",
        "If there are more accounts than --limit, the last line says how to get the next page."
      },
      footerHeading = "%nExample:%n",
      footer = {
        "  $ talea accounts list --book demo",
        "  ACCOUNT                      KIND       MIN_BALANCE  ASSET     BALANCE",
        "  assets:hot-wallet            asset                -  BTC    1.50000000",
        "  income:fees                  income               -  -               -",
        "  liabilities:customers:alice  liability            0  BTC    1.50000000"
      })
  static final class ListAccounts extends ApiCommand {
    @Option(names = "--book", required = true, paramLabel = "BOOK", description = "The book.")
    String book;

    @Option(
        names = "--after",
        paramLabel = "ACCOUNT",
        description = "Start after this account name (the cursor of the previous page).")
    String after;

    @Option(
        names = "--limit",
        paramLabel = "N",
        defaultValue = "" + Paging.DEFAULT_LIMIT,
        description = "At most this many accounts, 1-1000 (default: ${DEFAULT-VALUE}).")
    int limit;

    @Override
    int run(TaleaClient client) {
      AccountPage page = client.listAccounts(book, after, limit);
      if (json()) {
        printJson(WireWriter.accountPage(page));
        return 0;
      }
      Table table = Table.of("ACCOUNT", "KIND", "MIN_BALANCE>", "ASSET", "BALANCE>");
      for (Account account : page.accounts()) {
        String minBalance =
            account.minBalance() == null ? Render.NONE : account.minBalance().normalized();
        if (account.balances().isEmpty()) {
          table.row(
              account.account(), account.kind().wireName(), minBalance, Render.NONE, Render.NONE);
        }
        for (Balance balance : account.balances()) {
          table.row(
              account.account(),
              account.kind().wireName(),
              minBalance,
              balance.asset(),
              balance.balance());
        }
      }
      table.print(out());
      if (page.nextAfter() != null) {
        out().println("more accounts: --after " + page.nextAfter());
      }
      return 0;
    }
  }

  @Command(
      name = "open",
      mixinStandardHelpOptions = true,
      description = {
        "Open an account in a book (creating the book with its first account).",
        "",
        "Opening it again with the same kind and min balance is harmless and replaces its"
            + " metadata with the --meta given (none clears it); another kind or min balance is"
            + " refused with `conflict`.",
        "",
        "The kind fixes the normal side: asset and expense accounts grow with debits; liability,"
            + " equity and income accounts grow with credits. Balances are shown on the normal"
            + " side, so a customer's liability account holding 1.5 BTC reads 1.5."
      },
      footerHeading = "%nExample:%n",
      footer = {
        "  $ talea accounts open --book demo --account liabilities:customers:bob \\",
        "      --kind liability --min-balance 0 --meta customer_id=c-1002",
        "  opened account liabilities:customers:bob in book demo",
        "  book         demo",
        "  account      liabilities:customers:bob",
        "  kind         liability",
        "  normal_side  credit",
        "  min_balance  0",
        "  metadata     customer_id=c-1002",
        "  created_at   2026-11-21T08:00:00.208112Z",
        "",
        "  ASSET  BALANCE"
      })
  static final class Open extends ApiCommand {
    @Option(names = "--book", required = true, paramLabel = "BOOK", description = "The book.")
    String book;

    @Option(
        names = "--account",
        required = true,
        paramLabel = "ACCOUNT",
        description = "The account name: lower-case letters, digits, '_', '.', ':', '-'.")
    String account;

    @Option(
        names = "--kind",
        required = true,
        paramLabel = "KIND",
        converter = Converters.Kind.class,
        completionCandidates = Converters.Kinds.class,
        description = "One of: ${COMPLETION-CANDIDATES}.")
    AccountKind kind;

    @Option(
        names = "--min-balance",
        paramLabel = "DECIMAL",
        converter = Converters.SignedDecimal.class,
        description =
            "The lowest balance (on the normal side) the account may reach, in every asset it"
                + " holds: 0 for a customer who may never go negative, -500 for a credit line."
                + " Default: no limit.")
    DecimalAmount minBalance;

    @Option(
        names = "--meta",
        paramLabel = "KEY=VALUE",
        description = "A metadata entry (repeatable), such as customer_id=c-1002.")
    Map<String, String> metadata = new LinkedHashMap<>();

    @Override
    int run(TaleaClient client) {
      Registration<Account> registration =
          client.openAccount(book, account, new AccountSpec(kind, minBalance, metadata));
      if (json()) {
        printJson(WireWriter.account(registration.value()));
        return 0;
      }
      out()
          .println(
              registration.created()
                  ? "opened account " + account + " in book " + book
                  : "account "
                      + account
                      + " was already open in book "
                      + book
                      + " with this kind and min balance; its metadata is now as given");
      Render.account(out(), registration.value());
      return 0;
    }
  }

  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description = {"Show an account: its kind, limits, metadata and current balances."},
      footerHeading = "%nExample:%n",
      footer = {
        "  $ talea accounts show --book demo --account liabilities:customers:alice",
        "  book         demo",
        "  account      liabilities:customers:alice",
        "  kind         liability",
        "  normal_side  credit",
        "  min_balance  0",
        "  metadata     customer_id=c-1001, tier=retail",
        "  created_at   2026-11-21T08:00:00.208112Z",
        "",
        "  ASSET     BALANCE",
        "  BTC    1.50000000"
      })
  static final class Show extends ApiCommand {
    @Option(names = "--book", required = true, paramLabel = "BOOK", description = "The book.")
    String book;

    @Option(
        names = "--account",
        required = true,
        paramLabel = "ACCOUNT",
        description = "The account.")
    String account;

    @Override
    int run(TaleaClient client) {
      Account found = client.getAccount(book, account);
      if (json()) {
        printJson(WireWriter.account(found));
      } else {
        Render.account(out(), found);
      }
      return 0;
    }
  }
}
