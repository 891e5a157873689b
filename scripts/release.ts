/**
 * `deno task release` (or `scripts/release`): builds the single executable
 * (`deno task compile`) and the npm bundle (`deno task bundle`), copies the
 * release files into `dist/release/<version>/`, writes `SHA256SUMS` (the
 * format `sha256sum --check` reads), signs every file and `SHA256SUMS` with
 * the tool itself (the new executable's `sign-file`, so the release also
 * proves that it runs), checks the result with `sha256sum` and `ssh-keygen`
 * when they are installed, and prints what a user runs to check a download.
 *
 * A release names the commit it was built from: the working tree must be
 * clean (`--allow-dirty` overrides, and the files then say `-dirty`), and
 * each built file's `--version` must name the checkout's HEAD.
 *
 * Usage: `deno run --allow-read --allow-write --allow-run scripts/release.ts
 * [--key PATH] [--out DIR] [--npm-tarball FILE] [--principal NAME]
 * [--allow-dirty] [--no-build [--dist DIR]]`.
 *
 * @module
 */

import { chmod, copyFile, mkdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  RELEASE_SIGNATURE_NAMESPACE,
  SIGNATURE_SUFFIX,
  TOOL_NAME,
  VERSION,
} from "../src/constants.ts";
import { BUNDLE_PARTS, bundlePartFile } from "../src/_runtime/bundle_part.ts";
import { digestFile } from "../src/crypto/digest_file.ts";
import { exists } from "../src/fs/files.ts";
import { toHex } from "../src/crypto/sha.ts";

/** The checkout's root folder. */
export const ROOT: string = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "..",
);
/** The checksum list's file name. */
export const SUMS_NAME = "SHA256SUMS";
/** Default principal in the `allowed_signers` line users are told to write. */
export const DEFAULT_PRINCIPAL = TOOL_NAME;

const USAGE =
  `Usage: deno task release [--key PATH] [--out DIR] [--npm-tarball FILE] [--principal NAME] [--allow-dirty] [--no-build [--dist DIR]]

Builds the executable and the npm bundle, copies them into OUT/<version>/
(default dist/release/<version>/), writes SHA256SUMS, signs every file and
SHA256SUMS with the new executable's "sign-file" (namespace
"${RELEASE_SIGNATURE_NAMESPACE}"), and prints how users check a download.

Options:
  --key PATH          the signing key (default $MCP_ORCHESTRATION_KEY, else
                      ~/.mcp-orchestration/keys/signing.key)
  --out DIR           where the version folder goes (default DIST/release)
  --npm-tarball FILE  the npm package's tarball (default: the
                      ${TOOL_NAME}-${VERSION}.tgz that "npm pack" left in DIST
                      or DIST/npm; without one the release has none)
  --principal NAME    the principal in the printed allowed_signers line
                      (default "${DEFAULT_PRINCIPAL}")
  --allow-dirty       release from a working tree with changes (the files
                      then name the commit with "-dirty")
  --no-build          use the files already built, instead of running
                      "deno task compile" and "deno task bundle"
  --dist DIR          with --no-build: where the built files are (default dist)
`;

/** What the release is made of: a built file and its name in the release. */
export interface ReleaseInput {
  /** The built file. */
  source: string;
  /** Its name in the release folder. */
  name: string;
  /** Whether it is a program (mode 0755) rather than data (0644). */
  executable: boolean;
}

/** The command line, parsed. */
interface Options {
  key?: string;
  npmTarball?: string;
  out: string;
  dist: string;
  principal: string;
  allowDirty: boolean;
  build: boolean;
}

/** A problem that stops the release; the script prints it and exits 1. */
export class ReleaseError extends Error {
  /**
   * Creates the error.
   *
   * @param message What went wrong and what to do about it.
   */
  constructor(message: string) {
    super(message);
    this.name = "ReleaseError";
  }
}

// Thrown by parseOptions for --help.
class HelpRequested extends Error {}

// Thrown by parseOptions for --help.
/**
 * The platform part of the executable's name, e.g. `linux-x64`.
 *
 * @param build The OS and CPU (default: this machine's, where
 *   `deno task compile` builds for).
 * @returns `<os>-<arch>` with Node's arch names (`x64`, `arm64`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { platformName } from "./release.ts";
 * assert.equal(platformName({ os: "darwin", arch: "aarch64" }), "darwin-arm64");
 * ```
 */
