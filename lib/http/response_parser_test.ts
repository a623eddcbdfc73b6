import { assert, assertEquals, assertThrows } from "../../tests/_assert.ts";
import { HttpParseError, HttpResponseParser } from "./response_parser.ts";

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (parts: Uint8Array[]) =>
  parts.map((p) => new TextDecoder().decode(p)).join("");

/** Feeds `response` split at `cut`, and returns the body and the parser. */
function parseSplit(response: string, cut: number) {
  const parser = new HttpResponseParser();
  const bytes = encode(response);
  const body = [
    ...parser.push(bytes.subarray(0, cut)),
    ...parser.push(bytes.subarray(cut)),
  ];
  return { parser, body: decode(body) };
}

Deno.test("HttpResponseParser gives the same result for every split point", () => {
  const responses: [string, string][] = [
    ["HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", "hello"],
    [
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n",
      "abcde",
    ],
    [
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
      "ok",
    ],
    ["HTTP/1.1 204 No Content\r\n\r\n", ""],
  ];
  for (const [response, expected] of responses) {
    for (let cut = 0; cut <= response.length; cut++) {
      const { parser, body } = parseSplit(response, cut);
      assertEquals(body, expected, `cut at ${cut}`);
      assert(parser.done, `not done when cut at ${cut}`);
      assertEquals(
        parser.head?.status === 204 || parser.head?.status === 200,
        true,
      );
    }
  }
});

Deno.test("HttpResponseParser keeps the raw head for -I, bare LF endings included", () => {
  const parser = new HttpResponseParser();
  parser.push(encode("HTTP/1.0 200 OK\nServer: x\n\nbody"));
  assertEquals(
    new TextDecoder().decode(parser.head!.raw),
    "HTTP/1.0 200 OK\nServer: x\n\n",
  );
  assertEquals(parser.head?.headers, [["Server", "x"]]);
  assertEquals(parser.framing, "close");
  assert(!parser.done);
  parser.end();
  assert(parser.done);
});

Deno.test("HttpResponseParser.end() reports truncation under each framing", () => {
  const cases: [string, RegExp][] = [
    ["", /without a response/],
    ["HTTP/1.1 200 OK\r\nContent-", /middle of the headers/],
    ["HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", /got 3 of 10 bytes/],
    [
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
      /before the last chunk/,
    ],
    [
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n",
      /after its last chunk \(5 bytes\) and before the end of its trailers/,
    ],
  ];
  for (const [response, message] of cases) {
    const parser = new HttpResponseParser();
    parser.push(encode(response));
    const error = assertThrows(() => parser.end(), HttpParseError);
    assert(message.test(error.message), error.message);
  }
});

Deno.test("HttpResponseParser refuses malformed responses", () => {
  const cases = [
    "FTP/1.1 200 OK\r\n\r\n",
    "HTTP/1.1 20 OK\r\n\r\n",
    "HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n",
  ];
  for (const response of cases) {
    // Thrown at once, or (after body bytes) handed over with them first.
    const parser = new HttpResponseParser();
    let fault: unknown;
    try {
      parser.push(encode(response));
      fault = parser.fault;
    } catch (error) {
      fault = error;
    }
    assert(fault instanceof HttpParseError, JSON.stringify(response));
  }
});

Deno.test("HttpResponseParser names a malformed trailer line", () => {
  const parser = new HttpResponseParser();
  const body = parser.push(encode(
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nno colon\r\n\r\n",
  ));
  assertEquals(decode(body), "ok");
  const error = assertThrows(() => parser.end(), HttpParseError);
  assertEquals(error.message, 'malformed trailer line "no colon"');
});

Deno.test("HttpResponseParser hands over the body before a malformed chunk first, whatever the split", () => {
  const response = encode(
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "5\r\nhello\r\n3\r\nabcXX6\r\nworld!\r\n0\r\n\r\n",
  );
  for (let cut = 0; cut <= response.length; cut++) {
    const parser = new HttpResponseParser();
    const body: Uint8Array[] = [];
    let fault: unknown;
    try {
      for (const part of [response.subarray(0, cut), response.subarray(cut)]) {
        body.push(...parser.push(part));
        if (parser.fault) break;
      }
      parser.end();
    } catch (error) {
      fault = error;
    }
    assert(fault instanceof HttpParseError, `cut ${cut}`);
    assertEquals(decode(body), "helloabc", `cut ${cut}`);
    assertEquals(parser.bodyBytes, 8, `cut ${cut}`);
  }
});

