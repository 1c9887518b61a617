package dev.bluejaybridge.aggregate;

import org.apache.avro.specific.SpecificRecord;

/**
 * A record of a call that can no longer be sent whole: its call closed and was delivered (or
 * dead-lettered) and its parts are gone, or a simulated call (Bluejay appends, so it is never sent
 * twice). The delivery stage dead-letters it as {@code late}, with its content. {@code
 * simulationResultId} is null for a production call.
 */
public record LateRecord(
    String callId, String simulationResultId, SpecificRecord record, long receivedAt)
    implements CallUpdate {}
