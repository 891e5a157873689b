/**
 * The repository's policy on disk: `.mcp-orchestration/policy.json`, read
 * through a store reader, and its first version written atomically under
 * the repository lock. The format itself lives in `policy.ts`.
 *
 * @module
 */

import { join } from "node:path";
import {
  ALLOWED_SIGNERS_PATH,
  MAX_CONFIG_BYTES,
  POLICY_PATH,
  STORE_DIR,
  TOOL_NAME,
} from "../constants.ts";
import { ToolError } from "../errors.ts";
import { fileSystem as fs } from "../_runtime/file_system.ts";
import { isErrno, writeFileAtomic } from "../fs/files.ts";
import { assertRealFolders, type Repository } from "../git/repository.ts";
import { withLock } from "../store/store.ts";
import { type StoreReader, workingTreeReader } from "../source/store_reader.ts";
import type { AllowedSigners } from "./allowed_signers.ts";
import { parsePolicy, type Policy, POLICY_FORMAT } from "./policy.ts";
import { readTrust } from "./trust_store.ts";

/** The group `policy init` puts every trusted principal in. */
export const INITIAL_GROUP = "trusted";

/**
 * The literal principals of a trust list: every principal of a key line
 * that is no pattern (no `*`, `?` or leading `!`), once each, in file order.
 * These are the names a policy may use.
 *
 * @param trust The parsed trust list.
 * @returns The principals.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * import { formatAllowedSigner, parseAllowedSigners } from "./allowed_signers.ts";
 * import { literalPrincipals } from "./policy_store.ts";
 * const line = formatAllowedSigner(new Uint8Array(32).fill(7), { principal: "alice@example.com" });
 * const trust = await parseAllowedSigners(`${line}\n`, "allowed_signers");
 * deepEqual([...literalPrincipals(trust)], ["alice@example.com"]);
 * ```
 */
export function literalPrincipals(trust: AllowedSigners): Set<string> {
  return new Set(
    trust.entries.flatMap((entry) => entry.principals).filter((principal) =>
      !/[*?]/.test(principal) && !principal.startsWith("!")
    ),
  );
}

/**
 * Reads and validates the policy through a store reader.
 *
 * @param reader Where to read (a working tree, the index, a commit).
 * @param principals When given, every principal the policy names must be one.
 * @returns The policy, or undefined when there is none.
 * @throws {ToolError} `INVALID_FORMAT` naming the line and field,
 * `BAD_PATH` for a symbolic link.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readPolicy } from "./policy_store.ts";
 * assert.equal(await readPolicy({ read: () => Promise.resolve(undefined) }), undefined);
 * ```
 */
export async function readPolicy(
  reader: StoreReader,
  principals?: ReadonlySet<string>,
): Promise<Policy | undefined> {
  // One byte past the limit, so that the parser reports an oversized file.
  const bytes = await reader.read(POLICY_PATH, MAX_CONFIG_BYTES + 1);
  if (bytes === undefined) return undefined;
  return await parsePolicy(bytes, {
    source: POLICY_PATH,
    ...(principals ? { principals } : {}),
  });
}

/**
 * The policy that states today's behaviour: one group with every literal
 * principal of the trust list, one of them for a trust-file change, one
 * for any path (`**`), version 1.
 *
 * @param principals The trust list's literal principals.
 * @returns The file's text.
 *
 * @example
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { initialPolicyText } from "./policy_store.ts";
 * ok(initialPolicyText(["alice@example.com"]).includes('"pattern": "**"'));
 * ```
 */
export function initialPolicyText(principals: readonly string[]): string {
  const group = JSON.stringify(INITIAL_GROUP);
  const members = principals.map((p) => `      ${JSON.stringify(p)}`);
  return [
    "{",
    `  "format": ${JSON.stringify(POLICY_FORMAT)},`,
    `  "version": 1,`,
    `  "groups": {`,
    `    ${group}: [`,
    members.join(",\n"),
    "    ]",
    "  },",
    `  "trust": { "groups": [${group}], "threshold": 1 },`,
    `  "rules": [`,
    `    { "pattern": "**", "groups": [${group}], "threshold": 1 }`,
    "  ]",
    "}",
    "",
  ].join("\n");
}

/**
 * Writes the policy that states today's behaviour (see
 * {@linkcode initialPolicyText}), atomically and under the repository lock.
 *
 * @param repo The working tree.
 * @param options `force`: replace an existing policy.
 * @returns The policy written.
 * @throws {ToolError} `TRUST` when there is no trust list or it names no
 * literal principal; `USAGE` when a policy exists and `force` is not
 * set; `LOCKED`.
 *
 * @example
 * ```ts ignore
 * await writeInitialPolicy(repo, { force: false });
 * ```
 */
export async function writeInitialPolicy(
  repo: Repository,
  options: { force?: boolean } = {},
): Promise<Policy> {
  return await withLock(repo, async () => {
    const reader = workingTreeReader(repo);
    const trust = await readTrust(reader);
    if (trust === undefined || trust.entries.length === 0) {
      throw new ToolError(
        "TRUST",
        `Cannot write "${POLICY_PATH}": there is no trust list ("${ALLOWED_SIGNERS_PATH}" has no key); ` +
          `run "${TOOL_NAME} init" or "${TOOL_NAME} trust add" first`,
      );
    }
    const principals = literalPrincipals(trust);
    if (principals.size === 0) {
      throw new ToolError(
        "TRUST",
        `Cannot write "${POLICY_PATH}": "${ALLOWED_SIGNERS_PATH}" names no literal principal (only patterns), ` +
          `and a policy names principals literally`,
      );
    }
    await assertRealFolders(repo, POLICY_PATH);
    if (!options.force) {
      const existing = await fs.lstat(join(repo.root, POLICY_PATH)).catch(
        (error) => {
          if (isErrno(error, "ENOENT")) return undefined;
          throw error;
        },
      );
      if (existing !== undefined) {
        throw new ToolError(
          "USAGE",
          `"${POLICY_PATH}" exists already: edit it, or run "${TOOL_NAME} policy init --force" to replace it`,
        );
      }
    }
    const text = initialPolicyText([...principals]);
    // Checked as every reader will check it, before anything is written.
    const policy = await parsePolicy(text, { source: POLICY_PATH, principals });
    await fs.mkdir(join(repo.root, STORE_DIR), { recursive: true });
    await writeFileAtomic(join(repo.root, POLICY_PATH), text);
    return policy;
  });
}
