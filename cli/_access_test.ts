import { InvalidArgumentError } from "@commander-js/extra-typings";
import { assertEquals, assertThrows } from "../tests/_assert.ts";
import { accessFilter, parseCidr } from "./_access.ts";

const peer = (address: string) => ({ address, port: 1 });

Deno.test("accessFilter() applies deny first, then an allow list", () => {
  const filter = accessFilter(
    [parseCidr("127.0.0.0/8"), parseCidr("::1")],
    [parseCidr("127.0.0.2")],
  )!;
  assertEquals(filter(peer("127.0.0.1")), undefined);
  assertEquals(filter(peer("127.0.0.2")), "denied");
  assertEquals(filter(peer("10.0.0.1")), "denied");
  assertEquals(filter(peer("::1")), undefined);
  assertEquals(filter(peer("::2")), "denied");
  assertEquals(filter(peer("::ffff:127.0.0.1")), undefined, "v4-mapped peer");
});

Deno.test("accessFilter() with only deny lets everyone else in", () => {
  const filter = accessFilter([], [parseCidr("[fe80::]/10")])!;
  assertEquals(filter(peer("fe80::1")), "denied");
  assertEquals(filter(peer("127.0.0.1")), undefined);
  assertEquals(accessFilter([], []), undefined);
});

Deno.test("parseCidr() refuses bad networks, naming them", () => {
  for (
    const bad of [
      "1.2.3.4/33",
      "foo",
      "::1/129",
      "1.2.3/8",
      "1.2.3.4/",
      "1.2.3.4/8/1",
    ]
  ) {
    assertThrows(() => parseCidr(bad), InvalidArgumentError, `"${bad}"`);
  }
});
