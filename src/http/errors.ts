/** HTTP errors and the mapping of every other error to a status, without leaking internals. */
import { ConflictError, InvalidCursorError, NotFoundError } from "../model/errors";

export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
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

export function toHttpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (error instanceof NotFoundError) return new HttpError(404, "not_found", error.message);
  if (error instanceof ConflictError) return new HttpError(409, "conflict", error.message);
  if (error instanceof InvalidCursorError) return new HttpError(400, "invalid_cursor", error.message);
  if (error instanceof Error) {
    const code = (error as { code?: string }).code ?? "";
    if (UNAVAILABLE.has(error.name) || NETWORK.test(code) || NETWORK.test(error.message) || (error as { $retryable?: unknown }).$retryable) {
      return new HttpError(503, "unavailable", "the database is unavailable or busy; retry shortly", undefined, { "retry-after": "1" });
    }
  }
  return undefined;
}
