package dev.talea.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code docs/tutorial-first-ledger.md} as written: every {@code ```sh} block, in order, with
 * bash, against the real {@code talead} and {@code talea} the tutorial starts itself, and checks
 * every {@code ```text} block against what the commands printed. The tutorial can therefore not
 * drift from the software.
 *
 * <h2>The conventions of an executable document</h2>
 *
 * <ul>
 *   <li>Only two kinds of fenced block are allowed: {@code ```sh} (commands, run) and {@code
 *       ```text} (output, checked). Any other fence fails the test, so no block is ever silently
 *       skipped. A document without {@code sh} blocks fails too.
 *   <li>Blocks run in <em>terminals</em>, each a shell session that keeps its working directory and
 *       its exported variables from one block to the next (plain, unexported shell variables are
 *       not kept: export what a later block needs). A new terminal starts where a reader opens one:
 *       in the root of the checkout, with no variables from other terminals. Blocks run in terminal
 *       {@code 1} until a directive switches.
 *   <li>A block stops at its first failing command ({@code set -e -o pipefail}) and must exit 0.
 *   <li>An HTML comment directly before a block (only blank lines between) sets options for it:
 *       <ul>
 *         <li>{@code <!-- run: terminal=2 -->} runs this block and the following ones in terminal
 *             2;
 *         <li>{@code <!-- run: background -->} marks a command that keeps running (the server, a
 *             live tail). The test starts it and goes on; a {@code text} block must follow it, and
 *             the test waits until the process has printed that before running the next block. The
 *             terminal stays busy: another block in it fails the test. At the end every background
 *             command is stopped with SIGTERM, which {@code talead} treats like Ctrl-C, and must
 *             stop within 30 s.
 *         <li>{@code <!-- run: exit=1 -->} expects that exit status instead of 0; a {@code text}
 *             block must follow, so the error printed is checked too.
 *         <li>{@code <!-- output: terminal=3 -->} before a {@code text} block: what terminal 3's
 *             background command has printed by now, all of it (the test waits until it matches).
 *       </ul>
 *   <li>A {@code text} block without a directive is the output of the {@code sh} block before it
 *       (prose may come between, another block may not): standard output and standard error
 *       together, as a terminal shows them.
 * </ul>
 *
 * <h2>How output is compared</h2>
 *
 * Line by line and exactly, after trailing spaces and trailing blank lines are dropped, except:
 *
 * <ul>
 *   <li>values that differ on every run match any value of the same shape: a UUID (transaction
 *       ids), an RFC 3339 UTC timestamp ({@code 2026-11-21T10:39:14.416934Z}, also with 0–9
 *       fractional digits) and a 64-digit hex hash that is not all zeros. The tutorial shows real
 *       values from one run, and says that they vary;
 *   <li>{@code …} (U+2026) matches any text within a line, and a line of only {@code …} matches any
 *       number of lines;
 *   <li>the test listens on a free port instead of {@code 127.0.0.1:8080}: it exports {@code
 *       TALEA_BIND} in every new terminal (the tutorial tells readers whose port 8080 is taken to
 *       do the same) and reads {@code 127.0.0.1:8080} in expected output as its own address.
 * </ul>
 *
 * <p>The root of the checkout a reader starts from is a scratch directory holding links to this
 * checkout's {@code bin/talead}, {@code bin/talea} and the two jars they run, so the scripts are
 * the real ones and never rebuild (the jars exist after {@code package}), and the tutorial's own
 * files land in the scratch directory. {@code JAVA_OPTS} is set to start the JVMs a little faster.
 */
class TutorialIT {

  private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
  private static final Path TUTORIAL = REPO.resolve("docs/tutorial-first-ledger.md");
  private static final String SERVER_JAR = "ledger-http/target/talead.jar";
  private static final String CLI_JAR = "ledger-client/target/talea.jar";
  private static final Path TRANSCRIPT = Path.of("target", "tutorial-first-ledger.transcript.md");
  private static final String DEFAULT_BIND = "127.0.0.1:8080";
  private static final String ELLIPSIS = "\u2026";

  private static final Duration BLOCK_TIMEOUT = Duration.ofSeconds(180);
  private static final Duration OUTPUT_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

  private static final Pattern DIRECTIVE = Pattern.compile("^<!--\\s*(run|output):(.*?)-->\\s*$");
  private static final Pattern FENCE = Pattern.compile("^```(\\S*)\\s*$");
  private static final Pattern UUID =
      Pattern.compile("\\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\b");
  private static final Pattern TIMESTAMP =
      Pattern.compile("\\b\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d{1,9})?Z");
  private static final Pattern HASH = Pattern.compile("\\b[0-9a-f]{64}\\b");

