/**
 * The lint checks of one server, read through its {@linkcode ServerView}
 * so that every client format is linted the same. Each check is a
 * heuristic over what the config says (a command line is not run, a URL not
 * fetched): it catches what is written plainly, not what is hidden.
 *
 * @module
 */

import { posix } from "node:path";
import type { LintRuleId } from "./lint_rules.ts";
import {
  findHighEntropy,
  findKnownSecret,
  redactSecrets,
} from "./secret_patterns.ts";
import type { ServerView } from "./server_view.ts";

/** A finding in one server, before it is placed in a file. */
export interface ServerFinding {
  /** The rule. */
  rule: LintRuleId;
  /** The field: `env.TOKEN`, `args[2]`, `command`, `url`, `other.x`. */
  field: string;
  /** What was found, secrets redacted. */
  message: string;
  /** The string the finding is about, to find its line (never printed). */
  value: string;
}

/**
 * Lints one server.
 *
 * @param view The server.
 * @param options `folder`: the config's folder, repository-relative ("" at
 * the top), against which a relative command is resolved.
 * @returns Its findings, in rule order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serverView } from "./server_view.ts";
 * import { lintServer } from "./lint_server.ts";
 * const findings = lintServer(serverView("fs", { command: "npx", args: ["-y", "server-fs"] }));
 * assert.deepEqual(findings.map((f) => f.rule), ["unpinned-package"]);
 * ```
 */
export function lintServer(
  view: ServerView,
  options: { folder?: string } = {},
): ServerFinding[] {
  const findings: ServerFinding[] = [
    ...secretFindings(view),
    ...packageFindings(view),
    ...imageFindings(view),
    ...shellFindings(view),
    ...dockerFindings(view),
    ...httpFindings(view),
    ...commandFindings(view, options.folder ?? ""),
  ];
  // A message may quote a value (a package spec, an image, a mount) that
  // holds a secret: the secret rules report it, and no message repeats it.
  return findings.map((finding) => ({
    ...finding,
    message: redactSecrets(finding.message),
  }));
}

// --- Secrets: every string of the entry ---

function secretFindings(view: ServerView): ServerFinding[] {
  const findings: ServerFinding[] = [];
  for (const [field, value] of strings(view)) {
    const known = findKnownSecret(value);
    if (known) {
      findings.push({
        rule: "secret-literal",
        field,
        message: `${known.name} (${known.redacted}) is written into the config`,
        value,
      });
      continue;
    }
    const keyed = field.endsWith("(key)");
    if (!keyed && (field.startsWith("env.") || field.startsWith("headers."))) {
      const random = findHighEntropy(value);
      if (random) {
        findings.push({
          rule: "high-entropy-value",
          field,
          message:
            `${random.name} (${random.redacted}) looks like a secret written into the config`,
          value,
        });
      }
    }
  }
  return findings;
}

// Every string of a view with its field path (keys too: a token can be a key).
function strings(view: ServerView): [string, string][] {
  const found: [string, string][] = [];
  const add = (field: string, value: unknown): void => {
    if (typeof value === "string") found.push([field, value]);
    else if (Array.isArray(value)) {
      value.forEach((item, index) => add(`${field}[${index}]`, item));
    } else if (typeof value === "object" && value !== null) {
      for (const [key, item] of Object.entries(value)) {
        const path = field === "" ? key : `${field}.${key}`;
        found.push([`${path} (key)`, key]);
        add(path, item);
      }
    }
  };
  if (view.command !== undefined) add("command", view.command);
  add("args", view.args);
  if (view.cwd !== undefined) add("cwd", view.cwd);
  for (const [key, value] of Object.entries(view.env)) add(`env.${key}`, value);
  if (view.envFile !== undefined) add("envFile", view.envFile);
  if (view.url !== undefined) add("url", view.url);
  for (const [key, value] of Object.entries(view.headers)) {
    add(`headers.${key}`, value);
  }
  add("other", view.other);
  return found;
}

// --- Package runners ---

// Runner → how many leading arguments name it ("npm exec": 1) and the
// options that take a value (whose value is not the package).
const NPM_VALUE_OPTIONS = new Set([
  "-p",
  "--package",
  "-c",
  "--call",
  "--registry",
  "--cache",
  "--userconfig",
  "-w",
  "--workspace",
]);
const PY_VALUE_OPTIONS = new Set([
  "--from",
  "--with",
  "-w",
  "--python",
  "-p",
  "--spec",
  "--index-url",
  "-i",
  "--index",
  "--pip-args",
  "--extra-index-url",
]);

interface Runner {
  ecosystem: "npm" | "python";
  /** Where the runner's own arguments start. */
  start: number;
  /** The options whose value is the package, in place of the first operand. */
  packageOptions: readonly string[];
}

