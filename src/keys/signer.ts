/**
 * Which key signs: a key file (`--key`, `$MCP_ORCHESTRATION_KEY`, the
 * home's), or a key an SSH agent holds (`--agent`,
 * `MCP_ORCHESTRATION_AGENT=1`, or the repository's `user.signingkey` when
 * the agent holds that key).
 *
 * @module
 */

import { isAbsolute, relative, resolve } from "node:path";
import {
  AGENT_ENV,
  KEY_ENV,
  KEYS_DIR_NAME,
  MAX_METADATA_BYTES,
  PUBLIC_KEY_NAME,
  SSH_ED25519,
  TOOL_NAME,
} from "../constants.ts";
import { ToolError } from "../errors.ts";
import { readEnv } from "../_runtime/current_process.ts";
import { readFileLimitedSync } from "../fs/files.ts";
import { git, type Repository } from "../git/repository.ts";
import { keyId, parsePublicKeyLine } from "../format/public_key.ts";
import { equalBytes } from "../bytes/equal_bytes.ts";
import {
  type KeyOptions,
  loadSigningKey,
  type SigningKey,
  toolHome,
} from "./key_store.ts";
import {
  AGENT_SOCKET_ENV,
  type AgentKey,
  agentSigner,
  agentSocket,
  listAgentKeys,
} from "./ssh_agent.ts";

/** How to choose the signing key. */
export interface SignerOptions extends KeyOptions {
  /** Sign through the SSH agent (`--agent`); default `$MCP_ORCHESTRATION_AGENT` = `1`. */
  agent?: boolean;
  /** The repository whose `git config user.signingkey` may name the key. */
  repo?: Repository;
  /** The agent's socket (default `$SSH_AUTH_SOCK`). */
  socket?: string;
}

/**
 * Loads the key to sign with. With `agent` (or `MCP_ORCHESTRATION_AGENT=1`)
 * it is a key the SSH agent holds: the one `--key` names (a `.pub`, or a
 * private key with its `.pub` beside it), else the repository's
 * `user.signingkey`, else the home's `signing.pub`, else the agent's only
 * Ed25519 key. Without it: the key file, as {@linkcode loadSigningKey};
 * and when there is none (no `--key`, no `$MCP_ORCHESTRATION_KEY`, no
 * key in the home), the key the repository's `user.signingkey` names,
 * through the agent when it holds it, else (`gpg.format=ssh`) its file.
 *
 * @param options Key path, home, agent choice, repository, socket.
 * @returns The key, its id, and where it is (a path, or `ssh-agent:SOCKET`).
 * @throws {ToolError} As {@linkcode loadSigningKey}; `KEY_NOT_FOUND` when
 * the agent is unreachable or lacks the key; `INVALID_KEY` when it holds no
 * Ed25519 key ("Ed25519 only"), or several and none is named.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initKey } from "./key_store.ts";
 * import { loadSigner } from "./signer.ts";
 * import { mkdtemp, rm } from "node:fs/promises";
 * import { join } from "node:path";
 * import { tmpdir } from "node:os";
 * const home = await mkdtemp(join(tmpdir(), "doc-"));
 * const { created } = await initKey({ home });
 * assert.equal((await loadSigner({ home, agent: false })).keyId, created.keyId);
 * await rm(home, { recursive: true });
 * ```
 */
export async function loadSigner(
  options: SignerOptions = {},
): Promise<SigningKey> {
  const useAgent = options.agent ?? readEnv(AGENT_ENV) === "1";
  const { agent: _agent, repo: _repo, socket: _socket, ...keyOptions } =
    options;
  if (useAgent) return await loadAgentSigner(options);
  const explicit = options.keyPath ?? readEnv(KEY_ENV);
  try {
    return await loadSigningKey(keyOptions);
  } catch (error) {
    // No key of the tool's own: the key git signs commits with, through
    // the agent when it holds it, else its file (as init chose). Never
    // before the home's key: a user who had one, trusted in their
    // repositories, must not find their hooks signing with another.
    if (
      !explicit && options.repo && error instanceof ToolError &&
      error.code === "KEY_NOT_FOUND"
    ) {
      const held = await gitSigningKeyInAgent(options.repo, options);
      if (held) return held;
      const fromGit = await gitCommitSigningKey(options.repo, options);
      if (fromGit) return fromGit.key;
    }
    throw error;
  }
}

// The key user.signingkey names, when the agent holds it (whatever
// gpg.format says: the key itself is an SSH key).
async function gitSigningKeyInAgent(
  repo: Repository,
  options: { socket?: string },
): Promise<SigningKey | undefined> {
  if (!(options.socket ?? readEnv(AGENT_SOCKET_ENV))) return undefined;
  const named = await gitSigningKey(repo);
  if (!named) return undefined;
  try {
    return await findAgentKey(named.key, options);
  } catch {
    return undefined; // No agent after all: the file, if any.
  }
}

