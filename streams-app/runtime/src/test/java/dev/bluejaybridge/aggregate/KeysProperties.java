package dev.bluejaybridge.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.Chars;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.NumericChars;
import net.jqwik.api.constraints.StringLength;

class KeysProperties {

  @Property
  void timersSortByDueTimeWhateverTheCallIds(
      @ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 2) long a,
      @ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 2) long b,
      @ForAll @AlphaChars @NumericChars @Chars({'-', 'ü', '/'}) @StringLength(min = 1, max = 40)
          String idA,
      @ForAll @AlphaChars @NumericChars @Chars({'-', 'ü', '/'}) @StringLength(min = 1, max = 40)
          String idB) {
    int byTime = Long.compare(a, b);
    if (byTime != 0) {
      assertThat(Integer.signum(Keys.timer(a, idA).compareTo(Keys.timer(b, idB))))
          .isEqualTo(byTime);
    }
    assertThat(Keys.timerDueAt(Keys.timer(a, idA))).isEqualTo(a);
    assertThat(Keys.timerCallId(Keys.timer(a, idA))).isEqualTo(idA);
  }

  @Property
  void aTimerIsWithinTheDueRangeExactlyWhenDue(
      @ForAll @LongRange(min = 0, max = 1L << 50) long dueAt,
      @ForAll @LongRange(min = 0, max = 1L << 50) long now,
      @ForAll @AlphaChars @NumericChars @Chars({'-', 'ü', '/'}) @StringLength(min = 1, max = 40)
          String id) {
    boolean inRange =
        Keys.timer(dueAt, id).compareTo(Keys.firstTimer()) >= 0
            && Keys.timer(dueAt, id).compareTo(Keys.timersDueBy(now)) <= 0;
    assertThat(inRange).isEqualTo(dueAt <= now);
  }

  @Property
  void aCallsPartsAreOneRangeInArrivalOrder(
      @ForAll @AlphaChars @NumericChars @Chars({'-', 'ü', '/'}) @StringLength(min = 1, max = 30)
          String id,
      @ForAll @AlphaChars @NumericChars @Chars({'-', 'ü', '/'}) @StringLength(min = 1, max = 30)
          String other,
      @ForAll @LongRange(min = 0, max = 1L << 40) long seq,
      @ForAll @LongRange(min = 0, max = 1L << 40) long otherSeq) {
    if (!id.equals(other)) {
      boolean otherInRange =
          Keys.part(other, otherSeq).compareTo(Keys.part(id, 0)) >= 0
              && Keys.part(other, otherSeq).compareTo(Keys.part(id, Long.MAX_VALUE)) <= 0;
      assertThat(otherInRange).as("another call's part inside this call's range").isFalse();
    }
    assertThat(Keys.part(id, seq).compareTo(Keys.part(id, seq + 1))).isNegative();
  }
}
