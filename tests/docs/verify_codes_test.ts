/**
 * The documented verification codes are the code's: README.md's list and
 * docs/SECURITY.md's table name exactly the codes of
 * src/verify/verify_codes.ts, so a code added later cannot go undocumented.
 *
 * @module
 */

import assert from "node:assert/strict";
import { VERIFY_CODES } from "../../src/verify/verify_codes.ts";

const ROOT = new URL("../../", import.meta.url);
const CODES = Object.keys(VERIFY_CODES).sort();

// The backticked upper-case words of a text.
function codesIn(text: string): string[] {
  return [...new Set([...text.matchAll(/`([A-Z][A-Z_]+)`/g)].map((m) => m[1]!))]
    .sort();
}

Deno.test("README's list of verification codes is src's", async () => {
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const start = readme.indexOf("**Verification codes:**");
  assert.ok(start >= 0, 'README.md has no "**Verification codes:**" paragraph');
  const paragraph = readme.slice(start, readme.indexOf("\n\n", start));
  assert.deepEqual(codesIn(paragraph), CODES);
});

Deno.test("docs/SECURITY.md's table of verification codes is src's", async () => {
  const security = await Deno.readTextFile(new URL("docs/SECURITY.md", ROOT));
  const start = security.indexOf("\n## Verification codes\n");
  assert.ok(start >= 0, 'docs/SECURITY.md has no "Verification codes" section');
  const end = security.indexOf("\n## ", start + 1);
  const rows = security.slice(start, end < 0 ? undefined : end).split("\n")
    .filter((line) => line.startsWith("| `"))
    .map((line) => line.slice(2, line.indexOf("|", 2)).trim());
  assert.deepEqual(codesIn(rows.join(" ")), CODES);
});

Deno.test("the check notices a missing code", () => {
  // The comparison above would pass vacuously if codesIn found nothing.
  assert.notDeepEqual(codesIn("`UNSIGNED`, `TAMPERED`"), CODES);
  assert.deepEqual(codesIn(CODES.map((c) => `\`${c}\``).join(", ")), CODES);
});
