/**
 * Opaque pagination cursors: the LastEvaluatedKey and the list it belongs to,
 * encrypted and authenticated with AES-256-GCM. A client can neither read
 * the table's keys in one, nor forge or alter one, nor continue another list
 * with it: every such attempt is a 400. The key comes from cursorSecret.ts.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { ConfigError, InvalidCursorError } from "../errors";
import { cursorSecret } from "./cursorSecret";

let key: { secret: string; bytes: Buffer } | undefined;
function cursorKey(): Buffer {
  const secret = cursorSecret();
  if (key?.secret !== secret) key = { secret, bytes: createHash("sha256").update(secret).digest() };
  return key.bytes;
}

/** `scope` names the list (route and partition), so a cursor only continues the list it came from. */
export function encodeCursor(lastKey: Record<string, unknown> | undefined, scope: string): string | undefined {
  if (!lastKey) return undefined;
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", cursorKey(), iv);
  const sealed = Buffer.concat([cipher.update(JSON.stringify({ s: scope, k: lastKey }), "utf8"), cipher.final()]);
  return Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString("base64url");
}

export function decodeCursor(cursor: string | undefined, scope: string): Record<string, unknown> | undefined {
  if (cursor === undefined) return undefined;
  const raw = Buffer.from(cursor, "base64url");
  if (raw.length < 12 + 16 + 2) throw new InvalidCursorError();
  let parsed: { s?: unknown; k?: unknown };
  try {
    const decipher = createDecipheriv("aes-256-gcm", cursorKey(), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    parsed = JSON.parse(Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString("utf8"));
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new InvalidCursorError();
  }
  if (parsed.s !== scope || typeof parsed.k !== "object" || parsed.k === null) throw new InvalidCursorError();
  return parsed.k as Record<string, unknown>;
}
