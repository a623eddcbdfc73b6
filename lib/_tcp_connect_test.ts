import { assertEquals, assertRejects } from "../tests/_assert.ts";
import { connectInTurn } from "./_tcp_connect.ts";
import { resolveAll } from "./_resolve.ts";

/** A port nothing listens on: bound, then closed again. */
function closedPort(hostname: string): number {
  const probe = Deno.listen({ hostname, port: 0 });
  probe.close();
  return probe.addr.port;
}

Deno.test("connectInTurn: a refused address moves on to the next, in order", async () => {
  for (
    const [listening, addresses] of [
      ["127.0.0.1", ["::1", "127.0.0.1"]],
      ["::1", ["127.0.0.1", "::1"]],
    ] as const
  ) {
    const listener = Deno.listen({ hostname: listening, port: 0 });
    try {
      const conn = await connectInTurn(
        addresses,
        listener.addr.port,
        new AbortController().signal,
      );
      (await listener.accept()).close();
      assertEquals(conn.remoteAddr.hostname, listening);
      conn.close();
    } finally {
      listener.close();
    }
  }
});

Deno.test("connectInTurn: when every address fails, the first failure is reported", async () => {
  const port = closedPort("127.0.0.1");
  const earlier = new Deno.errors.ConnectionRefused("the name's own attempt");
  const error = await assertRejects(() =>
    connectInTurn(
      ["127.0.0.1", "::1"],
      port,
      new AbortController().signal,
      earlier,
    )
  );
  assertEquals(error, earlier);
  await assertRejects(
    () => connectInTurn(["::1"], port, new AbortController().signal),
    Deno.errors.ConnectionRefused,
  );
});

Deno.test("connectInTurn: a cancelled attempt tries no further address", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const controller = new AbortController();
  controller.abort(new Error("cancelled"));
  try {
    const error = await assertRejects(() =>
      connectInTurn(
        ["::1", "127.0.0.1"],
        listener.addr.port,
        controller.signal,
      )
    );
    assertEquals(error.message, "cancelled");
  } finally {
    listener.close();
  }
});

Deno.test("resolveAll: localhost is both loopbacks, 127.0.0.1 first, unless a family is forced", async () => {
  assertEquals(await resolveAll("localhost", 80, undefined, "connect to"), [
    "127.0.0.1",
    "::1",
  ]);
  assertEquals(await resolveAll("localhost", 80, 6, "connect to"), ["::1"]);
  assertEquals(await resolveAll("localhost", 80, 4, "connect to"), [
    "127.0.0.1",
  ]);
  assertEquals(await resolveAll("::1", 80, undefined, "connect to"), ["::1"]);
  await assertRejects(
    () => resolveAll("::1", 80, 4, "connect to"),
    Error,
    "address is not IPv4",
  );
});
