import { walk, withCaptured, type SampleRequest } from "@dynamodb-starter/kit/contract";

describe("walking the contract's sample requests", () => {
  it("sends each request with what earlier responses captured, in the path, query and body", async () => {
    const requests: SampleRequest[] = [
      { method: "POST", path: "/orders", body: { item: "anvil" }, status: 201, capture: { order: "id", next: "page.cursor" } },
      { method: "GET", path: "/orders/{{order}}", query: { cursor: "{{next}}" }, status: 200 },
      { method: "POST", path: "/refunds", body: { of: ["{{order}}"], note: "for {{order}}" }, status: 201 },
    ];
    const sent: SampleRequest[] = [];
    const captured = await walk(
      requests,
      async (request) => {
        sent.push(request);
        return { status: request.status, body: request.path === "/orders" ? { id: "o-17", page: { cursor: 42 } } : {} };
      },
      () => {},
    );
    expect(captured).toEqual({ order: "o-17", next: "42" });
    expect(sent[1]).toMatchObject({ path: "/orders/o-17", query: { cursor: "42" } });
    expect(sent[2]).toMatchObject({ body: { of: ["o-17"], note: "for o-17" } });
    expect(requests[1]!.path).toBe("/orders/{{order}}"); // the contract itself is left as written
  });

  it("refuses a placeholder nothing captured, and a capture the response does not hold", async () => {
    expect(() => withCaptured({ method: "GET", path: "/orders/{{order}}", status: 200 }, {})).toThrow(
      "GET /orders/{{order}} uses {{order}}, which no earlier request captured",
    );
    const capturing: SampleRequest = { method: "POST", path: "/orders", status: 201, capture: { order: "id" } };
    await expect(
      walk(
        [capturing],
        async () => ({ status: 201, body: { other: 1 } }),
        () => {},
      ),
    ).rejects.toThrow('POST /orders answered no string or number at "id" to capture');
  });
});
