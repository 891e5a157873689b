/**
 * canonicalName's shortcut for printable ASCII gives what the full rule
 * (NFC, HFS+ ignored characters removed, upper then lower case, trailing
 * dots and spaces dropped) gives, and canonicalPath's memory of earlier
 * answers never returns another path's.
 */

import assert from "node:assert/strict";
import { canonicalName } from "../../src/configs/path_names.ts";
import {
  canonicalFolder,
  canonicalPath,
} from "../../src/verify/verify_server_names.ts";

// The rule as documented, without the shortcut.
function fullRule(segment: string): string {
  const folded = segment.normalize("NFC")
    .replace(/[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g, "")
    .toUpperCase().toLowerCase();
  const trimmed = folded.replace(/[. ]+$/, "");
  return trimmed === "" ? folded : trimmed;
}

Deno.test("canonicalName: every printable ASCII name of one or two characters, and typical names, fold as the full rule says", () => {
  const chars = Array.from(
    { length: 0x7f - 0x20 },
    (_, i) => String.fromCharCode(0x20 + i),
  );
  const names = [
    ...chars,
    ...chars.flatMap((a) => chars.map((b) => a + b)),
    ".MCP.json",
    "Packages",
    ".GitAttributes. ",
    "...",
    "  ",
    "server.JS..",
    "",
  ];
  for (const name of names) {
    assert.equal(canonicalName(name), fullRule(name), JSON.stringify(name));
  }
  // Outside ASCII the full rule still applies.
  assert.equal(canonicalName("Cafe\u0301"), "caf\u00e9");
  assert.equal(canonicalName("\u017Fcript.sh"), "script.sh");
  assert.equal(canonicalName(".g\u200cit"), ".git");
});

Deno.test("canonicalPath: remembered answers are each path's own", () => {
  const paths = Array.from({ length: 20_000 }, (_, i) => `Dir${i}/File.JSON`);
  for (const path of paths) {
    assert.equal(canonicalPath(path), path.toLowerCase());
  }
  // Asked again (some remembered, some forgotten past the bound).
  for (const path of paths.slice(0, 100).concat(paths.slice(-100))) {
    assert.equal(canonicalPath(path), path.toLowerCase());
  }
  assert.equal(canonicalPath("A\u0301/B"), "\u00e1/b");
  assert.equal(canonicalPath(""), "");
});

Deno.test("canonicalFolder: the folder's canonical path is the canonical path's folder", () => {
  const paths = [
    "",
    "top.txt",
    "a/b.json",
    "A./B. /c.JSON",
    "a/",
    "a//b",
    "...",
    ".../x",
    "Caf\u0065\u0301/S\u017Fcript.sh",
    "d\u200c/\ufeffx",
    "\u0130stanbul/\u00df/x",
  ];
  for (const path of paths) {
    const canonical = canonicalPath(path);
    const at = canonical.lastIndexOf("/");
    assert.equal(
      canonicalFolder(path),
      at < 0 ? "" : canonical.slice(0, at),
      JSON.stringify(path),
    );
  }
});
