/** Reading requests: JSON bodies with size and type checks, validated input. */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import type * as z from "zod/mini";
import { HttpError } from "./errors";
import { validate } from "./validate";

/** Largest accepted body; bodies are small JSON documents here. */
export const MAX_BODY_BYTES = 64 * 1024;

export function jsonBody(event: APIGatewayProxyEventV2): unknown {
  const type = event.headers?.["content-type"] ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new HttpError(415, "unsupported_media_type", 'send the body as JSON with "content-type: application/json"');
  }
  const raw = event.body === undefined ? "" : event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body;
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES) throw new HttpError(413, "payload_too_large", `the body is larger than ${MAX_BODY_BYTES} bytes`);
  if (raw.trim() === "") throw new HttpError(400, "invalid_json", "the body is empty; send a JSON object");
  try {
    return JSON.parse(raw);
  } catch {
    throw new HttpError(400, "invalid_json", "the body is not valid JSON");
  }
}

/** The schema's output, or a 400 listing every problem. `what` names the input in the message ("user", "query parameters"). */
export function parse<S extends z.ZodMiniType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = validate(schema, input);
  if (!result.ok) throw new HttpError(400, "invalid_request", `invalid ${what}`, result.issues);
  return result.value;
}
