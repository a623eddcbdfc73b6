import { assertEquals } from "../tests/_assert.ts";
import { isListener, isOwnAddress, targetsItself } from "./_relay_target.ts";

Deno.test("isListener: the relay's own address and port, localhost, and any loopback on a wildcard", () => {
  const v4 = { address: "127.0.0.1", port: 8080 };
  const any4 = { address: "0.0.0.0", port: 8080 };
  const any6 = { address: "::", port: 8080 };
  const cases: [string, number, { address: string; port: number }, boolean][] =
    [
      ["127.0.0.1", 8080, v4, true],
      ["localhost", 8080, v4, true],
      ["::ffff:127.0.0.1", 8080, v4, true],
      ["127.0.0.1", 8081, v4, false],
      ["127.0.0.2", 8080, v4, false],
      ["::1", 8080, v4, false],
      ["127.0.0.2", 8080, any4, true],
      ["::1", 8080, any6, true],
      ["192.0.2.1", 8080, any4, false],
      ["unix:/tmp/a.sock", 0, { address: "unix:/tmp/a.sock", port: 0 }, true],
      ["unix:/tmp/b.sock", 0, { address: "unix:/tmp/a.sock", port: 0 }, false],
    ];
  for (const [address, port, listening, expected] of cases) {
    assertEquals(
      isListener(address, port, listening),
      expected,
      `${address}:${port} on ${listening.address}:${listening.port}`,
    );
  }
  // A connection from our own (non-loopback) address to it, on a wildcard.
  assertEquals(isListener("192.0.2.1", 8080, any4, "192.0.2.1"), true);
});

Deno.test("targetsItself: on a wildcard listener, any address this host owns at the same port is the relay", async () => {
  const any6 = { address: "::", port: 8080 };
  const any4 = { address: "0.0.0.0", port: 8080 };
  const cases: [string, number, { address: string; port: number }, boolean][] =
    [
      // ::1 written as no rule knows it: only binding it tells.
      ["0:0:0:0:0:0:0:1", 8080, any6, true],
      ["0:0:0:0:0:0:0:1", 8081, any6, false],
      // 0.0.0.0 takes no IPv6 connection.
      ["0:0:0:0:0:0:0:1", 8080, any4, false],
      // Not a wildcard: only that address's own listener is.
      ["0:0:0:0:0:0:0:1", 8080, { address: "127.0.0.1", port: 8080 }, false],
      // Documentation addresses, on no machine's interface.
      ["203.0.113.254", 8080, any4, false],
      ["localhost", 8080, any4, true],
      // A name that does not resolve now is not called a loop.
      ["nonexistent.invalid", 8080, any4, false],
    ];
  for (const [host, port, listening, expected] of cases) {
    assertEquals(
      await targetsItself({ host, port }, undefined, listening),
      expected,
      `${host}:${port} on ${listening.address}:${listening.port}`,
    );
  }
});

Deno.test("isOwnAddress: an address is the host's own when it can be bound", () => {
  assertEquals(isOwnAddress("127.0.0.1"), true);
  assertEquals(isOwnAddress("::1"), true);
  assertEquals(isOwnAddress("203.0.113.254"), false);
});
