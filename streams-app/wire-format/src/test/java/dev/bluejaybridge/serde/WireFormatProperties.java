package dev.bluejaybridge.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;

class WireFormatProperties {

  @Property
  void encodeThenDecodeGivesBackIdAndPayload(@ForAll int schemaId, @ForAll byte[] payload) {
    WireFormat.Framed framed = WireFormat.decode(WireFormat.encode(schemaId, payload));

    assertThat(framed.schemaId()).isEqualTo(schemaId);
    assertThat(framed.payloadLength()).isEqualTo(payload.length);
    assertThat(
            Arrays.copyOfRange(
                framed.data(),
                framed.payloadOffset(),
                framed.payloadOffset() + framed.payloadLength()))
        .isEqualTo(payload);
  }

  @Property
  void encodedLengthIsHeaderPlusPayload(@ForAll int schemaId, @ForAll byte[] payload) {
    assertThat(WireFormat.encode(schemaId, payload)).hasSize(5 + payload.length);
  }

  @Property
  void dataShorterThanFiveBytesIsAlwaysAWireFormatException(@ForAll @Size(max = 4) byte[] data) {
    assertThatThrownBy(() -> WireFormat.decode(data))
        .isExactlyInstanceOf(WireFormatException.class);
  }

  @Property
  void nonZeroFirstByteIsAlwaysABadMagicByte(@ForAll byte first, @ForAll byte[] rest) {
    Assume.that(first != 0);
    byte[] data = TelemetrySamples.concat(new byte[] {first}, rest);

    assertThatThrownBy(() -> WireFormat.decode(data))
        .isExactlyInstanceOf(WireFormatException.class)
        .hasMessageContaining("magic byte")
        .extracting(e -> ((WireFormatException) e).problem())
        .isEqualTo(WireFormatException.Problem.BAD_MAGIC_BYTE);
  }

  @Property
  void anyBytesDecodeOrFailWithWireFormatExceptionOnly(@ForAll byte[] data) {
    try {
      WireFormat.Framed framed = WireFormat.decode(data);
      assertThat(framed.payloadOffset() + framed.payloadLength()).isEqualTo(data.length);
    } catch (WireFormatException expected) {
      assertThat(data.length < 5 || data[0] != 0).isTrue();
    }
  }
}
