/**
 * Example app: who may touch what. You will most likely replace these rules
 * with your own; the pattern stays: the kit hands each route the verified
 * caller, and the app decides before any write, and again inside it.
 *
 * A caller is their token's subject, never its email (an identity provider
 * may let anyone type any address into a profile):
 * - A user profile records the subject that created it; that subject alone
 *   reads and changes the profile, its events and its list of companies. A
 *   profile an admin made (the seed, a support tool) records none: it is the
 *   user's whose provider verified its address.
 * - You create your own profile, at the address your provider verified.
 * - Whoever creates a company becomes its owner. Its members see its members
 *   (anyone else gets 403); its owners and admins add members, and only its
 *   owners make someone an owner or an admin.
 * - A caller whose token has the `admin` scope may do anything.
 */
import * as z from "zod/mini";
import type { Condition } from "dynamodb-toolbox/entity/actions/parseCondition";
import { forbidden, type Caller } from "@dynamodb-starter/kit/runtime";
import { NotFoundError } from "./errors";
import type { Model } from "./model";
import * as schemas from "./schemas";

export const ADMIN_SCOPE = "admin";

export const isAdmin = (caller: Caller | undefined) => caller?.scopes.includes(ADMIN_SCOPE) === true;

/** A caller acting as a user: their subject, and their verified email as the app keys users (when the token has one). */
export interface Self {
  subject: string;
  email?: string;
}

/** Who the caller is as a user; undefined for an admin, who acts on any user's items. */
export function selfOf(caller: Caller | undefined): Self | undefined {
  if (isAdmin(caller) || !caller) return undefined;
  const parsed = z.safeParse(schemas.email, caller.verifiedEmail);
  return parsed.success ? { subject: caller.subject, email: parsed.data } : { subject: caller.subject };
}

/** What a profile says about whose it is. */
export interface Profile {
  email: string;
  subject?: string | undefined;
}

/** Whether `self` is the user of `profile`: its recorded subject, or for a profile that records none, its verified address. */
export const isUser = (self: Self, profile: Profile) => (profile.subject !== undefined ? profile.subject === self.subject : profile.email === self.email);

/**
 * Throws unless `self` (or an admin, `undefined`) may touch the items of user `email`, whose profile was read as
 * `profile`. A missing profile is a 404 only to an admin or to the caller whose own address it is: to anyone else a
 * 403, so that nobody learns which addresses have a profile.
 */
export function mustBeUser(self: Self | undefined, email: string, profile: Profile | undefined): asserts profile is Profile {
  if (!profile) {
    if (!self || self.email === email) throw new NotFoundError("user", email);
    throw notYours();
  }
  if (self && !isUser(self, profile)) throw notYours();
}

const notYours = () => forbidden("a user's profile, companies and events are theirs alone (or an admin's)");

/** The condition a write puts on a profile, so that it lands only while `self` is its user: isUser, inside DynamoDB. */
export function userCondition(self: Self): Condition<Model["User"]> {
  const bySubject = { attr: "subject", eq: self.subject } as const;
  if (!self.email) return bySubject;
  return {
    or: [
      bySubject,
      {
        and: [
          { attr: "subject", exists: false },
          { attr: "email", eq: self.email },
        ],
      },
    ],
  };
}

/** Who acts on a company: nobody to check for an admin, else the caller as the user of their verified address. */
export function actingUser(caller: Caller | undefined): Required<Self> | undefined {
  const self = selfOf(caller);
  if (!self) return undefined;
  if (!self.email) throw forbidden("your token carries no verified email, so it names no user of this service");
  return { subject: self.subject, email: self.email };
}

/** The roles a member with `role` may give: owners any, admins members only. */
export const grantableBy = (role: string | undefined): readonly string[] =>
  role === "owner" ? ["owner", "admin", "member"] : role === "admin" ? ["member"] : [];
