/**
 * A small SSH agent client (draft-miller-ssh-agent, openssh-portable
 * PROTOCOL.agent) over the unix socket in `SSH_AUTH_SOCK`: it lists the
 * agent's keys and asks it to sign. The private key never enters this
 * process, so a key kept in ssh-agent, a password manager's agent or on a
 * token signs configs as it signs commits.
 *
 * The agent signs whatever bytes it is sent. Callers must check each
 * signature against the key they asked for before using it;
 * `createSshSignatureOfDigest` does.
 *
 * @module
 */

import {
  ED25519_SIGNATURE_BYTES,
  MAX_METADATA_BYTES,
  SSH_ED25519,
  TOOL_NAME,
} from "../constants.ts";
import { ToolError } from "../errors.ts";
import { readEnv } from "../_runtime/current_process.ts";
import { deno, nodeBuiltin } from "../_runtime/runtime.ts";
import { currentLaunch } from "../_runtime/launch.ts";
import { decodePublicKeyBlob, keyId } from "../format/public_key.ts";
import type { RemoteSigner } from "../format/sshsig.ts";
import { SshReader, SshWriter } from "../format/ssh_wire.ts";

/** The variable that names the agent's socket. */
export const AGENT_SOCKET_ENV = "SSH_AUTH_SOCK";

// Message numbers (draft-miller-ssh-agent §6.1).
const AGENT_FAILURE = 5;
const AGENTC_REQUEST_IDENTITIES = 11;
const AGENT_IDENTITIES_ANSWER = 12;
const AGENTC_SIGN_REQUEST = 13;
const AGENT_SIGN_RESPONSE = 14;

// An agent's answer is a key list or one signature: far below this.
const MAX_REPLY_BYTES = MAX_METADATA_BYTES;
// An agent that asks its user to confirm (ssh-add -c) waits for them.
const REPLY_TIMEOUT_MS = 120_000;

/** One key the agent holds. */
export interface AgentKey {
  /** The key type, e.g. `ssh-ed25519`, `ssh-rsa`, `sk-ssh-ed25519@openssh.com`. */
  type: string;
  /** The 32-byte Ed25519 public key; only for `ssh-ed25519` keys. */
  publicKey?: Uint8Array;
  /** Its key id (`SHA256:…`), for Ed25519 keys. */
  keyId?: string;
  /** The comment the agent keeps with it. */
  comment: string;
}

/** Where the agent is: an explicit socket wins over `SSH_AUTH_SOCK`. */
export interface AgentOptions {
  /** The agent's socket path (default `$SSH_AUTH_SOCK`). */
  socket?: string;
}

/**
 * The agent's socket path.
 *
 * @param options An explicit socket, if any.
 * @returns `options.socket`, else `$SSH_AUTH_SOCK`.
 * @throws {ToolError} `KEY_NOT_FOUND` when neither is set.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { agentSocket } from "./ssh_agent.ts";
 * assert.equal(agentSocket({ socket: "/tmp/agent.sock" }), "/tmp/agent.sock");
 * ```
 */
export function agentSocket(options: AgentOptions = {}): string {
  const socket = options.socket ?? readEnv(AGENT_SOCKET_ENV);
  if (!socket) {
    throw new ToolError(
      "KEY_NOT_FOUND",
      `No SSH agent: ${AGENT_SOCKET_ENV} is not set; start one with "eval $(ssh-agent)" and add your key with "ssh-add KEY"`,
    );
  }
  return socket;
}

/**
 * Lists the keys the agent holds, every type; Ed25519 keys carry their
 * public key and key id.
 *
 * @param options The agent's socket.
 * @returns The keys, in the agent's order.
 * @throws {ToolError} `KEY_NOT_FOUND` when there is no agent, or it cannot
 * be reached; `INVALID_FORMAT` for a malformed answer; `INVALID_KEY` when
 * the agent refuses.
 *
 * @example
 * ```ts ignore
 * const keys = await listAgentKeys();
 * ```
 */
