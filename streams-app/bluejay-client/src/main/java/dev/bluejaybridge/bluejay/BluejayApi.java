package dev.bluejaybridge.bluejay;

import feign.Headers;
import feign.Param;
import feign.RequestLine;

/**
 * The Bluejay endpoints this project calls. Bodies are ready JSON bytes (built by the caller); ids
 * are passed already encoded as one path segment ({@link BluejayClient#encodePathSegment}), and
 * {@code decodeSlash = false} keeps an encoded '/' encoded. Answers come back raw: the client reads
 * them.
 */
@Headers("Accept: application/json")
interface BluejayApi {

  @RequestLine(value = "PUT /v1/update-log/{callId}", decodeSlash = false)
  @Headers("Content-Type: application/json")
  RawAnswer updateLog(@Param(value = "callId", encoded = true) String callId, byte[] body);

  @RequestLine("POST /v1/update-simulation-result")
  @Headers("Content-Type: application/json")
  RawAnswer updateSimulationResult(byte[] body);

  @RequestLine(value = "GET /v1/retrieve-simulation-result/{id}", decodeSlash = false)
  RawAnswer retrieveSimulationResult(@Param(value = "id", encoded = true) String id);

  @RequestLine(value = "PUT /v1/simulation/{id}", decodeSlash = false)
  @Headers("Content-Type: application/json")
  RawAnswer updateSimulation(@Param(value = "id", encoded = true) String id, byte[] body);

  @RequestLine("POST /v1/queue-simulation-run")
  @Headers("Content-Type: application/json")
  RawAnswer queueSimulationRun(byte[] body);

  @RequestLine(value = "GET /v1/get-simulation-runs/{id}", decodeSlash = false)
  RawAnswer getSimulationRuns(@Param(value = "id", encoded = true) String id);

  @RequestLine(value = "PUT /v1/workflow/{id}", decodeSlash = false)
  @Headers("Content-Type: application/json")
  RawAnswer updateWorkflow(@Param(value = "id", encoded = true) String id, byte[] body);

  @RequestLine(value = "PUT /v1/scenario/{id}", decodeSlash = false)
  @Headers("Content-Type: application/json")
  RawAnswer updateScenario(@Param(value = "id", encoded = true) String id, byte[] body);

  /** A 2xx answer: its status and body text. */
  record RawAnswer(int status, String body) {}
}
