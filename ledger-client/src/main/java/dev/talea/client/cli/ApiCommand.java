package dev.talea.client.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.talea.client.TaleaClient;
import dev.talea.protocol.json.Json;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command that talks to talead: it checks its own options ({@link #validate}), opens a client for
 * the global {@code --url} and {@code --token}, runs, and closes the client. Contract errors and
 * transport failures propagate to {@link Talea}'s handler, which prints them and exits 1.
 */
abstract class ApiCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Override
  public final Integer call() throws Exception {
    validate();
    try (TaleaClient client = root().client(spec.commandLine())) {
      int code = run(client);
      out().flush();
      return code;
    }
  }

  /** Checks option combinations before any request; throw {@link #usage} for a problem. */
  void validate() {}

  /** Does the command's work; returns the exit code. */
  abstract int run(TaleaClient client) throws Exception;

  final Talea root() {
    return (Talea) spec.root().userObject();
  }

  final boolean json() {
    return root().json;
  }

  final PrintWriter out() {
    return spec.commandLine().getOut();
  }

  /** Prints one JSON document on a line, exactly as the server writes it. */
  final void printJson(JsonNode node) {
    out().println(Json.toString(node));
    out().flush();
  }

  /** A usage error of this command (exit code 2). */
  final CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }
}