  @TempDir Path checkout;
  @TempDir Path scratch;

  // ---- the tutorial ----------------------------------------------------------------------------

  @Test
  void everyCommandOfTheTutorialRunsAndPrintsWhatTheTutorialShows() throws Exception {
    List<Step> steps = parse(Files.readString(TUTORIAL), TUTORIAL.toString());
    String bind = "127.0.0.1:" + freePort();
    linkTheCheckout();
    Map<String, String> environment = newTerminalEnvironment(bind);
    Map<String, Terminal> terminals = new LinkedHashMap<>();
    List<String> ran = new ArrayList<>();
    Files.writeString(TRANSCRIPT, "# Transcript of " + TUTORIAL + "\n");
    try {
      for (Step step : steps) {
        if (step instanceof Run run) {
          Terminal terminal = terminals.computeIfAbsent(run.terminal(), Terminal::new);
          run(run, terminal, environment, bind);
          ran.add("line " + run.line() + " (terminal " + run.terminal() + ")");
        } else if (step instanceof Check check) {
          Terminal terminal = terminals.get(check.terminal());
          if (terminal == null || terminal.background == null) {
            fail(
                "line %d: terminal %s runs no background command to show output of",
                check.line(), check.terminal());
          }
          awaitOutput(terminal, check.expected(), check.line(), bind);
        }
      }
      for (Terminal terminal : terminals.values()) {
        if (terminal.background != null && !terminal.background.isAlive()) {
          fail(
              "the background command of terminal %s (line %d) stopped before the end, exit %d:%n%s",
              terminal.name,
              terminal.backgroundRun.line(),
              terminal.background.exitValue(),
              read(terminal.backgroundOutput));
        }
      }
    } finally {
      stopBackgroundCommands(terminals);
    }
    System.out.println("[tutorial] ran " + ran.size() + " command blocks: " + ran);
  }

