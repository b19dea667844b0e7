package dev.talea.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.talea.client.cli.Talea;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The reference pages cannot fall behind the code: every route of the OpenAPI description (which
 * {@code OpenApiConformanceTest} holds to the server) is in {@code reference-http-api.md}, every
 * setting talead reads is in its configuration table and in {@code howto-run.md}, and every command
 * and option of the {@code talea} command line is in {@code reference-cli.md}, under its command.
 */
class ReferenceDocsTest {

  private static final Path DOCS = Path.of("..", "docs");

  private static String read(String name) throws IOException {
    return Files.readString(DOCS.resolve(name));
  }

  @Test
  void everyRouteOfTheOpenApiDescriptionIsInTheHttpReference() throws IOException {
    JsonNode paths = new YAMLMapper().readTree(DOCS.resolve("openapi.yaml").toFile()).get("paths");
    String reference = read("reference-http-api.md");
    List<String> missing = new ArrayList<>();
    int routes = 0;
    for (Iterator<Map.Entry<String, JsonNode>> it = paths.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> path = it.next();
      for (Iterator<String> methods = path.getValue().fieldNames(); methods.hasNext(); ) {
        String method = methods.next();
        if (!Set.of("get", "put", "post", "delete", "patch").contains(method)) {
          continue;
        }
        routes++;
        String route = method.toUpperCase() + " " + path.getKey();
        if (!reference.contains("`" + route + "`")
            && !reference.contains("`" + route + "?")
            && !reference.contains("`" + route + " ")) {
          missing.add(route);
        }
      }
    }
    assertThat(routes).as("routes in openapi.yaml").isGreaterThanOrEqualTo(18);
    assertThat(missing).as("routes missing from reference-http-api.md").isEmpty();
  }

  @Test
  void everySettingIsDocumented() throws IOException {
    String reference = read("reference-http-api.md");
    String howto = read("howto-run.md");
    for (String variable : ServerSettings.VARIABLES.keySet()) {
      assertThat(reference).as("reference-http-api.md names %s", variable).contains(variable);
      assertThat(howto).as("howto-run.md names %s", variable).contains(variable);
    }
  }

  @Test
  void everyCommandAndOptionOfTheCliIsInTheCliReference() throws IOException {
    String reference = read("reference-cli.md");
    CommandLine root = Talea.commandLine(Map.of());
    String global = section(reference, "## Global options and environment");
    for (OptionSpec option : root.getCommandSpec().options()) {
      assertThat(global)
          .as("global option %s", option.longestName())
          .contains(option.longestName());
    }
    List<String> missing = new ArrayList<>();
    int commands = leaves(root, reference, missing);
    assertThat(commands).as("talea commands").isGreaterThanOrEqualTo(13);
    assertThat(missing).as("commands or options missing from reference-cli.md").isEmpty();
  }

  /** Checks each leaf command's section; returns how many leaf commands there are. */
  private static int leaves(CommandLine command, String reference, List<String> missing) {
    int count = 0;
    for (CommandLine sub : command.getSubcommands().values()) {
      CommandSpec spec = sub.getCommandSpec();
      if (spec.name().equals("help")) {
        continue;
      }
      if (!sub.getSubcommands().isEmpty()) {
        count += leaves(sub, reference, missing);
        continue;
      }
      count++;
      String heading = "### `" + spec.qualifiedName();
      if (!reference.contains(heading)) {
        missing.add(spec.qualifiedName());
        continue;
      }
      // A command may have several headings (talea post and talea post --file): take them all.
      StringBuilder sections = new StringBuilder();
      int at = reference.indexOf(heading);
      while (at >= 0) {
        sections.append(section(reference.substring(at), heading));
        at = reference.indexOf(heading, at + 1);
      }
      for (OptionSpec option : spec.options()) {
        if (option.inherited() || option.usageHelp() || option.versionHelp()) {
          continue;
        }
        if (!sections.toString().contains(option.longestName())) {
          missing.add(spec.qualifiedName() + " " + option.longestName());
        }
      }
    }
    return count;
  }

  /** The text from {@code heading} to the next heading of the same or a higher level. */
  private static String section(String text, String heading) {
    int start = text.indexOf(heading);
    assertThat(start).as("heading %s", heading).isNotNegative();
    String level = heading.substring(0, heading.indexOf(' ') + 1);
    int end = text.length();
    for (String marker : List.of("\n## ", "\n### ")) {
      if (marker.length() - 1 <= level.length()) {
        int next = text.indexOf(marker, start + heading.length());
        if (next >= 0) {
          end = Math.min(end, next);
        }
      }
    }
    return text.substring(start, end);
  }
}