function runnerOf(
  command: string,
  args: readonly string[],
): Runner | undefined {
  const name = programName(command);
  const npm = (start: number): Runner => ({
    ecosystem: "npm",
    start,
    packageOptions: ["-p", "--package"],
  });
  if (name === "npx" || name === "pnpx" || name === "bunx") return npm(0);
  if (name === "npm" && (args[0] === "exec" || args[0] === "x")) return npm(1);
  if ((name === "pnpm" || name === "yarn") && args[0] === "dlx") return npm(1);
  if (name === "bun" && args[0] === "x") return npm(1);
  if (name === "uvx") {
    return { ecosystem: "python", start: 0, packageOptions: ["--from"] };
  }
  if (name === "uv" && args[0] === "tool" && args[1] === "run") {
    return { ecosystem: "python", start: 2, packageOptions: ["--from"] };
  }
  if (name === "pipx" && args[0] === "run") {
    return { ecosystem: "python", start: 1, packageOptions: ["--spec"] };
  }
  return undefined;
}

function packageFindings(view: ServerView): ServerFinding[] {
  if (view.command === undefined) return [];
  const runner = runnerOf(view.command, view.args);
  if (!runner) return [];
  const values = runner.ecosystem === "npm"
    ? NPM_VALUE_OPTIONS
    : PY_VALUE_OPTIONS;
  const named: [number, string][] = [];
  let operand: [number, string] | undefined;
  for (let index = runner.start; index < view.args.length; index++) {
    const arg = view.args[index]!;
    if (arg === "--") {
      if (!operand && index + 1 < view.args.length) {
        operand = [index + 1, view.args[index + 1]!];
      }
      break;
    }
    const [option, inline] = splitOption(arg);
    if (runner.packageOptions.includes(option)) {
      const value = inline ?? view.args[++index];
      if (value !== undefined) named.push([index, value]);
      continue;
    }
    if (arg.startsWith("-")) {
      if (inline === undefined && values.has(option)) index++;
      continue;
    }
    operand = [index, arg];
    break;
  }
  // With --package/--from, the operand is the program, not the package.
  const packages = named.length > 0 ? named : operand ? [operand] : [];
  const findings: ServerFinding[] = [];
  for (const [index, spec] of packages) {
    const problem = runner.ecosystem === "npm"
      ? npmSpecProblem(spec)
      : pythonSpecProblem(spec);
    if (problem) {
      findings.push({
        rule: "unpinned-package",
        field: `args[${index}]`,
        message: `${programName(view.command)} runs ${
          JSON.stringify(spec)
        } ${problem}`,
        value: spec,
      });
    }
  }
  return findings;
}

const EXACT_VERSION = /^v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?$/;

function npmSpecProblem(spec: string): string | undefined {
  if (/^(?:\.{1,2}\/|\/|file:)/.test(spec)) return undefined; // a local folder
  const body = spec.startsWith("npm:") ? spec.slice(4) : spec;
  if (/^(?:git\+|github:|https?:|git:)/.test(body)) {
    return /#[0-9a-f]{40}$/.test(body)
      ? undefined
      : "a Git or URL package without a commit hash";
  }
  const at = body.indexOf("@", 1);
  if (at < 0) return "with no version (the registry's latest at each start)";
  const version = body.slice(at + 1);
  return EXACT_VERSION.test(version)
    ? undefined
    : `whose version ${JSON.stringify(version)} is not exact`;
}

function pythonSpecProblem(spec: string): string | undefined {
  if (/^(?:\.{1,2}\/|\/|file:)/.test(spec)) return undefined;
  if (/^git\+/.test(spec)) {
    return /@[0-9a-f]{40}$/.test(spec)
      ? undefined
      : "a Git package without a commit hash";
  }
  const pinned = /^[A-Za-z0-9_.[\],-]+(?:==|@)v?\d+(?:\.\d+)*(?:[a-z0-9.+-]*)$/
    .test(spec);
  return pinned
    ? undefined
    : /[<>=~!@]/.test(spec)
    ? "whose version is a range, not one exact version (==)"
    : "with no version (the index's latest at each start)";
}

// --- Containers ---

// docker/podman run options that take a value.
const DOCKER_VALUE_OPTIONS = new Set([
  "-v",
  "--volume",
  "--mount",
  "-e",
  "--env",
  "--env-file",
  "--name",
  "--network",
  "--net",
  "-p",
  "--publish",
  "-w",
  "--workdir",
  "-u",
  "--user",
  "--entrypoint",
  "--cap-add",
  "--cap-drop",
  "-l",
  "--label",
  "--label-file",
  "--platform",
  "--pull",
  "-m",
  "--memory",
  "--cpus",
  "--add-host",
  "--dns",
  "-h",
  "--hostname",
  "--ipc",
  "--pid",
  "--userns",
  "--uts",
  "--runtime",
  "--security-opt",
  "--tmpfs",
  "--ulimit",
  "--device",
  "--log-driver",
  "--log-opt",
  "--restart",
  "--shm-size",
  "--stop-signal",
  "--gpus",
  "--volumes-from",
  "--cidfile",
  "--group-add",
  "--health-cmd",
  "--expose",
  "--attach",
  "-a",
]);

