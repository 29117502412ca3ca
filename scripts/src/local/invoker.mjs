// Runs a built function (COMPAT_HANDLER, its index.mjs) as Lambda would, one event per line of standard input; each
// outcome is one line on file descriptor 3 (stdout is the function's log): { result } or { error: { name, message } }.
import { writeSync } from "node:fs";
import { createInterface } from "node:readline";

const { handler } = await import(process.env.COMPAT_HANDLER);
for await (const line of createInterface({ input: process.stdin })) {
  const { event, remainingMs = 10_000 } = JSON.parse(line);
  const deadline = Date.now() + remainingMs;
  const context = {
    awsRequestId: event?.requestContext?.requestId ?? `local-${Date.now()}`,
    functionName: "local",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  let outcome;
  try {
    outcome = { result: (await handler(event, context)) ?? null };
  } catch (error) {
    outcome = { error: { name: error?.name ?? "Error", message: String(error?.message ?? error) } };
  }
  writeSync(3, `${JSON.stringify(outcome)}\n`);
}
