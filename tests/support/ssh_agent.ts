/**
 * A real OpenSSH `ssh-agent` for a test, on a socket in a temporary folder,
 * with `ssh-add` to load keys into it; and the tampering agent of
 * tests/support/tampering_agent.ts in front of it.
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** A running agent; `await using` stops it and removes its folder. */
export interface TestAgent extends AsyncDisposable {
  /** The agent's socket, for `SSH_AUTH_SOCK`. */
  socket: string;
  /** Runs `ssh-add ARGS…` against this agent (no askpass, no terminal). */
  add(...args: string[]): Promise<{ ok: boolean; output: string }>;
}

const TAMPERING_AGENT = fileURLToPath(
  new URL("./tampering_agent.ts", import.meta.url),
);

async function waitForSocket(path: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await Deno.lstat(path).then(() => true, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`No agent socket at "${path}"`);
}

/**
 * Starts `ssh-agent -D -a SOCKET` in a new temporary folder.
 *
 * @returns The agent.
 */
export async function startAgent(): Promise<TestAgent> {
  // A short path: a unix socket's path is limited to about 100 bytes.
  const dir = await Deno.makeTempDir({ prefix: "mo-agent-" });
  const socket = join(dir, "agent.sock");
  const child = new Deno.Command("ssh-agent", {
    args: ["-D", "-a", socket],
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "" },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  await waitForSocket(socket);
  return {
    socket,
    async add(...args: string[]) {
      const output = await new Deno.Command("ssh-add", {
        args,
        clearEnv: true,
        env: { PATH: Deno.env.get("PATH") ?? "", SSH_AUTH_SOCK: socket },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const decoder = new TextDecoder();
      return {
        ok: output.success,
        output: decoder.decode(output.stdout) + decoder.decode(output.stderr),
      };
    },
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already gone.
      }
      await child.status;
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/**
 * Starts the tampering agent in front of `upstream`.
 *
 * @param upstream The real agent's socket.
 * @returns Its socket, and disposal that stops it.
 */
export async function startTamperingAgent(
  upstream: string,
): Promise<{ socket: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "mo-tamper-" });
  const socket = join(dir, "agent.sock");
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-read",
      "--allow-write",
      `--allow-net=unix:${socket},unix:${upstream}`,
      TAMPERING_AGENT,
      socket,
      upstream,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  await waitForSocket(socket);
  return {
    socket,
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already gone.
      }
      await child.status;
      await Deno.remove(dir, { recursive: true });
    },
  };
}
