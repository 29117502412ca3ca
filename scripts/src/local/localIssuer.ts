/**
 * The local deployment's identity provider: an RS256 key pair under its state
 * directory, made on first use and kept across redeploys, so that
 * `make token` can sign bearer tokens that the local API verifies exactly as
 * API Gateway's JWT authorizer verifies a real provider's.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from "jose";
import { callerClaims, type AppContract, type SampleRequest } from "@dynamodb-starter/kit/contract";
import { ConfigError } from "@dynamodb-starter/kit/runtime";
import { type CallerClaims } from "@dynamodb-starter/kit/testing";

export interface LocalIssuer {
  /** The `iss` of its tokens. */
  issuer: string;
  /** The `aud` of its tokens: the local API's only audience. */
  audience: string;
  /** Its public keys (a JWKS), which the local API verifies against. */
  jwksFile: string;
}

const KEY_ID = "local-1";
export const LOCAL_AUDIENCE = "local-api";

const files = (dir: string) => ({ privateKey: join(dir, "issuer-key.json"), jwks: join(dir, "issuer-jwks.json") });
const issuerOf = (dir: string) => `https://local-issuer.invalid/${encodeURIComponent(dir)}`;

/** The issuer of the deployment whose state is in `dir`, creating its keys if they do not exist yet. */
export async function ensureLocalIssuer(dir: string): Promise<LocalIssuer> {
  const { privateKey, jwks } = files(dir);
  if (!existsSync(privateKey) || !existsSync(jwks)) {
    mkdirSync(dir, { recursive: true });
    const pair = await generateKeyPair("RS256", { extractable: true });
    const common = { kid: KEY_ID, alg: "RS256", use: "sig" };
    writeFileSync(privateKey, JSON.stringify({ ...(await exportJWK(pair.privateKey)), ...common }), { mode: 0o600 });
    writeFileSync(jwks, JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), ...common }] }));
  }
  return { issuer: issuerOf(dir), audience: LOCAL_AUDIENCE, jwksFile: jwks };
}

export interface TokenRequest {
  sub: string;
  email?: string | undefined;
  /** The token's email_verified claim; absent, the token says nothing about it (and the app must not trust the email). */
  emailVerified?: boolean | undefined;
  scopes?: readonly string[] | undefined;
  /** Seconds until it expires (default one hour). */
  expiresIn?: number;
}

/** A bearer token of the issuer whose keys are in `dir`, as a real provider would issue it. */
export async function signLocalToken(dir: string, { sub, email, emailVerified, scopes = [], expiresIn = 3_600 }: TokenRequest): Promise<string> {
  const { privateKey } = files(dir);
  if (!existsSync(privateKey)) throw new ConfigError(`there is no local issuer in ${dir} yet: deploy the local stack first`);
  const key = await importJWK(JSON.parse(readFileSync(privateKey, "utf8")) as JWK, "RS256");
  const claims = {
    ...(email ? { email } : {}),
    ...(emailVerified === undefined ? {} : { email_verified: emailVerified }),
    ...(scopes.length ? { scope: scopes.join(" ") } : {}),
  };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", kid: KEY_ID, typ: "JWT" })
    .setSubject(sub)
    .setIssuer(issuerOf(dir))
    .setAudience(LOCAL_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + expiresIn)
    .sign(key);
}

/** For each sample request, the `authorization` header of its caller (the contract's), signed once per caller. */
export async function requestAuthorization(dir: string, contract: Pick<AppContract, "callers">): Promise<(request: SampleRequest) => Record<string, string>> {
  const tokens = new Map<CallerClaims, string>();
  for (const claims of Object.values(contract.callers)) {
    tokens.set(
      claims,
      `Bearer ${await signLocalToken(dir, { sub: claims.sub, email: claims.email, emailVerified: claims.emailVerified, scopes: claims.scopes })}`,
    );
  }
  return (request) => ({ authorization: tokens.get(callerClaims(contract, request))! });
}
