/**
 * A consumer of the table's stream: keeps each company's member count
 * (src/app/projections.ts). The kit reports partial batch failures and
 * applies each record once; the trigger below becomes the event source
 * mapping on AWS and the local deployment's stream poller.
 */
import { createStreamHandler, defineFunction } from "@dynamodb-starter/kit/runtime";
import { migrations } from "../app/migrations";
import { memberCountWrites } from "../app/projections";

export const handler = createStreamHandler({ migrations, writes: memberCountWrites });

export const config = defineFunction({
  trigger: { stream: { batchSize: 100, maximumRetryAttempts: 3, maximumRecordAgeSeconds: 3600 } },
  // connect()'s DescribeTable and Query; the count's UpdateItem and the record's marker (PutItem), in one transaction.
  dynamodbActions: ["DescribeTable", "PutItem", "Query", "UpdateItem"],
  timeoutSeconds: 30,
});