/**
 * The key git signs commits with, when `gpg.format` is `ssh` and
 * `user.signingkey` names an Ed25519 key: through the SSH agent when it
 * holds the key, else from the private key file beside the named `.pub`
 * (or named itself), which may ask for its passphrase.
 *
 * @param repo The repository (its git config, global included).
 * @param options The agent's socket.
 * @returns The key and how it is reached, or undefined when git signs
 * otherwise, the key is not Ed25519, or neither the agent nor a file has it.
 * @throws {ToolError} As `loadSigningKey` for the private key file.
 *
 * @example
 * ```ts ignore
 * const found = await gitCommitSigningKey(repo);
 * ```
 */
export async function gitCommitSigningKey(
  repo: Repository,
  options: { socket?: string } = {},
): Promise<{ key: SigningKey; via: "agent" | "file" } | undefined> {
  let format: string;
  try {
    format = new TextDecoder().decode(
      await git(repo, ["config", "--get", "gpg.format"]),
    ).trim();
  } catch {
    return undefined; // Unset: git signs with GPG.
  }
  if (format !== "ssh") return undefined;
  const named = await gitSigningKey(repo);
  if (!named) return undefined;
  if (options.socket ?? readEnv(AGENT_SOCKET_ENV)) {
    try {
      const held = await findAgentKey(named.key, options);
      if (held) return { key: held, via: "agent" };
    } catch {
      // No agent after all: the file below.
    }
  }
  if (!named.path) return undefined;
  const privatePath = named.path.endsWith(".pub")
    ? named.path.slice(0, -4)
    : named.path;
  if (!readFileLimitedSync(privatePath, MAX_METADATA_BYTES)) return undefined;
  const key = await loadSigningKey({ keyPath: privatePath });
  if (!equalBytes(key.key.publicKey, named.key)) return undefined;
  return { key, via: "file" };
}

/**
 * The Ed25519 keys the agent holds, and the others ("Ed25519 only").
 *
 * @param options The agent's socket.
 * @returns The keys, Ed25519 first in the agent's order.
 * @throws {ToolError} As `listAgentKeys`.
 *
 * @example
 * ```ts ignore
 * const { usable, others } = await agentKeys();
 * ```
 */
export async function agentKeys(
  options: { socket?: string } = {},
): Promise<{ usable: AgentKey[]; others: AgentKey[] }> {
  const keys = await listAgentKeys(options);
  return {
    usable: keys.filter((key) => key.type === SSH_ED25519),
    others: keys.filter((key) => key.type !== SSH_ED25519),
  };
}

/**
 * The public key `git config user.signingkey` names, when it is an SSH
 * Ed25519 key: a `key::ssh-ed25519 AAAA…` literal, or the path of a `.pub`
 * (or of a private key with its `.pub` beside it). As for git, a value that
 * starts `key::` or `ssh-` is a key literal and never a path.
 *
 * @param repo The repository.
 * @returns The key and where it was named, or undefined.
 *
 * @example
 * ```ts ignore
 * const named = await gitSigningKey(repo);
 * ```
 */
export async function gitSigningKey(
  repo: Repository,
): Promise<{ key: Uint8Array; source: string; path?: string } | undefined> {
  let value: string;
  try {
    value = new TextDecoder().decode(
      await git(repo, ["config", "--get", "user.signingkey"]),
    ).trim();
  } catch {
    return undefined; // Unset.
  }
  if (value === "") return undefined;
  const source = "git config user.signingkey";
  // Git's rule (gpg-interface.c, is_literal_ssh_key): "key::" and
  // anything after it, or a value starting "ssh-", is a key, never a path.
  // A "key::sk-ssh-ed25519@openssh.com …" or "key::ecdsa-…" literal read
  // as a path would name a file in the work tree, whose content anyone
  // with a commit there chooses: a key pair planted under that name.
  if (value.startsWith("key::") || value.startsWith("ssh-")) {
    const literal = value.startsWith("key::") ? value.slice(5) : value;
    try {
      return { key: parsePublicKeyLine(literal, source).key, source };
    } catch {
      return undefined; // Not Ed25519: not ours to use.
    }
  }
  const path = resolve(repo.root, expandHome(value));
  // A key file that the repository itself carries is whatever its last
  // committer put there: never git's signing key for us (a dotfiles
  // repository's untracked ~/.ssh keys are the user's own, and still count).
  if (await carriedByRepository(repo, path)) return undefined;
  const key = readPublicKeyFor(path);
  return key ? { key, source: `${source} (${value})`, path } : undefined;
}

// Whether git tracks the key file or a file beside it that would be read
// for it (NAME, NAME.pub, NAME.key's NAME.pub) in the work tree.
async function carriedByRepository(
  repo: Repository,
  path: string,
): Promise<boolean> {
  const inside = relative(repo.root, path);
  if (inside === "" || inside.startsWith("..") || isAbsolute(inside)) {
    return false;
  }
  const names = [inside, `${inside}.pub`];
  if (inside.endsWith(".key")) names.push(`${inside.slice(0, -4)}.pub`);
  const out = await git(repo, [
    "-c",
    "core.quotePath=false",
    "ls-files",
    "-z",
    "--",
    ...names.map((name) => `:(literal)${name.split("\\").join("/")}`),
  ]).catch(() => undefined);
  // Git failing to answer is no proof the file is the user's own.
  return out === undefined || out.length > 0;
}

