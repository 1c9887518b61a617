package dev.bluejaybridge.bluejay;

import java.util.List;

/**
 * One entry of FastAPI's {@code {"detail": [{"loc": [...], "msg": "...", "type": "..."}]}}.
 *
 * @param loc where the problem is, e.g. {@code ["body", "tool_calls", "0", "name"]} (integers as
 *     text)
 * @param msg what is wrong; "" when absent
 * @param type FastAPI's error type, e.g. {@code missing}; "" when absent
 */
public record ValidationDetail(List<String> loc, String msg, String type) {
  public ValidationDetail {
    loc = List.copyOf(loc);
    msg = msg == null ? "" : msg;
    type = type == null ? "" : type;
  }
}
