package dev.talea.client.cli;

import dev.talea.protocol.AccountKind;
import dev.talea.protocol.DecimalAmount;
import dev.talea.protocol.LedgerException;
import dev.talea.protocol.Timestamps;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Option values that the CLI reads itself. A value that does not parse is a usage error (exit 2)
 * with a message saying what was expected.
 */
final class Converters {

  private Converters() {}

  /** An RFC 3339 timestamp, as the server accepts it (any offset, at most 6 fractional digits). */
  static final class Timestamp implements ITypeConverter<Instant> {
    @Override
    public Instant convert(String value) {
      try {
        return Timestamps.parse(value, "timestamp");
      } catch (LedgerException e) {
        throw new TypeConversionException(
            "'"
                + value
                + "' is not an RFC 3339 timestamp with at most 6 fractional digits, such as"
                + " 2026-11-20T14:02:00Z or 2026-11-20T15:02:00.123456+01:00");
      }
    }
  }

  /** A transaction id: a UUID in its canonical 8-4-4-4-12 hex form. */
  static final class TxId implements ITypeConverter<UUID> {
    private static final Pattern UUID_TEXT =
        Pattern.compile(
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    @Override
    public UUID convert(String value) {
      if (!UUID_TEXT.matcher(value).matches()) {
        throw new TypeConversionException(
            "'" + value + "' is not a transaction id (a UUID such as 0193a5c2-...)");
      }
      return UUID.fromString(value);
    }
  }

  /** A signed decimal such as {@code 0} or {@code -500} (a min_balance). */
  static final class SignedDecimal implements ITypeConverter<DecimalAmount> {
    @Override
    public DecimalAmount convert(String value) {
      try {
        return DecimalAmount.parseSigned(value, "min_balance");
      } catch (LedgerException e) {
        throw new TypeConversionException(
            "'" + value + "' is not a plain decimal such as 0, 100.5 or -500");
      }
    }
  }

  /** An account kind by its wire name. */
  static final class Kind implements ITypeConverter<AccountKind> {
    @Override
    public AccountKind convert(String value) {
      AccountKind kind = AccountKind.fromWire(value);
      if (kind == null) {
        throw new TypeConversionException(
            "'" + value + "' is not an account kind (asset, liability, equity, income, expense)");
      }
      return kind;
    }
  }

  /** The completion candidates and help text of {@link Kind}. */
  static final class Kinds implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
      return List.of("asset", "liability", "equity", "income", "expense").iterator();
    }
  }

  /** One posting leg, {@code ACCOUNT:ASSET:AMOUNT}, read from the right. */
  static final class Leg implements ITypeConverter<LegSpec> {
    @Override
    public LegSpec convert(String value) {
      return LegSpec.parse(value);
    }
  }

  /**
   * One leg of a posting on the command line. The account may itself contain colons ({@code
   * liabilities:customers:alice}), so the text is split from the right: the last part is the
   * amount, the one before it the asset, and everything before that the account.
   */
  record LegSpec(String account, String asset, DecimalAmount amount) {

    static LegSpec parse(String text) {
      int amountColon = text.lastIndexOf(':');
      int assetColon = amountColon <= 0 ? -1 : text.lastIndexOf(':', amountColon - 1);
      if (assetColon <= 0) {
        throw malformed(text, "expected ACCOUNT:ASSET:AMOUNT");
      }
      String account = text.substring(0, assetColon);
      String asset = text.substring(assetColon + 1, amountColon);
      String amount = text.substring(amountColon + 1);
      if (asset.isEmpty()) {
        throw malformed(text, "the asset is empty");
      }
      if (amount.isEmpty()) {
        throw malformed(text, "the amount is empty");
      }
      try {
        return new LegSpec(account, asset, DecimalAmount.parsePositive(amount, "amount"));
      } catch (LedgerException e) {
        throw malformed(
            text, "'" + amount + "' is not a positive plain decimal amount such as 0.5 or 1000");
      }
    }

    private static TypeConversionException malformed(String text, String why) {
      return new TypeConversionException(
          "'" + text + "': " + why + " (e.g. liabilities:customers:alice:BTC:0.5)");
    }
  }
}
