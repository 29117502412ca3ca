/**
 * Example app: you will most likely replace these with your own schemas.
 *
 * Input validation, shared by the API and the seed import. zod/mini keeps
 * the bundle small (full zod adds ~440 KB). Identifiers never contain "#",
 * the key separator, so no input can build another entity's key.
 */
import * as z from "zod/mini";
import { exactJsonObject } from "@dynamodb-starter/kit/runtime";

const noSeparator = z.refine<string>((value) => !value.includes("#"), { message: 'must not contain "#"' });
const printable = z.refine<string>((value) => !/[\p{Cc}\p{Cs}]/u.test(value), { message: "must not contain control characters" });

/** Emails are keys: NFC-normalized, trimmed and lowercased, so "Ada@X.io" and "ada@x.io" are one user, whatever form the text came in. */
export const email = z
  .string()
  .check(z.normalize("NFC"), z.trim(), z.toLowerCase(), z.maxLength(254), z.email({ message: "must be an email address" }), noSeparator);

/**
 * Company names are path segments and, folded, keys: letters, digits, spaces and . _ & ' - only, NFC-normalized
 * (so a decomposed "é" is a letter too). Uniqueness ignores case and compatibility forms (companyKey in model.ts).
 */
export const companyName = z
  .string()
  .check(
    z.normalize("NFC"),
    z.trim(),
    z.minLength(1),
    z.maxLength(100),
    z.regex(/^[\p{L}\p{N}][\p{L}\p{N} ._&'-]*$/u, "must start with a letter or digit and use only letters, digits, spaces and . _ & ' -"),
  );

const displayName = z.string().check(z.trim(), z.minLength(1), z.maxLength(200), printable);
export const role = z.enum(["owner", "admin", "member"]);
/** Times become sort keys, compared as strings: always canonical (ms precision, Z), so equal times compare equal. */
export const isoTime = z.pipe(
  z.iso.datetime({ offset: false, message: "must be an ISO 8601 UTC time such as 2026-01-31T12:00:00Z" }),
  z.transform((value: string) => new Date(value).toISOString()),
);

/**
 * Event payloads are free-form JSON, stored as a JSON string so that they come
 * back exactly as sent (see exactJsonObject); 32 KB keeps every item far
 * below DynamoDB's 400 KB limit.
 */
export const MAX_EVENT_DATA_BYTES = 32 * 1024;
export const eventData = z.optional(exactJsonObject({ maxBytes: MAX_EVENT_DATA_BYTES }));

export const createUser = z.strictObject({ email, name: displayName });
export const updateUser = z.strictObject({ name: displayName });
export const createCompany = z.strictObject({ name: companyName, description: z.optional(z.string().check(z.maxLength(1000), printable)) });
export const addMembership = z.strictObject({ role });
export const eventType = z.string().check(z.regex(/^[a-z][a-z0-9._-]{0,63}$/, "must be lowercase letters, digits and . _ - (at most 64)"));
export const appendEvent = z.strictObject({ type: eventType, at: z.optional(isoTime), data: eventData });

export const MAX_PAGE_SIZE = 100;
const limit = z._default(
  z
    .pipe(
      z.string().check(z.regex(/^\d{1,3}$/, `must be a whole number from 1 to ${MAX_PAGE_SIZE}`)),
      z.transform((value) => Number(value)),
    )
    .check(z.refine((n) => n >= 1 && n <= MAX_PAGE_SIZE, { message: `must be a whole number from 1 to ${MAX_PAGE_SIZE}` })),
  25,
);
const cursor = z.optional(z.string().check(z.maxLength(2048)));

export const listQuery = z.strictObject({ limit, cursor });
/** A range whose `from` is after its `to` is a 400, not an empty page: it is a mistake in the request, not an empty range. */
export const eventsQuery = z
  .strictObject({
    limit,
    cursor,
    from: z.optional(isoTime),
    to: z.optional(isoTime),
    order: z._default(z.enum(["asc", "desc"]), "desc"),
  })
  .check(z.refine(({ from, to }) => from === undefined || to === undefined || from <= to, { message: "must not be after to", path: ["from"] }));
