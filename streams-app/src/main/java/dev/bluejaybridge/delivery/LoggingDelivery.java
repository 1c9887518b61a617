package dev.bluejaybridge.delivery;

import dev.bluejaybridge.aggregate.CallUpdate;
import dev.bluejaybridge.aggregate.ClosedCall;
import dev.bluejaybridge.aggregate.LateRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of the pipeline until the delivery sink exists (issue 3): logs each closed call and late
 * record at INFO, one line each. It sends nothing to Bluejay.
 */
public final class LoggingDelivery implements Processor<String, CallUpdate, Void, Void> {
  private static final Logger LOGGER = LoggerFactory.getLogger(LoggingDelivery.class);

  @Override
  public void process(Record<String, CallUpdate> record) {
    CallUpdate update = record.value();
    if (update instanceof ClosedCall call) {
      LOGGER.info(
          "call closed call_id={} reason={} revision={} simulated={} tool_calls={} events={} turns={} truncated={}",
          call.callId(),
          call.reason().label(),
          call.revision(),
          call.simulated(),
          call.toolCalls().size(),
          call.events().size(),
          call.transcript().size(),
          call.truncated());
    } else if (update instanceof LateRecord late) {
      LOGGER.info(
          "late record of a closed simulated call call_id={} simulation_result_id={}",
          late.callId(),
          late.simulationResultId());
    }
  }
}
