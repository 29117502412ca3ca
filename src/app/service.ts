/**
 * Example app: you will most likely replace this file with your own service.
 *
 * The example service's operations, one per access pattern of the model.
 * Handlers validate input and map errors to HTTP; everything about DynamoDB
 * happens here.
 */
import { GetCommand, QueryCommand as RawQueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ConditionCheck } from "dynamodb-toolbox/entity/actions/transactCheck";
import { PutTransaction } from "dynamodb-toolbox/entity/actions/transactPut";
import { execute } from "dynamodb-toolbox/entity/actions/transactWrite";
import { GetItemCommand } from "dynamodb-toolbox/entity/actions/get";
import { PutItemCommand } from "dynamodb-toolbox/entity/actions/put";
import { UpdateItemCommand } from "dynamodb-toolbox/entity/actions/update";
import { QueryCommand } from "dynamodb-toolbox/table/actions/query";
import { randomUUID } from "node:crypto";
import { batchWriteAll, cancellationReasons, decodeCursor, encodeCursor, forbidden, isConditionalCheckFailed } from "@dynamodb-starter/kit/runtime";
import type * as z from "zod/mini";
import { grantableBy, isUser, mustBeUser, userCondition, type Self } from "./access";
import { ConflictError, NotFoundError } from "./errors";
import { BY_USER_INDEX, createModel, keys } from "./model";
import type * as schemas from "./schemas";

export interface Page<T> {
  items: T[];
  /** Pass back as ?cursor= for the next page; absent on the last page. */
  cursor?: string;
}

/** What each operation takes is what its schema outputs: one definition of a request, in schemas.ts. */
type Input<S extends keyof typeof schemas> = (typeof schemas)[S] extends z.ZodMiniType ? z.output<(typeof schemas)[S]> : never;
export type PageRequest = Input<"listQuery">;

/** Which items of a failed transaction failed their condition, in request order. */
const failedConditions = (error: unknown): boolean[] | undefined => cancellationReasons(error)?.map((code) => code === "ConditionalCheckFailed");

const page = <T>(items: T[], lastKey: Record<string, unknown> | undefined, scope: string): Page<T> => {
  const cursor = encodeCursor(lastKey, scope);
  return cursor ? { items, cursor } : { items };
};

/**
 * Operations on a user's items take `self`, the caller acting as a user (access.ts), or undefined for an admin: a
 * read checks the profile it reads, a write carries the same check as its condition.
 */
