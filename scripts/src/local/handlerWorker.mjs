// One release of the local API's function, in a worker thread of its own (localApi.ts): it loads the built handler
// (workerData.handler), says which routes it exports, and answers each event it is posted. A crash here (an
// exception nothing catches, process.exit) ends this worker only: the other release keeps serving.
import { parentPort, workerData } from "node:worker_threads";
import { pathToFileURL } from "node:url";

const loaded = await import(pathToFileURL(workerData.handler).href);
if (typeof loaded.handler !== "function") throw new Error(`${workerData.handler} exports no handler function`);
parentPort.postMessage({ type: "ready", routes: loaded.routes ?? [] });

parentPort.on("message", async ({ id, event, functionName, deadline }) => {
  const context = {
    functionName,
    functionVersion: workerData.release,
    awsRequestId: event.requestContext.requestId,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    parentPort.postMessage({ type: "result", id, result: await loaded.handler(event, context) });
  } catch (error) {
    parentPort.postMessage({ type: "error", id, message: error instanceof Error ? error.message : String(error) });
  }
});
