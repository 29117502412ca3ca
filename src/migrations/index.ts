/**
 * The application's migrations, oldest first. Append new ones at the end;
 * never reorder, rename or remove one that has run anywhere: the name is
 * what the table records.
 */
import type { Migration } from "../db/migration";
import { appSettings } from "./0001-app-settings";

export const migrations: readonly Migration[] = [appSettings];
