import { assertEquals, assertThrows } from "../../tests/_assert.ts";
import {
  basicAuthorization,
  formatGetRequest,
  parseHeaderLine,
  parseHttpUrl,
} from "./request.ts";

Deno.test("parseHttpUrl() takes http, https, bare hosts and IPv6", () => {
  const bare = parseHttpUrl("example.com:8080/a?b=1#frag");
  assertEquals([bare.tls, bare.host, bare.port, bare.path, bare.hostHeader], [
    false,
    "example.com",
    8080,
    "/a?b=1",
    "example.com:8080",
  ]);
  const secure = parseHttpUrl("https://example.com");
  assertEquals([secure.tls, secure.port, secure.path, secure.hostHeader], [
    true,
    443,
    "/",
    "example.com",
  ]);
  const v6 = parseHttpUrl("http://[::1]:8080/");
  assertEquals([v6.host, v6.port, v6.hostHeader], ["::1", 8080, "[::1]:8080"]);
  assertEquals(
    parseHttpUrl("http://example.com:80/").hostHeader,
    "example.com",
  );
});

Deno.test("parseHttpUrl() names the value it refuses", () => {
  for (
    const bad of [
      "ftp://x/",
      "gopher://x",
      "http://",
      "http://[::1",
      "a b",
      "http://x:0/",
    ]
  ) {
    assertThrows(() => parseHttpUrl(bad), TypeError, `"${bad}"`);
  }
});

Deno.test("formatGetRequest() writes defaults, overrides and the seed's 1.0 form", () => {
  const target = parseHttpUrl("http://user:pa%20ss@example.com/x");
  const text = (options: Parameters<typeof formatGetRequest>[1]) =>
    new TextDecoder().decode(formatGetRequest(target, options));
  assertEquals(
    text({ userAgent: "sockit/1", headers: [["accept", "text/plain"]] }),
    "GET /x HTTP/1.1\r\nHost: example.com\r\nUser-Agent: sockit/1\r\naccept: text/plain\r\n" +
      `Connection: close\r\nAuthorization: Basic ${btoa("user:pa ss")}\r\n\r\n`,
  );
  assertEquals(
    new TextDecoder().decode(
      formatGetRequest(parseHttpUrl("h/"), { http10: true }),
    ),
    "GET / HTTP/1.0\r\nHost: h\r\n\r\n",
  );
});

Deno.test("parseHeaderLine() refuses lines that would break the request", () => {
  assertEquals(parseHeaderLine("X-A:  b "), ["X-A", "b"]);
  for (
    const bad of [
      "no colon",
      ": empty name",
      "Bad Name: x",
      "X: a\r\nInjected: 1",
    ]
  ) {
    assertThrows(() => parseHeaderLine(bad), TypeError, bad.split("\r")[0]);
  }
});

Deno.test("parseHttpUrl() refuses what the WHATWG parser would guess at", () => {
  // A URL's credentials show as *** in the message (they end up in logs).
  const cases: [string, string, string?][] = [
    ["http:///path", "no host"],
    ["http://:8080/", "no host"],
    ["http://user@/", "no host", "http://***@/"],
    ["http:/127.0.0.1:8080/", "no host: write http://host[:port][/path]"],
    ["https:example.com", "no host: write https://host[:port][/path]"],
    // Without "//" the text before "@" may be user:pass; it is hidden too.
    ["mailto:x@y", 'unsupported scheme "mailto"', "mailto:***@y"],
    [
      "user:pw@example.com",
      'unsupported scheme "user"',
      "user:***@example.com",
    ],
    ["http://exa\\mple.com/", "not a valid URL"],
  ];
  for (const [bad, why, shown = bad] of cases) {
    assertThrows(() => parseHttpUrl(bad), TypeError, `"${shown}": ${why}`);
  }
  assertEquals(parseHttpUrl("localhost:8080").port, 8080);
  assertEquals(parseHttpUrl("HTTP://Example.COM/").host, "example.com");
  assertEquals(parseHttpUrl("localhost").hostHeader, "localhost");
});

Deno.test("formatGetRequest() sends HEAD, and a null header removes a default", () => {
  const target = parseHttpUrl("http://u:p@example.com/x");
  const text = new TextDecoder().decode(formatGetRequest(target, {
    method: "HEAD",
    headers: [["host", null], ["Accept", null], ["X-Empty", ""]],
  }));
  assertEquals(
    text,
    "HEAD /x HTTP/1.1\r\nUser-Agent: sockit\r\nConnection: close\r\n" +
      `Authorization: Basic ${btoa("u:p")}\r\nX-Empty:\r\n\r\n`,
  );
  assertEquals(parseHeaderLine("Host:"), ["Host", null]);
  assertEquals(parseHeaderLine("X-Empty;"), ["X-Empty", ""]);
  assertEquals(basicAuthorization("é", "p"), `Basic ${btoa("\xc3\xa9:p")}`);
});

Deno.test("formatGetRequest() sends two headers of one name; only the first replaces a default", () => {
  const target = parseHttpUrl("http://example.com/");
  const text = new TextDecoder().decode(formatGetRequest(target, {
    headers: [
      ["X-A", "1"],
      ["Accept", "text/html"],
      ["X-A", "2"],
      ["accept", "text/plain"],
      ["X-A", null],
    ],
  }));
  assertEquals(
    text,
    "GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: sockit\r\n" +
      "Accept: text/html\r\nConnection: close\r\nX-A: 1\r\nX-A: 2\r\n" +
      "accept: text/plain\r\n\r\n",
  );
});

Deno.test("formatGetRequest() refuses a header or user agent that would break the request", () => {
  const target = parseHttpUrl("http://example.com/");
  assertThrows(
    () =>
      formatGetRequest(target, {
        headers: [["X-A", "b\r\nX-Injected: 1"]],
      }),
    TypeError,
    'Cannot send header "X-A: b\\r\\nX-Injected: 1": use "Name: value"',
  );
  assertThrows(
    () => formatGetRequest(target, { headers: [["Bad Name", "x"]] }),
    TypeError,
    'Cannot send header "Bad Name: x"',
  );
  assertThrows(
    () => formatGetRequest(target, { headers: [["X\r\nY", null]] }),
    TypeError,
  );
  assertThrows(
    () => formatGetRequest(target, { userAgent: "ua\nX-Injected: 1" }),
    TypeError,
    'Cannot send header "User-Agent: ua\\nX-Injected: 1"',
  );
});
