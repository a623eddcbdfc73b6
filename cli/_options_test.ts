import { InvalidArgumentError } from "@commander-js/extra-typings";
import { assertEquals, assertThrows } from "../tests/_assert.ts";
import {
  durationOption,
  familyOf,
  formatDuration,
  parseDuration,
  parseDurationOrZero,
  parseHost,
  parseListenPort,
  parsePort,
} from "./_options.ts";

Deno.test("parseDuration() reads ms, s, m, h and bare seconds, as nc", () => {
  assertEquals(parseDuration("500ms"), 500);
  assertEquals(parseDuration("2s"), 2000);
  assertEquals(parseDuration("1m"), 60_000);
  assertEquals(parseDuration("1h"), 3_600_000);
  assertEquals(parseDuration("1.5s"), 1500);
  assertEquals(parseDuration("2"), 2000);
  assertEquals(parseDuration("0.5"), 500);
  assertEquals(parseDurationOrZero("0"), 0);
});

Deno.test("formatDuration() writes the largest whole unit", () => {
  assertEquals(formatDuration(2000), "2s");
  assertEquals(formatDuration(10_000), "10s");
  assertEquals(formatDuration(500), "500ms");
  assertEquals(formatDuration(1500), "1500ms");
  assertEquals(formatDuration(60_000), "1m");
  assertEquals(formatDuration(3_600_000), "1h");
});

Deno.test("durationOption() shows its default with a unit in --help", () => {
  const option = durationOption(
    "-w, --wait <duration>",
    "connect timeout",
    2000,
  );
  assertEquals(option.defaultValue, 2000);
  assertEquals(option.defaultValueDescription, "2s");
  assertEquals(option.parseArg?.("3", undefined), 3000);
});

Deno.test("parseDuration() refuses bad values, naming them", () => {
  for (
    const bad of [
      "",
      "abc",
      "5x",
      "-1s",
      "1d",
      "0",
      "0s",
      "1e3",
      "99999999999m",
    ]
  ) {
    const error = assertThrows(
      () => parseDuration(bad),
      InvalidArgumentError,
      `"${bad}"`,
    );
    if (!/^\d/.test(bad)) {
      assertEquals(
        error.message,
        `duration "${bad}" must be a number of seconds, or with a ms, s, m or h unit`,
      );
    }
  }
});

Deno.test("parseDuration() takes .5 as ncat does, and says when a value is under a millisecond", () => {
  assertEquals(parseDuration(".5"), 500);
  assertEquals(parseDuration(".25s"), 250);
  assertThrows(
    () => parseDuration("0.0001"),
    InvalidArgumentError,
    'duration "0.0001" is under a millisecond, the shortest there is',
  );
});

Deno.test("ports are 1-65535 to connect and 0-65535 to listen", () => {
  assertEquals(parsePort("1"), 1);
  assertEquals(parsePort("65535"), 65535);
  assertEquals(parseListenPort("0"), 0);
  // As nc takes them.
  assertEquals(parsePort("+80"), 80);
  assertEquals(parsePort(" 80 "), 80);
  for (
    const bad of ["0", "65536", "-1", "80a", "1.5", "", "0x50", "+", "++80"]
  ) {
    assertThrows(() => parsePort(bad), InvalidArgumentError, `"${bad}"`);
  }
});

Deno.test("ports may be service names, as /etc/services numbers them", () => {
  assertEquals(parsePort("http"), 80);
  assertEquals(parsePort("HTTPS"), 443);
  assertEquals(parseListenPort("echo"), 7);
  const file = Deno.readTextFileSync("/etc/services");
  for (const name of ["http", "https", "ssh", "smtp", "domain", "ntp"]) {
    const listed = new RegExp(`^${name}\\s+(\\d+)/`, "m").exec(file)?.[1];
    if (listed) assertEquals(parsePort(name), Number(listed), name);
  }
  // Not in the built-in table: only /etc/services knows it.
  const rsync = /^rsync\s+(\d+)\//m.exec(file)?.[1];
  if (rsync) assertEquals(parsePort("rsync"), Number(rsync));
  assertThrows(
    () => parsePort("nosuchservice"),
    InvalidArgumentError,
    '"nosuchservice" is not a number from 1 to 65535 or a known service name',
  );
});

Deno.test("parseHost() keeps numeric IPv6 zones and refuses named ones", () => {
  assertEquals(parseHost("fe80::1%2"), "fe80::1%2");
  assertEquals(parseHost("[fe80::1%2]"), "fe80::1%2");
  assertEquals(familyOf("fe80::1%2", {}), undefined);
  assertThrows(
    () => familyOf("fe80::1%2", { ipv4: true }),
    InvalidArgumentError,
  );
  assertThrows(
    () => parseHost("fe80::1%lo"),
    InvalidArgumentError,
    '"fe80::1%lo": zones by interface name are not supported',
  );
  assertThrows(() => parseHost("1.2.3.4%2"), InvalidArgumentError);
  assertThrows(() => parseHost("fe80::1%"), InvalidArgumentError);
});

Deno.test("parseHost() takes names, IPv4 and IPv6 with or without brackets", () => {
  assertEquals(parseHost("localhost"), "localhost");
  assertEquals(parseHost("example.com"), "example.com");
  assertEquals(parseHost("127.0.0.1"), "127.0.0.1");
  assertEquals(parseHost("::1"), "::1");
  assertEquals(parseHost("[::1]"), "::1");
  assertEquals(parseHost("[fe80::1:2]"), "fe80::1:2");
  for (
    const bad of [
      "",
      "[::1",
      "::1]",
      "300.1.1.1",
      "a b",
      "-bad",
      "[example.com]",
      "1.2.3",
      "::g",
    ]
  ) {
    assertThrows(() => parseHost(bad), InvalidArgumentError, `"${bad}"`);
  }
});

Deno.test("parseHost() takes IPv4 as a dotted quad only: the resolver's other forms are refused, naming the one that works", () => {
  assertEquals(parseHost("a1.b2"), "a1.b2");
  for (
    const bad of [
      "127.1",
      "0x7f.0.0.1",
      "127.0.0.0x1",
      "2130706433",
      "host.123",
    ]
  ) {
    assertThrows(
      () => parseHost(bad),
      InvalidArgumentError,
      `host "${bad}" is not an IPv4 address: write four decimal numbers, as 127.0.0.1`,
    );
  }
});

Deno.test("familyOf() rejects -4 with an IPv6 literal and -4 with -6", () => {
  assertEquals(familyOf("localhost", { ipv6: true }), 6);
  assertEquals(familyOf("127.0.0.1", {}), undefined);
  assertThrows(
    () => familyOf("::1", { ipv4: true }),
    InvalidArgumentError,
    "::1",
  );
  assertThrows(
    () => familyOf("x", { ipv4: true, ipv6: true }),
    InvalidArgumentError,
  );
});
