package dev.talea.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** UUIDv7 transaction ids (RFC 9562), contract §6. */
class TxIdsTest {

  /** The largest 48-bit Unix millisecond value a UUIDv7 can hold. */
  private static final long MAX_MILLIS = 0xFFFF_FFFF_FFFFL;

  @Test
  void newIdIsVersion7WithTheIetfVariant() {
    UUID id = TxIds.newId();

    assertThat(id.version()).isEqualTo(7);
    assertThat(id.variant()).isEqualTo(2);
    assertThat(id.toString())
        .matches("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  }

  @Test
  void newIdEmbedsTheCurrentTime() {
    long before = System.currentTimeMillis();
    UUID id = TxIds.newId();
    long after = System.currentTimeMillis();

    assertThat(TxIds.unixMillis(id)).isBetween(before, after);
  }

  @Test
  void newIdEmbedsExactlyTheMillisGiven() {
    UUID id = TxIds.newId(1_763_647_320_123L);

    assertThat(TxIds.unixMillis(id)).isEqualTo(1_763_647_320_123L);
    assertThat(id.toString()).startsWith("019aa192-703b-7");
    assertThat(id.getMostSignificantBits() >>> 16).isEqualTo(1_763_647_320_123L);
  }

  @Test
  void theMillisFieldCoversItsWhole48BitRange() {
    UUID zero = TxIds.newId(0L);
    UUID max = TxIds.newId(MAX_MILLIS);

    assertThat(TxIds.unixMillis(zero)).isZero();
    assertThat(zero.toString()).startsWith("00000000-0000-7");
    assertThat(TxIds.unixMillis(max)).isEqualTo(MAX_MILLIS);
    assertThat(max.toString()).startsWith("ffffffff-ffff-7");
    assertThat(max.version()).isEqualTo(7);
    assertThat(max.variant()).isEqualTo(2);
  }

  @Property(tries = 1000)
  void versionVariantAndMillisHoldForAnyTime(
      @ForAll @LongRange(min = 0L, max = MAX_MILLIS) long millis) {
    UUID id = TxIds.newId(millis);

    assertThat(id.version()).isEqualTo(7);
    assertThat(id.variant()).isEqualTo(2);
    assertThat(TxIds.unixMillis(id)).isEqualTo(millis);
    assertThat(id.toString().replace("-", "").substring(0, 12))
        .isEqualTo(String.format("%012x", millis));
  }

  @Test
  void oneHundredThousandNewIdsAreDistinct() {
    Set<UUID> ids = new HashSet<>();
    for (int i = 0; i < 100_000; i++) {
      ids.add(TxIds.newId());
    }

    assertThat(ids).hasSize(100_000);
  }

  @Test
  void oneHundredThousandIdsInTheSameMillisecondAreDistinct() {
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 100_000; i++) {
      ids.add(TxIds.newId(1_763_647_320_000L).toString());
    }

    assertThat(ids).hasSize(100_000);
  }

  @Provide
  Arbitrary<List<Long>> increasingMillis() {
    return Arbitraries.longs()
        .between(1L, 1L << 40)
        .list()
        .ofMinSize(2)
        .ofMaxSize(50)
        .flatMap(
            steps ->
                Arbitraries.longs()
                    .between(0L, MAX_MILLIS - (1L << 40) * 50)
                    .map(
                        start -> {
                          List<Long> millis = new ArrayList<>();
                          long current = start;
                          for (long step : steps) {
                            current += step;
                            millis.add(current);
                          }
                          return millis;
                        }));
  }

  @Property(tries = 300)
  void idsFromStrictlyIncreasingMillisecondsSortInThatOrderAsStrings(
      @ForAll("increasingMillis") List<Long> millis) {
    List<String> ids = new ArrayList<>();
    for (long m : millis) {
      ids.add(TxIds.newId(m).toString());
    }

    assertThat(ids).isSorted();
    assertThat(ids).doesNotHaveDuplicates();
  }

  @Test
  void everyIdOfALaterMillisecondSortsAfterEveryIdOfAnEarlierOneAcrossHexDigitCarries() {
    long[] millis = {
      0L, 1L, 0xFL, 0x10L, 0xFFFL, 0x1000L, 0xFFFF_FFFFL, 0x1_0000_0000L, MAX_MILLIS - 1, MAX_MILLIS
    };
    for (int i = 1; i < millis.length; i++) {
      List<String> earlier = idStrings(millis[i - 1], 500);
      List<String> later = idStrings(millis[i], 500);

      assertThat(Collections.min(later))
          .as("ids at %d ms versus %d ms", millis[i], millis[i - 1])
          .isGreaterThan(Collections.max(earlier));
    }
  }

  private static List<String> idStrings(long millis, int count) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ids.add(TxIds.newId(millis).toString());
    }
    return ids;
  }

  @Test
  void consecutiveMillisecondsAlwaysSortInOrder() {
    long base = 1_763_647_320_000L;
    for (long m = base; m < base + 10_000; m++) {
      String earlier = TxIds.newId(m).toString();
      String later = TxIds.newId(m + 1).toString();
      assertThat(later).isGreaterThan(earlier);
    }
  }

  @Test
  void unixMillisRefusesOtherUuidVersions() {
    assertThatThrownBy(() -> TxIds.unixMillis(UUID.randomUUID()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TxIds.unixMillis(UUID.nameUUIDFromBytes(new byte[] {1})))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