export function createService({ documentClient, tableName }: { documentClient: DynamoDBDocumentClient; tableName: string }) {
  const { table, User, Company, Membership, Event } = createModel({ documentClient, tableName });
  // Every item written through the model carries the entity attribute: its presence means "the item exists".
  const exists = { attr: "entity", exists: true } as const;
  const absent = { attr: "entity", exists: false } as const;
  /** A profile that exists and, for a caller acting as a user, is theirs. */
  const usersOwn = (self: Self | undefined) => (self ? { and: [exists, userCondition(self)] } : exists);

  async function mustExist<T>(entity: string, id: string, read: Promise<{ Item?: T }>): Promise<T> {
    const { Item } = await read;
    if (!Item) throw new NotFoundError(entity, id);
    return Item;
  }

  /** The profile of `email`, checked to be `self`'s (or any, for an admin): 404 or 403 otherwise. */
  async function profileOf(email: string, self: Self | undefined, consistent = false) {
    const { Item } = await User.build(GetItemCommand).key({ email }).options({ consistent }).send();
    mustBeUser(self, email, Item);
    return Item;
  }

  /** After a write refused by usersOwn(self): reads why, and throws the 404 or 403 that says so. */
  async function refusedUser(email: string, self: Self | undefined): Promise<never> {
    await profileOf(email, self, true);
    throw new ConflictError(`user "${email}" changed while this request ran; send it again`);
  }

  return {
    /** An admin makes a profile for any address; a user makes their own, which records their subject. */
    async createUser(input: Input<"createUser">, self?: Self) {
      try {
        const item = self ? { ...input, subject: self.subject } : input;
        const { ToolboxItem } = await User.build(PutItemCommand).item(item).options({ condition: absent }).send();
        return publicUser(ToolboxItem);
      } catch (error) {
        if (isConditionalCheckFailed(error)) throw new ConflictError(`user "${input.email}" already exists`);
        throw error;
      }
    },

    getUser: async (email: string, self?: Self) => publicUser(await profileOf(email, self)),

    async updateUser(email: string, patch: Input<"updateUser">, self?: Self) {
      try {
        const { Attributes } = await User.build(UpdateItemCommand)
          .item({ email, ...patch })
          .options({ condition: usersOwn(self), returnValues: "ALL_NEW" })
          .send();
        return publicUser(Attributes!);
      } catch (error) {
        if (isConditionalCheckFailed(error)) return refusedUser(email, self);
        throw error;
      }
    },

    /** Deletes the user's memberships, then events, then the profile last, so an interrupted delete can be run again. */
    async deleteUser(email: string, self?: Self) {
      await profileOf(email, self, true);
      const partition = await queryKeys({ KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": keys.userPartition(email) } });
      const memberships = await queryKeys({
        IndexName: BY_USER_INDEX,
        KeyConditionExpression: "gsi1pk = :pk AND begins_with(gsi1sk, :prefix)",
        ExpressionAttributeValues: { ":pk": keys.userPartition(email), ":prefix": keys.COMPANY_PREFIX },
      });
      const profileLast = [...partition].sort((a, b) => Number(a.sk === "PROFILE") - Number(b.sk === "PROFILE"));
      await batchWriteAll(
        { documentClient, tableName },
        [...memberships, ...profileLast].map((Key) => ({ DeleteRequest: { Key } })),
      );
      return { memberships: memberships.length, events: partition.length - 1 };
    },

    /** With an `owner`, one transaction: the company, the owner's profile exists and is theirs, the owner's membership. */
    async createCompany(input: Input<"createCompany">, owner?: Required<Self>) {
      const put = Company.build(PutTransaction).item(input).options({ condition: absent }).params();
      const owned = owner
        ? [
            User.build(ConditionCheck).key({ email: owner.email }).condition(usersOwn(owner)).params(),
            Membership.build(PutTransaction)
              .item({ company: input.name, email: owner.email, role: "owner", joinedAt: String(put.Put.Item?.createdAt) })
              .options({ condition: absent })
              .params(),
          ]
        : [];
      try {
        await documentClient.send(new TransactWriteCommand({ TransactItems: [put, ...owned] }));
      } catch (error) {
        const [duplicate, notTheirs] = failedConditions(error) ?? [];
        if (duplicate) throw new ConflictError(`company "${input.name}" already exists`);
        if (notTheirs) return refusedUser(owner!.email, owner);
        throw error;
      }
      const { name, description, createdAt, updatedAt } = put.Put.Item as Record<string, string | undefined>;
      return { name: name!, ...(description === undefined ? {} : { description }), createdAt: createdAt!, updatedAt: updatedAt! };
    },

    /** The company, and its member count as the stream consumer last left it (eventually consistent, 0 before its first member). */
    async getCompany(name: string) {
      const [company, stats] = await Promise.all([
        mustExist("company", name, Company.build(GetItemCommand).key({ name }).send()),
        documentClient.send(new GetCommand({ TableName: tableName, Key: keys.companyStats(keys.companyPartition(name)) })),
      ]);
      return { ...company, memberCount: Number(stats.Item?.memberCount ?? 0) };
    },

    /**
     * One transaction: the user exists, the company exists, the membership does not yet, and (given a
     * `manager`) the manager is still the user of their profile and a member who may give `role`: owners
     * any role, admins `member` only. A manager who may not is refused after two reads, before any write;
     * the transaction's checks cover a demotion in between.
     */
    async addMembership(company: string, email: string, role: Input<"addMembership">["role"], manager?: Required<Self>) {
      const granters = (["owner", "admin"] as const).filter((r) => grantableBy(r).includes(role));
      const refused = () =>
        forbidden(role === "member" ? `only an owner or admin of "${company}" adds its members` : `only an owner of "${company}" makes someone ${role}`);
      if (manager) {
        const [held, profile] = await Promise.all([
          Membership.build(GetItemCommand).key({ company, email: manager.email }).options({ consistent: true }).send(),
          User.build(GetItemCommand).key({ email: manager.email }).options({ consistent: true }).send(),
        ]);
        if (!profile.Item || !isUser(manager, profile.Item) || !grantableBy(held.Item?.role).includes(role)) throw refused();
        if (email === manager.email) throw new ConflictError(`user "${email}" is already a member of "${company}"`);
      }
      const membership = { company, email, role, joinedAt: new Date().toISOString() };
      try {
        await execute(
          User.build(ConditionCheck).key({ email }).condition(exists),
          Company.build(ConditionCheck).key({ name: company }).condition(exists),
          Membership.build(PutTransaction).item(membership).options({ condition: absent }),
          ...(manager
            ? [
                Membership.build(ConditionCheck).key({ company, email: manager.email }).condition({ attr: "role", in: granters }),
                User.build(ConditionCheck).key({ email: manager.email }).condition(usersOwn(manager)),
              ]
            : []),
        );
        return membership;
      } catch (error) {
        const [noUser, noCompany, duplicate, notGranter, notTheirs] = failedConditions(error) ?? [];
        if (noUser) throw new NotFoundError("user", email);
        if (noCompany) throw new NotFoundError("company", company);
        if (duplicate) throw new ConflictError(`user "${email}" is already a member of "${company}"`);
        if (notGranter || notTheirs) throw refused();
        throw error;
      }
    },

    /** The company's members, to an admin or to one of them (`viewer`, still the user of their profile): 403 to anyone else. */
    async listMembers(
      company: string,
      { limit, cursor }: PageRequest,
      viewer?: Required<Self>,
    ): Promise<Page<{ email: string; role: string; joinedAt: string }>> {
      const scope = `members:${company}`;
      const exclusiveStartKey = decodeCursor(cursor, scope);
      const member = viewer
        ? Promise.all([
            Membership.build(GetItemCommand).key({ company, email: viewer.email }).send(),
            User.build(GetItemCommand).key({ email: viewer.email }).send(),
          ])
        : undefined;
      const [, result, seen] = await Promise.all([
        mustExist("company", company, Company.build(GetItemCommand).key({ name: company }).send()),
        table
          .build(QueryCommand)
          .entities(Membership)
          .query({ partition: keys.companyPartition(company), range: { beginsWith: keys.MEMBER_PREFIX } })
          .options({ limit, ...(exclusiveStartKey ? { exclusiveStartKey } : {}) })
          .send(),
        member,
      ]);
      if (viewer && !(seen?.[0].Item && seen[1].Item && isUser(viewer, seen[1].Item))) throw forbidden(`only members of "${company}" see its members`);
      return page(
        (result.Items ?? []).map(({ email, role, joinedAt }) => ({ email, role, joinedAt })),
        result.LastEvaluatedKey,
        scope,
      );
    },

    async listUserCompanies(email: string, { limit, cursor }: PageRequest, self?: Self): Promise<Page<{ company: string; role: string; joinedAt: string }>> {
      const scope = `companies:${email}`;
      const exclusiveStartKey = decodeCursor(cursor, scope);
      const [, result] = await Promise.all([
        profileOf(email, self),
        table
          .build(QueryCommand)
          .entities(Membership)
          .query({ index: BY_USER_INDEX, partition: keys.userPartition(email), range: { beginsWith: keys.COMPANY_PREFIX } })
          .options({ limit, ...(exclusiveStartKey ? { exclusiveStartKey } : {}) })
          .send(),
      ]);
      return page(
        (result.Items ?? []).map(({ company, role, joinedAt }) => ({ company, role, joinedAt })),
        result.LastEvaluatedKey,
        scope,
      );
    },

    /** One transaction: the user exists (and is `self`), and the event is new. */
    async appendEvent(email: string, input: Input<"appendEvent">, self?: Self) {
      const event = { id: randomUUID(), at: input.at ?? new Date().toISOString(), type: input.type };
      const stored = { ...event, email, ...(input.data ? { dataJson: JSON.stringify(input.data) } : {}) };
      try {
        await execute(
          User.build(ConditionCheck).key({ email }).condition(usersOwn(self)),
          Event.build(PutTransaction).item(stored).options({ condition: absent }),
        );
      } catch (error) {
        if (failedConditions(error)?.[0]) return refusedUser(email, self);
        throw error;
      }
      return { ...event, ...(input.data ? { data: input.data } : {}) };
    },

    async listEvents(email: string, query: Input<"eventsQuery">, self?: Self) {
      const scope = `events:${email}:${query.from ?? ""}:${query.to ?? ""}:${query.order}`;
      const exclusiveStartKey = decodeCursor(query.cursor, scope);
      const { from, to } = keys.eventRange(query.from, query.to);
      const [, result] = await Promise.all([
        profileOf(email, self),
        table
          .build(QueryCommand)
          .entities(Event)
          .query({ partition: keys.userPartition(email), range: { between: [from, to] } })
          .options({ limit: query.limit, reverse: query.order === "desc", ...(exclusiveStartKey ? { exclusiveStartKey } : {}) })
          .send(),
      ]);
      return page(
        (result.Items ?? []).map(({ id, at, type, dataJson }) => ({
          id,
          at,
          type,
          ...(dataJson === undefined ? {} : { data: JSON.parse(dataJson) as Record<string, unknown> }),
        })),
        result.LastEvaluatedKey,
        scope,
      );
    },
  };

  /** Every key matching a query, all pages (used to delete a user's items). */
  async function queryKeys(input: { IndexName?: string; KeyConditionExpression: string; ExpressionAttributeValues: Record<string, unknown> }) {
    const found: Record<string, unknown>[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const result = await documentClient.send(new RawQueryCommand({ TableName: tableName, ...input, ProjectionExpression: "pk, sk", ExclusiveStartKey }));
      for (const item of result.Items ?? []) found.push({ pk: item.pk, sk: item.sk });
      ExclusiveStartKey = result.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return found;
  }
}

/** A profile as the API answers it: never the subject it records. */
function publicUser({ email, name, createdAt, updatedAt }: { email: string; name: string; createdAt: string; updatedAt: string }) {
  return { email, name, createdAt, updatedAt };
}

export type Service = ReturnType<typeof createService>;
