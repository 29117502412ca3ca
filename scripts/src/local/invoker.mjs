// Runs a built HTTP function (COMPAT_HANDLER, its index.mjs) as Lambda would, one API Gateway event per line of
// standard input; each answer, { statusCode, body }, is one line on file descriptor 3 (stdout is the function's log).
import { writeSync } from "node:fs";
import { createInterface } from "node:readline";

const { handler } = await import(process.env.COMPAT_HANDLER);
for await (const line of createInterface({ input: process.stdin })) {
  const event = JSON.parse(line);
  const context = { awsRequestId: event.requestContext.requestId, functionName: "compat", getRemainingTimeInMillis: () => 10_000 };
  let answer;
  try {
    const result = await handler(event, context);
    answer = { statusCode: result?.statusCode ?? 200, body: result?.body ?? "" };
  } catch (error) {
    answer = { statusCode: 500, body: String(error?.stack ?? error) };
  }
  writeSync(3, `${JSON.stringify(answer)}\n`);
}
