/**
 * `init`: sets a repository up in one step, as four named steps that each
 * say what they did:
 *
 * 1. `key`: the user's signing key: the one given (`keyPath` or
 *    `$MCP_ORCHESTRATION_KEY`, never created), else the home's, created
 *    when there is none;
 * 2. `trust`: that key in `.mcp-orchestration/allowed_signers`, unless it is
 *    trusted already; in an adopted repository (one with a trust list
 *    already, see `trust_request.ts`) never: there only a trusted signer
 *    may add a key, so init reports the `trust add` line to ask one for;
 * 3. `hooks`: the pre-commit and pre-push hooks;
 * 4. `sign`: the configs already in the working tree, and the trust list
 *    (skipped while the key is not trusted: its signatures would not
 *    verify).
 *
 * Everything that can be refused without writing (no principal, an
 * unusable given key, a key whose entry has expired, hooks that would run
 * the tool from a package manager's throwaway cache) is checked before the
 * first step. A step that fails stops the run with an {@linkcode InitError} naming the
 * steps already done; each step is idempotent, so running `init` again after
 * the fix finishes the job, and running it on a set-up repository changes
 * nothing.
 *
 * @module
 */

import { join, relative, sep } from "node:path";
import {
  ALLOWED_SIGNERS_PATH,
  KEY_ENV,
  KEYS_DIR_NAME,
  PRIVATE_KEY_NAME,
  SIGNATURE_NAMESPACE,
  STORE_DIR,
  TOOL_NAME,
} from "../constants.ts";
import { readEnv } from "../_runtime/current_process.ts";
import { ToolError } from "../errors.ts";
import { git, type Repository } from "../git/repository.ts";
import {
  type HookReport,
  installHooks,
  type InstallReport,
} from "../hooks/install.ts";
import { assertDurableLauncher, shellQuote } from "../hooks/launch.ts";
import {
  initKey,
  loadSigningKey,
  type SigningKey,
  toolHome,
} from "../keys/key_store.ts";
import { gitCommitSigningKey } from "../keys/signer.ts";
import { formatPublicKeyLine } from "../format/public_key.ts";
import { signConfigs } from "../sign/sign_configs.ts";
import type { SignReport, SignResult } from "../sign/sign_source.ts";
import {
  type AllowedSigners,
  findSigner,
  type TrustDecision,
  validatePrincipal,
} from "../trust/allowed_signers.ts";
import {
  addTrustedKey,
  ensureRepositoryId,
  readTrustList,
} from "../trust/trust_store.ts";
import { isAdopted, type TrustRequest, trustRequest } from "./trust_request.ts";

/** The steps of `init`, in the order they run. */
export type InitStepName = "key" | "trust" | "hooks" | "sign";

/** Every step's name, in order. */
export const INIT_STEPS: readonly InitStepName[] = Object.freeze([
  "key",
  "trust",
  "hooks",
  "sign",
]);

/** What the `key` step did. */
export interface KeyStep {
  /** The step. */
  step: "key";
  /**
   * `created`: a new key in the tool's home; `existing`: the home's key;
   * `given`: `--key` or `$MCP_ORCHESTRATION_KEY`; `git`: the key git signs
   * commits with (`gpg.format=ssh`, `user.signingkey`), through the SSH
   * agent or from its file, used instead of creating one.
   */
  status: "created" | "existing" | "given" | "git";
  /** Whether anything was written. */
  changed: boolean;
  /** One line for people. */
  summary: string;
  /** The key's id (`SHA256:…`). */
  keyId: string;
  /** The private key file, or `ssh-agent:SOCKET`. */
  path: string;
}

/** What the `trust` step did. */
export interface TrustStep {
  /** The step. */
  step: "trust";
  /**
   * `added`: a new line in the trust list; `already-trusted`: nothing to
   * do; `not-trusted`: an adopted repository, where only a trusted signer
   * may add the key (the report's `request` says what to ask for).
   */
  status: "added" | "already-trusted" | "not-trusted";
  /** Whether anything was written. */
  changed: boolean;
  /** One line for people. */
  summary: string;
  /** The key's id. */
  keyId: string;
  /** The principals its trust entry names. */
  principals: string[];
}

/** What the `hooks` step did. */
export interface HooksStep {
  /** The step. */
  step: "hooks";
  /** `installed` when any hook file was written, else `unchanged`. */
  status: "installed" | "unchanged";
  /** Whether anything was written. */
  changed: boolean;
  /** One line for people. */
  summary: string;
  /** The folder Git runs hooks from. */
  hooksFolder: string;
  /** Per hook, what `install` did. */
  hooks: HookReport[];
  /** What `install` warned about. */
  warnings: string[];
}

