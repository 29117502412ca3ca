/** DescribeTable that answers "no such table" with `undefined` instead of an exception. */
import { DescribeTableCommand, type DynamoDBClient, type TableDescription } from "@aws-sdk/client-dynamodb";
import { isResourceNotFound } from "../errors";

export async function describeTable(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return Table;
  } catch (error) {
    if (isResourceNotFound(error)) return undefined;
    throw error;
  }
}
