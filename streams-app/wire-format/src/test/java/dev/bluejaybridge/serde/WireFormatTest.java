package dev.bluejaybridge.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class WireFormatTest {

  @Test
  void encodesMagicByteThenBigEndianIdThenPayload() {
    byte[] framed = WireFormat.encode(0x01020304, new byte[] {9, 8});

    assertThat(framed).containsExactly(0, 1, 2, 3, 4, 9, 8);
  }

  @Test
  void decodesIdAndPayloadPositionWithoutCopying() {
    byte[] data = {0, 0, 0, 1, 0, 42, 43};

    WireFormat.Framed framed = WireFormat.decode(data);

    assertThat(framed.schemaId()).isEqualTo(256);
    assertThat(framed.data()).isSameAs(data);
    assertThat(framed.payloadOffset()).isEqualTo(5);
    assertThat(framed.payloadLength()).isEqualTo(2);
    assertThat(framed.payload()).containsExactly(42, 43);
  }

  @Test
  void decodesHeaderWithEmptyPayload() {
    WireFormat.Framed framed =
        WireFormat.decode(new byte[] {0, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff});

    assertThat(framed.schemaId()).isEqualTo(-1);
    assertThat(framed.payloadLength()).isZero();
  }

  @Test
  void rejectsDataShorterThanHeaderSayingHowLong() {
    assertThatThrownBy(() -> WireFormat.decode(new byte[] {0, 0, 1}))
        .isInstanceOf(WireFormatException.class)
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("too short: 3 bytes")
        .extracting(e -> ((WireFormatException) e).problem())
        .isEqualTo(WireFormatException.Problem.TOO_SHORT);
  }

  @Test
  void rejectsEmptyDataAsTooShort() {
    assertThatThrownBy(() -> WireFormat.decode(new byte[0]))
        .isInstanceOf(WireFormatException.class)
        .hasMessageContaining("too short: 0 bytes");
  }

  @Test
  void rejectsNonZeroMagicByteNamingIt() {
    assertThatThrownBy(() -> WireFormat.decode(new byte[] {(byte) 0x7b, 0, 0, 0, 1, 2}))
        .isInstanceOf(WireFormatException.class)
        .hasMessageContaining("magic byte is 0x7b, not 0x00")
        .extracting(e -> ((WireFormatException) e).problem())
        .isEqualTo(WireFormatException.Problem.BAD_MAGIC_BYTE);
  }

  @Test
  void shortJsonValueReadsAsBadMagicByteLikeConfluent() {
    assertThatThrownBy(
            () -> WireFormat.decode("{}".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
        .isInstanceOf(WireFormatException.class)
        .extracting(e -> ((WireFormatException) e).problem())
        .isEqualTo(WireFormatException.Problem.BAD_MAGIC_BYTE);
  }
}