/** What the `sign` step did. */
export interface SignStep {
  /** The step. */
  step: "sign";
  /** `signed` when any file got a new signature, `unchanged` when all were current, `none` when there was nothing to sign, `skipped` when the key is not trusted. */
  status: "signed" | "unchanged" | "none" | "skipped";
  /** Whether anything was written. */
  changed: boolean;
  /** One line for people. */
  summary: string;
  /** One entry per signed file (configs and the trust list), sorted by path. */
  results: SignResult[];
}

/** One completed step of `init`. */
export type InitStep = KeyStep | TrustStep | HooksStep | SignStep;

/** What `init` did. */
export interface InitReport {
  /** The repository's root. */
  root: string;
  /** The completed steps, in order: key, trust, hooks, sign. */
  steps: InitStep[];
  /**
   * The shell command that commits the result (run from `cwd`), or null
   * when Git has nothing to commit in the store and the signed configs,
   * or when the key is not trusted (then see `request`).
   */
  next: string | null;
  /**
   * In an adopted repository that does not trust the key: the `trust add`
   * line a trusted signer runs, and the key id to compare out of band;
   * else null.
   */
  request: TrustRequest | null;
}

/** Options for {@linkcode initRepository}. */
export interface InitOptions {
  /** How the hooks start the tool (see `launchCommand`). */
  command: string[];
  /** The principal of the trust entry (default: `git config user.email`). */
  principal?: string;
  /** Install the hooks into a `core.hooksPath` folder that is not ours, or run from a throwaway cache. */
  force?: boolean;
  /** A private key to use; never created (default `$MCP_ORCHESTRATION_KEY`, else the home's, created when absent). */
  keyPath?: string;
  /** The tool's home (default `$MCP_ORCHESTRATION_HOME`, else `~/.mcp-orchestration`). */
  home?: string;
  /** The folder the printed next step runs from (default: the root). */
  cwd?: string;
  /** Signing and trust time (default: now). */
  now?: Date;
  /** Called after each step, so a caller can report progress as it goes. */
  onStep?: (step: InitStep) => void;
}

/**
 * The error of a step that failed: its `code` is the failing step's, and
 * its message names the step, the steps done before it, and what to do.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ToolError } from "../errors.ts";
 * import { InitError } from "./init_repository.ts";
 * const error = new InitError("hooks", [], new ToolError("HOOKS", "Not ours"));
 * assert.equal(error.code, "HOOKS");
 * assert.match(error.message, /step 3 of 4 \(hooks\): Not ours/);
 * ```
 */
export class InitError extends ToolError {
  /** The step that failed. */
  readonly step: InitStepName;
  /** The steps completed before it, in order. */
  readonly done: readonly InitStep[];

  /**
   * Creates the error.
   *
   * @param step The step that failed.
   * @param done The steps completed before it.
   * @param cause Why it failed.
   */
  constructor(step: InitStepName, done: readonly InitStep[], cause: ToolError) {
    const already = done.length === 0
      ? "No step was completed"
      : `Already done: ${
        done.map((d) =>
          `${INIT_STEPS.indexOf(d.step) + 1}. ${d.step}: ${d.summary}`
        ).join("; ")
      }`;
    // install's own advice says "install --force"; init passes it on.
    const force = step === "hooks" ? ` ("init --force" passes --force on)` : "";
    super(
      cause.code,
      `init stopped at step ${
        INIT_STEPS.indexOf(step) + 1
      } of ${INIT_STEPS.length} (${step}): ${cause.message}\n` +
        `${already}. Fix the problem${force} and run "${TOOL_NAME} init" again: completed steps are kept and not repeated`,
      { cause },
    );
    this.name = "InitError";
    this.step = step;
    this.done = done;
  }
}

