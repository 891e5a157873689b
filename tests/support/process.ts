/**
 * Runs a program in an environment given in full (nothing leaks in from the
 * test process), for tests that start programs other than the tool itself
 * (git, npm, sh, pre-commit, a copied binary): the one way tests run them.
 *
 * @module
 */

/** What a finished program left. */
export interface ProcessResult {
  /** Exit code. */
  code: number;
  /** Standard output, decoded as UTF-8. */
  stdout: string;
  /** Standard error, decoded as UTF-8. */
  stderr: string;
}

/**
 * Runs a program to completion with exactly the given environment and no
 * standard input.
 *
 * @param command The program (a path, or a name looked up on the test's `PATH`).
 * @param args Its arguments.
 * @param options Working folder and the whole environment.
 * @returns The exit code and both outputs.
 */
export async function runIsolated(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env: Record<string, string> },
): Promise<ProcessResult> {
  const out = await new Deno.Command(command, {
    args: [...args],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    env: options.env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/**
 * Writes a child's whole standard input, then closes it. A child may exit
 * without reading it all (a hook that skips, an early failure): the broken
 * pipe is then its choice, not the test's failure, and its exit code and
 * output tell the rest.
 *
 * @param child A child spawned with `stdin: "piped"`.
 * @param input The bytes, or text written as UTF-8.
 * @returns Resolves once the input is written and closed, or refused.
 */
export async function writeStdin(
  child: Deno.ChildProcess,
  input: string | Uint8Array,
): Promise<void> {
  const writer = child.stdin.getWriter();
  await writer.write(
    typeof input === "string" ? new TextEncoder().encode(input) : input,
  ).catch(() => {});
  await writer.close().catch(() => {});
}

/**
 * Writes an executable script (mode 0755) through a child process, so that
 * no write handle on it is ever open in this process. Tests run in parallel
 * in one process: one that forks a child while another test holds a script
 * open for writing hands that handle to the child until it execs, and
 * running the script in that moment fails with ETXTBSY ("Text file busy").
 *
 * @param path Where the script goes.
 * @param text Its text.
 */
export async function writeExecutable(
  path: string,
  text: string,
): Promise<void> {
  const child = new Deno.Command("sh", {
    args: ["-c", 'cat >"$1" && chmod 755 "$1"', "sh", path],
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  await writeStdin(child, text);
  const { code, stderr } = await child.output();
  if (code !== 0) {
    throw new Error(
      `cannot write "${path}": ${new TextDecoder().decode(stderr)}`,
    );
  }
}
