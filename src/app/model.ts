/**
 * Example app: you will most likely replace this file with your own entities.
 *
 * The single-table design of the example service, in one read.
 *
 * | access pattern                       | operation                    | key                                                          |
 * | ------------------------------------ | ---------------------------- | ------------------------------------------------------------ |
 * | user by email, and whose it is       | GetItem                      | pk USER#<email>       sk PROFILE                             |
 * | create user (never overwrite)        | PutItem, attribute_not_exists| same                                                         |
 * | update user (404 if missing)         | UpdateItem, attribute_exists | same, ReturnValues ALL_NEW                                   |
 * | company by name (any case or width)  | GetItem                      | pk COMPANY#<folded name> sk PROFILE                          |
 * | add membership (user, company exist) | TransactWriteItems           | pk COMPANY#<folded name> sk MEMBER#<email> + 2 cond. checks  |
 * | company's member count (projection)  | GetItem; stream consumer ADD | pk COMPANY#<folded name> sk STATS                            |
 * | members of a company                 | Query                        | pk COMPANY#<folded name>, begins_with(sk, MEMBER#)           |
 * | companies of a user                  | Query index byUser           | gsi1pk USER#<email>, begins_with(gsi1sk, COMPANY#)           |
 * | append event to a user               | TransactWriteItems           | pk USER#<email>       sk EVENT#<ISO time>#<id> + user check  |
 * | user's events, newest first / range  | Query, ScanIndexForward      | pk USER#<email>, sk between EVENT#<from> and EVENT#<to>      |
 * | delete user with memberships, events | Query (both), BatchWriteItem | the user's partition and its byUser entries                  |
 *
 * Identifiers never contain "#" (the validation refuses it), so no email or
 * name can build a key that reaches another entity's items. Emails are NFC
 * and lowercase; company names are keyed folded (companyKey), so they are
 * unique whatever their case or width. The byUser index
 * is not created with the table: migrations 0002 and 0003 add and backfill it.
 */
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Entity } from "dynamodb-toolbox/entity";
import { item } from "dynamodb-toolbox/schema/item";
import { string } from "dynamodb-toolbox/schema/string";
import { Table } from "dynamodb-toolbox/table";

export const BY_USER_INDEX = "byUser";

/**
 * A company's name as a key: compatibility forms and case folded away (NFKC,
 * then upper- and lowercased, which folds "ß" to "ss" too), so "Acme",
 * "ACME" and the fullwidth "Ａｃｍｅ" are one company. The name as entered is
 * kept in the item for display.
 */
export const companyKey = (name: string) => name.normalize("NFKC").toUpperCase().toLowerCase().normalize("NFKC");

/** Key builders: the only place key formats are spelled out. */
export const keys = {
  user: (email: string) => ({ pk: `USER#${email}`, sk: "PROFILE" }),
  company: (name: string) => ({ pk: `COMPANY#${companyKey(name)}`, sk: "PROFILE" }),
  membership: (company: string, email: string) => ({ pk: `COMPANY#${companyKey(company)}`, sk: `MEMBER#${email}` }),
  /** Kept by the memberCounts stream consumer (src/app/projections.ts), never written by a route. */
  companyStats: (companyPartition: string) => ({ pk: companyPartition, sk: "STATS" }),
  membershipByUser: (company: string, email: string) => ({ gsi1pk: `USER#${email}`, gsi1sk: `COMPANY#${companyKey(company)}` }),
  event: (email: string, at: string, id: string) => ({ pk: `USER#${email}`, sk: `EVENT#${at}#${id}` }),
  /** Sort-key bounds of a user's events between two ISO times (inclusive); "~" sorts after every id. */
  eventRange: (from = "0000", to = "9999") => ({ from: `EVENT#${from}`, to: `EVENT#${to}~` }),
  userPartition: (email: string) => `USER#${email}`,
  companyPartition: (name: string) => `COMPANY#${companyKey(name)}`,
  MEMBER_PREFIX: "MEMBER#",
  COMPANY_PREFIX: "COMPANY#",
  EVENT_PREFIX: "EVENT#",
};

const timestamps = { created: { name: "createdAt", savedAs: "createdAt" }, modified: { name: "updatedAt", savedAs: "updatedAt" } } as const;

/** The table and its entities, bound to one connection (one per cold start, from connect()). */
export function createModel({ documentClient, tableName }: { documentClient: DynamoDBDocumentClient; tableName: string }) {
  const table = new Table({
    documentClient,
    name: tableName,
    partitionKey: { name: "pk", type: "string" },
    sortKey: { name: "sk", type: "string" },
    indexes: { [BY_USER_INDEX]: { type: "global", partitionKey: { name: "gsi1pk", type: "string" }, sortKey: { name: "gsi1sk", type: "string" } } },
  });

  const User = new Entity({
    name: "User",
    table,
    // subject: the token subject that created the profile, and the only caller it belongs to (access.ts); none when an admin made it.
    schema: item({ email: string().key(), name: string(), subject: string().optional() }),
    computeKey: ({ email }) => keys.user(email),
    timestamps,
  });

  const Company = new Entity({
    name: "Company",
    table,
    schema: item({ name: string().key(), description: string().optional() }),
    computeKey: ({ name }) => keys.company(name),
    timestamps,
  });

  const Membership = new Entity({
    name: "Membership",
    table,
    schema: item({ company: string().key(), email: string().key(), role: string(), joinedAt: string() }).and((_schema) => ({
      // The inverted index: the same item, found from the user's side.
      gsi1pk: string()
        .hidden()
        .link<typeof _schema>(({ email }) => keys.membershipByUser("", email).gsi1pk),
      gsi1sk: string()
        .hidden()
        .link<typeof _schema>(({ company }) => keys.membershipByUser(company, "").gsi1sk),
    })),
    computeKey: ({ company, email }) => keys.membership(company, email),
    timestamps: false, // joinedAt says it
  });

  const Event = new Entity({
    name: "Event",
    table,
    // The payload as a JSON string: a DynamoDB map would change or refuse some JSON (see exactJsonObject).
    schema: item({ email: string().key(), at: string().key(), id: string().key(), type: string(), dataJson: string().optional() }),
    computeKey: ({ email, at, id }) => keys.event(email, at, id),
    timestamps: false,
  });

  return { table, User, Company, Membership, Event };
}

export type Model = ReturnType<typeof createModel>;
