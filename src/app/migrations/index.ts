/**
 * Example app: replace these with your own migrations (`make migration NAME=...` appends one).
 *
 * The application's migrations, oldest first. Append new ones at the end;
 * never reorder, rename or remove one that has run anywhere: the name is
 * what the table records.
 */
import { type Migration } from "@dynamodb-starter/kit/migrations";
import { appSettings } from "./0001-app-settings";
import { membershipsByUserIndex } from "./0002-memberships-by-user-index";
import { backfillMembershipsByUser } from "./0003-backfill-memberships-by-user";
import { eventDataAsJson } from "./0004-event-data-as-json";
import { companyKeysFolded } from "./0005-company-keys-folded";

export const migrations: readonly Migration[] = [appSettings, membershipsByUserIndex, backfillMembershipsByUser, eventDataAsJson, companyKeysFolded];