interface DockerRun {
  /** Each option with its value and the index of the value. */
  options: { name: string; value: string | undefined; index: number }[];
  /** The image and its index, when found. */
  image?: { name: string; index: number };
}

function dockerRun(view: ServerView): DockerRun | undefined {
  if (view.command === undefined) return undefined;
  const program = programName(view.command);
  if (program !== "docker" && program !== "podman") return undefined;
  const args = view.args;
  let index = args[0] === "container" ? 1 : 0;
  if (args[index] !== "run") return undefined;
  const run: DockerRun = { options: [] };
  for (index++; index < args.length; index++) {
    const arg = args[index]!;
    if (!arg.startsWith("-") || arg === "-") {
      run.image = { name: arg, index };
      break;
    }
    const [name, inline] = splitOption(arg);
    if (inline !== undefined) {
      run.options.push({ name, value: inline, index });
    } else if (DOCKER_VALUE_OPTIONS.has(name)) {
      run.options.push({ name, value: args[index + 1], index: index + 1 });
      index++;
    } else run.options.push({ name, value: undefined, index });
  }
  return run;
}

function imageFindings(view: ServerView): ServerFinding[] {
  const image = dockerRun(view)?.image;
  if (!image || /@sha256:[0-9a-f]{64}$/.test(image.name)) return [];
  const tag = /:([^/:]+)$/.exec(image.name)?.[1];
  const problem = tag === undefined
    ? "with no tag or digest (latest at each pull)"
    : tag === "latest"
    ? 'with the tag "latest"'
    : `with the tag ${
      JSON.stringify(tag)
    } and no digest (a tag can be pushed again)`;
  return [{
    rule: "unpinned-image",
    field: `args[${image.index}]`,
    message: `runs the image ${JSON.stringify(image.name)} ${problem}`,
    value: image.name,
  }];
}

function dockerFindings(view: ServerView): ServerFinding[] {
  const run = dockerRun(view);
  if (!run) return [];
  const findings: ServerFinding[] = [];
  const add = (
    rule: LintRuleId,
    index: number,
    message: string,
    value: string,
  ) => findings.push({ rule, field: `args[${index}]`, message, value });
  for (const { name, value, index } of run.options) {
    const lower = value?.toLowerCase();
    if (name === "--privileged" && value !== "false") {
      add("docker-privileged", index, "runs the container --privileged", name);
    } else if (
      name === "--cap-add" && (lower === "all" || lower === "sys_admin" ||
        lower === "cap_sys_admin")
    ) {
      add("docker-privileged", index, `adds the capability ${value}`, value!);
    } else if (
      ["--network", "--net", "--pid", "--ipc", "--userns", "--uts"].includes(
        name,
      ) && lower === "host"
    ) {
      add(
        "docker-privileged",
        index,
        `shares the host's ${name.slice(2)}`,
        value!,
      );
    } else if (
      name === "--security-opt" &&
      /^(?:seccomp[=:]unconfined|apparmor[=:]unconfined|label[=:]disable|no-new-privileges[=:]false)$/i
        .test(value ?? "")
    ) {
      add(
        "docker-privileged",
        index,
        `turns confinement off (${value})`,
        value!,
      );
    } else if ((name === "-v" || name === "--volume") && value !== undefined) {
      const source = value.split(":")[0]!;
      const what = hostPathProblem(source);
      if (what) {
        add(
          "docker-host-mount",
          index,
          `mounts ${what} into the container`,
          value,
        );
      }
    } else if (name === "--mount" && value !== undefined) {
      const fields = new Map(
        value.split(",").map((part) => {
          const [key, ...rest] = part.split("=");
          return [key!.trim().toLowerCase(), rest.join("=")] as const;
        }),
      );
      const source = fields.get("source") ?? fields.get("src");
      const what = (fields.get("type") ?? "volume") === "bind" &&
          source !== undefined
        ? hostPathProblem(source)
        : undefined;
      if (what) {
        add(
          "docker-host-mount",
          index,
          `mounts ${what} into the container`,
          value,
        );
      }
    }
  }
  return findings;
}

