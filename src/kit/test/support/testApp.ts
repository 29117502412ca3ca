/**
 * A tiny app of the library tests' own, served by the library's handler:
 * notes by id, with a 404 mapped from its own error class. Library tests use
 * it instead of the example app, so replacing the example leaves them as
 * they are.
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import * as z from "zod/mini";
import { createApiHandler, type ApiDefinition } from "../../src/http/apiHandler";
import { json } from "../../src/http/response";
import { decodeCursor, encodeCursor } from "../../src/http/cursor";
import { jsonBody, parse } from "../../src/http/request";
import { type Migration } from "../../src/migrations/migration";
import { apiClient } from "../../src/testing/apiClient";

export class NoteNotFoundError extends Error {
  override name = "NoteNotFoundError";
}

const id = z.string().check(z.regex(/^[a-z0-9-]{1,40}$/));
const note = z.strictObject({ text: z.string().check(z.maxLength(1000)) });
const key = (noteId: string) => ({ pk: `NOTE#${noteId}`, sk: "NOTE" });
const listQuery = z.strictObject({
  limit: z.optional(z.pipe(z.string().check(z.regex(/^[1-9][0-9]?$|^100$/)), z.transform(Number))),
  cursor: z.optional(z.string().check(z.maxLength(2048))),
});

export const notesApi = (migrations: readonly Migration[] = []): ApiDefinition => ({
  migrations,
  routes: {
    "GET /notes/{id}": async ({ params, read }) => {
      const noteId = parse(id, params.id, "note id");
      const { Item } = await read(({ documentClient, tableName }) => documentClient.send(new GetCommand({ TableName: tableName, Key: key(noteId) })));
      if (!Item) throw new NoteNotFoundError(`note "${noteId}" does not exist`);
      return json(200, { id: noteId, text: Item.text });
    },
    "PUT /notes/{id}": async ({ event, params, db }) => {
      const noteId = parse(id, params.id, "note id");
      const { text } = parse(note, jsonBody(event), "note");
      const { documentClient, tableName } = await db();
      await documentClient.send(new PutCommand({ TableName: tableName, Item: { ...key(noteId), text } }));
      return json(200, { id: noteId, text });
    },
    // Only for tokens with the notes:delete scope (or admin): the library checks scopes before the route runs.
    "DELETE /notes/{id}": {
      scopes: ["notes:delete", "admin"],
      handle: async ({ params, caller, db }) => {
        const noteId = parse(id, params.id, "note id");
        const { documentClient, tableName } = await db();
        await documentClient.send(new DeleteCommand({ TableName: tableName, Key: key(noteId) }));
        return json(200, { deleted: noteId, by: caller?.subject });
      },
    },
    // Anyone: no token needed, and the caller is whatever was verified, if anything.
    "GET /hello": { public: true, handle: async ({ caller }) => json(200, { hello: caller?.subject ?? "anonymous" }) },
    // A paged list: items of a named list, `limit` and a signed `cursor` scoped to the list.
    "PUT /lists/{name}/items/{id}": async ({ event, params, db }) => {
      const [name, itemId] = [parse(id, params.name, "list name"), parse(id, params.id, "item id")];
      const { text } = parse(note, jsonBody(event), "item");
      const { documentClient, tableName } = await db();
      await documentClient.send(new PutCommand({ TableName: tableName, Item: { pk: `LIST#${name}`, sk: `ITEM#${itemId}`, id: itemId, text } }));
      return json(200, { id: itemId, text });
    },
    "GET /lists/{name}/items": async ({ event, params, read }) => {
      const name = parse(id, params.name, "list name");
      const query = parse(listQuery, event.queryStringParameters ?? {}, "query");
      const scope = `list:${name}`;
      const page = await read(({ documentClient, tableName }) =>
        documentClient.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: "pk = :pk",
            ExpressionAttributeValues: { ":pk": `LIST#${name}` },
            Limit: query.limit ?? 25,
            ExclusiveStartKey: decodeCursor(query.cursor, scope),
          }),
        ),
      );
      const items = (page.Items ?? []).map(({ id: itemId, text }) => ({ id: itemId, text }));
      const cursor = encodeCursor(page.LastEvaluatedKey, scope);
      return json(200, { items, ...(cursor ? { cursor } : {}) });
    },
    // Hands a number straight to the marshaller, which rejects unsafe integers with a message quoting them.
    "PUT /counters/{id}": async ({ event, params, db }) => {
      const counterId = parse(id, params.id, "counter id");
      const { value } = parse(z.strictObject({ value: z.number() }), jsonBody(event), "counter");
      const { documentClient, tableName } = await db();
      await documentClient.send(new PutCommand({ TableName: tableName, Item: { pk: `COUNTER#${counterId}`, sk: "COUNTER", value } }));
      return json(200, { id: counterId, value });
    },
  },
  errors: [{ error: NoteNotFoundError, status: 404, code: "not_found" }],
});

export const { api, allPages } = apiClient(createApiHandler(notesApi()));
