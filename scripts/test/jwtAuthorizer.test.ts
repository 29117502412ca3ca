import fc from "fast-check";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair, importJWK, SignJWT, type JSONWebKeySet, type JWK, type KeyLike } from "jose";
import { jwtAuthorizer } from "../src/local/jwtAuthorizer";
import { ensureLocalIssuer, LOCAL_AUDIENCE, signLocalToken, type LocalIssuer } from "../src/local/localIssuer";
import { type RouteEntry } from "@dynamodb-starter/kit/runtime";

const dir = mkdtempSync(join(tmpdir(), "issuer-"));
const routes: RouteEntry[] = [
  { routeKey: "GET /health", public: true, scopes: [] },
  { routeKey: "GET /me", public: false, scopes: [] },
  { routeKey: "DELETE /things/{id}", public: false, scopes: ["admin", "things:delete"] },
];
let issuer: LocalIssuer;
let authorize: ReturnType<typeof jwtAuthorizer>;
let issuerKey: KeyLike;
let strangerKey: KeyLike;

beforeAll(async () => {
  issuer = await ensureLocalIssuer(dir);
  const jwks = JSON.parse(readFileSync(issuer.jwksFile, "utf8")) as JSONWebKeySet;
  authorize = jwtAuthorizer({ issuer: issuer.issuer, audiences: [LOCAL_AUDIENCE], jwks, routes });
  issuerKey = (await importJWK(JSON.parse(readFileSync(join(dir, "issuer-key.json"), "utf8")) as JWK, "RS256")) as KeyLike;
  strangerKey = (await generateKeyPair("RS256")).privateKey;
});

interface Shape {
  iss?: string;
  aud?: string | null;
  clientId?: string;
  /** null: no exp claim at all. */
  exp?: number | null;
  nbf?: number;
  iat?: number;
  /** null: no kid in the header. */
  kid?: string | null;
  scope?: string;
  key?: KeyLike;
  sub?: string | null;
}

/** A token as some provider might issue it: the local issuer's unless told otherwise. */
async function token(shape: Shape = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({
    ...(shape.scope ? { scope: shape.scope } : {}),
    ...(shape.clientId ? { client_id: shape.clientId } : {}),
    email: "ada@example.com",
  })
    .setProtectedHeader({ alg: "RS256", ...(shape.kid === null ? {} : { kid: shape.kid ?? "local-1" }) })
    .setIssuer(shape.iss ?? issuer.issuer)
    .setIssuedAt(shape.iat ?? now);
  if (shape.exp !== null) jwt.setExpirationTime(shape.exp ?? now + 600);
  if (shape.sub !== null) jwt.setSubject(shape.sub ?? "user-1");
  if (shape.aud !== null) jwt.setAudience(shape.aud ?? LOCAL_AUDIENCE);
  if (shape.nbf !== undefined) jwt.setNotBefore(shape.nbf);
  return jwt.sign(shape.key ?? issuerKey);
}

const unsecured = (payload: object) =>
  `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.`;

