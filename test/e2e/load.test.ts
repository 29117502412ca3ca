import { runLoad } from "../../scripts/load";

describe("a small load test of the local deployment (make load runs the full one)", () => {
  it("serves 300 mixed requests over 10 connections with no 5xx, storing exactly the acknowledged creates", async () => {
    const result = await runLoad({ connections: 10, amount: 300, log: () => {} });
    expect(result.requests).toBe(300);
    expect(result.statuses).toMatchObject({ "2xx": 300, "5xx": 0, errors: 0, timeouts: 0 });
    expect(result.creates.acknowledged).toBeGreaterThanOrEqual(90);
    expect(result.creates).toMatchObject({ inTable: result.creates.acknowledged, missing: 0, unacknowledgedInTable: 0 });
  });
});
