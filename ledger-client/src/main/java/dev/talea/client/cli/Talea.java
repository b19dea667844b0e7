package dev.talea.client.cli;

import dev.talea.client.TaleaClient;
import dev.talea.client.TaleaProtocolException;
import dev.talea.client.TaleaTransportException;
import dev.talea.protocol.ErrorCode;
import dev.talea.protocol.LedgerError;
import dev.talea.protocol.LedgerException;
import java.io.PrintWriter;
import java.net.URI;
import java.util.Map;
import java.util.Objects;
import java.util.StringJoiner;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code talea}: the talea command line, a thin layer over {@link TaleaClient}. Every command talks
 * to a running {@code talead}; human-readable tables by default, the server's JSON with {@code
 * --json}.
 *
 * <p>{@link #commandLine(Map)} builds the whole command tree with its error handling and returns
 * the exit code from {@link CommandLine#execute}, so it runs in-process (tests set its output and
 * error writers); only {@link #main} calls {@code System.exit}.
 */
@Command(
    name = "talea",
    mixinStandardHelpOptions = true,
    versionProvider = Talea.Version.class,
    description = {
      "The talea command line: assets, accounts, postings, balances and the live tail of a"
          + " talea ledger server (talead).",
      "",
      "Every command talks to a talead server:",
      "  --url    default $TALEA_URL, else " + Talea.DEFAULT_URL,
      "  --token  default $TALEA_TOKEN",
      "Output is an aligned table by default; --json prints the server's JSON instead.",
      "",
      "Exit codes: 0 success; 1 the server refused the request (its error code is printed) or"
          + " could not be reached; 2 bad usage (an unknown option, a missing or malformed value)."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  export TALEA_TOKEN=$(grep '^TALEA_API_TOKEN=' .env | cut -d= -f2)",
      "  talea trial-balance --book demo",
      "  talea post --book demo --idem deposit-0xabc-0 \\",
      "      --debit assets:hot-wallet:BTC:0.5 \\",
      "      --credit liabilities:customers:alice:BTC:0.5",
      "  talea tail --book demo --from-seq 1 --json",
      "",
      "Run `talea COMMAND --help` for the options of each command."
    },
    subcommands = {
      AssetsCommand.class,
      AccountsCommand.class,
      PostCommand.class,
      TxCommand.class,
      BalanceCommand.class,
      TrialBalanceCommand.class,
      StatementCommand.class,
      TailCommand.class,
      VerifyCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Talea implements Runnable {

  static final String DEFAULT_URL = "http://127.0.0.1:8080";

  @Option(
      names = "--url",
      scope = ScopeType.INHERIT,
      paramLabel = "URL",
      description = {"The talead server.", "Default: $TALEA_URL, else " + DEFAULT_URL + "."})
  String url;

  @Option(
      names = "--token",
      scope = ScopeType.INHERIT,
      paramLabel = "TOKEN",
      description =
          "The bearer token (default: $TALEA_TOKEN). Prefer the variable: other users of the"
              + " machine can see command lines.")
  String token;

  @Option(
      names = "--json",
      scope = ScopeType.INHERIT,
      description =
          "Print the server's JSON instead of a table: one document (for tail, one per line).")
  boolean json;

  @CommandLine.Spec private CommandLine.Model.CommandSpec spec;

  private final Map<String, String> env;

  /** A command line that reads its defaults from the process environment. */
  public Talea() {
    this(System.getenv());
  }

  /** A command line that reads {@code TALEA_URL} and {@code TALEA_TOKEN} from {@code env}. */
  public Talea(Map<String, String> env) {
    this.env = Map.copyOf(Objects.requireNonNull(env, "env"));
  }

  public static void main(String[] args) {
    System.exit(commandLine(System.getenv()).execute(args));
  }

  /**
   * The complete {@code talea} command tree with its exit codes and error messages: API errors and
   * transport failures print {@code talea: ...} to the error writer and exit 1; usage errors print
   * the problem and a hint and exit 2. Set the writers with {@link CommandLine#setOut} and {@link
   * CommandLine#setErr} before {@link CommandLine#execute}.
   */
  public static CommandLine commandLine(Map<String, String> env) {
    CommandLine line = new CommandLine(new Talea(env));
    Version version = new Version();
    setVersionProvider(line, version);
    line.setParameterExceptionHandler(
        (e, args) -> {
          CommandLine command = e.getCommandLine();
          PrintWriter err = command.getErr();
          err.println("talea: " + e.getMessage());
          CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
          err.println(
              "Try '"
                  + command.getCommandSpec().qualifiedName()
                  + " --help' for more information.");
          err.flush();
          return command.getCommandSpec().exitCodeOnInvalidInput();
        });
    line.setExecutionExceptionHandler(
        (e, command, parsed) -> {
          PrintWriter err = command.getErr();
          Talea root = (Talea) command.getCommandSpec().root().userObject();
          if (e instanceof LedgerException ledger) {
            err.println("talea: " + describe(ledger.error()));
            if (ledger.code() == ErrorCode.UNAUTHORIZED && root.token() == null) {
              err.println("talea: no token was given: set TALEA_TOKEN or pass --token");
            }
          } else if (e instanceof TaleaTransportException) {
            err.println("talea: cannot reach talead at " + root.baseUrl() + ": " + e.getMessage());
          } else if (e instanceof TaleaProtocolException) {
            err.println(
                "talea: unexpected answer from talead at "
                    + root.baseUrl()
                    + ": "
                    + e.getMessage());
          } else if (e instanceof CliFailure) {
            err.println("talea: " + e.getMessage());
          } else {
            err.println("talea: internal error: " + e);
          }
          err.flush();
          return 1;
        });
    return line;
  }

  private static void setVersionProvider(CommandLine line, Version version) {
    line.getCommandSpec().versionProvider(version);
    line.getSubcommands().values().forEach(sub -> setVersionProvider(sub, version));
  }

  /**
   * {@code <error>: <detail> (field=value, ...)}: the problem's code, its detail and its structured
   * fields.
   */
  static String describe(LedgerError error) {
    StringBuilder text = new StringBuilder(error.code().wireName()).append(": ");
    text.append(error.detail());
    if (!error.fields().isEmpty()) {
      StringJoiner fields = new StringJoiner(", ", " (", ")");
      error.fields().forEach((name, value) -> fields.add(name + "=" + value));
      text.append(fields);
    }
    return text.toString();
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "missing command: run `talea --help` to see the commands");
  }

  /** The server's base URL: --url, else TALEA_URL, else the default. */
  String baseUrl() {
    if (url != null) {
      return url;
    }
    String fromEnv = env.get("TALEA_URL");
    return fromEnv == null || fromEnv.isBlank() ? DEFAULT_URL : fromEnv;
  }

  /** The bearer token: --token, else TALEA_TOKEN, else none. */
  String token() {
    if (token != null) {
      return token;
    }
    String fromEnv = env.get("TALEA_TOKEN");
    return fromEnv == null || fromEnv.isBlank() ? null : fromEnv;
  }

  /** A client for this invocation; a URL that is not http(s) is a usage error. */
  TaleaClient client(CommandLine command) {
    String base = baseUrl();
    URI uri;
    try {
      uri = URI.create(base);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(command, "--url: not a URL: " + base);
    }
    if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
        || uri.getHost() == null) {
      throw new CommandLine.ParameterException(
          command, "--url: expected http://host:port or https://host:port, got " + base);
    }
    return TaleaClient.builder().baseUrl(base).token(token()).build();
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Talea.class.getPackage().getImplementationVersion();
      return new String[] {"talea " + (version == null ? "development" : version)};
    }
  }
}