/**
 * Sets a repository up: key, trust entry, hooks, signatures. Safe to run
 * again: it keeps the key, adds no second trust entry, and leaves current
 * hooks and signatures as they are.
 *
 * @param repo The working tree.
 * @param options The hooks' command; principal, key, home, `force`, time.
 * @returns The steps done, and the command that commits the result.
 * @throws {ToolError} `USAGE` (nothing done) when the key is not trusted
 * yet, the repository has no trust list, and there is neither `principal`
 * nor `git config user.email`, or the principal is invalid; `HOOKS`
 * (nothing done) when `command` runs from a package manager's throwaway
 * cache, without `force`; `TRUST` (nothing done) when the key is listed but
 * not valid now; the key's errors (nothing done) for an unusable given key;
 * {@linkcode InitError} when a step fails.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { findRepository } from "../git/repository.ts";
 * import { runProcess } from "../_runtime/process.ts";
 * import { initRepository } from "./init_repository.ts";
 * const dir = await mkdtemp(join(tmpdir(), "doc-"));
 * await runProcess("git", ["init", "-q", join(dir, "repo")]);
 * await writeFile(join(dir, "repo", ".mcp.json"), '{"mcpServers":{}}\n');
 * const repo = await findRepository(join(dir, "repo"));
 * const options = {
 *   command: ["/usr/local/bin/mcp-orchestration"],
 *   principal: "alice@example.com",
 *   home: join(dir, "home"),
 * };
 * const first = await initRepository(repo, options);
 * assert.deepEqual(first.steps.map((s) => s.status), ["created", "added", "installed", "signed"]);
 * const again = await initRepository(repo, options);
 * assert.deepEqual(again.steps.map((s) => s.changed), [false, false, false, false]);
 * await rm(dir, { recursive: true });
 * ```
 */
export async function initRepository(
  repo: Repository,
  options: InitOptions,
): Promise<InitReport> {
  const now = options.now ?? new Date();
  const plan = await planInit(repo, options, now);
  const steps: InitStep[] = [];
  const run = stepRunner(steps, options.onStep);
  const key = await run("key", () => useKey(plan, options.home));
  const request = await run(
    "trust",
    () => trustKey(repo, key, plan, options.principal),
  );
  await run("hooks", () => installRepositoryHooks(repo, options));
  if (request) {
    await run("sign", () => Promise.resolve(skippedSignStep()));
    return { root: repo.root, steps, next: null, request };
  }
  const results = await run("sign", () => signRepository(repo, key, now));
  return {
    root: repo.root,
    steps,
    next: await nextCommand(repo, options.cwd ?? repo.root, results),
    request: null,
  };
}

/** What init decided before writing anything. */
interface InitPlan {
  /** The key given with --key or $MCP_ORCHESTRATION_KEY, if any. */
  given: string | undefined;
  /** Where the home's key is, or is created. */
  defaultKeyPath: string;
  /** The key to sign with, when there is one already. */
  existing: SigningKey | undefined;
  /** Whether that key is the one git signs commits with. */
  fromGit: boolean;
  /** Whether the trust list trusts that key now. */
  decision: TrustDecision;
  /** The trust list (of the working tree). */
  trust: AllowedSigners;
  /** Whether the repository is adopted and does not trust the key: then no trust entry is added. */
  adopted: boolean;
  /** The principal of a new trust entry (undefined when trusted already). */
  principal: string | undefined;
}

/** A step's record, and what it hands on to the next steps. */
type StepResult<T> = { done: InitStep; value: T };

// Everything that can be refused is refused before anything is written:
// an unusable given key, a listed key that has expired, no principal.
async function planInit(
  repo: Repository,
  options: InitOptions,
  now: Date,
): Promise<InitPlan> {
  // Hooks that would break when a package manager cleans its cache are
  // refused before the key is made, not at step 3.
  if (!options.force) assertDurableLauncher(options.command);
  const given = options.keyPath ?? readEnv(KEY_ENV);
  const defaultKeyPath = join(
    toolHome(options.home ? { home: options.home } : {}),
    KEYS_DIR_NAME,
    PRIVATE_KEY_NAME,
  );
  let existing = given
    ? await loadSigningKey({ keyPath: given })
    : await loadIfPresent(defaultKeyPath);
  // No key of ours yet: the one git signs commits with, if Ed25519, rather
  // than a second key to trust and to keep.
  const fromGit = !existing
    ? (await gitCommitSigningKey(repo))?.key
    : undefined;
  existing ??= fromGit;
  const trust = await readTrustList(repo);
  const decision: TrustDecision = existing
    ? findSigner(trust, existing.key.publicKey, {
      namespace: SIGNATURE_NAMESPACE,
      at: now,
    })
    : { status: "untrusted" };
  if (decision.status === "expired") {
    throw new ToolError(
      "TRUST",
      `The key ${existing?.keyId} is in "${ALLOWED_SIGNERS_PATH}" but not valid now (${decision.reason}): ` +
        `a trusted signer must renew its entry, or use another key with --key`,
    );
  }
  // Trusting one's own key is how a repository is adopted, and only then:
  // once it has a trust list, the hooks and CI accept a new key only when
  // a key trusted before signs it in.
  const adopted = decision.status !== "trusted" &&
    await isAdopted(repo, trust);
  if (adopted && options.principal !== undefined) {
    validatePrincipal(options.principal);
  }
  const principal = decision.status === "trusted" || adopted
    ? undefined
    : await resolvePrincipal(repo, options.principal);
  return {
    given,
    defaultKeyPath,
    existing,
    fromGit: fromGit !== undefined,
    decision,
    trust,
    adopted,
    principal,
  };
}

