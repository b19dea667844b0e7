package dev.talea.torture;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class FaultsTest {

  private static final Set<Faults.Kind> ALL = EnumSet.allOf(Faults.Kind.class);

  @Test
  void theSameSeedGivesTheSameScheduleAndAnotherSeedAnother() {
    List<Faults.Fault> first = Faults.schedule(42, Duration.ofMinutes(10), ALL);
    assertThat(Faults.schedule(42, Duration.ofMinutes(10), ALL)).isEqualTo(first);
    assertThat(Faults.schedule(43, Duration.ofMinutes(10), ALL)).isNotEqualTo(first);
  }

  @Test
  void everyKindComesOnceARoundAndNoneInTheLastFiveSeconds() {
    List<Faults.Fault> schedule = Faults.schedule(7, Duration.ofSeconds(40), ALL);
    assertThat(schedule.size()).isGreaterThanOrEqualTo(4);
    assertThat(schedule.subList(0, 4).stream().map(Faults.Fault::kind).collect(Collectors.toSet()))
        .isEqualTo(ALL);
    assertThat(schedule).allSatisfy(f -> assertThat(f.at()).isLessThan(Duration.ofSeconds(35)));
  }

  @Test
  void noFaultsGiveAnEmptySchedule() {
    assertThat(Faults.schedule(1, Duration.ofMinutes(1), EnumSet.noneOf(Faults.Kind.class)))
        .isEmpty();
  }
}
