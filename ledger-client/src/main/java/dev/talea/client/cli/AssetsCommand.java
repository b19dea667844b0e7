package dev.talea.client.cli;

import dev.talea.client.TaleaClient;
import dev.talea.protocol.Asset;
import dev.talea.protocol.AssetSpec;
import dev.talea.protocol.Registration;
import dev.talea.protocol.json.WireWriter;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code talea assets list|register}: the global asset registry. */
@Command(
    name = "assets",
    mixinStandardHelpOptions = true,
    description = {
      "List and register assets.",
      "",
      "Assets are global: every book can post in every asset. Amounts are exact: an asset's decimals fix how many fractional digits its amounts may have."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  talea assets list",
      "  talea assets register --code BTC --decimals 8 --name Bitcoin"
    },
    subcommands = {AssetsCommand.ListAssets.class, AssetsCommand.Register.class})
final class AssetsCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "missing subcommand: `talea assets list` or `talea assets register`");
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = {
        "List every registered asset, sorted by code: code, decimals, name and when it was"
            + " registered."
      },
      footerHeading = "%nExample:%n",
      footer = {
        "  $ talea assets list",
        "  CODE  DECIMALS  NAME      CREATED_AT",
        "  BTC          8  Bitcoin   2026-11-21T08:00:00.104211Z",
        "  USDC         6  USD Coin  2026-11-21T08:00:00.131907Z"
      })
  static final class ListAssets extends ApiCommand {
    @Override
    int run(TaleaClient client) {
      List<Asset> assets = client.listAssets();
      if (json()) {
        printJson(WireWriter.assets(assets));
      } else {
        Render.assets(out(), assets);
      }
      return 0;
    }
  }

  @Command(
      name = "register",
      mixinStandardHelpOptions = true,
      description = {
        "Register an asset.",
        "",
        "Registering the same code with the same decimals again is harmless and replaces its"
            + " name with --name (none clears it); other decimals are refused with `conflict`.",
        "",
        "Needs a read-write token for every book."
      },
      footerHeading = "%nExample:%n",
      footer = {
        "  $ talea assets register --code BTC --decimals 8 --name Bitcoin",
        "  registered asset BTC",
        "  CODE  DECIMALS  NAME     CREATED_AT",
        "  BTC          8  Bitcoin  2026-11-21T08:00:00.104211Z"
      })
  static final class Register extends ApiCommand {
    @Option(
        names = "--code",
        required = true,
        paramLabel = "CODE",
        description = "Asset code: upper-case letters, digits, '_', '.', '-' (BTC, USDC.ERC20).")
    String code;

    @Option(
        names = "--decimals",
        required = true,
        paramLabel = "N",
        description = "Fractional digits of the asset's amounts, 0-36 (8 for BTC, 18 for ETH).")
    int decimals;

    @Option(
        names = "--name",
        paramLabel = "NAME",
        description = "A display name, at most 128 characters.")
    String name;

    @Override
    int run(TaleaClient client) {
      Registration<Asset> registration = client.registerAsset(new AssetSpec(code, decimals, name));
      if (json()) {
        printJson(WireWriter.asset(registration.value()));
      } else {
        out()
            .println(
                registration.created()
                    ? "registered asset " + code
                    : "asset "
                        + code
                        + " was already registered with these decimals; its name is now as"
                        + " given");
        Render.assets(out(), List.of(registration.value()));
      }
      return 0;
    }
  }
}
