/**
 * Example app: who may touch what. You will most likely replace these rules
 * with your own; the pattern stays: the library hands each route the
 * verified caller, and the app decides, before any write.
 *
 * - A user reads and changes only their own profile, companies and events
 *   (the token's `email` is the user's key).
 * - Whoever creates a company becomes its owner; only its owners and admins
 *   add members (checked in the same transaction as the write).
 * - A caller whose token has the `admin` scope may do anything.
 */
import * as z from "zod/mini";
import { forbidden, type Caller } from "@dynamodb-starter/kit/runtime";
import * as schemas from "./schemas";

export const ADMIN_SCOPE = "admin";

export const isAdmin = (caller: Caller | undefined) => caller?.scopes.includes(ADMIN_SCOPE) === true;

/** The caller's own user key: the token's email, normalised as the app keys users; undefined when it has none the app can key. */
export function emailOf(caller: Caller | undefined): string | undefined {
  const parsed = z.safeParse(schemas.email, caller?.email);
  return parsed.success ? parsed.data : undefined;
}

/** A user's own profile, companies and events: theirs, or an admin's. */
export function mustBeSelf(caller: Caller | undefined, email: string): void {
  if (isAdmin(caller) || emailOf(caller) === email) return;
  throw forbidden("a user's profile, companies and events are theirs alone (or an admin's)");
}

/** Who acts on a company: nobody to check for an admin, else the caller's own user, who must have one. */
export function actingUser(caller: Caller | undefined): string | undefined {
  if (isAdmin(caller)) return undefined;
  const email = emailOf(caller);
  if (!email) throw forbidden("your token carries no email, so it names no user of this service");
  return email;
}
