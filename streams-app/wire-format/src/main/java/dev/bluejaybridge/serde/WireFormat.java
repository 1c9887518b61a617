package dev.bluejaybridge.serde;

import java.util.Objects;

/**
 * The Confluent wire format, as a pure codec: byte 0 is the magic byte {@code 0x00}, bytes 1–4 the
 * schema id (big-endian), the rest the Avro binary payload. No registry, no Avro here.
 */
public final class WireFormat {

  /** The only magic byte defined so far. */
  public static final byte MAGIC_BYTE = 0x00;

  /** Magic byte plus schema id. */
  public static final int HEADER_LENGTH = 5;

  private WireFormat() {}

  /** A framed message: the schema id and where the payload lies in {@code data} (not copied). */
  public record Framed(int schemaId, byte[] data, int payloadOffset, int payloadLength) {

    /** A copy of the payload bytes. */
    public byte[] payload() {
      byte[] payload = new byte[payloadLength];
      System.arraycopy(data, payloadOffset, payload, 0, payloadLength);
      return payload;
    }

    @Override
    public String toString() {
      return "Framed[schemaId=" + schemaId + ", payloadLength=" + payloadLength + "]";
    }
  }

  /** Frames {@code payload} (any bytes, even none) with {@code schemaId}. */
  public static byte[] encode(int schemaId, byte[] payload) {
    Objects.requireNonNull(payload, "payload");
    byte[] framed = new byte[HEADER_LENGTH + payload.length];
    framed[0] = MAGIC_BYTE;
    framed[1] = (byte) (schemaId >>> 24);
    framed[2] = (byte) (schemaId >>> 16);
    framed[3] = (byte) (schemaId >>> 8);
    framed[4] = (byte) schemaId;
    System.arraycopy(payload, 0, framed, HEADER_LENGTH, payload.length);
    return framed;
  }

  /**
   * Reads the header of {@code data}. The magic byte is checked first, as Confluent's deserializer
   * does, so that a short non-Avro value (say {@code "{}"}) reads as a bad magic byte.
   *
   * @throws WireFormatException if the magic byte is not 0x00 or {@code data} is shorter than 5
   */
  public static Framed decode(byte[] data) {
    Objects.requireNonNull(data, "data");
    if (data.length > 0 && data[0] != MAGIC_BYTE) {
      throw new WireFormatException(
          WireFormatException.Problem.BAD_MAGIC_BYTE,
          String.format("magic byte is 0x%02x, not 0x00 (%d bytes)", data[0] & 0xff, data.length));
    }
    if (data.length < HEADER_LENGTH) {
      throw new WireFormatException(
          WireFormatException.Problem.TOO_SHORT,
          "too short: "
              + data.length
              + " bytes; the wire format needs at least "
              + HEADER_LENGTH
              + " (magic byte and 4-byte schema id)");
    }
    int schemaId =
        ((data[1] & 0xff) << 24)
            | ((data[2] & 0xff) << 16)
            | ((data[3] & 0xff) << 8)
            | (data[4] & 0xff);
    return new Framed(schemaId, data, HEADER_LENGTH, data.length - HEADER_LENGTH);
  }
}
