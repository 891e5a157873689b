/**
 * The revocation list (`.mcp-orchestration/revoked_keys`) and the retired
 * key lines of allowed_signers: strict parsing with line numbers, what
 * findSigner answers, and that stock `ssh-keygen -Y verify -r` reads the
 * file the tool writes.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  findSigner,
  formatAllowedSigner,
  formatRetiredLine,
  parseAllowedSigners,
} from "../../src/trust/allowed_signers.ts";
import {
  addRevokedKey,
  parseRevokedKeys,
  validateReason,
} from "../../src/trust/revoked_keys.ts";
import { readTrust } from "../../src/trust/trust_store.ts";
import { formatPublicKeyLine, keyId } from "../../src/format/public_key.ts";
import { parsePublicKeyLine } from "../../src/format/public_key.ts";
import { generateKey, sshSign } from "../support/ssh_keygen.ts";
import { withTempDir } from "../support/repo.ts";

const KEY_A = new Uint8Array(32).fill(1);
const KEY_B = new Uint8Array(32).fill(2);
const NS = { namespace: "mcp-orchestration", at: new Date() };
const AT = new Date("2026-12-06T17:00:00Z");

Deno.test("revoked_keys: the tool's own lines parse back, comments and blank lines allowed", async () => {
  let text = addRevokedKey("", KEY_A, {
    reason: "laptop stolen",
    at: AT,
    comment: "alice@example.com",
  });
  text = addRevokedKey(text, KEY_B, { reason: "left the team", at: AT });
  assert.ok(
    text.startsWith(
      "# revoked 2026-12-06T17:00:00Z: laptop stolen\nssh-ed25519 ",
    ),
    text,
  );
  const file = await parseRevokedKeys(`\n# team\n${text}`, "revoked_keys");
  assert.deepEqual(file.entries.map((e) => e.line), [4, 6]);
  assert.equal(file.entries[0]!.keyId, await keyId(KEY_A));
  assert.equal(file.entries[0]!.comment, "alice@example.com");
  assert.deepEqual(file.entries[1]!.key, KEY_B);
});

Deno.test("revoked_keys: CRLF is kept when appending; a lone CR is refused", async () => {
  const crlf = `# list\r\n${formatPublicKeyLine(KEY_A)}\r\n`;
  const more = addRevokedKey(crlf, KEY_B, { reason: "x", at: AT });
  assert.ok(more.startsWith(crlf));
  assert.ok(more.endsWith("\r\n"));
  assert.equal((await parseRevokedKeys(more, "r")).entries.length, 2);
  await assert.rejects(
    parseRevokedKeys(`${formatPublicKeyLine(KEY_A)}\rx\n`, "r"),
    /line 1: control character/,
  );
});

Deno.test("revoked_keys: malformed lines are errors naming the line", async () => {
  const good = formatPublicKeyLine(KEY_A);
  const cases: [string, RegExp][] = [
    [`# ok\nnot-a-key\n`, /line 2: expected "TYPE BASE64/],
    [`ssh-foo AAAA\n`, /line 1: unknown key type "ssh-foo"/],
    [`ssh-ed25519 !!!!\n`, /line 1: invalid "ssh-ed25519" key/],
    [
      `${good}\n\n${good} again\n`,
      /line 3: the key SHA256:\S+ is listed twice \(line 1 too\)/,
    ],
    [`cert-authority ${good}\n`, /line 1: unknown key type "cert-authority"/],
    [`restrict="x" ${good}\n`, /line 1: options before the key/],
    [`${good} \x01\n`, /line 1: control character/],
  ];
  for (const [text, error] of cases) {
    await assert.rejects(parseRevokedKeys(text, "revoked_keys"), error, text);
  }
});

Deno.test("revoked_keys: a reason must be one non-empty line", () => {
  assert.throws(() => validateReason("  "), { code: "USAGE" });
  assert.throws(() => validateReason("a\nb"), { code: "USAGE" });
  assert.throws(
    () => addRevokedKey("", KEY_A, { reason: "", at: AT }),
    /needs a reason/,
  );
});

Deno.test("findSigner: a revoked key is revoked whatever a line says, under any principal", async () => {
  const lines = [
    formatAllowedSigner(KEY_A, { principal: "alice@example.com" }),
    formatAllowedSigner(KEY_A, { principal: "new-name@example.com" }),
    formatAllowedSigner(KEY_B, { principal: "bob@example.com" }),
  ].join("\n") + "\n";
  const list = await parseAllowedSigners(lines, "allowed_signers");
  const revoked = await parseRevokedKeys(
    addRevokedKey("", KEY_A, { reason: "stolen", at: AT }),
    "revoked_keys",
  );
  const trust = { ...list, revoked: revoked.entries };
  const decision = findSigner(trust, KEY_A, NS);
  assert.equal(decision.status, "revoked");
  assert.equal(decision.status === "revoked" && decision.line, 2);
  assert.equal(findSigner(trust, KEY_B, NS).status, "trusted");
});

Deno.test("readTrust reads revoked_keys beside the list", async () => {
  const files: Record<string, string> = {
    ".mcp-orchestration/allowed_signers": formatAllowedSigner(KEY_A, {
      principal: "a@example.com",
    }) + "\n",
    ".mcp-orchestration/revoked_keys": addRevokedKey("", KEY_A, {
      reason: "stolen",
      at: AT,
    }),
  };
  const reader = {
    read: (path: string) =>
      Promise.resolve(
        files[path] === undefined
          ? undefined
          : new TextEncoder().encode(files[path]),
      ),
  };
  const trust = await readTrust(reader);
  assert.equal(findSigner(trust!, KEY_A, NS).status, "revoked");
  files[".mcp-orchestration/revoked_keys"] = "bad line\n";
  await assert.rejects(
    readTrust(reader),
    /Invalid revoked_keys "\.mcp-orchestration\/revoked_keys": line 1/,
  );
});

Deno.test("retired lines: exactly one format, the key must have a line; findSigner says retired", async () => {
  const line = formatAllowedSigner(KEY_A, { principal: "a@example.com" });
  const id = await keyId(KEY_A);
  const file = await parseAllowedSigners(
    `${line}\n${formatRetiredLine(id)}\n`,
    "allowed_signers",
  );
  assert.deepEqual([...file.retired!], [id]);
  const decision = findSigner(file, KEY_A, NS);
  assert.equal(decision.status, "retired");
  assert.equal(decision.status === "retired" && decision.entry.line, 1);
  const bad: [string, RegExp][] = [
    [
      `${line}\n# mcp-orchestration-retired  ${id}\n`,
      /line 2: a retired key line must be exactly/,
    ],
    [
      `${line}\n# mcp-orchestration-retired ${id.slice(0, -1)}\n`,
      /line 2: a retired key line/,
    ],
    [
      `${line}\n#mcp-orchestration-retired ${id}\n`,
      /line 2: a retired key line/,
    ],
    [
      `${line}\n${formatRetiredLine(await keyId(KEY_B))}\n`,
      /line 2: it retires SHA256:\S+, which no key line lists/,
    ],
    [
      `${line}\n${formatRetiredLine(id)}\n${formatRetiredLine(id)}\n`,
      /line 3: the key \S+ is retired twice/,
    ],
  ];
  for (const [text, error] of bad) {
    await assert.rejects(parseAllowedSigners(text, "allowed_signers"), error);
  }
});

Deno.test({
  name:
    "ssh-keygen -Y verify -r refuses a signature by a key the tool wrote into revoked_keys",
  ignore: Deno.build.os === "windows",
  async fn() {
    await withTempDir(async (dir) => {
      const key = await generateKey(dir, "alice");
      const message = join(dir, "message");
      await Deno.writeTextFile(message, "statement bytes\n");
      const signature = await sshSign({
        keyPath: key.privatePath,
        namespace: "mcp-orchestration",
        messagePath: message,
      });
      const allowed = join(dir, "allowed_signers");
      const publicKey = parsePublicKeyLine(key.publicLine, "alice.pub").key;
      await Deno.writeTextFile(
        allowed,
        formatAllowedSigner(publicKey, { principal: "alice@example.com" }) +
          "\n",
      );
      const revoked = join(dir, "revoked_keys");
      const other = addRevokedKey("# team revocations\n", KEY_B, {
        reason: "old",
        at: AT,
      });
      const verify = async (revocations?: string) => {
        const out = await new Deno.Command("ssh-keygen", {
          args: [
            "-Y",
            "verify",
            "-f",
            allowed,
            "-I",
            "alice@example.com",
            "-n",
            "mcp-orchestration",
            "-s",
            signature,
            ...(revocations ? ["-r", revocations] : []),
          ],
          stdin: "piped",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const writer = out.stdin.getWriter();
        await writer.write(await Deno.readFile(message));
        await writer.close();
        return (await out.output()).code;
      };
      await Deno.writeTextFile(revoked, other);
      assert.equal(await verify(revoked), 0, "an unrelated revocation");
      await Deno.writeTextFile(
        revoked,
        addRevokedKey(other, publicKey, {
          reason: "laptop stolen",
          at: AT,
          comment: "alice@example.com",
        }),
      );
      assert.equal(
        (await parseRevokedKeys(await Deno.readTextFile(revoked), "r"))
          .entries.length,
        2,
      );
      assert.notEqual(await verify(revoked), 0, "revoked, yet it verified");
      assert.equal(await verify(), 0);
    });
  },
});

Deno.test("revoked_keys: the reason recorded above a key line is read, and only right above it", async () => {
  const one = formatPublicKeyLine(new Uint8Array(32).fill(1), "a@example.com");
  const two = formatPublicKeyLine(new Uint8Array(32).fill(2), "b@example.com");
  const file = await parseRevokedKeys(
    `# revoked 2026-12-06T17:45:00Z: laptop stolen\n${one}\n# a note\n${two}\n`,
    "revoked_keys",
  );
  assert.deepEqual(file.entries[0]?.recorded, {
    at: "2026-12-06T17:45:00Z",
    reason: "laptop stolen",
  });
  assert.equal(file.entries[1]?.recorded, undefined);
});
