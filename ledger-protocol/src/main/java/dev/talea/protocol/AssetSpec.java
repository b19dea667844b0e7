package dev.talea.protocol;

/**
 * A request to register an asset. Registering the identical asset again is harmless; the same code
 * with different {@code decimals} is a {@code conflict}.
 *
 * @param code the asset code, e.g. {@code BTC} or {@code USDC.ERC20}
 * @param decimals minor-unit exponent, 0–36 ({@code 8} for BTC)
 * @param name optional display name, at most 128 characters
 */
public record AssetSpec(String code, int decimals, String name) {

  public static final int MAX_NAME_LENGTH = 128;

  public AssetSpec {
    Names.requireAssetCode(code, "code");
    if (decimals < 0 || decimals > Amounts.MAX_DECIMALS) {
      throw LedgerError.invalidRequest("decimals", "decimals must be an integer 0-36")
          .toException();
    }
    if (name != null) {
      TextRules.requireStorable(name, "name");
      if (name.codePointCount(0, name.length()) > MAX_NAME_LENGTH) {
        throw LedgerError.invalidRequest("name", "name must be at most 128 characters")
            .toException();
      }
    }
  }
}
