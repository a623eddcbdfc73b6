import { assertEquals } from "../tests/_assert.ts";
import { incompleteTail, Utf8Carry } from "./_utf8_carry.ts";
import { EventPrinter } from "./_events.ts";

const bytes = (...b: number[]) => new Uint8Array(b);
const utf8 = (text: string) => new TextEncoder().encode(text);

Deno.test("incompleteTail finds a character cut at the end, and only that", () => {
  const euro = utf8("€"); // e2 82 ac
  const emoji = utf8("😀"); // f0 9f 98 80
  assertEquals(incompleteTail(utf8("abc")), 0);
  assertEquals(incompleteTail(euro), 0);
  assertEquals(incompleteTail(euro.subarray(0, 1)), 1);
  assertEquals(incompleteTail(euro.subarray(0, 2)), 2);
  assertEquals(incompleteTail(emoji.subarray(0, 3)), 3);
  assertEquals(incompleteTail(utf8("x€").subarray(0, 3)), 2);
  // Not a valid start: a stray continuation byte, an overlong, a surrogate.
  assertEquals(incompleteTail(bytes(0x41, 0x80)), 0);
  assertEquals(incompleteTail(bytes(0xc0)), 0);
  assertEquals(incompleteTail(bytes(0xe0, 0x80)), 0);
  assertEquals(incompleteTail(bytes(0xed, 0xa0)), 0);
  assertEquals(incompleteTail(bytes(0xf5)), 0);
});

Deno.test("Utf8Carry joins a character split across chunks, per stream", () => {
  const carry = new Utf8Carry();
  const text = utf8("a€b");
  const first = carry.join(text.subarray(0, 2), () => "x");
  assertEquals(first, utf8("a"));
  // Another stream is not affected by x's held bytes.
  assertEquals(carry.join(utf8("z"), () => "y"), utf8("z"));
  assertEquals(carry.join(text.subarray(2), () => "x"), utf8("€b"));
  assertEquals(carry.flush("x"), undefined);
});

Deno.test("Utf8Carry gives back what a stream that ended mid-character held", () => {
  const carry = new Utf8Carry();
  assertEquals(carry.join(bytes(0x41, 0xe2, 0x82), () => "x"), utf8("A"));
  assertEquals(carry.flush("x"), bytes(0xe2, 0x82));
  assertEquals(carry.flush("x"), undefined);
});

function printer(json: boolean, role: "server" | "client" = "server") {
  const lines: string[] = [];
  return {
    lines,
    printer: new EventPrinter("tcp", role, json, (l) => lines.push(l)),
  };
}

Deno.test("EventPrinter shows a character split across TCP reads as the character", () => {
  const peer = { address: "127.0.0.1", port: 5000 };
  const other = { address: "127.0.0.1", port: 5001 };
  const { lines, printer: human } = printer(false);
  const text = utf8("né €");
  human.emit({ event: "message", peer, data: text.subarray(0, 2) });
  human.emit({ event: "message", peer: other, data: utf8("x") });
  human.emit({ event: "message", peer, data: text.subarray(2, 5) });
  human.emit({ event: "message", peer, data: text.subarray(5) });
  assertEquals(lines, [
    "client 127.0.0.1:5000 sent 'n'",
    "client 127.0.0.1:5001 sent 'x'",
    "client 127.0.0.1:5000 sent 'é '",
    "client 127.0.0.1:5000 sent '€'",
  ]);
});

Deno.test("EventPrinter JSON keeps split text as text and flushes a cut tail at close", () => {
  const peer = { address: "127.0.0.1", port: 5000 };
  const { lines, printer: json } = printer(true, "client");
  const euro = utf8("€");
  json.emit({ event: "received", peer, data: euro.subarray(0, 1) });
  json.emit({ event: "received", peer, data: euro.subarray(1) });
  json.emit({ event: "sent", peer, data: euro.subarray(0, 2) });
  json.emit({ event: "closed", peer, bytesIn: 3, bytesOut: 2 });
  const events = lines.map((l) => JSON.parse(l));
  assertEquals(events.map((e) => [e.event, e.bytes, e.text ?? e.base64]), [
    ["received", 3, "€"],
    ["sent", 2, "4oI="],
    ["closed", undefined, undefined],
  ]);
});

Deno.test("Utf8Carry holds up to three bytes, and joins them byte-exact", () => {
  const carry = new Utf8Carry();
  const emoji = utf8("😀"); // f0 9f 98 80
  assertEquals(carry.join(emoji.subarray(0, 3), "x"), utf8(""));
  assertEquals(carry.join(emoji.subarray(3), "x"), emoji);
  // Held across a join that itself ends inside a character.
  assertEquals(carry.join(bytes(0x41, 0xf0), "x"), utf8("A"));
  assertEquals(carry.join(bytes(0x9f, 0x98), "x"), utf8(""));
  assertEquals(carry.flush("x"), bytes(0xf0, 0x9f, 0x98));
  assertEquals(carry.isEmpty, true);
});
