package dev.bluejaybridge.aggregate;

import org.apache.avro.specific.SpecificRecord;

/**
 * A record that arrived after its simulated call had closed. Bluejay appends what it is sent for a
 * simulation result, so the call cannot be sent again; the delivery stage dead-letters it as {@code
 * late}.
 */
public record LateRecord(
    String callId, String simulationResultId, SpecificRecord record, long receivedAt)
    implements CallUpdate {}