// Runs one step: records what it did, or stops with what was done before.
function stepRunner(
  steps: InitStep[],
  onStep: ((step: InitStep) => void) | undefined,
): <T>(name: InitStepName, fn: () => Promise<StepResult<T>>) => Promise<T> {
  return async (name, fn) => {
    let result;
    try {
      result = await fn();
    } catch (error) {
      if (error instanceof ToolError) throw new InitError(name, steps, error);
      throw error;
    }
    steps.push(result.done);
    onStep?.(result.done);
    return result.value;
  };
}

// Step 1: the given key, the home's, or a new one in the home.
async function useKey(
  plan: InitPlan,
  home: string | undefined,
): Promise<StepResult<SigningKey>> {
  if (plan.existing) {
    return {
      done: keyStep(
        plan.given ? "given" : plan.fromGit ? "git" : "existing",
        plan.existing,
      ),
      value: plan.existing,
    };
  }
  const created = await createKey(home, plan.defaultKeyPath);
  return { done: keyStep("created", created), value: created };
}

// Step 2: a trust entry for the key, unless it has one; in an adopted
// repository, the request for one instead.
async function trustKey(
  repo: Repository,
  key: SigningKey,
  plan: InitPlan,
  askedPrincipal: string | undefined,
): Promise<StepResult<TrustRequest | undefined>> {
  const { decision } = plan;
  if (plan.adopted) {
    const request = await trustRequest(
      repo,
      { publicKey: formatPublicKeyLine(key.key.publicKey), keyId: key.keyId },
      { principal: askedPrincipal, trust: plan.trust },
    );
    return {
      done: trustStep(
        "not-trusted",
        key.keyId,
        [],
        `${key.keyId} is not in ${ALLOWED_SIGNERS_PATH}, and in a repository with a trust list only a key trusted there may add it: not added`,
      ),
      value: request,
    };
  }
  if (decision.status === "trusted") {
    const principals = decision.entry.principals;
    const ignored = askedPrincipal !== undefined &&
        !principals.includes(askedPrincipal)
      ? `; --principal "${askedPrincipal}" was not applied`
      : "";
    // A list from before repositories had ids gets one now, so that what
    // the sign step signs is bound to this repository.
    const id = await ensureRepositoryId(repo);
    const step = trustStep(
      "already-trusted",
      key.keyId,
      principals,
      `${key.keyId} is already trusted as "${
        principals.join(",")
      }" (line ${decision.entry.line} of ${ALLOWED_SIGNERS_PATH})${ignored}${
        id ? `; gave this repository the id ${id}` : ""
      }`,
    );
    return { done: id ? { ...step, changed: true } : step, value: undefined };
  }
  const name = plan.principal as string;
  await addTrustedKey(repo, formatPublicKeyLine(key.key.publicKey), {
    principal: name,
  });
  return {
    done: trustStep(
      "added",
      key.keyId,
      [name],
      `added ${key.keyId} as "${name}" to ${ALLOWED_SIGNERS_PATH}`,
    ),
    value: undefined,
  };
}

// Step 3: the pre-commit and pre-push hooks, as install does.
async function installRepositoryHooks(
  repo: Repository,
  options: InitOptions,
): Promise<StepResult<undefined>> {
  const report = await installHooks(repo, {
    command: options.command,
    force: options.force === true,
  });
  return { done: hooksStep(report), value: undefined };
}

// Step 4: the working tree's configs and the trust list.
async function signRepository(
  repo: Repository,
  key: SigningKey,
  now: Date,
): Promise<StepResult<SignResult[]>> {
  const report = await signConfigs(repo, { key, cwd: repo.root, now });
  return { done: signStep(report), value: report.results };
}

async function loadIfPresent(path: string): Promise<SigningKey | undefined> {
  try {
    return await loadSigningKey({ keyPath: path });
  } catch (error) {
    if (error instanceof ToolError && error.code === "KEY_NOT_FOUND") {
      return undefined;
    }
    throw error;
  }
}

async function createKey(
  home: string | undefined,
  path: string,
): Promise<SigningKey> {
  try {
    await initKey(home ? { home } : {});
  } catch (error) {
    // Another run created it meanwhile: use that one, as a second init would.
    if (!(error instanceof ToolError && error.code === "KEY_EXISTS")) {
      throw error;
    }
  }
  return await loadSigningKey({ keyPath: path });
}

