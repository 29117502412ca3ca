/** Builds the low-level client and the DocumentClient on top of it. Callers own and reuse them. */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { isLocalEndpoint } from "./config";

export interface ClientOptions {
  region: string;
  endpoint?: string | undefined;
  /** SDK attempts per request, retries included (SDK default: 3). */
  maxAttempts?: number;
}

export function createClient({ region, endpoint, maxAttempts }: ClientOptions): DynamoDBClient {
  return new DynamoDBClient({
    region,
    ...(maxAttempts ? { maxAttempts } : {}),
    ...(endpoint ? { endpoint } : {}),
    // DynamoDB Local accepts any key; without this a laptop with no AWS profile could not run it.
    ...(isLocalEndpoint(endpoint) ? { credentials: { accessKeyId: "local", secretAccessKey: "local" } } : {}),
  });
}

export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
