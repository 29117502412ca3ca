/**
 * CloudWatch's embedded metric format as a JSON Schema (2020-12), transcribed from the specification's document
 * structure (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
 * the `_aws` metadata with an integer Timestamp and its metric directives; at most 30 dimensions to a set and 100
 * metrics to a directive; units from the specification's list; storage resolution 1 or 60. What a schema cannot say
 * (every dimension a string member of the root, every metric a number member) the test checks beside it.
 */
const UNITS = [
  "Seconds",
  "Microseconds",
  "Milliseconds",
  "Bytes",
  "Kilobytes",
  "Megabytes",
  "Gigabytes",
  "Terabytes",
  "Bits",
  "Kilobits",
  "Megabits",
  "Gigabits",
  "Terabits",
  "Percent",
  "Count",
  "Bytes/Second",
  "Kilobytes/Second",
  "Megabytes/Second",
  "Gigabytes/Second",
  "Terabytes/Second",
  "Bits/Second",
  "Kilobits/Second",
  "Megabits/Second",
  "Gigabits/Second",
  "Terabits/Second",
  "Count/Second",
  "None",
];

export const EMF_SCHEMA = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  type: "object",
  required: ["_aws"],
  properties: {
    _aws: {
      type: "object",
      required: ["Timestamp", "CloudWatchMetrics"],
      properties: {
        Timestamp: { type: "integer", minimum: 0 },
        LogGroupName: { type: "string", minLength: 1 },
        CloudWatchMetrics: {
          type: "array",
          items: {
            type: "object",
            required: ["Namespace", "Dimensions", "Metrics"],
            additionalProperties: false,
            properties: {
              Namespace: { type: "string", minLength: 1, maxLength: 1024 },
              Dimensions: {
                type: "array",
                items: { type: "array", minItems: 1, maxItems: 30, items: { type: "string", minLength: 1, maxLength: 250 } },
              },
              Metrics: {
                type: "array",
                maxItems: 100,
                items: {
                  type: "object",
                  required: ["Name"],
                  additionalProperties: false,
                  properties: {
                    Name: { type: "string", minLength: 1, maxLength: 1024 },
                    Unit: { type: "string", enum: UNITS },
                    StorageResolution: { type: "integer", enum: [1, 60] },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;