export function platformName(
  build: { os: string; arch: string } = Deno.build,
): string {
  const arch = ({ x86_64: "x64", aarch64: "arm64" } as Record<string, string>)[
    build.arch
  ] ?? build.arch;
  return `${build.os}-${arch}`;
}

/**
 * Formats a checksum list exactly as `sha256sum` writes one in text mode:
 * `<64 hex>  <name>` per line, sorted by name.
 *
 * @param sums File name to lowercase hex SHA-256.
 * @returns The file's text, each line ending in LF.
 * @throws {Error} For a name `sha256sum` would escape (a backslash or newline)
 *   or a malformed digest.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatSha256Sums } from "./release.ts";
 * assert.equal(formatSha256Sums(new Map([["a", "0".repeat(64)]])), `${"0".repeat(64)}  a\n`);
 * ```
 */
export function formatSha256Sums(sums: ReadonlyMap<string, string>): string {
  const names = [...sums.keys()].sort((a, b) => a < b ? -1 : a > b ? 1 : 0);
  return names.map((name) => {
    const hex = sums.get(name) ?? "";
    if (!/^[0-9a-f]{64}$/.test(hex) || /[\\\n\r]/.test(name) || name === "") {
      throw new Error(`Cannot list "${name}" in ${SUMS_NAME}`);
    }
    return `${hex}  ${name}\n`;
  }).join("");
}

/**
 * Reads the commit out of a `--version` line such as
 * `mcp-orchestration 0.1.0 (commit <40 hex>[-dirty], deno 2.9.6)`.
 *
 * @param line What `--version` printed.
 * @returns The version, the commit and whether it was dirty; `commit` is
 *   `undefined` for a run from source.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseVersionLine } from "./release.ts";
 * const line = `mcp-orchestration 0.1.0 (commit ${"a".repeat(40)}-dirty, deno 2.9.6)`;
 * assert.deepEqual(parseVersionLine(line), { version: "0.1.0", commit: "a".repeat(40), dirty: true });
 * ```
 */
export function parseVersionLine(
  line: string,
): { version: string | undefined; commit: string | undefined; dirty: boolean } {
  const version = /^mcp-orchestration (\S+)/.exec(line)?.[1];
  const stamp = /\(commit ([0-9a-f]{40})(-dirty)?[,)]/.exec(line);
  return { version, commit: stamp?.[1], dirty: stamp?.[2] !== undefined };
}

/**
 * The commit the checkout is at and the files that differ from it, as
 * scripts/build.ts stamps it (`git status --porcelain`: untracked files
 * count, ignored ones such as dist/ do not).
 *
 * @param root A git working tree.
 * @param options `env`: git's whole environment (default: this process's).
 * @returns HEAD's hash, and the changed paths as git lists them.
 * @throws {ReleaseError} When git fails (not a checkout, no commit yet).
 */
export async function workingTreeState(
  root: string,
  options: { env?: Record<string, string> } = {},
): Promise<{ head: string; changes: string[] }> {
  const git = async (...args: string[]) =>
    await mustRun("git", args, root, options.env);
  const head = (await git("rev-parse", "--verify", "HEAD")).trim();
  const status = await git("status", "--porcelain");
  return { head, changes: status.split("\n").filter((line) => line !== "") };
}

/**
 * Refuses a working tree with changes, unless allowed: a release must name
 * the commit it was built from.
 *
 * @param state From {@linkcode workingTreeState}.
 * @param allowDirty `--allow-dirty`.
 * @throws {ReleaseError} When the tree has changes and they are not allowed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkWorkingTree } from "./release.ts";
 * checkWorkingTree({ head: "a".repeat(40), changes: [] }, false);
 * assert.throws(() => checkWorkingTree({ head: "a".repeat(40), changes: [" M x"] }, false));
 * ```
 */
export function checkWorkingTree(
  state: { head: string; changes: string[] },
  allowDirty: boolean,
): void {
  if (state.changes.length === 0 || allowDirty) return;
  const shown = state.changes.slice(0, 10).map((line) => `  ${line}\n`).join(
    "",
  );
  const more = state.changes.length > 10
    ? `  … and ${state.changes.length - 10} more\n`
    : "";
  throw new ReleaseError(
    `The working tree has changes, so no commit names what would be released:\n${shown}${more}` +
      `Commit or stash them, or pass --allow-dirty (the release then says "${state.head}-dirty")`,
  );
}

