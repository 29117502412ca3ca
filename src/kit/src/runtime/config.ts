/** Where the table is, from the environment: TABLE_NAME, AWS_REGION, optional DYNAMODB_ENDPOINT. */
import { ConfigError } from "../errors";

export interface DynamoConfig {
  tableName: string;
  region: string;
  /** Set for DynamoDB Local (`http://127.0.0.1:8000`); unset means the AWS endpoint of `region`. */
  endpoint?: string;
}

/** DynamoDB's own rule for table names. */
export const TABLE_NAME_PATTERN = /^[a-zA-Z0-9_.-]{3,255}$/;
export const TABLE_NAME_RULE = 'use 3 to 255 of a-z, A-Z, 0-9, "_", "-" and "."';

/** Region used against DynamoDB Local whenever none is configured; Local ignores it with -sharedDb. */
export const LOCAL_REGION = "us-east-1";

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): DynamoConfig {
  const tableName = env.TABLE_NAME?.trim();
  const endpoint = env.DYNAMODB_ENDPOINT?.trim() || undefined;
  const region = env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || (endpoint ? LOCAL_REGION : undefined);
  if (!tableName) {
    throw new ConfigError(
      "TABLE_NAME is not set. Set it to the DynamoDB table to use: in the function's environment where it is deployed, in your own environment elsewhere.",
    );
  }
  if (!TABLE_NAME_PATTERN.test(tableName)) {
    throw new ConfigError(`TABLE_NAME "${tableName}" is not a valid DynamoDB table name: ${TABLE_NAME_RULE}.`);
  }
  if (!region) {
    throw new ConfigError("AWS_REGION is not set. Set it to the table's region (for example eu-west-1), or set DYNAMODB_ENDPOINT for DynamoDB Local.");
  }
  return endpoint ? { tableName, region, endpoint } : { tableName, region };
}

/** True for endpoints on this machine, where DynamoDB Local accepts any credentials. */
export function isLocalEndpoint(endpoint: string | undefined): boolean {
  if (!endpoint) return false;
  try {
    const host = new URL(endpoint).hostname;
    return host === "localhost" || host === "::1" || host === "[::1]" || host.startsWith("127.");
  } catch {
    return false;
  }
}

/** Explicit values over the environment: `--table` beats TABLE_NAME, and so on. */
export function configWith(
  overrides: { tableName?: string | undefined; region?: string | undefined; endpoint?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): DynamoConfig {
  return configFromEnv({
    TABLE_NAME: overrides.tableName ?? env.TABLE_NAME,
    AWS_REGION: overrides.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
    DYNAMODB_ENDPOINT: overrides.endpoint ?? env.DYNAMODB_ENDPOINT,
  });
}