export async function listAgentKeys(
  options: AgentOptions = {},
): Promise<AgentKey[]> {
  const socket = agentSocket(options);
  const reply = await agentRequest(
    socket,
    Uint8Array.of(AGENTC_REQUEST_IDENTITIES),
  );
  const source = `the SSH agent at "${socket}"`;
  const reader = new SshReader(reply, source);
  const kind = reader.raw(1, "message type")[0]!;
  if (kind !== AGENT_IDENTITIES_ANSWER) refused(socket, kind, "list its keys");
  const count = reader.uint32("number of keys");
  const keys: AgentKey[] = [];
  for (let i = 0; i < count; i++) {
    const blob = reader.bytes("key blob");
    const comment = reader.text("key comment");
    const type = new SshReader(blob, source).text("key type");
    if (type === SSH_ED25519) {
      const publicKey = decodePublicKeyBlob(blob, source);
      keys.push({ type, publicKey, keyId: await keyId(publicKey), comment });
    } else {
      keys.push({ type, comment });
    }
  }
  reader.end("key list");
  return keys;
}

/**
 * A signer for one Ed25519 key the agent holds: its `sign` sends the
 * agent a sign request and returns the raw signature. The signature is not
 * checked here; `createSshSignatureOfDigest` checks it before any use.
 *
 * @param publicKey The key's 32-byte public key.
 * @param options The agent's socket and the key's comment.
 * @returns The signer.
 * @throws {ToolError} As {@linkcode agentSocket}.
 *
 * @example
 * ```ts ignore
 * const [key] = await listAgentKeys();
 * const signer = agentSigner(key.publicKey!, { comment: key.comment });
 * ```
 */
export function agentSigner(
  publicKey: Uint8Array,
  options: AgentOptions & { comment?: string } = {},
): RemoteSigner {
  const socket = agentSocket(options);
  const holder = `the SSH agent at "${socket}"`;
  return {
    publicKey: publicKey.slice(),
    comment: options.comment ?? "",
    holder,
    async sign(data: Uint8Array): Promise<Uint8Array> {
      const request = new SshWriter()
        .raw(Uint8Array.of(AGENTC_SIGN_REQUEST))
        .bytes(new SshWriter().text(SSH_ED25519).bytes(publicKey).finish())
        .bytes(data)
        .uint32(0)
        .finish();
      const reply = await agentRequest(socket, request);
      const reader = new SshReader(reply, holder);
      const kind = reader.raw(1, "message type")[0]!;
      if (kind !== AGENT_SIGN_RESPONSE) refused(socket, kind, "sign");
      const blob = new SshReader(reader.bytes("signature"), holder);
      reader.end("sign response");
      const type = blob.text("signature type");
      if (type !== SSH_ED25519) {
        throw new ToolError(
          "INVALID_KEY",
          `Cannot sign: ${holder} returned a ${
            JSON.stringify(type)
          } signature, expected "${SSH_ED25519}"`,
        );
      }
      const signature = blob.bytes("Ed25519 signature");
      blob.end("Ed25519 signature");
      if (signature.length !== ED25519_SIGNATURE_BYTES) {
        throw new ToolError(
          "INVALID_FORMAT",
          `Invalid answer from ${holder}: Ed25519 signature is ${signature.length} bytes, expected ${ED25519_SIGNATURE_BYTES}`,
        );
      }
      return signature;
    },
  };
}

function refused(socket: string, kind: number, what: string): never {
  throw new ToolError(
    "INVALID_KEY",
    kind === AGENT_FAILURE
      ? `The SSH agent at "${socket}" refused to ${what}: the key may not be loaded ("ssh-add -l" lists them), ` +
        `or it needs a confirmation the agent could not ask for (a key added with "ssh-add -c" needs ssh-askpass)`
      : `The SSH agent at "${socket}" answered message ${kind} instead of ${
        what === "sign" ? AGENT_SIGN_RESPONSE : AGENT_IDENTITIES_ANSWER
      }`,
  );
}

/** A connection to the agent: send one message, read one answer. */
interface AgentConnection {
  write(bytes: Uint8Array): Promise<void>;
  read(buffer: Uint8Array): Promise<number | null>;
  close(): void;
}

// Sends one framed message (uint32 length, then the bytes) on a fresh
// connection and returns the answer's bytes, without its length.
async function agentRequest(
  socket: string,
  message: Uint8Array,
): Promise<Uint8Array> {
  const connection = await connect(socket);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const framed = new SshWriter().bytes(message).finish();
    await connection.write(framed);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ToolError(
              "IO",
              `The SSH agent at "${socket}" did not answer within ${
                REPLY_TIMEOUT_MS / 1000
              } seconds`,
            ),
          ),
        REPLY_TIMEOUT_MS,
      );
    });
    return await Promise.race([readReply(connection, socket), timeout]);
  } finally {
    clearTimeout(timer);
    connection.close();
  }
}