/**
 * Finds the built files and names them for the release: the executable
 * (`mcp-orchestration-<version>-<platform>`), the npm bundle
 * (`mcp-orchestration-<version>.cjs`) and the part of it that only `mcp`
 * loads (`mcp-orchestration-<version>.mcp-sdk.cjs`), and the npm tarball
 * (`mcp-orchestration-<version>.tgz`): the one given, else the one
 * `npm pack` left in `dist/` or `dist/npm/`, if any.
 *
 * @param dist The build folder (`dist/`).
 * @param options `platform` (default {@linkcode platformName}()) and
 *   `npmTarball`, a tarball that must exist.
 * @returns The files, executable first.
 * @throws {ReleaseError} When the executable, the bundle or the given
 *   tarball is missing.
 */
export async function findReleaseInputs(
  dist: string,
  options: { platform?: string; npmTarball?: string } = {},
): Promise<ReleaseInput[]> {
  const platform = options.platform ?? platformName();
  const exe = platform.startsWith("windows-") ? ".exe" : "";
  const inputs: ReleaseInput[] = [
    {
      source: join(dist, `${TOOL_NAME}${exe}`),
      name: `${TOOL_NAME}-${VERSION}-${platform}${exe}`,
      executable: true,
    },
    {
      source: join(dist, "npm", `${TOOL_NAME}.cjs`),
      name: `${TOOL_NAME}-${VERSION}.cjs`,
      executable: true,
    },
    // What `mcp` loads from beside the bundle, named after it
    // (src/_runtime/bundle_part.ts, bundlePartFile).
    ...BUNDLE_PARTS.map((part) => ({
      source: bundlePartFile(join(dist, "npm", `${TOOL_NAME}.cjs`), part),
      name: basename(bundlePartFile(`${TOOL_NAME}-${VERSION}.cjs`, part)),
      executable: false,
    })),
  ];
  for (const input of inputs) {
    if (!await isFile(input.source)) {
      throw new ReleaseError(
        `Missing "${input.source}": build it with "deno task compile" and "deno task bundle", or run without --no-build`,
      );
    }
  }
  const packed = `${TOOL_NAME}-${VERSION}.tgz`;
  const candidates = options.npmTarball
    ? [options.npmTarball]
    : [join(dist, packed), join(dist, "npm", packed)];
  const tarball = (await Promise.all(candidates.map(isFile)))
    .findIndex(Boolean);
  if (options.npmTarball && tarball < 0) {
    throw new ReleaseError(`Missing "${options.npmTarball}" (--npm-tarball)`);
  }
  if (tarball >= 0) {
    inputs.push({
      source: candidates[tarball]!,
      name: packed,
      executable: false,
    });
  }
  return inputs;
}

async function main(args: string[]): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(args);
  } catch (error) {
    if (error instanceof HelpRequested) {
      console.log(USAGE);
      return 0;
    }
    console.error(`error: ${errorText(error)}\n\n${USAGE}`);
    return 2;
  }
  try {
    await release(options);
    return 0;
  } catch (error) {
    console.error(`error: ${errorText(error)}`);
    return 1;
  }
}

