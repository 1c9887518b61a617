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
 * decodes never hangs or overflows its stack; values within the limits, however large, decode. The
 * values are ToolCalls of a writer whose schema has one more field, which the reader does not have
 * and so skips.
 */
class AvroDecodeLimitsTest {
  /** Generous: on a quiet machine each of these takes milliseconds. */
  private static final Duration BOUND = Duration.ofSeconds(2);

  /** For values of a mebibyte: their work takes well under a second on a quiet machine. */
  private static final Duration LARGE_BOUND = Duration.ofSeconds(10);

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

  @Test
  void arrayOfFewerItemsThanBytesThatAreEachHugeTreesOfZeroWidthRecordsIsDecodeLimit() {
    // R15 is 2^16 - 1 records of no width: 50 items in a value of under 100 bytes are 3.3 million
    // nodes (in a 1 MiB value, a million items would be 6.9e10). The items fit the item bound.
    byte[] value =
        withExtraField(
            "{\"type\":\"array\",\"items\":" + doublingRecords(15, "") + "}", block(50), end());

    TelemetryDecodeException error = decodeFailure(value);

    assertThat(error.reason()).isEqualTo("decode-limit");
    assertThat(error).hasMessageContaining("schema nodes");
  }

  @Test
  void zeroByteTreesOfOtherZeroWidthTypesAreDecodeLimit() {
    // Records of null, of an empty fixed, of an empty record: all take no byte. (An enum, even of
    // one symbol, and a union, even of null alone, take a byte for their index.)
    for (String leafFields :
        new String[] {
          "{\"name\":\"n\",\"type\":\"null\"}",
          "{\"name\":\"f\",\"type\":{\"type\":\"fixed\",\"name\":\"Empty\",\"size\":0}}",
          "{\"name\":\"e\",\"type\":{\"type\":\"record\",\"name\":\"E\",\"fields\":[]}}"
        }) {
      byte[] value = withExtraField(doublingRecords(40, leafFields));

      assertThat(decodeFailure(value).reason()).as(leafFields).isEqualTo("decode-limit");
    }
  }

  @Test
  void theWalkAloneEndsAZeroByteTreeOfTwoToThe41Records() {
    Schema bomb = new Schema.Parser().parse(doublingRecords(40, ""));

    assertThatExceptionOfType(BoundedAvroWalk.LimitExceeded.class)
        .isThrownBy(
            () ->
                assertTimeoutPreemptively(
                    BOUND, () -> BoundedAvroWalk.walk(bomb, new byte[0], 0, 0)))
        .withMessageContaining("more than " + BoundedAvroWalk.WORK_BASE + " schema nodes");
  }

  @Test
  void theMostWorkA1MibValueMayDescribeIsWalkedAndSkippedWithinTheBound() {
    // A million items of R3 (15 records of no width each): 15 million nodes, just within the budget
    // of a value of 1 MB (the pad makes the length), walked and then skipped by Avro.
    int items = 1_000_000;
    String writerOnly =
        "{\"type\":\"record\",\"name\":\"Padded\",\"fields\":["
            + "{\"name\":\"pad\",\"type\":\"string\"},"
            + "{\"name\":\"items\",\"type\":{\"type\":\"array\",\"items\":"
            + doublingRecords(3, "")
            + "}}]}";
    byte[] pad = new byte[items];
    java.util.Arrays.fill(pad, (byte) 'x');
    byte[] value = withExtraField(writerOnly, avroLong(pad.length), pad, block(items), end());

    ToolCall decoded =
        assertTimeoutPreemptively(LARGE_BOUND, () -> toolCalls.deserialize(TOOL_CALLS, value));

    assertThat(decoded).isEqualTo(TelemetrySamples.toolCall());
  }

