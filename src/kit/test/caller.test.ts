import fc from "fast-check";
import { callerOf } from "../src/http/caller";
import { apiGatewayEvent, jwtContext } from "../src/testing/apiGatewayEvent";

const eventWith = (claims: Record<string, unknown>) => {
  const event = apiGatewayEvent({ method: "GET", rawPath: "/" });
  (event.requestContext as unknown as { authorizer: unknown }).authorizer = { jwt: { claims, scopes: null } };
  return event;
};

describe("callerOf: a caller is its subject", () => {
  it("carries the token's email only when the provider verified it", () => {
    expect(callerOf(eventWith({ sub: "bob-id", email: "bob@example.com", email_verified: "true" }))).toEqual({
      subject: "bob-id",
      verifiedEmail: "bob@example.com",
      scopes: [],
    });
    // The takeover the kit must not make easy: another account's token naming bob's address, unverified or silent.
    for (const email_verified of ["false", false, undefined, "TRUE", "yes", 1]) {
      expect(callerOf(eventWith({ sub: "mallory-id", email: "bob@example.com", email_verified }))).toEqual({ subject: "mallory-id", scopes: [] });
    }
  });

  it("reads what the test helpers build as API Gateway would hand it over", () => {
    const event = apiGatewayEvent({ method: "GET", rawPath: "/", jwt: jwtContext({ sub: "ada-id", email: "ada@example.com", emailVerified: true }) });
    expect(callerOf(event)).toEqual({ subject: "ada-id", verifiedEmail: "ada@example.com", scopes: [] });
    const unverified = apiGatewayEvent({ method: "GET", rawPath: "/", jwt: jwtContext({ sub: "x", email: "ada@example.com", emailVerified: false }) });
    expect(callerOf(unverified)).toEqual({ subject: "x", scopes: [] });
  });

  it("never names a caller by anything but a non-empty sub, and never has an email without the verified flag (property)", () => {
    const anything = fc.oneof(fc.string(), fc.boolean(), fc.integer(), fc.constant(null), fc.constant("true"), fc.constant(true));
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom("sub", "email", "email_verified", "scope", "scp"), anything), (claims) => {
        const caller = callerOf(eventWith(claims));
        if (typeof claims.sub !== "string" || claims.sub === "") return expect(caller).toBeUndefined();
        expect(caller?.subject).toBe(claims.sub);
        const verified = claims.email_verified === true || claims.email_verified === "true";
        expect(caller?.verifiedEmail).toBe(verified && typeof claims.email === "string" && claims.email !== "" ? claims.email : undefined);
      }),
      { numRuns: 500 },
    );
  });
});
