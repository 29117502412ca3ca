/**
 * The library's entry for tests and local tools, which a handler never
 * imports: counting the requests a client sends, and building the events
 * API Gateway would send (with a JWT authorizer's context), for calling a
 * handler without API Gateway.
 */
export * from "./runtime/requestCounter";
export * from "./http/apiGatewayEvent";
