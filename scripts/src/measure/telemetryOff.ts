/**
 * The kit with its telemetry turned off, for the benchmark's side-by-side row: an esbuild plugin that builds a
 * handler with the kit's telemetry (runtime/telemetry.ts) and its DynamoDB meter (runtime/requestMeter.ts) replaced by
 * modules that do nothing. "Off" is then less than the kit ever was (the meter predates the telemetry), so the row
 * overstates what the telemetry costs rather than hiding it. It applies where the kit is built from its sources (the
 * template); against a prebuilt kit it replaces nothing, and says so through `replaced`.
 */
import type { Plugin } from "esbuild";

const TELEMETRY = `
export const CORRELATION_HEADER = "x-correlation-id";
export const CORRELATION_ID_PATTERN = /^$/;
export const METRICS = { units: [], request: [], streamBatch: [], scheduledRun: [] };
export const DEFAULT_METRICS_NAMESPACE = "off";
export const DEFAULT_LOG_LEVEL = "info";
export const LOG_LEVELS = ["debug", "info", "warn", "error"];
const none = () => {};
export const log = { debug: none, info: none, warn: none, error: none };
export const writeLine = none;
export const setLineWriter = () => none;
export const emit = none;
export const metricLine = () => ({});
export const telemetryOn = () => false;
export const serviceName = () => "off";
export const currentInvocation = () => undefined;
export const correlationIdFrom = (_sent, fallback) => fallback;
export const invocation = (correlationId, work) => work({ correlationId, requests: 0, readUnits: 0, writeUnits: 0, writes: 0, debug: [], dropped: 0 });
`;
const METER = `export const CORRELATION_ATTRIBUTE = "_cid"; export function meterClient() {}`;

export function telemetryOff(): { plugin: Plugin; replaced: () => string[] } {
  const replaced = new Set<string>();
  const plugin: Plugin = {
    name: "telemetry-off",
    setup(build) {
      build.onResolve({ filter: /(^|\/)(telemetry|requestMeter)$/ }, (args) => {
        if (!/\/kit\/src\/(runtime|http|stream|schedule)$/.test(args.resolveDir)) return undefined;
        const module = args.path.endsWith("requestMeter") ? "requestMeter" : "telemetry";
        replaced.add(module);
        return { path: module, namespace: "telemetry-off" };
      });
      build.onLoad({ filter: /.*/, namespace: "telemetry-off" }, (args) => ({ contents: args.path === "requestMeter" ? METER : TELEMETRY, loader: "js" }));
    },
  };
  return { plugin, replaced: () => [...replaced].sort() };
}
