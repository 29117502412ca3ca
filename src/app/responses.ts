/**
 * Example app: you will most likely replace these with your own.
 *
 * What the API answers: the response schemas its routes declare (routes.ts) and openapi.json describes. The handler
 * never loads this module: it checks what it is sent, not what it answers, so these stay off its cold start (routes
 * name them with lazySchema(), which only make openapi and the tests load). The type checker still holds every
 * route's handler to them.
 */
import * as z from "zod/mini";
import { role } from "./schemas";

const time = z.string();
const pageOf = <T extends z.ZodMiniType>(item: T) => z.strictObject({ items: z.array(item), cursor: z.optional(z.string()) });
export const user = z.strictObject({ email: z.string(), name: z.string(), createdAt: time, updatedAt: time });
export const company = z.strictObject({ name: z.string(), description: z.optional(z.string()), createdAt: time, updatedAt: time });
export const companyWithCount = z.strictObject({ ...company.shape, memberCount: z.number() });
export const membership = z.strictObject({ company: z.string(), email: z.string(), role, joinedAt: time });
export const members = pageOf(z.strictObject({ email: z.string(), role: z.string(), joinedAt: time }));
export const userCompanies = pageOf(z.strictObject({ company: z.string(), role: z.string(), joinedAt: time }));
export const event = z.strictObject({ id: z.string(), at: time, type: z.string(), data: z.optional(z.record(z.string(), z.unknown())) });
export const events = pageOf(event);
