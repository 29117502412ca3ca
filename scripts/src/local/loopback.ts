/**
 * The local services (the API, DynamoDB Local, make ui) listen on loopback
 * only, and answer only requests addressed to it: a web page that points its
 * own name at 127.0.0.1 (DNS rebinding) sends that name as the Host, and is
 * refused before it reaches anything.
 */

/** The names a request to this machine's loopback may carry as its Host, with or without a port. */
const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Whether `host` (a Host header, or the authority of an absolute-form target) names this machine's loopback. */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.toLowerCase().replace(/:\d{1,5}$/, "");
  return LOOPBACK_NAMES.has(name);
}