/**
 * The public key of a key file: the file itself when it holds a public key
 * line, else its `.pub` beside it (`NAME.pub` or, for `NAME.key`, `NAME.pub`).
 *
 * @param path A `.pub` file or a private key file.
 * @returns The public key, or undefined when none is found or it is not Ed25519.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readPublicKeyFor } from "./signer.ts";
 * assert.equal(readPublicKeyFor("/surely/missing.pub"), undefined);
 * ```
 */
export function readPublicKeyFor(path: string): Uint8Array | undefined {
  const candidates = [path, `${path}.pub`];
  if (path.endsWith(".key")) candidates.push(`${path.slice(0, -4)}.pub`);
  for (const candidate of candidates) {
    let bytes: Uint8Array | undefined;
    try {
      bytes = readFileLimitedSync(candidate, MAX_METADATA_BYTES);
    } catch {
      continue;
    }
    if (!bytes) continue;
    const text = new TextDecoder().decode(bytes).trim();
    if (!/^ssh-[a-z0-9-]+\s/.test(text)) continue;
    try {
      return parsePublicKeyLine(text.split("\n")[0]!, candidate).key;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function expandHome(path: string): string {
  const home = readEnv("HOME");
  return path.startsWith("~/") && home ? resolve(home, path.slice(2)) : path;
}

async function findAgentKey(
  publicKey: Uint8Array,
  options: SignerOptions,
): Promise<SigningKey | undefined> {
  const socketOptions = options.socket ? { socket: options.socket } : {};
  const { usable } = await agentKeys(socketOptions);
  const held = usable.find((key) => equalBytes(key.publicKey!, publicKey));
  return held ? fromAgent(held, socketOptions) : undefined;
}

function fromAgent(key: AgentKey, options: { socket?: string }): SigningKey {
  return {
    key: agentSigner(key.publicKey!, { ...options, comment: key.comment }),
    keyId: key.keyId!,
    path: `ssh-agent:${agentSocket(options)}`,
  };
}

async function loadAgentSigner(options: SignerOptions): Promise<SigningKey> {
  const socketOptions = options.socket ? { socket: options.socket } : {};
  const { usable, others } = await agentKeys(socketOptions);
  const wanted = await wantedKey(options);
  if (wanted) {
    const held = usable.find((key) => equalBytes(key.publicKey!, wanted.key));
    if (held) return fromAgent(held, socketOptions);
    if (wanted.strict) {
      throw new ToolError(
        "KEY_NOT_FOUND",
        `The SSH agent does not hold the key ${await keyId(
          wanted.key,
        )} named by ${wanted.source}: add it with "ssh-add PRIVATE_KEY"`,
      );
    }
  }
  if (usable.length === 1) return fromAgent(usable[0]!, socketOptions);
  if (usable.length === 0) {
    throw new ToolError(
      others.length > 0 ? "INVALID_KEY" : "KEY_NOT_FOUND",
      others.length > 0
        ? `Ed25519 only: the SSH agent holds no Ed25519 key, only ${
          others.map((key) => `${key.type} (${key.comment || "no comment"})`)
            .join(", ")
        }; add one with "ssh-keygen -t ed25519" and "ssh-add"`
        : `The SSH agent holds no keys: add one with "ssh-add PRIVATE_KEY"`,
    );
  }
  throw new ToolError(
    "INVALID_KEY",
    `The SSH agent holds ${usable.length} Ed25519 keys (${
      usable.map((key) => key.keyId).join(", ")
    }): name one with --key PUBLIC_KEY.pub, or with "git config user.signingkey"; ` +
      `"${TOOL_NAME} keys show --agent" lists them`,
  );
}

// The key --agent should use: --key's, the repository's user.signingkey,
// or the home's signing.pub.
async function wantedKey(
  options: SignerOptions,
): Promise<{ key: Uint8Array; source: string; strict: boolean } | undefined> {
  const explicit = options.keyPath ?? readEnv(KEY_ENV);
  if (explicit) {
    const path = resolve(explicit);
    const key = readPublicKeyFor(path);
    if (!key) {
      throw new ToolError(
        "KEY_NOT_FOUND",
        `No Ed25519 public key for "${path}" (nor "${path}.pub"): with --agent, --key names the public key to use`,
      );
    }
    return { key, source: `"${path}"`, strict: true };
  }
  const fromGit = options.repo ? await gitSigningKey(options.repo) : undefined;
  if (fromGit) {
    return { key: fromGit.key, source: fromGit.source, strict: true };
  }
  let home: string;
  try {
    home = toolHome(options);
  } catch {
    return undefined;
  }
  const own = resolve(home, KEYS_DIR_NAME, PUBLIC_KEY_NAME);
  const key = readPublicKeyFor(own);
  // The home's key only when the agent holds it: else the agent's own.
  return key ? { key, source: `"${own}"`, strict: false } : undefined;
}
