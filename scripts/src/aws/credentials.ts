/** Fails early, with the fix, when the deployer has no AWS credentials (DynamoDB Local needs none). */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createClient, StarterError } from "@dynamodb-starter/kit/runtime";

export class MissingCredentialsError extends StarterError<"MISSING_CREDENTIALS"> {
  override name = "MissingCredentialsError";
  constructor(message: string) {
    super("MISSING_CREDENTIALS", message);
  }
}

export async function assertCredentials(client: DynamoDBClient, region: string): Promise<void> {
  try {
    await client.config.credentials();
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new MissingCredentialsError(
      `no AWS credentials found for region ${region} (${why}). Set AWS_PROFILE to a configured profile ` +
        `(run "aws sso login --profile NAME" first for SSO), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. ` +
        `Nothing was changed.`,
    );
  }
}

/** A deploy's or bootstrap's pre-flight line: credentials for `region` resolve, or the command stops with the fix. */
export async function checkCredentials(region: string, log: (line: string) => void): Promise<void> {
  const client = createClient({ region });
  try {
    await assertCredentials(client, region);
  } finally {
    client.destroy();
  }
  log("  AWS credentials found");
}
