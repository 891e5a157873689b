/**
 * Helpers for the attack tests (tests/e2e/*attack*_test.ts): a starting
 * state with signed history on a bare remote, and assertions on what
 * `verify --rev` / `verify --range` and the real pre-push hook report.
 *
 * Every attack test first shows the honest state passing, then runs the
 * attack as an attacker would (real git, commits past the hooks with
 * `--no-verify`), and asserts that it fails closed.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  cliOk,
  commit,
  createFlow,
  type Flow,
  type FlowWithKeys,
  type HistoryReport,
  type OpenFlow,
  push,
  readText,
  sharedFlow,
  verifyHistory,
  write,
} from "./flow.ts";

/** The store folder. */
export const STORE = ".mcp-orchestration";
/** The store's index. */
export const INDEX = `${STORE}/index`;
/** The trust list. */
export const ALLOWED_SIGNERS = `${STORE}/allowed_signers`;

/**
 * A `.mcp.json` with one server that runs `command`.
 *
 * @param command The server's command.
 * @returns The file's text.
 */
export function config(command: string): string {
  return JSON.stringify({ mcpServers: { files: { command, args: ["."] } } }) +
    "\n";
}

/** The first signed version of `.mcp.json`. */
export const V1: string = config("server-v1");
/** The second signed version of `.mcp.json`. */
export const V2: string = config("server-v2");
/** What an attacker wants a client to run. */
export const EVIL: string = config("curl-evil");

/** A flow in which mallory has an ssh-keygen key that nobody trusts. */
export type AttacksFlow = FlowWithKeys<"mallory">;

/**
 * A fresh copy of a flow in which alice ran `init`, then "v1" (tag v1) and
 * "v2" (tag v2, sequence 2) were committed through the hooks and pushed to
 * the bare remote "origin". Built once per test file, then copied: every
 * test starts from the same state, and none checks how it was made.
 *
 * @returns The flow; remove it with `cleanup()` or `await using`.
 * @throws Error when building or copying the state fails.
 *
 * @example
 * ```ts ignore
 * await using flow = await signedHistory();
 * await write(flow, { ".mcp.json": EVIL });
 * ```
 */
export async function signedHistory(): Promise<OpenFlow<"mallory">> {
  return await sharedFlow("signed history", async () => {
    const flow = await createFlow({ keys: ["mallory"] });
    try {
      await write(flow, { "README.md": "hello\n", ".mcp.json": V1 });
      await cliOk(flow, ["init", "--principal", "alice@example.com"]);
      await commit(flow, "v1");
      await flow.ok(["tag", "v1"]);
      await commit(flow, "v2", { ".mcp.json": V2 });
      await flow.ok(["tag", "v2"]);
      assert.match(
        await statementText(flow, "v2", ".mcp.json"),
        /^sequence 2$/m,
      );
      await push(flow, "main");
      return flow;
    } catch (error) {
      await flow.cleanup();
      throw error;
    }
  }, { keys: ["mallory"] });
}

/**
 * Runs `fn` in a flow in which alice ran `init`, then "v1" (tag v1) and "v2"
 * (tag v2, sequence 2) were committed through the hooks and pushed to the
 * bare remote "origin" (a copy made by {@linkcode signedHistory}).
 *
 * @param fn The test.
 * @returns Nothing; the flow is removed afterwards.
 */
export async function withSignedHistory(
  fn: (flow: AttacksFlow) => Promise<void>,
): Promise<void> {
  await using flow = await signedHistory();
  await fn(flow);
}

/**
 * What the remote's ref holds.
 *
 * @param flow The flow.
 * @param branch The remote's branch (or any ref name).
 * @returns The commit id, or undefined when it has no such ref.
 */
export async function remoteRef(
  flow: Flow,
  branch: string,
): Promise<string | undefined> {
  try {
    return (await flow.remote.git("rev-parse", "-q", "--verify", branch))
      .trim();
  } catch {
    return undefined;
  }
}

/**
 * Asserts that `git push ARGS…` is refused, leaves the remote's branch as it
 * was (or absent), and reports each expected file with one of its codes.
 *
 * @param flow The flow.
 * @param args The arguments after `git push -q`, e.g. `["origin", "attack:main"]`.
 * @param branch The remote branch that must not move.
 * @param expected Files the hook must name, each with acceptable codes.
 * @returns git's standard error.
 */
