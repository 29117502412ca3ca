/**
 * Example app: a data migration that changes how an attribute is stored.
 *
 * Event payloads were stored as DynamoDB maps (`data`), which cannot hold
 * every JSON value exactly (an empty key, a key named `constructor`, nesting
 * over 32 levels). From now on they are JSON strings (`dataJson`); this
 * rewrites every event that still has a map. Re-running it is harmless: it
 * only touches events with `data`. `down` turns the strings back into maps,
 * except payloads a map cannot hold exactly, which stay strings and are
 * counted in the log.
 */
import { type Migration } from "@dynamodb-starter/kit/migrations";

// Frozen: the key formats as they were when this migration was written, copied rather than imported.
const eventsWith = (attribute: string) => ({
  FilterExpression: "begins_with(pk, :user) AND begins_with(sk, :event) AND attribute_exists(#attribute)",
  ExpressionAttributeNames: { "#attribute": attribute },
  ExpressionAttributeValues: { ":user": "USER#", ":event": "EVENT#" },
});

/** Whether a DynamoDB map holds `value` exactly: no empty or prototype-shaped keys, at most 32 levels. */
function mapSafe(value: unknown, depth = 1): boolean {
  if (typeof value !== "object" || value === null) return true;
  if (depth > 32) return false;
  if (Array.isArray(value)) return value.every((v) => mapSafe(v, depth + 1));
  return Object.keys(value).every((k) => k !== "" && k !== "constructor" && k !== "__proto__" && mapSafe((value as Record<string, unknown>)[k], depth + 1));
}

export const eventDataAsJson: Migration = {
  name: "0004-event-data-as-json",
  // A contract: the previous release reads events' `data` maps, which this rewrites into `dataJson`. A deploy applies it once the new code takes all traffic.
  kind: "contract",

  backfill: {
    filter: eventsWith("data"),
    transform: ({ data, ...item }) => ({ ...item, dataJson: JSON.stringify(data) }),
  },

  async down({ context }) {
    let kept = 0;
    const transform = ({ dataJson, ...item }: Record<string, unknown>) => {
      const data: unknown = JSON.parse(String(dataJson));
      if (mapSafe(data)) return { ...item, data };
      kept++;
      return undefined;
    };
    await context.backfill({ filter: eventsWith("dataJson"), transform });
    if (kept > 0) context.log(`${kept} event payload(s) cannot be held exactly by a map and stay as dataJson`);
  },
};