function keyStep(status: KeyStep["status"], key: SigningKey): KeyStep {
  const what = status === "created"
    ? "created"
    : status === "given"
    ? "using the given key"
    : status === "git"
    ? `using the key git signs your commits with (user.signingkey)${
      key.path.startsWith("ssh-agent:") ? ", through the SSH agent," : ""
    } instead of creating one:`
    : "using your existing key";
  return {
    step: "key",
    status,
    changed: status === "created",
    summary: `${what} ${key.keyId} (${key.path})`,
    keyId: key.keyId,
    path: key.path,
  };
}

function trustStep(
  status: TrustStep["status"],
  keyId: string,
  principals: string[],
  summary: string,
): TrustStep {
  return {
    step: "trust",
    status,
    changed: status === "added",
    summary,
    keyId,
    principals: [...principals],
  };
}

function skippedSignStep(): StepResult<undefined> {
  return {
    done: {
      step: "sign",
      status: "skipped",
      changed: false,
      summary:
        "nothing signed: your key is not trusted here yet, so its signatures would not verify",
      results: [],
    },
    value: undefined,
  };
}

function hooksStep(report: InstallReport): HooksStep {
  const changed = report.hooks.some((hook) =>
    hook.action !== "unchanged" && hook.action !== "absent"
  );
  const names = report.hooks.map((hook) => hook.hook).join(" and ");
  const chained = report.hooks.filter((hook) => hook.action === "chained")
    .map((hook) => `${hook.hook} (the hook that was there runs first)`);
  return {
    step: "hooks",
    status: changed ? "installed" : "unchanged",
    changed,
    summary: `${
      changed ? "installed" : "already installed"
    } ${names} in ${report.hooksFolder}${
      chained.length > 0 ? `; chained ${chained.join(", ")}` : ""
    }`,
    hooksFolder: report.hooksFolder,
    hooks: report.hooks,
    warnings: [...report.warnings],
  };
}

function signStep(report: SignReport): SignStep {
  const signed = report.results.filter((result) => result.status === "signed");
  const status = report.results.length === 0
    ? "none"
    : signed.length > 0
    ? "signed"
    : "unchanged";
  const count = (n: number) => `${n} file${n === 1 ? "" : "s"}`;
  const summary = status === "none"
    ? "no MCP configs and no trust list to sign"
    : status === "unchanged"
    ? `${count(report.results.length)} already signed, unchanged`
    : `signed ${
      signed.map((r) => `${r.path} (sequence ${r.sequence})`).join(", ")
    }${
      signed.length < report.results.length
        ? `; ${count(report.results.length - signed.length)} unchanged`
        : ""
    }`;
  return {
    step: "sign",
    status,
    changed: signed.length > 0,
    summary,
    results: report.results,
  };
}

async function resolvePrincipal(
  repo: Repository,
  given: string | undefined,
): Promise<string> {
  if (given !== undefined) {
    validatePrincipal(given);
    return given;
  }
  const email = new TextDecoder().decode(
    await git(repo, ["config", "--default", "", "--get", "user.email"]),
  ).replace(/\n$/, "");
  if (email === "") {
    throw new ToolError(
      "USAGE",
      `"init" needs a principal for your key's trust entry: give --principal NAME (e.g. your email address), ` +
        `or set one with "git config user.email YOU@EXAMPLE.COM"`,
    );
  }
  try {
    validatePrincipal(email);
  } catch (error) {
    throw new ToolError(
      "USAGE",
      `"git config user.email" cannot be the principal: ${
        error instanceof Error ? error.message : error
      }; give --principal NAME`,
      { cause: error },
    );
  }
  return email;
}

// The configs are listed too: their signatures name these exact bytes, so
// a commit of the signatures without them would not verify.
async function nextCommand(
  repo: Repository,
  cwd: string,
  results: readonly SignResult[],
): Promise<string | null> {
  const paths = [
    STORE_DIR,
    ...results.map((result) => result.path).filter((path) =>
      !path.startsWith(`${STORE_DIR}/`)
    ),
  ];
  const pending = await git(repo, [
    "--literal-pathspecs",
    "--no-optional-locks",
    "status",
    "--porcelain",
    "-z",
    "--untracked-files=all",
    "--",
    ...paths,
  ]);
  if (pending.length === 0) return null;
  const fromCwd = (path: string) => {
    const rel = relative(cwd, join(repo.root, path)).split(sep).join("/");
    return shellQuote(rel === "" ? "." : rel);
  };
  return `git add ${paths.map(fromCwd).join(" ")} && git commit -m ${
    shellQuote(`Set up ${TOOL_NAME}: sign MCP configs`)
  }`;
}
