/**
 * Asking the person at the terminal for a secret (a key's passphrase):
 * the prompt on standard error, the answer read from standard input in raw
 * mode, so it is never echoed. Only when standard input is a terminal; a Git
 * hook's is not.
 *
 * @module
 */

import { ToolError } from "../errors.ts";
import { deno, nodeProcess } from "./runtime.ts";

const CTRL_C = 0x03;
const CTRL_D = 0x04;
const BACKSPACE = 0x08;
const DELETE = 0x7f;
const MAX_SECRET_BYTES = 1024;

/**
 * Whether standard input is a terminal someone can type a secret into.
 *
 * @returns True for a terminal.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stdinIsTerminal } from "./terminal.ts";
 * assert.equal(typeof stdinIsTerminal(), "boolean");
 * ```
 */
export function stdinIsTerminal(): boolean {
  if (deno) return deno.stdin.isTerminal();
  return nodeProcess()?.stdin.isTTY === true;
}

/**
 * Prompts on standard error and reads one line from the terminal without
 * echoing it.
 *
 * @param prompt The prompt, e.g. `Passphrase for "id_ed25519": `.
 * @returns The line's UTF-8 bytes (without its end), or undefined when
 * standard input is not a terminal.
 * @throws {ToolError} `USAGE` when the person presses Ctrl-C.
 *
 * @example
 * ```ts ignore
 * const secret = await readHiddenLine("Passphrase: ");
 * ```
 */
export async function readHiddenLine(
  prompt: string,
): Promise<Uint8Array | undefined> {
  if (!stdinIsTerminal()) return undefined;
  const input = deno ? denoTerminal(deno) : nodeTerminal();
  // Echo off before the prompt shows, so nothing typed after it is echoed.
  input.setRaw(true);
  input.write(prompt);
  const line: number[] = [];
  try {
    while (true) {
      const chunk = await input.read();
      if (chunk === null) break;
      let done = false;
      for (const byte of chunk) {
        if (byte === CTRL_C) {
          throw new ToolError("USAGE", "Interrupted: no passphrase was given");
        }
        if (byte === 0x0d || byte === 0x0a || byte === CTRL_D) {
          done = true;
          break;
        }
        if (byte === DELETE || byte === BACKSPACE) line.pop();
        else if (line.length < MAX_SECRET_BYTES) line.push(byte);
      }
      if (done) break;
    }
    return Uint8Array.from(line);
  } finally {
    line.fill(0);
    input.setRaw(false);
    input.write("\n");
    input.close();
  }
}

interface RawTerminal {
  write(text: string): void;
  setRaw(raw: boolean): void;
  read(): Promise<Uint8Array | null>;
  close(): void;
}

function denoTerminal(deno: typeof Deno): RawTerminal {
  const buffer = new Uint8Array(64);
  return {
    write: (text) => void deno.stderr.writeSync(new TextEncoder().encode(text)),
    setRaw: (raw) => deno.stdin.setRaw(raw),
    async read() {
      const n = await deno.stdin.read(buffer);
      return n === null ? null : buffer.slice(0, n);
    },
    close() {},
  };
}

function nodeTerminal(): RawTerminal {
  const process = nodeProcess()!;
  const stdin = process.stdin as unknown as {
    setRawMode(raw: boolean): void;
    on(event: "data", listener: (chunk: Uint8Array) => void): void;
    off(event: "data", listener: (chunk: Uint8Array) => void): void;
    resume(): void;
    pause(): void;
  };
  const queue: Uint8Array[] = [];
  let wake: (() => void) | undefined;
  const listener = (chunk: Uint8Array) => {
    queue.push(new Uint8Array(chunk));
    wake?.();
  };
  stdin.on("data", listener);
  stdin.resume();
  return {
    write: (text) => void process.stderr.write(text),
    setRaw: (raw) => stdin.setRawMode(raw),
    async read() {
      while (queue.length === 0) {
        await new Promise<void>((resolve) => wake = resolve);
      }
      return queue.shift()!;
    },
    close() {
      stdin.off("data", listener);
      stdin.pause();
    },
  };
}