function parseOptions(args: string[]): Options {
  const { values, positionals } = parseArgs({
    args,
    options: {
      key: { type: "string" },
      out: { type: "string" },
      dist: { type: "string" },
      "npm-tarball": { type: "string" },
      principal: { type: "string" },
      "allow-dirty": { type: "boolean" },
      "no-build": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) throw new HelpRequested();
  if (positionals.length > 0) {
    throw new Error(`Unexpected argument "${positionals[0]}"`);
  }
  if (values.dist !== undefined && !values["no-build"]) {
    throw new Error(
      `--dist reads files that are already built, so it needs --no-build (the build writes to dist/)`,
    );
  }
  const principal = values.principal ?? DEFAULT_PRINCIPAL;
  if (!/^[A-Za-z0-9._@+-]+$/.test(principal)) {
    throw new Error(
      `Invalid principal "${principal}": use letters, digits and ". _ @ + -"`,
    );
  }
  const dist = resolve(values.dist ?? join(ROOT, "dist"));
  return {
    ...(values.key === undefined ? {} : { key: resolve(values.key) }),
    ...(values["npm-tarball"] === undefined
      ? {}
      : { npmTarball: resolve(values["npm-tarball"]) }),
    dist,
    out: resolve(values.out ?? join(dist, "release")),
    principal,
    allowDirty: values["allow-dirty"] === true,
    build: !values["no-build"],
  };
}

async function release(options: Options): Promise<void> {
  const state = await workingTreeState(ROOT);
  checkWorkingTree(state, options.allowDirty);
  const target = join(options.out, VERSION);
  if (await exists(target)) {
    throw new ReleaseError(
      `"${target}" exists: a version is released once. Remove it first if this one must be redone`,
    );
  }
  const started = Date.now();
  if (options.build) {
    await runStep("deno task compile", Deno.execPath(), ["task", "compile"]);
    await runStep("deno task bundle", Deno.execPath(), ["task", "bundle"]);
    // The npm tarball of the package just built, left in DIST where
    // findReleaseInputs looks for it.
    const npmDir = join(options.dist, "npm");
    await runStep("npm pack", "npm", [
      "pack",
      npmDir,
      "--pack-destination",
      options.dist,
    ]);
  }
  const inputs = await findReleaseInputs(options.dist, {
    ...(options.npmTarball ? { npmTarball: options.npmTarball } : {}),
  });
  if (inputs.length < 3) {
    console.log(
      `note: no npm tarball (${TOOL_NAME}-${VERSION}.tgz in ${options.dist} or its npm/, or --npm-tarball): the release has none`,
    );
  }
  if (options.build) await checkFresh(inputs, started);
  const built = await checkStamps(inputs, state.head, options.allowDirty);

  await mkdir(options.out, { recursive: true });
  const staging = join(
    options.out,
    `.${VERSION}.partial-${crypto.randomUUID().slice(0, 8)}`,
  );
  await mkdir(staging);
  try {
    const report = await assemble(inputs, staging, options);
    if (await exists(target)) {
      throw new ReleaseError(
        `"${target}" appeared meanwhile; it was left alone`,
      );
    }
    await rename(staging, target);
    printSummary(target, inputs, report, built, options);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

interface SignReport {
  signer: string;
  namespace: string;
  files: { path: string; signature: string; sha256: string }[];
  publicKeyLine: string;
  checks: string[];
}

// Copies, checksums, signs and checks, all inside `staging`.
async function assemble(
  inputs: ReleaseInput[],
  staging: string,
  options: Options,
): Promise<SignReport> {
  const sums = new Map<string, string>();
  for (const input of inputs) {
    const path = join(staging, input.name);
    await copyFile(input.source, path);
    await chmod(path, input.executable ? 0o755 : 0o644);
    sums.set(input.name, toHex((await digestFile(path)).sha256));
  }
  await Deno.writeTextFile(join(staging, SUMS_NAME), formatSha256Sums(sums));
  const names = [...inputs.map((input) => input.name), SUMS_NAME];
  // Sign with the executable being released, as copied into the release.
  const tool = join(staging, inputs[0]!.name);
  const keyArgs = options.key ? ["--key", options.key] : [];
  const signed = JSON.parse(
    await mustRun(tool, ["sign-file", "--json", ...keyArgs, ...names], staging),
  ) as { signer: string; namespace: string; files: SignReport["files"] };
  if (signed.namespace !== RELEASE_SIGNATURE_NAMESPACE) {
    throw new ReleaseError(`sign-file signed in "${signed.namespace}"`);
  }
  // Two hashings of each file, ours and the tool's, must agree.
  for (const name of inputs.map((input) => input.name)) {
    const file = signed.files.find((f) => f.path === name);
    if (!file || file.sha256 !== sums.get(name)) {
      throw new ReleaseError(
        `sign-file reports another SHA-256 for "${name}" than ${SUMS_NAME} lists`,
      );
    }
  }
  const shown = JSON.parse(
    await mustRun(tool, ["keys", "show", "--json", ...keyArgs], staging),
  ) as { keyId: string; publicKeyLine: string };
  if (shown.keyId !== signed.signer) {
    throw new ReleaseError(
      `"keys show" names key ${shown.keyId}, but the files were signed by ${signed.signer}`,
    );
  }
  const publicKeyLine = shown.publicKeyLine.split(" ").slice(0, 2).join(" ");
  const checks = await selfCheck(staging, names, publicKeyLine, options);
  return { ...signed, publicKeyLine, checks };
}

// What a user will run, run here first: sha256sum and ssh-keygen, when
// installed. Each result is a line of the summary.
async function selfCheck(
  dir: string,
  names: string[],
  publicKeyLine: string,
  options: Options,
): Promise<string[]> {
  const checks: string[] = [];
  const sums = await tryRun("sha256sum", ["--check", "--strict", SUMS_NAME], {
    cwd: dir,
  });
  if (sums === undefined) checks.push("sha256sum: not installed, skipped");
  else if (sums.code !== 0) {
    throw new ReleaseError(
      `sha256sum --check fails on the new ${SUMS_NAME}:\n${sums.output}`,
    );
  } else checks.push(`sha256sum --check ${SUMS_NAME}: OK`);

  const temp = await Deno.makeTempDir({ prefix: "mcp-orchestration-release-" });
  try {
    const signers = join(temp, "allowed_signers");
    await Deno.writeTextFile(
      signers,
      allowedSignersLine(options.principal, publicKeyLine) + "\n",
    );
    let verified = 0;
    for (const name of names) {
      const result = await tryRun("ssh-keygen", [
        "-Y",
        "verify",
        "-f",
        signers,
        "-I",
        options.principal,
        "-n",
        RELEASE_SIGNATURE_NAMESPACE,
        "-s",
        name + SIGNATURE_SUFFIX,
      ], { cwd: dir, stdinFile: join(dir, name) });
      if (result === undefined) break;
      if (result.code !== 0) {
        throw new ReleaseError(
          `ssh-keygen -Y verify rejects "${name}${SIGNATURE_SUFFIX}":\n${result.output}`,
        );
      }
      verified++;
    }
    checks.push(
      verified === 0
        ? "ssh-keygen: not installed, skipped"
        : `ssh-keygen -Y verify: ${verified} signatures OK`,
    );
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
  return checks;
}

/**
 * The `allowed_signers` line that trusts a key for release signatures only.
 *
 * @param principal Who signs releases.
 * @param publicKey `ssh-ed25519 AAAA…` (a comment is dropped).
 * @returns The line, without newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { allowedSignersLine } from "./release.ts";
 * assert.equal(
 *   allowedSignersLine("p", "ssh-ed25519 AAAA c"),
 *   'p namespaces="mcp-orchestration-release" ssh-ed25519 AAAA',
 * );
 * ```
 */
export function allowedSignersLine(
  principal: string,
  publicKey: string,
): string {
  const key = publicKey.trim().split(/\s+/).slice(0, 2).join(" ");
  return `${principal} namespaces="${RELEASE_SIGNATURE_NAMESPACE}" ${key}`;
}

function printSummary(
  target: string,
  inputs: ReleaseInput[],
  report: SignReport,
  commit: string,
  options: Options,
): void {
  const near = relative(Deno.cwd(), target);
  const shownTarget = near === "" ? "." : near.startsWith("..") ? target : near;
  const line = allowedSignersLine(options.principal, report.publicKeyLine);
  const exe = inputs[0]!.name;
  const verify = (name: string) =>
    `ssh-keygen -Y verify -f allowed_signers -I ${options.principal} -n ${RELEASE_SIGNATURE_NAMESPACE} -s ${name}${SIGNATURE_SUFFIX} < ${name}`;
  console.log(
    [
      ``,
      `Released ${TOOL_NAME} ${VERSION} from commit ${commit} in ${shownTarget}/:`,
      ...[...inputs.map((input) => input.name), SUMS_NAME].map((name) =>
        `  ${name}  (+ ${name}${SIGNATURE_SUFFIX})`
      ),
      `Signed by ${report.signer} in namespace "${RELEASE_SIGNATURE_NAMESPACE}".`,
      ...report.checks.map((check) => `Checked: ${check}`),
      ``,
      `Publish the signing key where users find it apart from the download (README, website), as this allowed_signers line:`,
      `  ${line}`,
      ``,
      `A user checks a download (here the executable) in the folder holding it and ${SUMS_NAME}, ${SUMS_NAME}.sig:`,
      `  echo '${line}' > allowed_signers`,
      `  ${verify(SUMS_NAME)}`,
      `  sha256sum --check --ignore-missing ${SUMS_NAME}`,
      `or file by file, without ${SUMS_NAME}:`,
      `  ${verify(exe)}`,
      ``,
    ].join("\n"),
  );
}

// Runs one build step in the checkout, its output shown as it comes;
// `name` is how messages call it.
async function runStep(
  name: string,
  command: string,
  args: string[],
): Promise<void> {
  const shown = command === Deno.execPath() ? "deno" : command;
  console.log(`$ ${[shown, ...args].join(" ")}`);
  const status = await new Deno.Command(command, {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  if (!status.success) {
    throw new ReleaseError(`"${name}" failed (exit ${status.code})`);
  }
}

// A build that "succeeded" without writing its file would release an old one.
async function checkFresh(
  inputs: ReleaseInput[],
  started: number,
): Promise<void> {
  for (const input of inputs.slice(0, 2)) {
    const mtime = (await Deno.stat(input.source)).mtime?.getTime() ?? 0;
    // File systems round times; a second of slack is plenty.
    if (mtime < started - 1000) {
      throw new ReleaseError(
        `"${input.source}" is older than this build: the build did not write it`,
      );
    }
  }
}

// The executable (and the bundle, if Node is here) must be this version,
// built from this commit. Returns what the executable names, e.g. "<hash>-dirty".
async function checkStamps(
  inputs: ReleaseInput[],
  head: string,
  allowDirty: boolean,
): Promise<string> {
  let built = "";
  const runs: [string, string, string[]][] = [
    [inputs[0]!.source, inputs[0]!.source, ["--version"]],
    [inputs[1]!.source, "node", [inputs[1]!.source, "--version"]],
  ];
  for (const [file, command, args] of runs) {
    const out = await tryRun(command, args, { cwd: dirname(file) });
    if (out === undefined && command === "node") {
      console.log(`note: node is not installed; "${file}" was not run`);
      continue;
    }
    if (out === undefined || out.code !== 0) {
      throw new ReleaseError(
        `"${file} --version" does not run: ${out?.output ?? "cannot start it"}`,
      );
    }
    const line = out.output.split("\n")[0] ?? "";
    const stamp = parseVersionLine(line);
    const problem = stamp.version !== VERSION
      ? `it is version "${stamp.version}", not "${VERSION}"`
      : stamp.commit === undefined
      ? "it names no commit (not built by scripts/build.ts?)"
      : stamp.commit !== head
      ? `it was built from ${stamp.commit}, but HEAD is ${head}`
      : stamp.dirty && !allowDirty
      ? "it was built from a working tree with changes (pass --allow-dirty to release it anyway)"
      : undefined;
    if (problem) {
      throw new ReleaseError(
        `Refusing "${file}": ${problem}. Its --version: "${line}". Rebuild it (run without --no-build)`,
      );
    }
    built ||= `${stamp.commit}${stamp.dirty ? "-dirty" : ""}`;
  }
  return built;
}

async function mustRun(
  command: string,
  args: string[],
  cwd: string,
  env?: Record<string, string>,
): Promise<string> {
  const out = await tryRun(command, args, {
    cwd,
    separate: true,
    ...(env ? { env } : {}),
  });
  if (out === undefined) throw new ReleaseError(`Cannot start "${command}"`);
  if (out.code !== 0) {
    throw new ReleaseError(
      `"${command} ${
        args.join(" ")
      }" failed (exit ${out.code}):\n${out.output}`,
    );
  }
  return out.stdout;
}

// Runs a program; `undefined` when it is not installed.
async function tryRun(
  command: string,
  args: string[],
  options: {
    cwd: string;
    stdinFile?: string;
    separate?: boolean;
    env?: Record<string, string>;
  },
): Promise<{ code: number; stdout: string; output: string } | undefined> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command, {
      args,
      cwd: options.cwd,
      ...(options.env ? { env: options.env, clearEnv: true } : {}),
      stdin: options.stdinFile ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  if (options.stdinFile) {
    // Streamed: the file may be a 100 MB executable.
    const file = await Deno.open(options.stdinFile);
    await file.readable.pipeTo(child.stdin).catch(() => {});
  }
  const out = await child.output();
  const decoder = new TextDecoder();
  const stdout = decoder.decode(out.stdout);
  const stderr = decoder.decode(out.stderr);
  return {
    code: out.code,
    stdout,
    output: options.separate ? stderr.trim() : (stdout + stderr).trim(),
  };
}

async function isFile(path: string): Promise<boolean> {
  return await Deno.stat(path).then((info) => info.isFile, () => false);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
