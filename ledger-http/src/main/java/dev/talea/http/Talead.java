package dev.talea.http;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code talead}: the talea ledger server. {@code talead init} prepares a store and a token; {@code
 * talead serve} runs the HTTP API.
 */
@Command(
    name = "talead",
    mixinStandardHelpOptions = true,
    versionProvider = Talead.Version.class,
    description = {
      "The talea ledger server: a double-entry ledger for cryptocurrency operations.",
      "",
      "Settings come from TALEA_* environment variables and ./.env in the working directory;"
          + " real variables win. Start with `talead init`, then `talead serve`.",
      "",
      "Exit codes: 0 success, 1 the store failed, 2 bad usage or a bad setting."
    },
    subcommands = {InitCommand.class, ServeCommand.class, CommandLine.HelpCommand.class})
public final class Talead implements Runnable {

  @CommandLine.Spec private CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    CommandLine line = new CommandLine(new Talead());
    line.setExitCodeExceptionMapper(
        e -> e instanceof SettingsException || e instanceof CommandLine.ParameterException ? 2 : 1);
    line.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          cmd.getErr().println("talead: " + e.getMessage());
          return e instanceof SettingsException ? 2 : 1;
        });
    return line;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "missing command: use `talead init` or `talead serve`");
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Talead.class.getPackage().getImplementationVersion();
      return new String[] {"talead " + (version == null ? "development" : version)};
    }
  }
}
