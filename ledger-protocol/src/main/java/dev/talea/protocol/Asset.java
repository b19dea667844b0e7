package dev.talea.protocol;

import java.time.Instant;
import java.util.Objects;

/** A registered asset. Assets are global: every book shares them. */
public record Asset(String code, int decimals, String name, Instant createdAt) {

  public Asset {
    Objects.requireNonNull(code, "code");
    Amounts.requireDecimals(decimals);
    Objects.requireNonNull(createdAt, "createdAt");
  }

  /** Whether this asset is what {@code spec} asks for (the conflict rule: code and decimals). */
  public boolean matches(AssetSpec spec) {
    return code.equals(spec.code()) && decimals == spec.decimals();
  }
}
