import { assertEquals } from "../tests/_assert.ts";
import { CrlfEncoder } from "./_crlf.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

Deno.test("CrlfEncoder turns LF into CRLF and leaves CRLF alone", () => {
  const encoder = new CrlfEncoder();
  assertEquals(
    text(encoder.encode(utf8("a\nb\r\nc\n\n"))),
    "a\r\nb\r\nc\r\n\r\n",
  );
});

Deno.test("CrlfEncoder sees a CR at the end of one chunk and the LF in the next", () => {
  const encoder = new CrlfEncoder();
  assertEquals(
    text(encoder.encode(utf8("GET / HTTP/1.0\r"))),
    "GET / HTTP/1.0\r",
  );
  assertEquals(text(encoder.encode(utf8("\nHost: x\n"))), "\nHost: x\r\n");
  assertEquals(text(encoder.encode(utf8("\n"))), "\r\n");
});
