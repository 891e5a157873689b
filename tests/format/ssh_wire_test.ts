import {
  deepStrictEqual as assertEquals,
  throws as assertThrows,
} from "node:assert/strict";
import { SshReader, SshWriter } from "../../src/format/ssh_wire.ts";
import { assertToolError } from "../support/errors.ts";

function assertInvalid(fn: () => unknown, ...fragments: string[]): void {
  assertToolError(fn, "INVALID_FORMAT", ...fragments);
}

Deno.test("SshWriter and SshReader round-trip every field kind", () => {
  const blob = new SshWriter()
    .raw(new Uint8Array([0x53, 0x53]))
    .uint32(0)
    .uint32(1)
    .uint32(0x80000000)
    .uint32(0xffffffff)
    .bytes(new Uint8Array([1, 2, 3]))
    .bytes(new Uint8Array())
    .text("ssh-ed25519")
    .text("é ✓")
    .finish();
  const reader = new SshReader(blob, "x.bin");
  assertEquals([...reader.raw(2, "magic")], [0x53, 0x53]);
  assertEquals(reader.uint32("a"), 0);
  assertEquals(reader.uint32("b"), 1);
  assertEquals(reader.uint32("c"), 0x80000000);
  assertEquals(reader.uint32("d"), 0xffffffff);
  assertEquals([...reader.bytes("e")], [1, 2, 3]);
  assertEquals(reader.bytes("f").length, 0);
  assertEquals(reader.text("g"), "ssh-ed25519");
  assertEquals(reader.text("h"), "é ✓");
  assertEquals(reader.remaining, 0);
  reader.end("record");
});

Deno.test("SshWriter encodes big-endian lengths", () => {
  assertEquals(
    [...new SshWriter().uint32(0x01020304).text("ab").finish()],
    [1, 2, 3, 4, 0, 0, 0, 2, 97, 98],
  );
});

Deno.test("SshWriter rejects values that are not uint32", () => {
  for (const n of [-1, 2 ** 32, 1.5, NaN]) {
    assertThrows(() => new SshWriter().uint32(n), RangeError);
  }
});

Deno.test("SshWriter copies its input", () => {
  const input = new Uint8Array([1, 2]);
  const writer = new SshWriter().raw(input).bytes(input);
  input.fill(9);
  assertEquals([...writer.finish()], [1, 2, 0, 0, 0, 2, 1, 2]);
});

const BAD_READS: {
  name: string;
  bytes: number[];
  read: (r: SshReader) => unknown;
  fragments: string[];
}[] = [
  {
    name: "uint32 with 3 bytes",
    bytes: [0, 0, 1],
    read: (r) => r.uint32("version"),
    fragments: ['"version"', "truncated", "needs 4 bytes, 3 left"],
  },
  {
    name: "string length truncated",
    bytes: [0, 0],
    read: (r) => r.bytes("namespace"),
    fragments: ['"namespace length"', "truncated"],
  },
  {
    name: "string body shorter than its length",
    bytes: [0, 0, 0, 5, 1, 2],
    read: (r) => r.bytes("namespace"),
    fragments: ['"namespace"', "needs 5 bytes, 2 left"],
  },
  {
    name: "huge length is not allocated",
    bytes: [0xff, 0xff, 0xff, 0xff, 1],
    read: (r) => r.bytes("blob"),
    fragments: ['"blob"', "needs 4294967295 bytes, 1 left"],
  },
  {
    name: "raw past the end",
    bytes: [1, 2],
    read: (r) => r.raw(6, "magic"),
    fragments: ['"magic"', "truncated"],
  },
  {
    name: "text with an invalid UTF-8 byte",
    bytes: [0, 0, 0, 1, 0xff],
    read: (r) => r.text("comment"),
    fragments: ['"comment"', "UTF-8"],
  },
  {
    name: "text with an overlong encoding",
    bytes: [0, 0, 0, 2, 0xc0, 0x80],
    read: (r) => r.text("comment"),
    fragments: ["UTF-8"],
  },
  {
    name: "text with an encoded surrogate",
    bytes: [0, 0, 0, 3, 0xed, 0xa0, 0x80],
    read: (r) => r.text("comment"),
    fragments: ["UTF-8"],
  },
  {
    name: "text with a truncated sequence",
    bytes: [0, 0, 0, 1, 0xc3],
    read: (r) => r.text("comment"),
    fragments: ["UTF-8"],
  },
];

for (const { name, bytes, read, fragments } of BAD_READS) {
  Deno.test(`SshReader rejects ${name}`, () => {
    const reader = new SshReader(new Uint8Array(bytes), "dir/x.sig");
    assertInvalid(() => read(reader), '"dir/x.sig"', ...fragments);
  });
}

Deno.test("SshReader.end rejects trailing bytes and names what was read", () => {
  const reader = new SshReader(new Uint8Array([0, 0, 0, 0, 7, 7]), "x.sig");
  reader.uint32("n");
  assertEquals(reader.remaining, 2);
  assertInvalid(
    () => reader.end("signature blob"),
    '"x.sig"',
    "2 unexpected bytes after the signature blob",
  );
});

Deno.test("SshReader keeps a BOM in text instead of dropping it", () => {
  const reader = new SshReader(
    new Uint8Array([0, 0, 0, 4, 0xef, 0xbb, 0xbf, 0x41]),
    "x",
  );
  assertEquals(reader.text("t"), "\ufeffA");
});
