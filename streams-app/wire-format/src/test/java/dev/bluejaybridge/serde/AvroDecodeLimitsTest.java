package dev.bluejaybridge.serde;

import static dev.bluejaybridge.serde.TelemetrySamples.TOOL_CALLS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.bluejaybridge.registry.InMemorySchemaRegistry;
import dev.bluejaybridge.telemetry.ToolCall;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 item 7: decoding a hostile value ends fast, as {@code decode-limit}, and the thread that
 * decodes never hangs or overflows its stack. The values are ToolCalls of a writer whose schema has
 * one more field, which the reader does not have and so skips.
 */
class AvroDecodeLimitsTest {
  /** Generous: on a quiet machine each of these takes milliseconds. */
  private static final Duration BOUND = Duration.ofSeconds(2);

  private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
  private final AvroDeserializer<ToolCall> toolCalls =
      new AvroDeserializer<>(registry, ToolCall.class);

  @Test
  void writerOnlyArrayOfTwoToThe31NullsIsDecodeLimitWithinTheBound() {
    byte[] value =
        withExtraField("{\"type\":\"array\",\"items\":\"null\"}", block(1L << 31), end());

    TelemetryDecodeException error = decodeFailure(value);

    assertThat(error.reason()).isEqualTo("decode-limit");
    assertThat(error).hasMessageContaining("array items and map entries");
  }

  @Test
  void manyBlocksOfNullsEachUnderAvrosOwnLimitAreDecodeLimitToo() {
    // Avro's collection limit (about 2^31) applies per block when read, never when skipped.
    byte[] blocks = new byte[0];
    for (int i = 0; i < 8; i++) {
      blocks = TelemetrySamples.concat(blocks, block(Integer.MAX_VALUE - 8));
    }
    byte[] value = withExtraField("{\"type\":\"array\",\"items\":\"null\"}", blocks, end());

    assertThat(decodeFailure(value).reason()).isEqualTo("decode-limit");
  }

  @Test
  void mapOfNullsDeclaringMoreEntriesThanBytesIsDecodeLimit() {
    byte[] value = withExtraField("{\"type\":\"map\",\"values\":\"null\"}", block(1L << 40), end());

    assertThat(decodeFailure(value).reason()).isEqualTo("decode-limit");
  }

  @Test
  void recursiveWriterOnlyFieldNestedDeeperThanTheLimitIsDecodeLimitNotAStackOverflow() {
    String node =
        "{\"type\":\"record\",\"name\":\"Node\",\"fields\":"
            + "[{\"name\":\"next\",\"type\":[\"null\",\"Node\"]}]}";
    int levels = 200_000;
    byte[] chain = new byte[levels + 1];
    java.util.Arrays.fill(chain, 0, levels, (byte) 2); // union branch 1: another Node
    chain[levels] = 0; // branch 0: null
    byte[] value = withExtraField(node, chain);

    TelemetryDecodeException error = decodeFailure(value);

    assertThat(error.reason()).isEqualTo("decode-limit");
    assertThat(error).hasMessageContaining("deeper than " + BoundedAvroWalk.MAX_DEPTH);
  }

  @Test
  void hugeDeclaredLengthsInWriterOnlyFieldsAreTruncatedFast() {
    for (String type : new String[] {"\"string\"", "\"bytes\""}) {
      byte[] value = withExtraField(type, avroLong(Long.MAX_VALUE / 4));
      assertThat(decodeFailure(value).reason()).as(type).isEqualTo("truncated");
    }
    byte[] value =
        withExtraField("{\"type\":\"array\",\"items\":\"string\"}", block(3), avroLong(1L << 50));
    assertThat(decodeFailure(value).reason()).isEqualTo("truncated");
  }

  @Test
  void negativeLengthInAWriterOnlyFieldIsUndecodable() {
    byte[] value = withExtraField("\"string\"", avroLong(-3));

    assertThat(decodeFailure(value).reason()).isEqualTo("undecodable");
  }

  @Test
  void blockWhoseDeclaredByteSizeDoesNotMatchItsItemsIsUndecodable() {
    // count -2 (so a byte size follows), size 9, but the two longs take 2 bytes
    byte[] value =
        withExtraField(
            "{\"type\":\"array\",\"items\":\"long\"}",
            avroLong(-2),
            avroLong(9),
            avroLong(1),
            avroLong(2),
            end());

    assertThat(decodeFailure(value).reason()).isEqualTo("undecodable");
  }

  @Test
  void blocksWithByteSizesAndManySmallItemsStillDecode() {
    int items = 5_000;
    byte[] longs = new byte[0];
    for (int i = 0; i < items; i++) {
      longs = TelemetrySamples.concat(longs, avroLong(i % 50));
    }
    byte[] value =
        withExtraField(
            "{\"type\":\"array\",\"items\":\"long\"}",
            avroLong(-items),
            avroLong(longs.length),
            longs,
            block(2),
            avroLong(7),
            avroLong(8),
            end());

    assertThat(toolCalls.deserialize(TOOL_CALLS, value)).isEqualTo(TelemetrySamples.toolCall());
  }

  @Test
  void aFewNullsInAWriterOnlyFieldStillDecode() {
    byte[] value = withExtraField("{\"type\":\"array\",\"items\":\"null\"}", block(20), end());

    assertThat(toolCalls.deserialize(TOOL_CALLS, value)).isEqualTo(TelemetrySamples.toolCall());
  }

  private TelemetryDecodeException decodeFailure(byte[] value) {
    return assertTimeoutPreemptively(
        BOUND,
        () ->
            assertThatExceptionOfType(TelemetryDecodeException.class)
                .isThrownBy(() -> toolCalls.deserialize(TOOL_CALLS, value))
                .actual());
  }

  /**
   * A ToolCall (TelemetrySamples.toolCall()) by a writer whose schema has a last field {@code
   * extra} of {@code extraType}, with {@code extraBytes} as that field's encoding.
   */
  private byte[] withExtraField(String extraType, byte[]... extraBytes) {
    String json = ToolCall.SCHEMA$.toString();
    Schema writer =
        new Schema.Parser()
            .parse(
                json.substring(0, json.length() - 2)
                    + ",{\"name\":\"extra\",\"type\":"
                    + extraType
                    + "}]}");
    int id = registry.register(TOOL_CALLS + "-value", writer);
    byte[] known =
        new AvroSerializer<ToolCall>(registry, true)
            .serialize(TOOL_CALLS, TelemetrySamples.toolCall());
    byte[] payload = WireFormat.decode(known).payload();
    for (byte[] part : extraBytes) {
      payload = TelemetrySamples.concat(payload, part);
    }
    return WireFormat.encode(id, payload);
  }

  private static byte[] block(long count) {
    return avroLong(count);
  }

  private static byte[] end() {
    return avroLong(0);
  }

  private static byte[] avroLong(long value) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
      encoder.writeLong(value);
      encoder.flush();
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
