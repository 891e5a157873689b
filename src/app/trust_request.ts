/**
 * What a newcomer to an adopted repository asks a trusted signer to run.
 *
 * A repository is adopted once it has a trust list (in the working tree
 * with a key in it, or in HEAD): from then on a change to that list counts
 * only when signed by a key it already trusts (the pre-commit hook, the
 * pre-push hook and `verify --range` refuse anything else). So a new
 * teammate's key cannot be added by that teammate: `init` and `status`
 * print the exact `trust add` line for a trusted signer to run instead, and
 * the key id to compare with them out of band.
 *
 * @module
 */

import { ALLOWED_SIGNERS_PATH, TOOL_NAME } from "../constants.ts";
import { git, type Repository } from "../git/repository.ts";
import { shellQuote } from "../hooks/launch.ts";
import type { AllowedSigners } from "../trust/allowed_signers.ts";
import { validatePrincipal } from "../trust/allowed_signers.ts";

/** The request to a trusted signer to trust one key. */
export interface TrustRequest {
  /** The key id to compare out of band (`SHA256:…`). */
  keyId: string;
  /** The public key line (`ssh-ed25519 AAAA…`). */
  publicKey: string;
  /** The principal proposed for it, or null when none is known (then the command says `NAME`). */
  principal: string | null;
  /** The command a trusted signer runs in their clone. */
  command: string;
  /** The principals the trust list names: whom to ask. */
  signers: string[];
}

/**
 * Tells whether the repository is adopted: its working-tree trust list
 * names a key, or HEAD has a trust list. Then the first-signer path (trust
 * your own key) is closed; only a trusted signer adds keys.
 *
 * @param repo The working tree.
 * @param trust The working tree's trust list, as read already.
 * @returns True when a trust list is in force.
 * @throws {ToolError} `IO` when git fails.
 *
 * @example
 * ```ts ignore
 * if (await isAdopted(repo, await readTrustList(repo))) console.log("ask a trusted signer");
 * ```
 */
export async function isAdopted(
  repo: Repository,
  trust: AllowedSigners | undefined,
): Promise<boolean> {
  if (trust && trust.entries.length > 0) return true;
  // One process, and no error on an unborn HEAD: "<name> missing" then.
  const out = await git(repo, ["cat-file", "--batch-check"], {
    stdin: new TextEncoder().encode(`HEAD:${ALLOWED_SIGNERS_PATH}\n`),
  });
  return /^[0-9a-f]+ blob /.test(new TextDecoder().decode(out));
}

/**
 * Builds the request: the key line, its id, and the exact `trust add`
 * command, with the principal given, else `git config user.email`, else
 * the placeholder `NAME`.
 *
 * @param repo The working tree (for `git config user.email`).
 * @param key The key's public line and id.
 * @param options The principal asked for, if any, and the trust list (whose principals are whom to ask).
 * @returns The request.
 * @throws {ToolError} `USAGE` for a principal given that is not valid.
 *
 * @example
 * ```ts ignore
 * const request = await trustRequest(repo, { publicKey: "ssh-ed25519 AAAA…", keyId: "SHA256:…" });
 * console.log(request.command);
 * ```
 */
export async function trustRequest(
  repo: Repository,
  key: { publicKey: string; keyId: string },
  options: {
    principal?: string | undefined;
    trust?: AllowedSigners | undefined;
  } = {},
): Promise<TrustRequest> {
  const principal = options.principal;
  if (principal !== undefined) validatePrincipal(principal);
  const name = principal ?? await userEmail(repo);
  return {
    keyId: key.keyId,
    publicKey: key.publicKey,
    principal: name ?? null,
    // A key line is base64 and a type name: double quotes are safe, and
    // read as the README writes it.
    command: `${TOOL_NAME} trust add "${key.publicKey}" --principal ${
      name === undefined ? "NAME" : shellQuote(name)
    }`,
    signers: [
      ...new Set(options.trust?.entries.flatMap((entry) => entry.principals)),
    ],
  };
}

// user.email when it is a valid principal, else undefined.
async function userEmail(repo: Repository): Promise<string | undefined> {
  const email = new TextDecoder().decode(
    await git(repo, ["config", "--default", "", "--get", "user.email"]),
  ).replace(/\n$/, "");
  if (email === "") return undefined;
  try {
    validatePrincipal(email);
    return email;
  } catch {
    return undefined;
  }
}