describe("the local JWT authorizer (as API Gateway's)", () => {
  it("lets anyone call a public route, and hands it no claims", async () => {
    expect(await authorize("GET", "/health", undefined)).toEqual({ allow: true });
  });

  it("passes a valid token, Bearer or bare, and hands the route its claims as strings and its scopes", async () => {
    const valid = await token({ scope: "read things:delete" });
    const decision = await authorize("GET", "/me", `Bearer ${valid}`);
    expect(decision).toMatchObject({
      allow: true,
      jwt: { claims: { sub: "user-1", email: "ada@example.com", aud: LOCAL_AUDIENCE }, scopes: ["read", "things:delete"] },
    });
    expect(decision.allow && typeof decision.jwt!.claims.exp).toBe("string");
    expect(await authorize("GET", "/me", valid)).toMatchObject({ allow: true });
    expect(await authorize("GET", "/me", `Bearer ${await signLocalToken(dir, { sub: "cli-user" })}`)).toMatchObject({ allow: true }); // make token's
  });

  it.each<[string, () => Promise<string | undefined>]>([
    ["no Authorization header", async () => undefined],
    ["an empty bearer", async () => "Bearer "],
    ["something that is not a JWT", async () => "Bearer not.a.jwt"],
    ["an expired token", () => token({ exp: Math.floor(Date.now() / 1000) - 5 })],
    ["a token not valid yet (nbf)", () => token({ nbf: Math.floor(Date.now() / 1000) + 300 })],
    ["another audience", () => token({ aud: "someone-else" })],
    ["no audience and no client_id", () => token({ aud: null })],
    ["another issuer", () => token({ iss: "https://evil.example.com" })],
    ["a signature by another key", () => token({ key: strangerKey })],
    // What jose alone would accept and API Gateway refuses:
    ["no exp", () => token({ exp: null })],
    ["no kid in the header", () => token({ kid: null })],
    ["a kid the issuer does not publish", () => token({ kid: "other-key" })],
    ["an iat in the future", () => token({ iat: Math.floor(Date.now() / 1000) + 300 })],
    ["a wrong aud with a right client_id (aud is evaluated when present)", () => token({ aud: "someone-else", clientId: LOCAL_AUDIENCE })],
    ["alg: none", async () => unsecured({ sub: "user-1", iss: issuer.issuer, aud: LOCAL_AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600 })],
  ])("answers 401 for %s", async (_, make) => {
    const header = await make();
    expect(await authorize("GET", "/me", header?.startsWith("Bearer") || header === undefined ? header : `Bearer ${header}`)).toEqual({
      allow: false,
      status: 401,
      message: "Unauthorized",
    });
  });

  it("takes client_id where a provider puts the audience there (Cognito access tokens)", async () => {
    expect(await authorize("GET", "/me", `Bearer ${await token({ aud: null, clientId: LOCAL_AUDIENCE })}`)).toMatchObject({ allow: true });
  });

  it("answers 403 when the route needs a scope the token lacks, and passes any one of its scopes", async () => {
    expect(await authorize("DELETE", "/things/t1", `Bearer ${await token({ scope: "read" })}`)).toEqual({ allow: false, status: 403, message: "Forbidden" });
    expect(await authorize("DELETE", "/things/t1", `Bearer ${await token()}`)).toEqual({ allow: false, status: 403, message: "Forbidden" });
    expect(await authorize("DELETE", "/things/t1", `Bearer ${await token({ scope: "read things:delete" })}`)).toMatchObject({ allow: true });
  });

  it("sends what matches no route to $default, which needs a token like any route", async () => {
    expect(await authorize("GET", "/nowhere", undefined)).toMatchObject({ allow: false, status: 401 });
    expect(await authorize("POST", "/health", undefined)).toMatchObject({ allow: false, status: 401 }); // another method: $default
    expect(await authorize("GET", "/nowhere", `Bearer ${await token()}`)).toMatchObject({ allow: true });
  });

  it("never lets a token through that fails any check, never throws, for generated tokens and headers (property)", async () => {
    const now = Math.floor(Date.now() / 1000);
    const shape = fc.record({
      issOk: fc.boolean(),
      aud: fc.constantFrom("ok", "other", "missing", "client_id", "other_with_client_id"),
      expOk: fc.constantFrom("ahead", "past", "none"),
      iatOk: fc.boolean(),
      kidOk: fc.constantFrom("ours", "none", "unknown"),
      nbfOk: fc.boolean(),
      keyOk: fc.boolean(),
      scope: fc.subarray(["admin", "things:delete", "read", "x"]),
      route: fc.constantFrom("GET /health", "GET /me", "DELETE /things/t1", "GET /nowhere"),
      prefix: fc.constantFrom("Bearer ", "bearer ", "", "Basic "),
    });
    const junk = fc.oneof(
      fc.string(),
      fc.string().map((s) => `Bearer ${s}`),
      fc.constant(undefined),
    );
    await fc.assert(
      fc.asyncProperty(shape, junk, async (s, header) => {
        const [method, path] = s.route.split(" ") as [string, string];
        const signed = await token({
          iss: s.issOk ? issuer.issuer : "https://other.example.com",
          aud: s.aud === "ok" ? LOCAL_AUDIENCE : s.aud === "other" || s.aud === "other_with_client_id" ? "other-api" : null,
          ...(s.aud === "client_id" || s.aud === "other_with_client_id" ? { clientId: LOCAL_AUDIENCE } : {}),
          exp: s.expOk === "ahead" ? now + 600 : s.expOk === "past" ? now - 60 : null,
          iat: s.iatOk ? now : now + 600,
          kid: s.kidOk === "ours" ? "local-1" : s.kidOk === "none" ? null : "rotated-away",
          ...(s.nbfOk ? {} : { nbf: now + 600 }),
          key: s.keyOk ? issuerKey : strangerKey,
          scope: s.scope.join(" "),
        });
        const isPublic = path === "/health" && method === "GET";
        const valid =
          s.issOk &&
          (s.aud === "ok" || s.aud === "client_id") &&
          s.expOk === "ahead" &&
          s.iatOk &&
          s.kidOk === "ours" &&
          s.nbfOk &&
          s.keyOk &&
          s.prefix !== "Basic ";
        const scoped = path.startsWith("/things/");
        const expected = isPublic
          ? { allow: true }
          : !valid
            ? { allow: false, status: 401 }
            : scoped && !s.scope.some((x) => x === "admin" || x === "things:delete")
              ? { allow: false, status: 403 }
              : { allow: true };
        expect(await authorize(method, path, `${s.prefix}${signed}`)).toMatchObject(expected);
        // Whatever else arrives in the header: a decision, never an exception, and never a pass on a route that needs a token.
        const decision = await authorize(method, path, header);
        if (!isPublic) expect(decision).toMatchObject({ allow: false, status: 401 });
      }),
      { numRuns: 200 },
    );
  });
});
