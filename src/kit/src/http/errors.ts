/**
 * HTTP errors, and the mapping of every other error to a status without
 * leaking internals. The library maps its own errors and DynamoDB's
 * unavailability; the app registers its domain errors (`ErrorMapping`), so
 * this layer never imports the app.
 */
import { InvalidCursorError, PendingMigrationsError, StarterError, TableNotReadyError } from "../errors";

export class HttpError extends StarterError {
  override name = "HttpError";
  constructor(
    readonly status: number,
    readonly httpCode: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super("HTTP", message);
  }
}

/** How one of the app's error classes is answered: `{ error: NotFoundError, status: 404, code: "not_found" }`. */
export interface ErrorMapping {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any constructor signature: the mapping only uses instanceof
  error: abstract new (...args: any[]) => Error;
  status: number;
  code: string;
}

/** DynamoDB throttling, server faults and network failures, once the SDK's own retries are spent. */
const UNAVAILABLE = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
  "InternalServerError",
  "ServiceUnavailable",
  "TimeoutError",
]);
/** Network failures, by errno; the SDK sometimes keeps only the message of the original error. */
const NETWORK = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|socket hang up)\b/;

export function toHttpError(error: unknown, mappings: readonly ErrorMapping[] = []): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (error instanceof InvalidCursorError) return new HttpError(400, "invalid_cursor", error.message);
  // The table is being created or migrated: a deploy is under way (or its pre-step has not run). Names stay in the log.
  if (error instanceof PendingMigrationsError || error instanceof TableNotReadyError) {
    return new HttpError(503, "not_ready", "the service is not ready yet: its database is being set up or migrated; retry shortly", undefined, {
      "retry-after": "30",
    });
  }
  const mapped = mappings.find((m) => error instanceof m.error);
  if (mapped) return new HttpError(mapped.status, mapped.code, (error as Error).message);
  if (error instanceof Error) {
    const code = (error as { code?: string }).code ?? "";
    if (UNAVAILABLE.has(error.name) || NETWORK.test(code) || NETWORK.test(error.message) || (error as { $retryable?: unknown }).$retryable) {
      return new HttpError(503, "unavailable", "the database is unavailable or busy; retry shortly", undefined, { "retry-after": "1" });
    }
  }
  return undefined;
}