export async function assertPushRefused(
  flow: Flow,
  args: string[],
  branch: string,
  expected: { path: string; codes: string[] }[] = [],
): Promise<string> {
  const before = await remoteRef(flow, branch);
  const result = await flow.git(["push", "-q", ...args]);
  assert.notEqual(result.code, 0, `push went through:\n${result.stderr}`);
  assert.equal(await remoteRef(flow, branch), before, "the remote moved");
  for (const { path, codes } of expected) {
    const line = result.stderr.split("\n").find((l) =>
      codes.some((code) => l.includes(`FAIL  ${path}  ${code}:`))
    );
    assert.ok(line, `no "${path} ${codes.join("|")}" in:\n${result.stderr}`);
  }
  return result.stderr;
}

/**
 * Asserts that the history passes: exit 0, every commit ok.
 *
 * @param flow The flow.
 * @param args The arguments after `verify`, e.g. `["--range", "v1..main"]`.
 * @returns Nothing.
 */
export async function assertVerifies(
  flow: Flow,
  args: string[],
): Promise<void> {
  const { code, report, text } = await verifyHistory(flow, args);
  assert.equal(code, 0, text);
  assert.ok(report.ok, text);
  assert.ok(report.commits.length > 0, text);
}

/**
 * Asserts that verification failed (exit 1) and that the commit's report
 * has a failure for `path` with one of `codes`.
 *
 * @param result What {@linkcode verifyHistory} returned.
 * @param commit The commit that must fail.
 * @param path The failing path; any path when undefined.
 * @param codes Acceptable codes; any code when empty.
 * @returns Nothing.
 */
export function assertCommitFails(
  result: { code: number; report: HistoryReport; text: string },
  commit: string,
  path: string | undefined,
  codes: string[] = [],
): void {
  assert.equal(result.code, 1, result.text);
  assert.equal(result.report.ok, false, result.text);
  const report = result.report.commits.find((c) => c.commit === commit);
  assert.ok(report, `no report for ${commit}:\n${result.text}`);
  assert.equal(report.ok, false, `${commit} passed:\n${result.text}`);
  const failure = report.results.find((r) =>
    !r.ok && (path === undefined || r.path === path) &&
    (codes.length === 0 || codes.includes(r.code ?? ""))
  );
  assert.ok(
    failure,
    `no failure ${path ?? "(any path)"} ${
      codes.join("|") || "(any code)"
    } for ${commit.slice(0, 12)}:\n${result.text}`,
  );
}

/**
 * The statement id a commit's index names for a path.
 *
 * @param flow The flow.
 * @param rev The commit.
 * @param path The config's path.
 * @returns The statement id.
 */
export async function indexId(
  flow: Flow,
  rev: string,
  path: string,
): Promise<string> {
  const index = await flow.ok(["show", `${rev}:${INDEX}`]);
  const line = index.split("\n").find((l) => l.slice(65) === path);
  assert.ok(line, `no index line for "${path}" in ${rev}:\n${index}`);
  return line.slice(0, 64);
}

/**
 * The text of the statement a commit's index names for a path.
 *
 * @param flow The flow.
 * @param rev The commit.
 * @param path The config's path.
 * @returns The statement's text.
 */
export async function statementText(
  flow: Flow,
  rev: string,
  path: string,
): Promise<string> {
  const id = await indexId(flow, rev, path);
  return await flow.ok(["show", `${rev}:${STORE}/statements/${id}`]);
}

/**
 * Points the working tree's index line for `path` at `id`, keeping the order.
 *
 * @param flow The flow.
 * @param path The config's path (it must have a line).
 * @param id The statement id to name.
 * @returns Nothing.
 */
export async function setIndexLine(
  flow: Flow,
  path: string,
  id: string,
): Promise<void> {
  const lines = (await readText(flow, INDEX)).split("\n");
  const at = lines.findIndex((l) => l.slice(65) === path);
  assert.ok(at > 0, `no index line for "${path}"`);
  lines[at] = `${id} ${path}`;
  await write(flow, { [INDEX]: lines.join("\n") });
}
