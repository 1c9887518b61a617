package dev.bluejaybridge.serde;

import java.io.EOFException;
import java.io.IOException;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;

/**
 * Walks an Avro binary value by its writer schema without building anything, and refuses values
 * whose decoding would cost far more than their size: the check that runs before a value is read.
 *
 * <p>Avro's own limits ({@code org.apache.avro.limits.*}, see {@code SystemLimitException}) bound
 * one string, bytes or collection <em>read</em> to about 2^31, but not the items a reader
 * <em>skips</em> (a field only the writer has is skipped, not read, and {@code
 * BinaryDecoder.skipArray} checks no limit), not the total over many blocks, not the nesting depth
 * of a recursive schema, and not the work a value of no width at all can describe. An array of
 * {@code null} costs no byte per item, so a few bytes can declare 2^63 items and hold a stream
 * thread forever; a recursive union a megabyte deep overflows the stack; and a writer schema may
 * reuse named records so that a field of zero bytes is a tree of 2^41 empty records 42 levels deep
 * ({@code R0} has no fields, {@code R(i)} two fields of type {@code R(i-1)}), with no array and no
 * deep nesting. Hence, here:
 *
 * <ul>
 *   <li>the walk visits at most {@link #WORK_BASE} + {@link #WORK_PER_BYTE} &times; (the value's
 *       length in bytes) schema nodes: every value of every type counts one (a record, each of its
 *       fields, a union and its branch, a fixed, an enum, each array item and map value, a {@code
 *       null}), so no type of no width, however nested or repeated, escapes it;
 *   <li>all the array items and map entries of one value together are at most the value's length in
 *       bytes (an item that takes at least one byte cannot exceed that; only zero-width items such
 *       as {@code null} can, and they are the attack). The node budget bounds them too; this bound
 *       is checked as a block is declared, before its items are walked;
 *   <li>nesting is at most {@link #MAX_DEPTH} deep;
 *   <li>a declared length is never negative and never beyond the bytes left, and a block's declared
 *       byte size (a negative item count) matches its items.
 * </ul>
 *
 * <p>The numbers: a value up to {@code call.max-record-bytes} (1 MiB by default) may visit at most
 * 100,000 + 16 &times; 1,048,576 &asymp; 16.9 million nodes, which this walk and then Avro's own
 * skip cover in well under a second even for the worst value within the budget (zero-width records
 * filling a 1 MiB value; see {@code AvroDecodeLimitsTest}). Legitimate values stay far below: every
 * field that holds data takes at least one byte and costs one node, an optional field left null
 * costs two nodes (the union and its {@code null}) for its one byte, and a record costs one node
 * more than its fields, so records of many small or null fields, nested a few levels deep, cost a
 * few nodes per byte, far from 16; the constant alone covers a record of tens of thousands of
 * fields that take no byte at all.
 *
 * <p>The first three throw {@link LimitExceeded}; malformed data throws {@link IOException} ({@link
 * EOFException} when it ends early).
 */
final class BoundedAvroWalk {

  /**
   * How deep schemas may nest in one value (records, arrays, maps and unions each count one). The
   * telemetry schemas nest three deep; a writer's extra fields may add some.
   */
  static final int MAX_DEPTH = 64;

  /** Schema nodes any value may visit, whatever its size: room for records of many null fields. */
  static final long WORK_BASE = 100_000;

  /** Schema nodes a value may visit per byte of its length, on top of {@link #WORK_BASE}. */
  static final long WORK_PER_BYTE = 16;

  /** A value whose decoding would exceed a limit: {@code decode-limit}, not malformed. */
  static final class LimitExceeded extends RuntimeException {
    LimitExceeded(String message) {
      super(message, null, false, false);
    }
  }

  private final BinaryDecoder in;
  private final int length;
  private final long maxItems;
  private final long maxNodes;
  private long items;
  private long nodes;

  private BoundedAvroWalk(byte[] data, int offset, int length) {
    this.in = DecoderFactory.get().binaryDecoder(data, offset, length, null);
    this.length = length;
    this.maxItems = length;
    this.maxNodes = WORK_BASE + WORK_PER_BYTE * length;
  }

