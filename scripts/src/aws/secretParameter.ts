/**
 * The cursor secret of an AWS deployment, in SSM Parameter Store: created by
 * the deploy when missing (a random SecureString under the AWS managed key),
 * never read by it, never overwritten. Its name reaches the HTTP function
 * through Terraform (CURSOR_SECRET_PARAMETER), and only that function's role
 * may read it (scripts/terraform/bootstrap/functions.tf): not the plan roles, not the
 * deploy role, not the Terraform state.
 */
import { PutParameterCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { randomBytes } from "node:crypto";

/** The parameter that holds the cursor secret of the HTTP function `functionName` (<deployment>-<handler>). */
export const cursorSecretParameter = (functionName: string) => `/${functionName}/cursor-secret`;

/** Creates the parameter with a random secret unless it exists; says which, never the value. */
export async function ensureCursorSecret(ssm: SSMClient, name: string, log: (line: string) => void): Promise<"created" | "kept"> {
  try {
    await ssm.send(
      new PutParameterCommand({
        Name: name,
        Type: "SecureString",
        Value: randomBytes(32).toString("base64url"),
        Overwrite: false,
        Description: "Seals the HTTP API's pagination cursors. Rotating it (put-parameter --overwrite) ends every cursor given out.",
      }),
    );
    log(`cursor secret: created ${name} (SecureString)`);
    return "created";
  } catch (error) {
    if (!(error instanceof Error && error.name === "ParameterAlreadyExists")) throw error;
    log(`cursor secret: ${name} exists; kept`);
    return "kept";
  }
}
