package dev.talea.client.cli;

import dev.talea.client.TaleaClient;
import dev.talea.protocol.VerifyResult;
import dev.talea.protocol.json.WireWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code talea verify}: recomputes a book's hash chain and balances on the server. */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description = {
      "Check a book's hash chain and balances on the server.",
      "",
      "The server re-derives the book from its postings: it recomputes the hash chain and every"
          + " stored balance. Exit 0 if everything agrees; exit 1 if not, printing the first seq"
          + " that disagrees and why."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  $ talea verify --book demo",
      "  book demo verifies: seq 1, head_hash 5d0c...",
      "",
      "  $ talea verify --book demo    # after an amount was changed in the database",
      "  book demo does NOT verify: first_bad_seq 2: hash does not match the commit's content"
    })
final class VerifyCommand extends ApiCommand {

  @Option(names = "--book", required = true, paramLabel = "BOOK", description = "The book.")
  String book;

  @Override
  int run(TaleaClient client) {
    VerifyResult result = client.verify(book);
    if (json()) {
      printJson(WireWriter.verifyResult(result));
    } else if (result.ok()) {
      out()
          .println(
              "book "
                  + result.book()
                  + " verifies: seq "
                  + result.seq()
                  + ", head_hash "
                  + result.headHash());
    } else {
      out()
          .println(
              "book "
                  + result.book()
                  + " does NOT verify: first_bad_seq "
                  + result.firstBadSeq()
                  + ": "
                  + result.reason());
    }
    return result.ok() ? 0 : 1;
  }
}