  /**
   * Walks the value of {@code writer} in {@code data[offset, offset + length)}.
   *
   * @return the bytes left over after the value (0 for a well-formed value)
   * @throws LimitExceeded when the value visits more schema nodes than its length allows (see the
   *     class), has more items than bytes, or nests deeper than {@link #MAX_DEPTH}
   * @throws IOException when the bytes are malformed ({@link EOFException}: they end early)
   */
  static int walk(Schema writer, byte[] data, int offset, int length) throws IOException {
    BoundedAvroWalk walk = new BoundedAvroWalk(data, offset, length);
    walk.value(writer, 1);
    return walk.remaining();
  }

  private int remaining() throws IOException {
    return in.inputStream().available();
  }

  private void value(Schema schema, int depth) throws IOException {
    if (++nodes > maxNodes) {
      throw new LimitExceeded(
          "decoding the value visits more than "
              + maxNodes
              + " schema nodes ("
              + WORK_BASE
              + " + "
              + WORK_PER_BYTE
              + " per byte of its "
              + length
              + " bytes)");
    }
    switch (schema.getType()) {
      case NULL -> in.readNull();
      case BOOLEAN -> in.readBoolean();
      case INT -> in.readInt();
      case LONG -> in.readLong();
      case FLOAT -> in.readFloat();
      case DOUBLE -> in.readDouble();
      case STRING, BYTES -> skip(declaredLength());
      case FIXED -> skip(schema.getFixedSize());
      case ENUM -> {
        int index = in.readInt();
        if (index < 0 || index >= schema.getEnumSymbols().size()) {
          throw new IOException(
              "enum " + schema.getFullName() + " has no symbol at index " + index);
        }
      }
      case UNION -> {
        int branch = in.readInt();
        if (branch < 0 || branch >= schema.getTypes().size()) {
          throw new IOException(
              "union branch " + branch + " of " + schema.getTypes().size() + " does not exist");
        }
        value(schema.getTypes().get(branch), deeper(depth));
      }
      case RECORD -> {
        int inner = deeper(depth);
        for (Schema.Field field : schema.getFields()) {
          value(field.schema(), inner);
        }
      }
      case ARRAY -> blocks(schema.getElementType(), false, deeper(depth));
      case MAP -> blocks(schema.getValueType(), true, deeper(depth));
    }
  }

  /** An array's or a map's blocks: a count, items, ... and a count of 0. */
  private void blocks(Schema item, boolean map, int depth) throws IOException {
    while (true) {
      long count = in.readLong();
      if (count == 0) {
        return;
      }
      long declaredBytes = -1;
      if (count < 0) {
        if (count == Long.MIN_VALUE) {
          throw new IOException("block item count " + count + " is malformed");
        }
        count = -count;
        declaredBytes = in.readLong();
        if (declaredBytes < 0) {
          throw new IOException("block byte size " + declaredBytes + " is negative");
        }
      }
      items += count;
      if (items > maxItems || items < 0) {
        throw new LimitExceeded(
            "the value declares more than "
                + maxItems
                + " array items and map entries, more than its "
                + length
                + " bytes");
      }
      int before = remaining();
      for (long i = 0; i < count; i++) {
        if (map) {
          skip(declaredLength());
        }
        value(item, depth);
      }
      if (declaredBytes >= 0 && before - remaining() != declaredBytes) {
        throw new IOException(
            "block declares " + declaredBytes + " bytes, its items take " + (before - remaining()));
      }
    }
  }

  private int deeper(int depth) {
    if (depth >= MAX_DEPTH) {
      throw new LimitExceeded("the value nests deeper than " + MAX_DEPTH + " levels");
    }
    return depth + 1;
  }

  private long declaredLength() throws IOException {
    long declared = in.readLong();
    if (declared < 0) {
      throw new IOException("declared length " + declared + " is negative");
    }
    return declared;
  }

  private void skip(long bytes) throws IOException {
    if (bytes > remaining()) {
      throw new EOFException(
          "a declared length of " + bytes + " bytes runs past the end of the value");
    }
    in.skipFixed((int) bytes);
  }
}