  private void run(Run run, Terminal terminal, Map<String, String> environment, String bind)
      throws IOException, InterruptedException {
    if (terminal.background != null) {
      fail(
          "line %d: terminal %s is still running the background command of line %d",
          run.line(), terminal.name, terminal.backgroundRun.line());
    }
    int number = terminal.blocks++;
    Path script = scratch.resolve("terminal-" + terminal.name + "-" + number + ".sh");
    Path output = scratch.resolve("terminal-" + terminal.name + "-" + number + ".out");
    Path nextState = scratch.resolve("terminal-" + terminal.name + "-" + number + ".state");
    StringBuilder text = new StringBuilder();
    if (terminal.state != null) {
      text.append("source ").append(quote(terminal.state.toString())).append('\n');
    }
    text.append("__tutorial_state=").append(quote(nextState.toString())).append('\n');
    text.append(
        "trap '__tutorial_rc=$?; { export -p; printf \"cd -- %q\\n\" \"$PWD\"; }"
            + " > \"$__tutorial_state\"; exit $__tutorial_rc' EXIT\n");
    text.append("set -e -o pipefail\n");
    text.append(String.join("\n", run.commands())).append('\n');
    Files.writeString(script, text);

    ProcessBuilder builder =
        new ProcessBuilder("bash", "--noprofile", "--norc", script.toString())
            .directory(checkout.toFile())
            .redirectErrorStream(true)
            .redirectOutput(output.toFile());
    builder.environment().clear();
    if (terminal.state == null) {
      builder.environment().putAll(environment);
    } else {
      // The saved state exports every variable the terminal had; start from nothing else.
      builder.environment().put("PATH", environment.get("PATH"));
    }
    Process process = builder.start();
    if (run.background()) {
      terminal.background = process;
      terminal.backgroundRun = run;
      terminal.backgroundOutput = output;
      awaitOutput(terminal, run.expected(), run.expectedLine(), bind);
      return;
    }
    if (!process.waitFor(BLOCK_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      stop(process);
      fail(
          "line %d: the block did not finish within %s:%n%s%n--- output so far:%n%s",
          run.line(), BLOCK_TIMEOUT, run.source(), read(output));
    }
    String printed = read(output);
    transcript(run, run.line(), printed, process.exitValue());
    assertThat(process.exitValue())
        .as(
            "exit status of the block at line %d (expected %d)%n%s%n--- output:%n%s",
            run.line(), run.exit(), run.source(), printed)
        .isEqualTo(run.exit());
    if (run.expected() != null && !matches(expected(run.expected(), bind), printed)) {
      fail(
          "line %d: the output of the block at line %d differs from the text block%n%s%n%s",
          run.expectedLine(), run.line(), run.source(), difference(run.expected(), printed, bind));
    }
    terminal.state = nextState;
    assertThat(nextState).as("state saved by the block at line %d", run.line()).exists();
  }

  private void awaitOutput(Terminal terminal, String expected, int line, String bind)
      throws InterruptedException {
    long deadline = System.nanoTime() + OUTPUT_TIMEOUT.toNanos();
    String wanted = expected(expected, bind);
    while (true) {
      String printed = read(terminal.backgroundOutput);
      if (matches(wanted, printed)) {
        transcript(terminal.backgroundRun, line, printed, null);
        return;
      }
      if (!terminal.background.isAlive()) {
        fail(
            "line %d: the background command of terminal %s (line %d) exited with %d before"
                + " printing the text block%n%s",
            line,
            terminal.name,
            terminal.backgroundRun.line(),
            terminal.background.exitValue(),
            difference(expected, printed, bind));
      }
      if (System.nanoTime() > deadline) {
        fail(
            "line %d: terminal %s did not show the text block within %s%n%s",
            line, terminal.name, OUTPUT_TIMEOUT, difference(expected, printed, bind));
      }
      Thread.sleep(100);
    }
  }

  /** SIGTERM to what each background block started, in reverse order (the tail before talead). */
  private static void stopBackgroundCommands(Map<String, Terminal> terminals) {
    List<Terminal> running = new ArrayList<>(terminals.values());
    Collections.reverse(running);
    List<String> stuck = new ArrayList<>();
    for (Terminal terminal : running) {
      if (terminal.background != null && !stop(terminal.background)) {
        stuck.add("terminal " + terminal.name + " (line " + terminal.backgroundRun.line() + ")");
      }
    }
    if (!stuck.isEmpty()) {
      fail("background commands did not stop within %s of SIGTERM: %s", STOP_TIMEOUT, stuck);
    }
  }

  /** Stops a block as Ctrl-C would: its commands first, then bash. False if it had to be killed. */
  private static boolean stop(Process process) {
    if (!process.isAlive()) {
      return true;
    }
    process.descendants().forEach(ProcessHandle::destroy);
    try {
      if (process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        return true;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    return false;
  }

  private void linkTheCheckout() throws IOException {
    for (String file : List.of("bin/talead", "bin/talea", SERVER_JAR, CLI_JAR)) {
      Path target = REPO.resolve(file);
      if (!Files.isRegularFile(target)) {
        fail(
            "%s is missing; this test runs after `package` (./mvnw verify, or ./mvnw -pl"
                + " ledger-http -am verify) so that the jars exist",
            target);
      }
      Path link = checkout.resolve(file);
      Files.createDirectories(link.getParent());
      Files.createSymbolicLink(link, target);
    }
  }

  /** What a reader's new terminal has, plus the test's port and a faster JVM start. */
  private static Map<String, String> newTerminalEnvironment(String bind) {
    Map<String, String> environment = new LinkedHashMap<>(System.getenv());
    environment.keySet().removeIf(key -> key.startsWith("TALEA_"));
    // Anything that would make bash or the JVM print more than a reader's terminal shows.
    for (String noise :
        List.of(
            "BASH_ENV",
            "ENV",
            "CDPATH",
            "JAVA_TOOL_OPTIONS",
            "_JAVA_OPTIONS",
            "JDK_JAVA_OPTIONS")) {
      environment.remove(noise);
    }
    String javaBin = Path.of(System.getProperty("java.home"), "bin").toString();
    environment.put("PATH", javaBin + ":" + environment.getOrDefault("PATH", "/usr/bin:/bin"));
    environment.put("TALEA_BIND", bind);
    environment.put("JAVA_OPTS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC");
    return environment;
  }

  private static final class Terminal {
    final String name;
    Path state;
    int blocks;
    Process background;
    Run backgroundRun;
    Path backgroundOutput;

    Terminal(String name) {
      this.name = name;
    }
  }

  // ---- reading the markdown --------------------------------------------------------------------

  sealed interface Step permits Run, Check {}

  /** A {@code sh} block and the {@code text} block showing its output, if any. */
  static final class Run implements Step {
    private final int line;
    private final List<String> commands;
    private final String terminal;
    private final boolean background;
    private final int exit;
    private String expected;
    private int expectedLine;

    Run(int line, List<String> commands, String terminal, boolean background, int exit) {
      this.line = line;
      this.commands = commands;
      this.terminal = terminal;
      this.background = background;
      this.exit = exit;
    }

    int line() {
      return line;
    }

    List<String> commands() {
      return commands;
    }

    String terminal() {
      return terminal;
    }

    boolean background() {
      return background;
    }

    int exit() {
      return exit;
    }

    String expected() {
      return expected;
    }

    int expectedLine() {
      return expectedLine;
    }

    String source() {
      return commands.stream().map(command -> "    " + command).collect(Collectors.joining("\n"));
    }
  }

  /** A {@code text} block showing what a terminal's background command has printed so far. */
  record Check(int line, String terminal, String expected) implements Step {}

  /** The tutorial as steps; throws if it breaks a convention (see the class comment). */
  static List<Step> parse(String markdown, String name) {
    List<String> lines = markdown.lines().toList();
    List<Step> steps = new ArrayList<>();
    String terminal = "1";
    Run last = null;
    String directive = null;
    int directiveLine = 0;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      Matcher comment = DIRECTIVE.matcher(line.strip());
      Matcher fence = FENCE.matcher(line);
      if (comment.matches()) {
        if (directive != null) {
          throw new IllegalArgumentException(
              name + ":" + directiveLine + ": the directive is not followed by a code block");
        }
        directive = comment.group(1) + ":" + comment.group(2).strip();
        directiveLine = i + 1;
      } else if (fence.matches()) {
        String language = fence.group(1);
        int start = i + 1;
        List<String> body = new ArrayList<>();
        i++;
        while (i < lines.size() && !lines.get(i).startsWith("```")) {
          body.add(lines.get(i));
          i++;
        }
        if (i == lines.size()) {
          throw new IllegalArgumentException(name + ":" + start + ": unclosed code block");
        }
        Map<String, String> options = options(directive, name, directiveLine);
        if (language.equals("sh")) {
          if (directive != null && !directive.startsWith("run:")) {
            throw new IllegalArgumentException(
                name + ":" + directiveLine + ": an sh block takes a `run:` directive");
          }
          terminal = options.getOrDefault("terminal", terminal);
          last =
              new Run(
                  start,
                  List.copyOf(body),
                  terminal,
                  options.containsKey("background"),
                  Integer.parseInt(options.getOrDefault("exit", "0")));
          steps.add(last);
        } else if (language.equals("text")) {
          String text = String.join("\n", body);
          if (directive != null && directive.startsWith("output:")) {
            if (!options.containsKey("terminal")) {
              throw new IllegalArgumentException(
                  name + ":" + directiveLine + ": `output:` needs terminal=NAME");
            }
            steps.add(new Check(start, options.get("terminal"), text));
          } else if (directive != null) {
            throw new IllegalArgumentException(
                name + ":" + directiveLine + ": a text block takes an `output:` directive");
          } else if (last == null || last.expected != null) {
            throw new IllegalArgumentException(
                name + ":" + start + ": this text block follows no command block");
          } else {
            last.expected = text;
            last.expectedLine = start;
          }
        } else {
          throw new IllegalArgumentException(
              name
                  + ":"
                  + start
                  + ": a ```"
                  + language
                  + " block; only ```sh (commands) and ```text (their output) are allowed, so that"
                  + " nothing goes unchecked");
        }
        directive = null;
      } else if (directive != null && !line.isBlank()) {
        throw new IllegalArgumentException(
            name + ":" + directiveLine + ": the directive is not followed by a code block");
      }
    }
    if (directive != null) {
      throw new IllegalArgumentException(
          name + ":" + directiveLine + ": the directive is not followed by a code block");
    }
    List<Run> runs = steps.stream().filter(Run.class::isInstance).map(Run.class::cast).toList();
    if (runs.isEmpty()) {
      throw new IllegalArgumentException(name + " has no ```sh blocks: there is nothing to run");
    }
    for (Run run : runs) {
      if (run.commands().stream().allMatch(String::isBlank)) {
        throw new IllegalArgumentException(name + ":" + run.line() + ": an empty sh block");
      }
      if (run.background() && run.expected() == null) {
        throw new IllegalArgumentException(
            name
                + ":"
                + run.line()
                + ": a background block needs a text block after it, to know when it is ready");
      }
      if (run.exit() != 0 && run.expected() == null) {
        throw new IllegalArgumentException(
            name
                + ":"
                + run.line()
                + ": a block expected to fail needs a text block after it showing the error");
      }
    }
    return steps;
  }

  private static Map<String, String> options(String directive, String name, int line) {
    Map<String, String> options = new LinkedHashMap<>();
    if (directive == null) {
      return options;
    }
    String kind = directive.substring(0, directive.indexOf(':'));
    String rest = directive.substring(directive.indexOf(':') + 1).strip();
    for (String word : rest.isEmpty() ? new String[0] : rest.split("\\s+")) {
      int equals = word.indexOf('=');
      String key = equals < 0 ? word : word.substring(0, equals);
      String value = equals < 0 ? "" : word.substring(equals + 1);
      boolean known =
          kind.equals("run")
              ? (key.equals("background") && equals < 0)
                  || (key.equals("terminal") && !value.isEmpty())
                  || (key.equals("exit") && value.matches("\\d{1,3}"))
              : key.equals("terminal") && !value.isEmpty();
      if (!known) {
        throw new IllegalArgumentException(
            name + ":" + line + ": unknown or malformed option `" + word + "` in `" + kind + ":`");
      }
      options.put(key, value);
    }
    return options;
  }

  // ---- comparing output ------------------------------------------------------------------------

  /** The expected text as the test's server prints it: with the test's address. */
  private static String expected(String text, String bind) {
    return text.replace(DEFAULT_BIND, bind);
  }

  /** Trailing spaces and blank lines dropped, values that vary replaced by their shape. */
  static List<String> normalize(String text) {
    List<String> lines =
        new ArrayList<>(text.replace("\r", "").lines().map(String::stripTrailing).toList());
    while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
      lines.remove(lines.size() - 1);
    }
    List<String> normalized = new ArrayList<>();
    for (String line : lines) {
      line = UUID.matcher(line).replaceAll("<uuid>");
      line = TIMESTAMP.matcher(line).replaceAll("<timestamp>");
      line =
          HASH.matcher(line)
              .replaceAll(hash -> hash.group().matches("0+") ? hash.group() : "<hash>");
      normalized.add(line);
    }
    return normalized;
  }

  /** Whether the printed text matches the expected text, by the rules in the class comment. */
  static boolean matches(String expected, String printed) {
    StringBuilder regex = new StringBuilder();
    for (String line : normalize(expected)) {
      if (line.equals(ELLIPSIS)) {
        regex.append("(?:[^\\n]*\\n)*");
      } else {
        String[] parts = line.split(ELLIPSIS, -1);
        for (int i = 0; i < parts.length; i++) {
          if (i > 0) {
            regex.append("[^\\n]*");
          }
          regex.append(Pattern.quote(parts[i]));
        }
        regex.append("\\n");
      }
    }
    StringBuilder actual = new StringBuilder();
    normalize(printed).forEach(line -> actual.append(line).append('\n'));
    return Pattern.compile(regex.toString()).matcher(actual).matches();
  }

  private static String difference(String expected, String printed, String bind) {
    return "--- expected (as normalized; the tutorial's 127.0.0.1:8080 is "
        + bind
        + " here):\n"
        + String.join("\n", normalize(expected(expected, bind)))
        + "\n--- printed (as normalized):\n"
        + String.join("\n", normalize(printed))
        + "\n--- printed (raw):\n"
        + printed;
  }

  // ---- the conventions themselves --------------------------------------------------------------

  @Test
  void aDocumentWithoutCommandBlocksIsRejectedRatherThanPassingEmpty() {
    assertThatThrownBy(() -> parse("# Nothing to see\n\nJust prose.\n", "empty.md"))
        .hasMessageContaining("no ```sh blocks");
    assertThatThrownBy(() -> parse("```text\nhello\n```\n", "orphan.md"))
        .hasMessageContaining("follows no command block");
  }

  @Test
  void blocksThatWouldGoUncheckedAreRejected() {
    assertThatThrownBy(() -> parse("```bash\necho hi\n```\n", "bash.md"))
        .hasMessageContaining("only ```sh");
    assertThatThrownBy(() -> parse("<!-- run: exit=1 -->\n```sh\nfalse\n```\n", "fail.md"))
        .hasMessageContaining("needs a text block");
    assertThatThrownBy(() -> parse("<!-- run: background -->\n```sh\nsleep 9\n```\n", "bg.md"))
        .hasMessageContaining("needs a text block");
    assertThatThrownBy(() -> parse("<!-- run: backgorund -->\n```sh\ntrue\n```\n", "typo.md"))
        .hasMessageContaining("unknown or malformed option `backgorund`");
    assertThatThrownBy(() -> parse("<!-- run: terminal=2 -->\nprose\n```sh\ntrue\n```\n", "x.md"))
        .hasMessageContaining("not followed by a code block");
    assertThatThrownBy(
            () -> parse("```sh\necho a\n```\n```text\na\n```\n```text\na\n```\n", "twice.md"))
        .hasMessageContaining("follows no command block");
  }

  @Test
  void directivesSwitchTerminalsAndAttachOutput() {
    List<Step> steps =
        parse(
            """
            ```sh
            echo one
            ```
            Some prose in between.
            ```text
            one
            ```
            <!-- run: terminal=3 background -->

            ```sh
            tail -f x
            ```
            ```text
            ready
            ```
            <!-- run: terminal=2 exit=1 -->
            ```sh
            false
            ```
            ```text
            ```
            ```sh
            echo still two
            ```
            <!-- output: terminal=3 -->
            ```text
            ready
            more
            ```
            """,
            "ok.md");

    assertThat(steps).hasSize(5);
    Run first = (Run) steps.get(0);
    assertThat(first.terminal()).isEqualTo("1");
    assertThat(first.expected()).isEqualTo("one");
    Run tail = (Run) steps.get(1);
    assertThat(tail.terminal()).isEqualTo("3");
    assertThat(tail.background()).isTrue();
    Run failing = (Run) steps.get(2);
    assertThat(failing.terminal()).isEqualTo("2");
    assertThat(failing.exit()).isEqualTo(1);
    assertThat(((Run) steps.get(3)).terminal()).isEqualTo("2");
    assertThat(steps.get(4)).isEqualTo(new Check(26, "3", "ready\nmore"));
  }

  @Test
  void outputMatchesExactlyExceptForValuesThatVaryAndEllipses() {
    String printed =
        "committed seq 2 in book exchange   \n"
            + "tx_id         01a1fdb0-6fa0-7d49-b644-562f04874140\n"
            + "committed_at  2026-11-21T10:39:20.983677Z\n"
            + "hash          84eb0b8505dbe497b468181f20b9aadaafcf68b175696cdc4a4aef2b63154907\n"
            + "prev_hash     0000000000000000000000000000000000000000000000000000000000000000\n\n";
    String shown =
        "committed seq 2 in book exchange\n"
            + "tx_id         01a1fd51-b4aa-7a2e-bba1-0b7c3670d67d\n"
            + "committed_at  2026-01-01T00:00:00.000001Z\n"
            + "hash          4cca304f6aa7c7d6a9ad4ca7ef9f41d7394764b90c3466f9eb50a1edc5724982\n"
            + "prev_hash     0000000000000000000000000000000000000000000000000000000000000000";

    assertThat(matches(shown, printed)).isTrue();
    assertThat(matches(shown.replace("seq 2", "seq 3"), printed)).isFalse();
    assertThat(matches(shown.replace("prev_hash     0000", "prev_hash     1000"), printed))
        .isFalse();
    assertThat(matches(shown + "\nmore", printed)).isFalse();
    assertThat(matches("committed seq \u2026 in book exchange\n\u2026", printed)).isTrue();
    assertThat(matches("\u2026\nprev_hash  \u2026", printed)).isTrue();
    assertThat(matches("committed seq 2 in book exchange", printed)).isFalse();
    assertThat(matches("", "")).isTrue();
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private static String read(Path file) {
    try {
      return Files.isRegularFile(file)
          ? new String(Files.readAllBytes(file), StandardCharsets.UTF_8)
          : "";
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e + ")";
    }
  }

  private static void transcript(Run run, int line, String printed, Integer exit) {
    String entry =
        "\nline %d, terminal %s%s:\n\n```sh\n%s\n```\n\n```text\n%s```\n"
            .formatted(
                line,
                run.terminal(),
                exit == null ? " (background, output so far)" : ", exit " + exit,
                String.join("\n", run.commands()),
                printed.isEmpty() || printed.endsWith("\n") ? printed : printed + "\n");
    try {
      Files.writeString(TRANSCRIPT, entry, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String quote(String text) {
    return "'" + text.replace("'", "'\\''") + "'";
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
