package dev.talea.client.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.talea.client.TaleaClient;
import dev.talea.protocol.DraftPosting;
import dev.talea.protocol.Side;
import dev.talea.protocol.Transaction;
import dev.talea.protocol.TransactionDraft;
import dev.talea.protocol.json.Json;
import dev.talea.protocol.json.WireFormatException;
import dev.talea.protocol.json.WireReader;
import dev.talea.protocol.json.WireWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code talea post}: posts one balanced transaction under the caller's idempotency key. */
@Command(
    name = "post",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Post a balanced transaction under your idempotency key.",
      "",
      "Per asset, the debits must equal the credits.",
      "Give the postings as --debit and --credit ACCOUNT:ASSET:AMOUNT, in the order they should"
          + " apply (the account may contain colons: the last two parts are the asset and the"
          + " amount), or give a whole draft in the wire format with --file.",
      "",
      "--idem is the idempotency key and is always required (with --file it may instead come"
          + " from the file; --idem then wins). The CLI never invents one: pick a key that names"
          + " this transfer, such as deposit-<chain tx>-<output>, so that running the same command"
          + " again after a timeout or a crash cannot post twice. Posting the same request again"
          + " answers the original commit and says it was a replay; the same key with a different"
          + " request is refused with `idempotency_key_reused`."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  $ talea post --book demo --idem deposit-0xabc-0 --memo 'deposit 0xabc' \\",
      "      --debit assets:hot-wallet:BTC:1.5 \\",
      "      --credit liabilities:customers:alice:BTC:1.5",
      "  committed seq 1 in book demo",
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
      "  liabilities:customers:alice  BTC                1.50000000     1.50000000",
      "",
      "  $ talea post --book demo --idem withdrawal-42 --file withdrawal.json"
    })
final class PostCommand extends ApiCommand {

  @Option(names = "--book", required = true, paramLabel = "BOOK", description = "The book.")
  String book;

  @Option(
      names = "--idem",
      paramLabel = "KEY",
      description = "The idempotency key: 1-255 printable ASCII characters, no spaces. Required.")
  String idem;

  /** One --debit or --credit, in command-line order. */
  static final class Leg {
    @Option(
        names = "--debit",
        required = true,
        paramLabel = "ACCOUNT:ASSET:AMOUNT",
        converter = Converters.Leg.class,
        description = "Debit AMOUNT of ASSET to ACCOUNT (repeatable).")
    Converters.LegSpec debit;

    @Option(
        names = "--credit",
        required = true,
        paramLabel = "ACCOUNT:ASSET:AMOUNT",
        converter = Converters.Leg.class,
        description = "Credit AMOUNT of ASSET to ACCOUNT (repeatable).")
    Converters.LegSpec credit;
  }

  @ArgGroup(exclusive = true, multiplicity = "0..*")
  List<Leg> legs = new ArrayList<>();

  @Option(names = "--memo", paramLabel = "TEXT", description = "A memo, at most 1024 characters.")
  String memo;

  @Option(
      names = "--occurred-at",
      paramLabel = "TIMESTAMP",
      converter = Converters.Timestamp.class,
      description = "Business time, RFC 3339 (2026-11-20T14:02:00Z); default: none.")
  Instant occurredAt;

  @Option(
      names = "--meta",
      paramLabel = "KEY=VALUE",
      description = "A metadata entry (repeatable), such as chain_tx=0xabc.")
  Map<String, String> metadata = new LinkedHashMap<>();

  @Option(
      names = "--file",
      paramLabel = "FILE",
      description =
          "Post the draft in this JSON file (the body of POST /v1/books/{book}/transactions)"
              + " instead of --debit/--credit/--memo/--occurred-at/--meta.")
  Path file;

  @Override
  void validate() {
    if (file != null) {
      if (!legs.isEmpty() || memo != null || occurredAt != null || !metadata.isEmpty()) {
        throw usage(
            "--file takes the whole draft from the file: do not combine it with --debit,"
                + " --credit, --memo, --occurred-at or --meta");
      }
      return;
    }
    if (idem == null) {
      throw usage(
          "missing --idem: every post needs an idempotency key, and talea never invents one;"
              + " choose a key that identifies this transfer (e.g. --idem deposit-0xabc-0)");
    }
    if (legs.isEmpty()) {
      throw usage("no postings: give --debit and --credit ACCOUNT:ASSET:AMOUNT, or --file");
    }
  }

  @Override
  int run(TaleaClient client) {
    TransactionDraft draft = file != null ? readFile() : fromOptions();
    Transaction tx = client.post(book, draft);
    if (json()) {
      printJson(WireWriter.transaction(tx));
      return 0;
    }
    if (tx.deduplicated()) {
      out()
          .println(
              "replay: idempotency key "
                  + tx.idempotencyKey()
                  + " was already committed as seq "
                  + tx.seq()
                  + " in book "
                  + tx.book()
                  + "; nothing new was posted (deduplicated)");
    } else {
      out().println("committed seq " + tx.seq() + " in book " + tx.book());
    }
    Render.transaction(out(), tx);
    return 0;
  }

  private TransactionDraft fromOptions() {
    List<DraftPosting> postings = new ArrayList<>(legs.size());
    for (Leg leg : legs) {
      Converters.LegSpec spec = leg.debit != null ? leg.debit : leg.credit;
      Side side = leg.debit != null ? Side.DEBIT : Side.CREDIT;
      postings.add(new DraftPosting(spec.account(), spec.asset(), side, spec.amount()));
    }
    return new TransactionDraft(idem, postings, occurredAt, memo, metadata);
  }

  private TransactionDraft readFile() {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw usage("--file: cannot read " + file + ": " + e.getMessage());
    }
    JsonNode body;
    try {
      body = Json.parseResponse(bytes);
    } catch (WireFormatException e) {
      throw usage("--file: " + file + " is not well-formed JSON");
    }
    if (!body.isObject()) {
      throw usage("--file: " + file + " must hold a JSON object (a transaction draft)");
    }
    if (idem != null) {
      ((ObjectNode) body).put("idempotency_key", idem);
    } else if (!body.hasNonNull("idempotency_key")) {
      throw usage(
          "missing --idem: "
              + file
              + " has no idempotency_key, and talea never invents one; give --idem KEY");
    }
    return WireReader.draft(body, null);
  }
}
