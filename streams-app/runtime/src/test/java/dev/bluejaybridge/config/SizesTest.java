package dev.bluejaybridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SizesTest {

  @Test
  void parsesBinaryUnitsAndPlainBytes() {
    assertThat(Sizes.parse("512KiB")).isEqualTo(512L * 1024);
    assertThat(Sizes.parse("64MiB")).isEqualTo(64L * 1024 * 1024);
    assertThat(Sizes.parse("1GiB")).isEqualTo(1024L * 1024 * 1024);
    assertThat(Sizes.parse("8GiB")).isEqualTo(8L * 1024 * 1024 * 1024);
    assertThat(Sizes.parse("1048576")).isEqualTo(1_048_576L);
    assertThat(Sizes.parse(" 64 mib ")).isEqualTo(64L * 1024 * 1024);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "MiB", "64MB", "64M", "64 megabytes", "-1MiB", "1.5GiB", "0x10"})
  void refusesWhatIsNotASizeQuotingIt(String text) {
    assertThatThrownBy(() -> Sizes.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "'"
                + text
                + "' is not a size (use a whole number of bytes, or with KiB, MiB or GiB, e.g."
                + " 64MiB)");
  }

  @Test
  void refusesSizesBeyondALong() {
    assertThatThrownBy(() -> Sizes.parse("9000000000GiB"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("'9000000000GiB' is too large");
    assertThatThrownBy(() -> Sizes.parse("99999999999999999999"))
        .hasMessage("'99999999999999999999' is too large");
  }

  @Test
  void formatsInTheLargestExactUnit() {
    assertThat(Sizes.format(64L << 20)).isEqualTo("64MiB");
    assertThat(Sizes.format(1L << 30)).isEqualTo("1GiB");
    assertThat(Sizes.format(1536L << 10)).isEqualTo("1536KiB");
    assertThat(Sizes.format(1000)).isEqualTo("1000");
    assertThat(Sizes.format(0)).isEqualTo("0");
  }
}
