package dev.bluejaybridge.bench;

import dev.bluejaybridge.registry.InMemorySchemaRegistry;
import dev.bluejaybridge.serde.AvroDeserializer;
import dev.bluejaybridge.serde.AvroSerializer;
import dev.bluejaybridge.serde.WireFormat;
import dev.bluejaybridge.telemetry.CallEvent;
import dev.bluejaybridge.telemetry.ToolCall;
import dev.bluejaybridge.telemetry.TranscriptTurn;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of one input value through our codec, per record type: {@link #deserialize} (wire
 * format, writer schema by id from the registry, the walk that checks the payload, then a resolving
 * Avro read) and {@link #serialize} (schema id by subject, Avro write, framing), each against plain
 * Avro on the same values in the same run ({@link #avroDecode}, {@link #avroEncode}: one {@link
 * SpecificDatumReader}/{@link SpecificDatumWriter}, the decoder or encoder reused, no header, no
 * registry, no resolution). The ratio {@code deserialize / avroDecode} is what the Confluent wire
 * format and our checks cost over Avro itself; {@link BenchMain} prints it.
 *
 * <p>{@link #wireFormatEncode} and {@link #wireFormatDecode} time the framing alone, on a tool call
 * of about 500 bytes. The registry is in memory; after the first record every lookup is a cache hit
 * in the serde, as in production.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx512m"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class CodecBenchmark {

  /** Distinct values cycled through, so that no single value's branches are all the JIT sees. */
  static final int POOL = 256;

  /** Values of one record type, as objects, framed bytes and bare Avro payloads. */
  @State(Scope.Thread)
  public static class Records {
    @Param({"ToolCall", "TranscriptTurn", "CallEvent"})
    public String type;

    String topic;
    SpecificRecord[] values;
    byte[][] framed;
    byte[][] payloads;
    AvroSerializer<SpecificRecord> serializer;
    AvroDeserializer<? extends SpecificRecord> deserializer;
    SpecificDatumWriter<SpecificRecord> avroWriter;
    SpecificDatumReader<SpecificRecord> avroReader;
    ByteArrayOutputStream avroOut;
    BinaryEncoder avroEncoder;
    BinaryDecoder avroDecoder;
    int next;

    @Setup(Level.Trial)
    public void setUp() {
      BenchData data = new BenchData(42);
      String callId = data.callId();
      Class<? extends SpecificRecord> recordClass;
      Supplier<SpecificRecord> values;
      long[] offset = {0};
      switch (type) {
        case "ToolCall" -> {
          topic = "calls.tool-calls";
          recordClass = ToolCall.class;
          values = () -> data.toolCall(callId, null, offset[0] += 2_000);
        }
        case "TranscriptTurn" -> {
          topic = "calls.transcripts";
          recordClass = TranscriptTurn.class;
          values = () -> data.turn(callId, null, offset[0] += 2_000);
        }
        case "CallEvent" -> {
          topic = "calls.events";
          recordClass = CallEvent.class;
          values = () -> data.event(callId, null, offset[0] += 2_000, false);
        }
        default -> throw new IllegalArgumentException("unknown record type " + type);
      }
      InMemorySchemaRegistry registry = new InMemorySchemaRegistry("bench");
      serializer = new AvroSerializer<>(registry, true);
      deserializer = new AvroDeserializer<>(registry, recordClass);
      SpecificData model = SpecificData.getForClass(recordClass);
      avroWriter = new SpecificDatumWriter<>(model.getSchema(recordClass), model);
      avroReader =
          new SpecificDatumReader<>(
              model.getSchema(recordClass), model.getSchema(recordClass), model);
      avroOut = new ByteArrayOutputStream(1024);
      this.values = new SpecificRecord[POOL];
      framed = new byte[POOL][];
      payloads = new byte[POOL][];
      for (int i = 0; i < POOL; i++) {
        this.values[i] = values.get();
        framed[i] = serializer.serialize(topic, this.values[i]);
        payloads[i] = WireFormat.decode(framed[i]).payload();
      }
    }

    int next() {
      int i = next;
      next = (i + 1) & (POOL - 1);
      return i;
    }
  }

  /** One framed tool call and its payload, for the framing alone. */
  @State(Scope.Thread)
  public static class Framing {
    byte[] framed;
    byte[] payload;
    int schemaId;

    @Setup(Level.Trial)
    public void setUp() {
      BenchData data = new BenchData(7);
      ToolCall toolCall = data.toolCall(data.callId(), null, 2_000);
      framed =
          new AvroSerializer<ToolCall>(new InMemorySchemaRegistry("bench"), true)
              .serialize("calls.tool-calls", toolCall);
      WireFormat.Framed header = WireFormat.decode(framed);
      schemaId = header.schemaId();
      payload = header.payload();
    }
  }

  @Benchmark
  public SpecificRecord deserialize(Records records) {
    return records.deserializer.deserialize(records.topic, records.framed[records.next()]);
  }

  @Benchmark
  public SpecificRecord avroDecode(Records records) throws IOException {
    byte[] payload = records.payloads[records.next()];
    records.avroDecoder =
        DecoderFactory.get().binaryDecoder(payload, 0, payload.length, records.avroDecoder);
    return records.avroReader.read(null, records.avroDecoder);
  }

  @Benchmark
  public byte[] serialize(Records records) {
    return records.serializer.serialize(records.topic, records.values[records.next()]);
  }

  @Benchmark
  public byte[] avroEncode(Records records) throws IOException {
    records.avroOut.reset();
    records.avroEncoder =
        EncoderFactory.get().directBinaryEncoder(records.avroOut, records.avroEncoder);
    records.avroWriter.write(records.values[records.next()], records.avroEncoder);
    records.avroEncoder.flush();
    return records.avroOut.toByteArray();
  }

  @Benchmark
  public byte[] wireFormatEncode(Framing framing) {
    return WireFormat.encode(framing.schemaId, framing.payload);
  }

  @Benchmark
  public WireFormat.Framed wireFormatDecode(Framing framing) {
    return WireFormat.decode(framing.framed);
  }
}
