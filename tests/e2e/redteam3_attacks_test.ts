/**
 * Attacks from a third review (red team 3, of the i10 restructuring), end to
 * end. Each test asserts the safe outcome and fails while the attack works.
 *
 * 1. A private key file cut short (a copy that lost its last lines, a CI
 *    secret truncated by a size limit, a disk that filled up): the armor
 *    check reports "the last line is …" and quotes that line. When the cut
 *    falls after the line that holds the Ed25519 seed, the error prints the
 *    seed in base64, on the terminal or in a CI log, from `sign --key`,
 *    `sign --json` (JSON on stderr) and the pre-commit hook alike. The
 *    shared `quote()` (src/format/quote.ts) now shows 77 characters instead
 *    of armor's former 60, so the whole 70-character line is printed; the
 *    60 characters before already held the seed (offsets 4 to 47).
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { createFlow, installHooks, write } from "../support/flow.ts";

const ON_WINDOWS = Deno.build.os === "windows";

// The base64 body lines of an OpenSSH private key file.
function armorBody(text: string): string[] {
  return text.split("\n").filter((line) =>
    line !== "" && !line.startsWith("-----")
  );
}

// The base64 of the key's 32-byte Ed25519 seed, as it appears in the file:
// the decoded blob holds "openssh-key-v1\0", cipher, kdf, kdf options, the
// key count, the public key blob, then the private section (check-ints, key
// type, public key, then the 64-byte secret, seed first).
function seedLocation(body: string[]): { line: number; seed: string } {
  const base64 = body.join("");
  const blob = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const view = new DataView(blob.buffer);
  let at = "openssh-key-v1\0".length;
  const skipString = () => {
    const length = view.getUint32(at);
    at += 4 + length;
  };
  skipString(); // cipher
  skipString(); // kdf
  skipString(); // kdf options
  at += 4; // number of keys
  skipString(); // public key blob
  at += 4; // length of the private section
  at += 8; // two check-ints
  skipString(); // key type
  skipString(); // public key
  at += 4; // length of the secret
  const seedStart = at;
  // Whole base64 quanta that lie inside the seed: what a reader recovers.
  const firstChar = Math.ceil(seedStart / 3) * 4;
  const lastChar = Math.floor((seedStart + 32) / 3) * 4;
  const seed = base64.slice(firstChar, lastChar);
  return { line: Math.floor(lastChar / 70), seed };
}

Deno.test({
  name:
    "red team 3, 1: a private key file cut short after its seed line does not print the seed in the error (sign --key, sign --json, pre-commit)",
  ignore: ON_WINDOWS,
  async fn() {
    await using flow = await createFlow();
    await write(flow, { ".mcp.json": '{"mcpServers":{}}\n' });
    await installHooks(flow, "alice@example.com");
    const keyPath = join(flow.repo.home, "keys", "signing.key");
    const text = await Deno.readTextFile(keyPath);
    const lines = text.split("\n");
    const body = armorBody(text);
    const { line, seed } = seedLocation(body);
    assert.ok(seed.length >= 40, `seed base64 "${seed}"`);
    // Keep the BEGIN line and the body up to the line that ends the seed.
    const cut = `${[lines[0], ...body.slice(0, line + 1)].join("\n")}\n`;
    assert.ok(cut.includes(seed.slice(0, 20)), "the cut file holds the seed");
    const truncated = join(flow.repo.home, "truncated.key");
    await Deno.writeTextFile(truncated, cut, { mode: 0o600 });
    await Deno.chmod(truncated, 0o600);

    const leaks: string[] = [];
    // Any 16 characters of the seed's base64 is key material.
    const leaked = (output: string) => {
      for (let i = 0; i + 16 <= seed.length; i++) {
        if (output.includes(seed.slice(i, i + 16))) return true;
      }
      return false;
    };

    const sign = await flow.cli(["sign", "--key", truncated]);
    assert.notEqual(sign.code, 0, "the truncated key is refused");
    if (leaked(sign.stdout + sign.stderr)) {
      leaks.push(`sign --key: ${sign.stderr.trim()}`);
    }
    const json = await flow.cli(["sign", "--key", truncated, "--json"]);
    assert.notEqual(json.code, 0);
    if (leaked(json.stdout + json.stderr)) {
      leaks.push(`sign --json: ${json.stderr.trim()}`);
    }
    await flow.ok(["add", "-A"]);
    const hook = await flow.git(["commit", "-q", "-m", "config"], {
      env: { MCP_ORCHESTRATION_KEY: truncated },
    });
    assert.notEqual(hook.code, 0, "the commit is refused");
    if (leaked(hook.stdout + hook.stderr)) {
      leaks.push(`pre-commit hook: ${hook.stderr.trim()}`);
    }
    assert.deepEqual(
      leaks,
      [],
      `the private seed ${seed} was printed:\n${leaks.join("\n")}`,
    );
  },
});
