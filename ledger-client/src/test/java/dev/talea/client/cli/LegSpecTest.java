package dev.talea.client.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.talea.protocol.DecimalAmount;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class LegSpecTest {

  @Test
  void theLastTwoPartsAreTheAssetAndTheAmountAndTheRestIsTheAccount() {
    Converters.LegSpec leg = Converters.LegSpec.parse("liabilities:customers:alice:BTC:0.5");

    assertThat(leg.account()).isEqualTo("liabilities:customers:alice");
    assertThat(leg.asset()).isEqualTo("BTC");
    assertThat(leg.amount()).isEqualTo(DecimalAmount.parsePositive("0.5", "amount"));
    assertThat(leg.amount().asWritten()).isEqualTo("0.5");
  }

  @Test
  void anAccountWithoutColonsWorksToo() {
    Converters.LegSpec leg = Converters.LegSpec.parse("cash:USDC.ERC20:1000");

    assertThat(leg.account()).isEqualTo("cash");
    assertThat(leg.asset()).isEqualTo("USDC.ERC20");
    assertThat(leg.amount().asWritten()).isEqualTo("1000");
  }

  @Test
  void trailingZerosOfTheAmountAreKeptAsWritten() {
    assertThat(Converters.LegSpec.parse("a:BTC:1.50").amount().asWritten()).isEqualTo("1.50");
  }

  @Test
  void fewerThanThreePartsAreMalformed() {
    assertThatThrownBy(() -> Converters.LegSpec.parse("BTC:1"))
        .isInstanceOf(TypeConversionException.class)
        .hasMessage(
            "'BTC:1': expected ACCOUNT:ASSET:AMOUNT (e.g. liabilities:customers:alice:BTC:0.5)");
    assertThatThrownBy(() -> Converters.LegSpec.parse(":BTC:1"))
        .hasMessageStartingWith("':BTC:1': expected ACCOUNT:ASSET:AMOUNT");
    assertThatThrownBy(() -> Converters.LegSpec.parse("1000"))
        .hasMessageStartingWith("'1000': expected ACCOUNT:ASSET:AMOUNT");
  }

  @Test
  void anEmptyAssetOrAmountIsMalformed() {
    assertThatThrownBy(() -> Converters.LegSpec.parse("alice::1"))
        .hasMessageStartingWith("'alice::1': the asset is empty");
    assertThatThrownBy(() -> Converters.LegSpec.parse("alice:BTC:"))
        .hasMessageStartingWith("'alice:BTC:': the amount is empty");
  }

  @Test
  void anAmountOutsideThePlainDecimalGrammarIsMalformed() {
    for (String amount : new String[] {"1e5", "-1", "0", "01", ".5", "1.", "+1", " 1"}) {
      assertThatThrownBy(() -> Converters.LegSpec.parse("alice:BTC:" + amount))
          .as(amount)
          .isInstanceOf(TypeConversionException.class)
          .hasMessageContaining(
              "'" + amount + "' is not a positive plain decimal amount such as 0.5 or 1000");
    }
  }
}