async function readReply(
  connection: AgentConnection,
  socket: string,
): Promise<Uint8Array> {
  const head = await readExactly(connection, 4, socket);
  const length = new DataView(head.buffer).getUint32(0);
  if (length === 0 || length > MAX_REPLY_BYTES) {
    throw new ToolError(
      "INVALID_FORMAT",
      `Invalid answer from the SSH agent at "${socket}": length ${length}`,
    );
  }
  return await readExactly(connection, length, socket);
}

async function readExactly(
  connection: AgentConnection,
  length: number,
  socket: string,
): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const n = await connection.read(bytes.subarray(filled));
    if (n === null || n === 0) {
      throw new ToolError(
        "INVALID_KEY",
        `The SSH agent at "${socket}" closed the connection without answering`,
      );
    }
    filled += n;
  }
  return bytes;
}

function gone(socket: string, error: unknown): ToolError {
  const name = (error as { name?: string; code?: string })?.name;
  const code = (error as { code?: string })?.code;
  if (name === "NotCapable" || name === "PermissionDenied") {
    // deno compile bakes its permissions in, and Deno grants a unix socket
    // only by its exact path, which changes with each login.
    let compiled = false;
    try {
      compiled = currentLaunch().kind === "compiled";
    } catch {
      // Unknown: the deno run advice.
    }
    return new ToolError(
      "IO",
      compiled
        ? `Cannot reach the SSH agent at "${socket}": this executable was compiled by Deno without access to unix sockets; ` +
          `sign with a key file (--key), or run the npm package or "deno run" with --allow-net=unix:${socket}`
        : `Cannot reach the SSH agent at "${socket}": Deno needs --allow-net=unix:${socket} ` +
          `(the installed hooks add it when ${AGENT_SOCKET_ENV} is set)`,
      { cause: error },
    );
  }
  return new ToolError(
    "KEY_NOT_FOUND",
    `Cannot reach the SSH agent at "${socket}" (${AGENT_SOCKET_ENV}): ${
      code ?? name ?? "error"
    }; is it running? Start one with "eval $(ssh-agent)" and "ssh-add KEY", ` +
      `or sign with a key file (--key PATH)`,
    { cause: error },
  );
}

// Deno.connect under Deno (node:net would start the Node compatibility
// layer); node:net under Node.
async function connect(socket: string): Promise<AgentConnection> {
  if (deno) {
    let conn: Deno.UnixConn;
    try {
      conn = await deno.connect({ transport: "unix", path: socket });
    } catch (error) {
      throw gone(socket, error);
    }
    return {
      async write(bytes) {
        let written = 0;
        while (written < bytes.length) {
          written += await conn.write(bytes.subarray(written));
        }
      },
      read: (buffer) => conn.read(buffer),
      close: () => {
        try {
          conn.close();
        } catch {
          // Already closed.
        }
      },
    };
  }
  return await connectNode(socket);
}

async function connectNode(socket: string): Promise<AgentConnection> {
  const net = nodeBuiltin<typeof import("node:net")>("node:net");
  const stream = net.createConnection({ path: socket });
  await new Promise<void>((resolve, reject) => {
    stream.once("connect", resolve);
    stream.once("error", (error) => reject(gone(socket, error)));
  });
  const queue: Uint8Array[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  stream.on("data", (chunk: Uint8Array) => {
    queue.push(new Uint8Array(chunk));
    wake?.();
  });
  const finish = () => {
    ended = true;
    wake?.();
  };
  stream.on("end", finish);
  stream.on("close", finish);
  stream.on("error", finish);
  return {
    write: (bytes) =>
      new Promise((resolve, reject) =>
        stream.write(bytes, (error) => error ? reject(error) : resolve())
      ),
    async read(buffer) {
      while (queue.length === 0 && !ended) {
        await new Promise<void>((resolve) => wake = resolve);
        wake = undefined;
      }
      const chunk = queue.shift();
      if (!chunk) return null;
      const n = Math.min(chunk.length, buffer.length);
      buffer.set(chunk.subarray(0, n));
      if (n < chunk.length) queue.unshift(chunk.subarray(n));
      return n;
    },
    close: () => stream.destroy(),
  };
}

/** The route for an encrypted key where no passphrase can be asked: the agent. */
export const AGENT_HINT =
  `add the key to an SSH agent ("ssh-add KEY") and sign through it: "${TOOL_NAME} sign --agent", ` +
  `and for the Git hooks MCP_ORCHESTRATION_AGENT=1 or "git config user.signingkey KEY.pub"`;
