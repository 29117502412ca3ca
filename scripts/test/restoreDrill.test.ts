/** What the restore drill decides before it touches anything: the scratch table's name and settings, and how it says a duration. */
import fc from "fast-check";
import { TABLE_NAME_PATTERN } from "@dynamodb-starter/kit/runtime";
import { scratchName, scratchSettings } from "../src/drill/restoreDrill";
import { formatDuration } from "../src/format";

describe("the restore drill", () => {
  it("names a scratch table after any valid table name: valid itself, unique, and matched by the drill role's <table>-drill-* (property)", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-zA-Z0-9_.-]{3,255}$/), (table) => {
        const [a, b] = [scratchName(table), scratchName(table)];
        expect(a).toMatch(TABLE_NAME_PATTERN);
        expect(a.length).toBeLessThanOrEqual(255);
        expect(a).not.toBe(b);
        if (table.length <= 229) expect(a.startsWith(`${table}-drill-`)).toBe(true);
      }),
    );
  });

  it("gives the scratch table the settings a restore drops, never deletion protection, backups, a stream or another key", () => {
    const settings = scratchSettings(
      {
        pointInTimeRecovery: true,
        deletionProtection: true,
        ttlAttribute: "expiresAt",
        stream: "NEW_AND_OLD_IMAGES",
        encryption: { kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k" },
        onDemandMaximum: { readRequestUnits: 10, writeRequestUnits: 5 },
        tags: { service: "s" },
      },
      "t-drill-1",
    );
    expect(settings).toEqual({
      ttlAttribute: "expiresAt",
      onDemandMaximum: { readRequestUnits: 10, writeRequestUnits: 5 },
      deletionProtection: false,
      tags: { service: "s", "restore-drill": "t-drill-1" },
    });
  });

  it("says a duration in the unit a person plans with", () => {
    expect([850, 83_000, 250_000, 7_500_000].map(formatDuration)).toEqual(["0.8 s", "83 s", "4 min 10 s", "2 h 5 min"]);
  });
});
