/**
 * What of an error a function may write to its log. Logs are read by more
 * people than the data, so a message is written only when it cannot quote an
 * item's values: the kit's own messages (tables, migrations, what to do), and
 * DynamoDB's own refusals (a reserved word, a missing index, a malformed
 * expression: the mistakes everyone makes first), with anything they quote
 * redacted. Any other message (the app's, the runtime's) is left out: it may
 * repeat what was sent.
 */
import { StarterError } from "./errors";

/** An error DynamoDB answered (the SDK gives its service errors $metadata), as opposed to one thrown by code. */
const isServiceError = (error: Error) => typeof (error as { $metadata?: unknown }).$metadata === "object";

/**
 * DynamoDB's message with what it quotes blanked out: a token or a value pasted into an expression appears in quotes
 * (`token: "ada@example.com"`); names (attributes, indexes, keywords) appear bare and are kept. Email-shaped text is
 * blanked wherever it stands.
 */
export function redactedMessage(message: string): string {
  return message.replace(/"[^"]*"|'[^']*'/g, (quoted) => `${quoted[0]}…${quoted[0]}`).replace(/[^\s"'@,;:()[\]{}]+@[^\s"'@,;:()[\]{}]+/g, "…@…");
}

/** The fields of a log line that describe `error`: its class and code always, its message only as above. */
export function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: typeof error };
  if (error instanceof StarterError) return { error: error.name, code: error.code, message: error.message };
  const { code, $metadata } = error as { code?: unknown; $metadata?: { httpStatusCode?: number } };
  return {
    error: error.name,
    ...(typeof code === "string" ? { code } : {}),
    ...($metadata?.httpStatusCode ? { httpStatus: $metadata.httpStatusCode } : {}),
    ...(isServiceError(error) && error.message ? { message: redactedMessage(error.message) } : {}),
  };
}