Deno.test("HttpResponseParser caps the head at 64 KiB even when it never ends", () => {
  const parser = new HttpResponseParser();
  parser.push(encode("HTTP/1.1 200 OK\r\n"));
  const line = encode("X-Pad: " + "a".repeat(1000) + "\r\n");
  assertThrows(
    () => {
      for (let i = 0; i < 100; i++) parser.push(line);
    },
    HttpParseError,
    "over 65536 bytes",
  );
});

Deno.test("HttpResponseParser takes only HTTP/1.0 and HTTP/1.1 answers", () => {
  for (const version of ["HTTP/5.6", "HTTP/2.0", "HTTP/0.9", "HTTP/1.2"]) {
    assertThrows(
      () => new HttpResponseParser().push(encode(`${version} 200 OK\r\n\r\n`)),
      HttpParseError,
      `unsupported version in status line "${version} 200 OK"`,
    );
  }
  const old = new HttpResponseParser();
  old.push(encode("HTTP/1.0 200 OK\r\n\r\n"));
  assertEquals(old.head?.version, "HTTP/1.0");
});

Deno.test("HttpResponseParser replaces an obs-fold by one space, as RFC 9112 asks", () => {
  const parser = new HttpResponseParser();
  const body = parser.push(encode(
    "HTTP/1.1 200 OK\r\nX-Long: one\r\n  two\r\n\tthree\r\nContent-Length: 2\r\n\r\nok",
  ));
  assertEquals(parser.head?.headers, [
    ["X-Long", "one two three"],
    ["Content-Length", "2"],
  ]);
  assertEquals(decode(body), "ok");
  assertThrows(
    () =>
      new HttpResponseParser().push(
        encode("HTTP/1.1 200 OK\r\n folded-first\r\n\r\n"),
      ),
    HttpParseError,
    "malformed header line",
  );
});

Deno.test("HttpResponseParser: a response to HEAD has no body whatever Content-Length says", () => {
  const parser = new HttpResponseParser({ method: "HEAD" });
  const body = parser.push(
    encode("HTTP/1.1 200 OK\r\nContent-Length: 3000000\r\n\r\n"),
  );
  assertEquals(body, []);
  assert(parser.done);
  assertEquals(parser.framing, "none");
});

Deno.test("HttpResponseParser takes a 60 KB head trickled a byte at a time in linear time", () => {
  const head = encode(
    "HTTP/1.1 200 OK\r\n" + "X-Pad: a\r\n".repeat(6000) +
      "Content-Length: 2\r\n\r\nok",
  );
  const parser = new HttpResponseParser();
  const started = performance.now();
  const body: Uint8Array[] = [];
  for (let i = 0; i < head.length; i++) {
    body.push(...parser.push(head.subarray(i, i + 1)));
  }
  const ms = performance.now() - started;
  assertEquals(decode(body), "ok");
  assertEquals(parser.head?.headers.length, 6001);
  // Quadratic copying and rescanning took seconds here.
  assert(ms < 1500, `took ${ms.toFixed(0)} ms`);
});

Deno.test("HttpResponseParser gives the same body for every three-way split", () => {
  // Body bytes and a long pending line in one push: the pending tail must
  // never overwrite body bytes not yet handed out.
  const response = encode(
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "1\r\nx\r\n3;a-long-extension=yes\r\nabc\r\n1\r\ny\r\n0\r\nT: 1\r\n\r\n",
  );
  for (let a = 1; a < response.length; a++) {
    for (let b = a; b < response.length; b++) {
      const parser = new HttpResponseParser();
      const body = [
        ...parser.push(response.subarray(0, a)),
        ...parser.push(response.subarray(a, b)),
        ...parser.push(response.subarray(b)),
      ];
      assertEquals(decode(body), "xabcy", `split at ${a} and ${b}`);
      assert(parser.done);
    }
  }
});

Deno.test("HttpResponseParser counts interim 1xx heads against the 64 KiB cap", () => {
  const parser = new HttpResponseParser();
  const interim = encode("HTTP/1.1 102 Processing\r\n\r\n");
  // A server that sends interim heads forever is refused, not followed.
  assertThrows(
    () => {
      for (let i = 0; i < 10_000; i++) parser.push(interim);
    },
    HttpParseError,
    "the header section is over 65536 bytes",
  );
});
