/** make dev and make logs print the kit's lines readable; any other line as it came. */
import fc from "fast-check";
import { readableLine, readableWriter } from "../../src/local/logLines";

const request = {
  _aws: { Timestamp: Date.parse("2026-01-02T03:04:05.678Z"), CloudWatchMetrics: [] },
  level: "info",
  type: "request",
  Service: "local",
  Route: "GET /items/{id}",
  ReadUnits: 0.5,
  WriteUnits: 0,
  Latency: 12.3,
  ColdStart: 1,
  correlationId: "abc-1",
  status: 200,
};

describe("readable log lines", () => {
  it("shows a request, a failure and a stream batch in one short line each", () => {
    expect(readableLine(JSON.stringify(request))).toBe("03:04:05.678 GET /items/{id} 200 12.3 ms  units r0.5 w0  cold start  [abc-1]");
    expect(
      readableLine(JSON.stringify({ timestamp: "2026-01-02T03:04:05.678Z", level: "warn", correlationId: "x", message: "request failed", error: "Boom" })),
    ).toBe('03:04:05.678 WARN request failed {"error":"Boom"}  [x]');
    expect(
      readableLine(JSON.stringify({ _aws: { Timestamp: 0 }, type: "stream-batch", Function: "counts", Records: 3, RecordFailures: 0, IteratorAge: 40 })),
    ).toBe("00:00:00.000 counts: batch of 3, 0 failed, iterator age 40 ms");
  });

  it("leaves any other line as it came, and never throws (property)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        const shown = readableLine(text);
        if (!text.startsWith("{")) expect(shown).toBeUndefined();
        else expect(shown === undefined || typeof shown === "string").toBe(true);
      }),
    );
    expect(readableLine("==> .local/api.log <==")).toBeUndefined();
  });

  it("writes whole lines, however the chunks cut them", () => {
    const out: string[] = [];
    const write = readableWriter((t) => out.push(t));
    const text = `${JSON.stringify(request)}\nplain words\n`;
    write(text.slice(0, 30));
    write(text.slice(30, 200));
    write(text.slice(200));
    expect(out).toEqual(["03:04:05.678 GET /items/{id} 200 12.3 ms  units r0.5 w0  cold start  [abc-1]\n", "plain words\n"]);
  });
});
