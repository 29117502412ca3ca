/**
 * The secret that seals pagination cursors, read once per container. In a
 * deployment it lives in SSM Parameter Store as a SecureString, never in the
 * function's environment (which the plan roles and anyone with
 * GetFunctionConfiguration can read): CURSOR_SECRET_PARAMETER names it, and
 * only the function's role may read it. Locally, CURSOR_SECRET_FILE names a
 * file of the deployment's own; in tests, CURSOR_SECRET holds it. The SSM
 * client is loaded only where a parameter is named.
 */
import { readFileSync } from "node:fs";
import { ConfigError } from "../errors";

/** Shortest secret accepted: 16 characters. */
export const MIN_SECRET_LENGTH = 16;

let loaded: string | undefined;
let loading: Promise<string> | undefined;

/** The secret once loadCursorSecret() resolved, else CURSOR_SECRET; throws a ConfigError naming the way to set it. */
export function cursorSecret(env: NodeJS.ProcessEnv = process.env): string {
  const secret = loaded ?? env.CURSOR_SECRET;
  if (!secret || secret.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(
      "the cursor secret is not set: the function reads it from the SSM SecureString parameter CURSOR_SECRET_PARAMETER names " +
        `(or the file CURSOR_SECRET_FILE names, locally), a random secret of ${MIN_SECRET_LENGTH} or more characters that seals pagination cursors.`,
    );
  }
  return secret;
}

/**
 * Reads the secret where the environment says it is, once per container: concurrent calls share one read, and a
 * failed read is tried again by the next call. Resolves at once when neither a parameter nor a file is named.
 */
export function loadCursorSecret(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (loaded !== undefined || (!env.CURSOR_SECRET_PARAMETER && !env.CURSOR_SECRET_FILE)) return Promise.resolve();
  loading ??= read(env).then(
    (secret) => (loaded = secret),
    (error: unknown) => {
      loading = undefined;
      throw error;
    },
  );
  return loading.then(() => undefined);
}

async function read(env: NodeJS.ProcessEnv): Promise<string> {
  const secret = env.CURSOR_SECRET_PARAMETER ? await fromParameterStore(env.CURSOR_SECRET_PARAMETER) : readFileSync(env.CURSOR_SECRET_FILE!, "utf8").trim();
  if (secret.length < MIN_SECRET_LENGTH) throw new ConfigError(`the cursor secret is shorter than ${MIN_SECRET_LENGTH} characters: write a longer random one.`);
  return secret;
}

async function fromParameterStore(name: string): Promise<string> {
  const { SSMClient, GetParameterCommand } = await import("@aws-sdk/client-ssm");
  const client = new SSMClient({});
  try {
    const { Parameter } = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    if (!Parameter?.Value) throw new ConfigError(`the SSM parameter ${name} holds no cursor secret`);
    return Parameter.Value;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new ConfigError(`cannot read the cursor secret from the SSM parameter ${name} (${why}): the deploy creates it, and the function's role may read it.`);
  } finally {
    client.destroy();
  }
}

/** Forgets the loaded secret (tests). */
export function forgetCursorSecret(): void {
  loaded = undefined;
  loading = undefined;
}
