/** A jest globalTeardown: stops the DynamoDB Local that jestGlobalSetup started, and only that one. */
export default async function globalTeardown(): Promise<void> {
  await globalThis.__localDynamo?.stop();
  globalThis.__localDynamo = undefined;
}