// What a bind mount's host path exposes, or undefined.
function hostPathProblem(source: string): string | undefined {
  const path = source.replace(/\/+$/, "") || "/";
  if (path === "/") return "the host's root folder /";
  if (
    /^(?:~|\$HOME|\$\{HOME\}|\$\{env:HOME\}|\$\{userHome\}|%USERPROFILE%)$/i
      .test(path)
  ) {
    return `the home folder (${source})`;
  }
  if (
    /^(?:\/home\/[^/]+|\/Users\/[^/]+|\/root|[A-Za-z]:[\\/]Users[\\/][^\\/]+)$/
      .test(path)
  ) {
    return `the home folder ${source}`;
  }
  if (/(?:^|\/)docker\.sock$/.test(path)) return `the Docker socket ${source}`;
  return undefined;
}

// --- Shells ---

const SHELLS = new Set(["sh", "bash", "zsh", "dash", "ksh", "fish", "ash"]);

function shellFindings(view: ServerView): ServerFinding[] {
  if (view.command === undefined) return [];
  const program = programName(view.command).toLowerCase().replace(
    /\.exe$/,
    "",
  );
  const findings: ServerFinding[] = [];
  const at = (test: (arg: string) => boolean) => view.args.findIndex(test);
  let index = -1;
  if (SHELLS.has(program)) {
    index = at((arg) => /^-[a-z]*c[a-z]*$/.test(arg));
  } else if (program === "cmd") {
    index = at((arg) => /^\/[ck]$/i.test(arg));
  } else if (program === "powershell" || program === "pwsh") {
    index = at((arg) =>
      /^-(?:c|co|com|comm|comma|comman|command|e|ec|enc|encodedcommand)$/i
        .test(arg)
    );
  }
  if (index >= 0) {
    findings.push({
      rule: "shell-wrapper",
      field: `args[${index}]`,
      message: `runs ${programName(view.command)} ${
        view.args[index]
      } with a command string`,
      value: view.args[index]!,
    });
  }
  const line = [view.command, ...view.args];
  line.forEach((text, position) => {
    if (PIPE_TO_SHELL.test(text)) {
      findings.push({
        rule: "pipe-to-shell",
        field: position === 0 ? "command" : `args[${position - 1}]`,
        message: "pipes a download into an interpreter",
        value: text,
      });
    }
  });
  return findings;
}

const PIPE_TO_SHELL =
  /\b(?:curl|wget|iwr|irm|invoke-webrequest|invoke-restmethod|fetch)\b[^|]*\|\s*(?:sudo\s+)?(?:sh|bash|zsh|dash|ksh|fish|iex|invoke-expression|python3?|node|perl|ruby)\b/i;

// --- Remote servers ---

function httpFindings(view: ServerView): ServerFinding[] {
  if (view.url === undefined || !/^http:\/\//i.test(view.url)) return [];
  let host: string;
  try {
    host = new URL(view.url).hostname.toLowerCase();
  } catch {
    host = "";
  }
  const local = host === "localhost" || host.endsWith(".localhost") ||
    /^127(?:\.\d{1,3}){3}$/.test(host) || host === "[::1]";
  if (local) return [];
  return [{
    rule: "insecure-http",
    field: "url",
    message: `connects to ${
      host === "" ? "a server" : JSON.stringify(host)
    } over plain http://`,
    value: view.url,
  }];
}

// --- Commands outside the repository ---

function commandFindings(view: ServerView, folder: string): ServerFinding[] {
  const command = view.command;
  if (command === undefined) return [];
  const where = outsideProblem(command, folder);
  if (!where) return [];
  return [{
    rule: "command-outside-repo",
    field: "command",
    message: `runs ${JSON.stringify(command)}, ${where}`,
    value: command,
  }];
}

function outsideProblem(command: string, folder: string): string | undefined {
  if (
    /^(?:~|\$HOME|\$\{HOME\}|\$\{env:HOME\}|\$\{userHome\}|%USERPROFILE%)(?:[\\/]|$)/i
      .test(command)
  ) {
    return "a program in the home folder";
  }
  if (/^[A-Za-z]:[\\/]/.test(command) || command.startsWith("\\\\")) {
    return "an absolute Windows path";
  }
  if (command.startsWith("/")) return "an absolute path";
  if (!/[\\/]/.test(command)) return undefined; // looked up in PATH
  const resolved = posix.normalize(
    posix.join(folder, command.replaceAll("\\", "/")),
  );
  return resolved === ".." || resolved.startsWith("../")
    ? "a path that leaves the repository"
    : undefined;
}

// --- Helpers ---

// The program's own name, without its folder: "/usr/bin/npx" → "npx".
function programName(command: string): string {
  return command.split(/[\\/]/).at(-1) ?? command;
}

// "--opt=value" → ["--opt", "value"]; "--opt" → ["--opt", undefined].
function splitOption(arg: string): [string, string | undefined] {
  if (!arg.startsWith("--")) return [arg, undefined];
  const at = arg.indexOf("=");
  return at < 0 ? [arg, undefined] : [arg.slice(0, at), arg.slice(at + 1)];
}
