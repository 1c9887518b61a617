package dev.bluejaybridge.bench;

import dev.bluejaybridge.aggregate.ClosedCall;
import dev.bluejaybridge.delivery.Payloads;
import java.util.concurrent.TimeUnit;
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
 * Building the request body of a closed call, as the outbox does when a call closes: {@link
 * Payloads#updateLogBody} (production calls) and {@link Payloads#updateSimulationBody} (simulated
 * ones), JSON text parsed into trees, merged metadata, transcript figures and Jackson's
 * serialization to bytes included. For calls of 50 and of 1000 records (half transcript turns, 30 %
 * tool calls, 20 % events); {@link BenchMain} prints the cost per record of each size and their
 * ratio, which shows whether building a body grows faster than its call.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx512m"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class PayloadBenchmark {

  @Param({"50", "1000"})
  public int recordsPerCall;

  ClosedCall productionCall;
  ClosedCall simulatedCall;

  @Setup(Level.Trial)
  public void setUp() {
    BenchData data = new BenchData(recordsPerCall);
    productionCall = data.closedCall(recordsPerCall, null);
    simulatedCall = data.closedCall(recordsPerCall, "sr-" + data.callId());
  }

  @Benchmark
  public byte[] updateLogBody() {
    return Payloads.updateLogBody(productionCall, true);
  }

  @Benchmark
  public byte[] updateSimulationBody() {
    return Payloads.updateSimulationBody(simulatedCall);
  }
}