  @Test
  void recordsOfThousandsOfNullFieldsAndValuesOfAMebibyteDecode() {
    StringBuilder fields = new StringBuilder();
    for (int i = 0; i < 20_000; i++) {
      fields.append(i == 0 ? "" : ",").append("{\"name\":\"f").append(i);
      fields.append("\",\"type\":[\"null\",\"long\"],\"default\":null}");
    }
    byte[] nulls = new byte[20_000]; // union branch 0 each: 40,001 nodes in 20,000 bytes
    byte[] manyFields =
        withExtraField(
            "{\"type\":\"record\",\"name\":\"Many\",\"fields\":[" + fields + "]}", nulls);
    ToolCall big =
        ToolCall.newBuilder(TelemetrySamples.toolCall())
            .setOutputJson("\"" + "y".repeat(1_000_000) + "\"")
            .build();
    byte[] mebibyte = new AvroSerializer<ToolCall>(registry, true).serialize(TOOL_CALLS, big);

    assertTimeoutPreemptively(
        LARGE_BOUND,
        () -> {
          assertThat(toolCalls.deserialize(TOOL_CALLS, manyFields))
              .isEqualTo(TelemetrySamples.toolCall());
          assertThat(toolCalls.deserialize(TOOL_CALLS, mebibyte)).isEqualTo(big);
        });
  }

  @Test
  void exponentialWriterOnlyTypeBehindAUnionDecodesFastWhenTheValueTakesTheNullBranch() {
    // The walk never enters R40. Avro's grammar-based reader would inline it (2^40 steps) before
    // reading the first value; the fast reader AvroDeserializer pins prepares it in linear time.
    byte[] value = withExtraField("[\"null\"," + doublingRecords(40, "") + "]", avroLong(0));

    assertThat(decodes(value)).isEqualTo(TelemetrySamples.toolCall());
  }

  @Test
  void writerOnlyRecordThatContainsItselfBehindAUnionDecodesWithoutAStackOverflow() {
    // No value of Loop is finite; the grammar-based reader overflows the stack preparing it.
    String loop =
        "{\"type\":\"record\",\"name\":\"Loop\","
            + "\"fields\":[{\"name\":\"next\",\"type\":\"Loop\"}]}";
    byte[] value = withExtraField("[\"null\"," + loop + "]", avroLong(0));

    assertThat(decodes(value)).isEqualTo(TelemetrySamples.toolCall());
  }

  @Test
  void writerOnlyTypeNested3000DeepBehindAUnionDecodesWithoutAStackOverflow() {
    // Named references nest D3000 3000 records deep in a schema text only a few levels deep.
    StringBuilder fields =
        new StringBuilder(
            "{\"name\":\"x0\",\"type\":{\"type\":\"record\",\"name\":\"D0\",\"fields\":[]}}");
    for (int i = 1; i <= 3000; i++) {
      fields.append(",{\"name\":\"x").append(i);
      fields.append("\",\"type\":{\"type\":\"record\",\"name\":\"D").append(i);
      fields.append("\",\"fields\":[{\"name\":\"d\",\"type\":\"D").append(i - 1).append("\"}]}}");
    }
    String holder = "{\"type\":\"record\",\"name\":\"Holder\",\"fields\":[" + fields + "]}";
    byte[] value = withExtraField("[\"null\"," + holder + "]", avroLong(0));

    assertThat(decodes(value)).isEqualTo(TelemetrySamples.toolCall());
  }

  /**
   * {@code R0} has the fields {@code leafFields}; {@code R(i)} has two fields of type {@code
   * R(i-1)}: a value of {@code R(levels)} is 2^(levels+1) - 1 records.
   */
  private static String doublingRecords(int levels, String leafFields) {
    String type = "{\"type\":\"record\",\"name\":\"R0\",\"fields\":[" + leafFields + "]}";
    for (int i = 1; i <= levels; i++) {
      type =
          "{\"type\":\"record\",\"name\":\"R"
              + i
              + "\",\"fields\":[{\"name\":\"a\",\"type\":"
              + type
              + "},{\"name\":\"b\",\"type\":\"R"
              + (i - 1)
              + "\"}]}";
    }
    return type;
  }

  private ToolCall decodes(byte[] value) {
    return assertTimeoutPreemptively(BOUND, () -> toolCalls.deserialize(TOOL_CALLS, value));
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
