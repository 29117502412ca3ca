import { request } from "node:http";
import { connect } from "node:net";
import { networkInterfaces, platform } from "node:os";
import { localClients, localEndpoint } from "../src/testing/tables";
import { ListTablesCommand } from "@aws-sdk/client-dynamodb";

const port = Number(new URL(localEndpoint()).port);

/** This machine's addresses that are not 127.0.0.1: its network interfaces', and on Linux 127.0.0.2 (all of 127/8 is loopback there). */
function otherAddresses(): string[] {
  const external = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && a.family === "IPv4" && a.address !== "127.0.0.1")
    .map((a) => a!.address);
  return [...external, ...(platform() === "linux" ? ["127.0.0.2"] : [])];
}

/** Whether a TCP connection to `host`:`port` is accepted (false when refused, unreachable or silent for a second). */
const accepts = (host: string) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host, port });
    const done = (result: boolean) => (socket.destroy(), resolve(result));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.setTimeout(1_000, () => done(false));
  });

/** The status DynamoDB Local answers a ListTables request carrying `host` as its Host header. */
const statusWithHost = (host: string) =>
  new Promise<number>((resolve, reject) => {
    const body = "{}";
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/",
        headers: {
          host,
          "content-type": "application/x-amz-json-1.0",
          "x-amz-target": "DynamoDB_20120810.ListTables",
          authorization: "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
          "content-length": body.length,
        },
      },
      (res) => (res.resume(), resolve(res.statusCode ?? 0)),
    );
    req.on("error", reject);
    req.end(body);
  });

describe("DynamoDB Local as the kit starts it", () => {
  it("listens on 127.0.0.1 only: no other address of this machine reaches it", async () => {
    const others = otherAddresses();
    expect(others.length).toBeGreaterThan(0); // else this test would prove nothing
    expect(await accepts("127.0.0.1")).toBe(true);
    const reached = [];
    for (const address of others) if (await accepts(address)) reached.push(address);
    expect(reached).toEqual([]);
  });

  it("answers only requests addressed to loopback: a rebound name in the Host gets 403", async () => {
    expect(await statusWithHost(`127.0.0.1:${port}`)).toBe(200);
    expect(await statusWithHost(`localhost:${port}`)).toBe(200);
    for (const host of ["evil.example.com", `evil.example.com:${port}`, `localhost.evil.example.com:${port}`]) expect(await statusWithHost(host)).toBe(403);
    const { client } = localClients();
    await expect(client.send(new ListTablesCommand({}))).resolves.toMatchObject({ TableNames: expect.any(Array) }); // the SDK's own requests pass
    client.destroy();
  });
});
