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
  // A launcher (`env`, `sudo`, `busybox`, `nice`, …) in front of the
  // program changes nothing for the danger: the rules that read a command
  // line read it at each layer, the launcher's and the one it starts.
  const spawned = asSpawned(view);
  const lines = launchedLines(spawned);
  const findings: ServerFinding[] = [
    ...secretFindings(view),
    ...lines.flatMap((line) => onLine(line, packageFindings)),
    ...lines.flatMap((line) => onLine(line, imageFindings)),
    ...lines.flatMap((line) => onLine(line, shellFindings)),
    ...pipeFindings(spawned),
    ...helperFindings(view),
    ...lines.flatMap((line) => onLine(line, dockerFindings)),
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
    if (holdsCredential(field)) {
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

// Whether a field's value is where a client expects a credential, so that
// a random-looking value there is taken for one: the view's `env` and
// `headers`, and in `other` a header or environment table the view does
// not model (Continue's `requestOptions.headers`) or a field named for a
// credential (Codex's `bearer_token`). Not keys, nor free text elsewhere.
const CREDENTIAL_TABLES = /^(?:env|environment|headers|http_headers)$/i;
const CREDENTIAL_NAME =
  /token|secret|passw(?:or)?d|api[-_]?key|auth|bearer|credential/i;

function holdsCredential(field: string): boolean {
  if (field.endsWith("(key)")) return false;
  if (field.startsWith("env.") || field.startsWith("headers.")) return true;
  if (!field.startsWith("other.")) return false;
  const segments = field.slice("other.".length).replace(/\[\d+\]/g, "")
    .split(".");
  const last = segments.at(-1) ?? "";
  return segments.slice(0, -1).some((part) => CREDENTIAL_TABLES.test(part)) ||
    CREDENTIAL_NAME.test(last);
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
  "--prefix",
  "-C",
  "--dir",
  "--filter",
  "--cwd",
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
  "--directory",
  "--project",
  "--cache-dir",
  "--config-file",
  "--color",
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
  const name = programKey(command);
  const npm = (start: number): Runner => ({
    ecosystem: "npm",
    start,
    packageOptions: ["-p", "--package"],
  });
  if (name === "npx" || name === "pnpx" || name === "bunx") return npm(0);
  // The subcommand comes after the tool's global options ("npm -y exec",
  // "pnpm --dir x dlx", "uv --quiet tool run").
  const values = name === "uv" || name === "pipx"
    ? PY_VALUE_OPTIONS
    : NPM_VALUE_OPTIONS;
  const at = firstOperand(args, 0, values);
  const sub = at === undefined ? undefined : args[at];
  if (at === undefined) return undefined;
  if (name === "npm" && (sub === "exec" || sub === "x")) return npm(at + 1);
  if ((name === "pnpm" || name === "yarn") && sub === "dlx") return npm(at + 1);
  if (name === "bun" && sub === "x") return npm(at + 1);
  if (name === "uvx") {
    return { ecosystem: "python", start: 0, packageOptions: ["--from"] };
  }
  if (name === "uv" && sub === "tool") {
    const run = firstOperand(args, at + 1, values);
    if (run !== undefined && args[run] === "run") {
      return {
        ecosystem: "python",
        start: run + 1,
        packageOptions: ["--from"],
      };
    }
  }
  if (name === "pipx" && sub === "run") {
    return { ecosystem: "python", start: at + 1, packageOptions: ["--spec"] };
  }
  return undefined;
}

// The index of the first argument from `start` that is not an option or
// an option's value.
function firstOperand(
  args: readonly string[],
  start: number,
  values: ReadonlySet<string>,
): number | undefined {
  for (let index = start; index < args.length; index++) {
    const arg = args[index]!;
    if (!arg.startsWith("-") || arg === "-") return index;
    const [option, inline] = splitOption(arg);
    if (inline === undefined && values.has(option)) index++;
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
  const extra: [number, string][] = [];
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
    // uv's `--with` installs more packages (comma-separated) beside the
    // one it runs: each is run code too.
    if (runner.ecosystem === "python" && option === "--with") {
      const value = inline ?? view.args[++index];
      for (const spec of splitRequirements(value ?? "")) {
        extra.push([index, spec]);
      }
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
  const packages = [
    ...(named.length > 0 ? named : operand ? [operand] : []),
    ...extra,
  ];
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

// "a==1,b[x,y]==2" → ["a==1", "b[x,y]==2"]: commas outside brackets.
function splitRequirements(value: string): string[] {
  const specs: string[] = [];
  let depth = 0;
  let start = 0;
  for (let index = 0; index <= value.length; index++) {
    const char = value[index];
    if (char === "[") depth++;
    else if (char === "]") depth = Math.max(0, depth - 1);
    else if (index === value.length || (char === "," && depth === 0)) {
      specs.push(value.slice(start, index).trim());
      start = index + 1;
    }
  }
  return specs.filter((spec) => spec !== "");
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

// docker/podman `run` options that take a value (docker 27, podman 5): an
// option missing here would make its value read as the image, and the
// options after it unread.
const DOCKER_VALUE_OPTIONS = new Set(
  `add-host annotation arch attach authfile blkio-weight blkio-weight-device
  cap-add cap-drop cert-dir cgroup-conf cgroup-parent cgroupns cgroups
  chrootdirs cidfile conmon-pidfile cpu-count cpu-percent cpu-period cpu-quota
  cpu-rt-period cpu-rt-runtime cpu-shares cpus cpuset-cpus cpuset-mems creds
  decryption-key detach-keys device device-cgroup-rule device-read-bps
  device-read-iops device-write-bps device-write-iops dns dns-opt dns-option
  dns-search domainname entrypoint env env-file env-merge expose gidmap gpus
  group-add group-entry health-cmd health-interval health-log-destination
  health-max-log-count health-max-log-size health-on-failure health-retries
  health-start-interval health-start-period health-startup-cmd
  health-startup-interval health-startup-retries health-startup-success
  health-startup-timeout health-timeout hostname hostuser image-volume
  init-path io-maxbandwidth io-maxiops ip ip6 ipc isolation kernel-memory label
  label-file link link-local-ip log-driver log-opt mac-address mask memory
  memory-reservation memory-swap memory-swappiness mount name net net-alias
  network network-alias oom-score-adj os passwd-entry personality pid pidfile
  pids-limit platform pod pod-id-file preserve-fd preserve-fds publish pull
  rdt-class requires restart retry retry-delay runtime sdnotify seccomp-policy
  secret security-opt shm-size shm-size-systemd stop-signal stop-timeout
  storage-opt subgidname subuidname sysctl systemd timeout tmpfs tz uidmap
  ulimit umask unmask unsetenv user userns uts variant volume volume-driver
  volumes-from workdir`.split(/\s+/).map((name) => `--${name}`),
);
// Short options that take a value; the others (-d, -i, -t, -P, -q) do not.
const DOCKER_VALUE_SHORTS = new Set("acehlmpuvw");
// Global options before the subcommand that take a value (docker, podman).
const DOCKER_GLOBAL_VALUE_OPTIONS = new Set([
  "-c",
  "-H",
  "-l",
  ...`config context host log-level tlscacert tlscert tlskey cgroup-manager
  conmon connection events-backend hooks-dir identity imagestore module
  network-cmd-path network-config-dir out root runroot runtime runtime-flag
  ssh storage-driver storage-opt tmpdir url volumepath cdi-spec-dir
  db-backend`.split(/\s+/).map((name) => `--${name}`),
]);

// Programs that take docker's command line.
const CONTAINER_RUNNERS = new Set(["docker", "podman", "nerdctl", "finch"]);

interface DockerRun {
  /** Each option with its value and the index of the value. */
  options: { name: string; value: string | undefined; index: number }[];
  /** The image and its index, when found. */
  image?: { name: string; index: number };
}

function dockerRun(view: ServerView): DockerRun | undefined {
  if (view.command === undefined) return undefined;
  const program = programKey(view.command);
  if (!CONTAINER_RUNNERS.has(program)) return undefined;
  const args = view.args;
  let index = runIndex(args);
  if (index === undefined) return undefined;
  const run: DockerRun = { options: [] };
  for (index++; index < args.length; index++) {
    const arg = args[index]!;
    if (!arg.startsWith("-") || arg === "-") {
      run.image = { name: arg, index };
      break;
    }
    if (arg === "--") {
      if (index + 1 < args.length) {
        run.image = { name: args[index + 1]!, index: index + 1 };
      }
      break;
    }
    if (!arg.startsWith("--")) {
      // A cluster of short options, as docker's flag parser reads it:
      // "-it", "-v=/:/h", "-v/:/h", "-itv" followed by its value.
      for (let at = 1; at < arg.length; at++) {
        const letter = arg[at]!;
        if (!DOCKER_VALUE_SHORTS.has(letter)) {
          run.options.push({ name: `-${letter}`, value: undefined, index });
          continue;
        }
        const rest = arg.slice(at + 1).replace(/^=/, "");
        if (rest !== "") {
          run.options.push({ name: `-${letter}`, value: rest, index });
        } else {
          run.options.push({
            name: `-${letter}`,
            value: args[index + 1],
            index: index + 1,
          });
          index++;
        }
        break;
      }
      continue;
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

// Where `run` is, past docker's or podman's global options ("--context x",
// "-D"), and `container`; undefined for another subcommand.
function runIndex(args: readonly string[]): number | undefined {
  let unknownOption = false;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg.startsWith("-")) {
      const [name, inline] = splitOption(arg);
      if (inline === undefined && DOCKER_GLOBAL_VALUE_OPTIONS.has(name)) {
        index++;
        unknownOption = false;
      } else unknownOption = inline === undefined;
      continue;
    }
    if (arg === "run") return index;
    // A word after an option we do not know may be its value.
    if (arg !== "container" && !unknownOption) return undefined;
    unknownOption = false;
  }
  return undefined;
}

function imageFindings(view: ServerView): ServerFinding[] {
  const image = dockerRun(view)?.image;
  if (!image || /@sha256:[0-9a-f]{64}$/.test(image.name)) return [];
  const tag = /:([^/:]+)$/.exec(image.name)?.[1];
  const problem = image.name.includes("@")
    ? "whose digest is not sha256 and 64 hex digits (so it pins nothing)"
    : tag === undefined
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
      // Docker reads the value as one CSV record ('"type=bind","src=/"'),
      // and lowercases keys and the type.
      const fields = new Map(
        value.split(",").map((part) => {
          const [key, ...rest] = part.trim().replace(/^"|"$/g, "").split("=");
          return [key!.trim().toLowerCase(), rest.join("=")] as const;
        }),
      );
      const source = fields.get("source") ?? fields.get("src");
      const what = (fields.get("type") ?? "volume").toLowerCase() === "bind" &&
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
  // Docker cleans the path ("/./", "/etc/.." are "/"; "~/." is "~").
  const cleaned = source === "" ? source : posix.normalize(source);
  const path = cleaned.replace(/\/+$/, "") || "/";
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
  const program = programKey(view.command);
  const at = (test: (arg: string) => boolean) => view.args.findIndex(test);
  let index = -1;
  if (SHELLS.has(program)) {
    index = at((arg) => /^-[a-z]*c[a-z]*$/.test(arg));
  } else if (program === "cmd") {
    index = at((arg) => /^\/[ck]$/i.test(arg));
  } else if (program === "powershell" || program === "pwsh") {
    index = at(isPowerShellCommand);
  }
  if (index < 0) return [];
  return [{
    rule: "shell-wrapper",
    field: `args[${index}]`,
    message: `runs ${programName(view.command)} ${
      view.args[index]
    } with a command string`,
    value: view.args[index]!,
  }];
}

// PowerShell takes any unambiguous prefix of a parameter's name, after
// "-", "--" or "/": "-c", "-Comm", "-e", "-ec", "-encodedC".
function isPowerShellCommand(arg: string): boolean {
  const match = /^(?:--?|\/)([a-z]+)$/i.exec(arg);
  if (!match) return false;
  const word = match[1]!.toLowerCase();
  return "command".startsWith(word) || word === "ec" ||
    "encodedcommand".startsWith(word);
}

function pipeFindings(view: ServerView): ServerFinding[] {
  if (view.command === undefined) return [];
  const findings: ServerFinding[] = [];
  const line = [view.command, ...view.args];
  line.forEach((text, position) => {
    if (pipesToShell(text)) {
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

// Claude Code's `headersHelper` on a remote server: a command line it runs
// through a shell (`shell: true`) at each connection, for the headers it
// prints. It is a shell command string wherever it appears, so `sh -c`'s
// rule applies, and the pipe rule to what it runs.
function helperFindings(view: ServerView): ServerFinding[] {
  const helper = view.other.headersHelper;
  if (typeof helper !== "string") return [];
  const findings: ServerFinding[] = [{
    rule: "shell-wrapper",
    field: "other.headersHelper",
    message: `runs headersHelper ${
      JSON.stringify(helper)
    } through a shell at each connection`,
    value: helper,
  }];
  if (pipesToShell(helper)) {
    findings.push({
      rule: "pipe-to-shell",
      field: "other.headersHelper",
      message: "pipes a download into an interpreter",
      value: helper,
    });
  }
  return findings;
}

// A downloader, then (in the same stretch between pipes) a pipe into an
// interpreter. Tested stretch by stretch: one regular expression spanning
// the pipe was quadratic on "curl curl curl …" (minutes for 1 MiB).
const DOWNLOADER =
  /\b(?:curl|wget|iwr|irm|invoke-webrequest|invoke-restmethod|fetch)\b/i;
const INTERPRETER =
  /^\s*(?:sudo\s+)?(?:sh|bash|zsh|dash|ksh|fish|iex|invoke-expression|python3?|node|perl|ruby)\b/i;

function pipesToShell(text: string): boolean {
  const stretches = text.split("|");
  return stretches.some((stretch, index) =>
    index + 1 < stretches.length && DOWNLOADER.test(stretch) &&
    INTERPRETER.test(stretches[index + 1]!)
  );
}

// --- Remote servers ---

function httpFindings(view: ServerView): ServerFinding[] {
  // The URL the view took, and any other spelling of one left in `other`
  // ("serverUrl" beside "url"): a client may read that one instead.
  const urls: [string, string][] = [];
  if (view.url !== undefined) urls.push(["url", view.url]);
  for (const key of ["url", "httpUrl", "serverUrl"]) {
    const value = view.other[key];
    if (typeof value === "string") urls.push([`other.${key}`, value]);
  }
  // Gemini CLI (and Qwen Code) connects to `tcp: "host:port"` as a
  // WebSocket at ws://host:port, never encrypted.
  const tcp = view.other.tcp;
  if (typeof tcp === "string") urls.push(["other.tcp", `ws://${tcp.trim()}`]);
  return urls.flatMap(([field, url]) => {
    const plain = plainHost(url);
    if (plain === undefined) return [];
    const { host, scheme } = plain;
    return [{
      rule: "insecure-http" as const,
      field,
      message: `connects to ${
        host === "" ? "a server" : JSON.stringify(host)
      } over plain ${scheme}://`,
      value: url,
    }];
  });
}

// The host of a plain http:// or ws:// URL (Claude Code's `"type": "ws"`
// connects to ws:// as it is) that is not loopback ("" when it has none),
// else undefined. Read as a client's WHATWG parser does: it drops
// surrounding spaces and inner tabs and newlines, and reads "http:/host",
// "http:host" and backslashes as "http://host".
function plainHost(
  url: string,
): { host: string; scheme: "http" | "ws" } | undefined {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  const scheme = parsed
    ? PLAIN_SCHEMES.get(parsed.protocol)
    : PLAIN_SCHEMES.get(
      /^(https?|wss?):\/\//i.exec(url)?.[1]?.toLowerCase() + ":",
    );
  if (scheme === undefined) return undefined;
  const host = parsed?.hostname.toLowerCase() ?? "";
  const local = host === "localhost" || host.endsWith(".localhost") ||
    /^127(?:\.\d{1,3}){3}$/.test(host) || host === "[::1]";
  return local ? undefined : { host, scheme };
}

const PLAIN_SCHEMES: ReadonlyMap<string, "http" | "ws"> = new Map([
  ["http:", "http"],
  ["ws:", "ws"],
]);

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

// The program as a name to compare: "/usr/bin/NPX.cmd" → "npx" (Windows
// finds a program whatever its case, and through .exe, .cmd, .bat, .com).
function programKey(command: string): string {
  return programName(command).toLowerCase().replace(
    /\.(?:exe|cmd|bat|com)$/,
    "",
  );
}

// --- Launchers ---

// The command line as Node's spawn would run it: a client that passes the
// entry to it without checking types runs `["-c", "x", 1]` as "-c" "x" "1",
// while the view keeps a list that is not all strings in `other`.
function asSpawned(view: ServerView): ServerView {
  const { command, args } = view.other;
  if (view.command === undefined && isScalarList(command) && command.length) {
    const line = command.map(String);
    return { ...view, command: line[0]!, args: line.slice(1) };
  }
  if (view.command !== undefined && isScalarList(args)) {
    return { ...view, args: [...view.args, ...args.map(String)] };
  }
  return view;
}

function isScalarList(value: unknown): value is unknown[] {
  return Array.isArray(value) &&
    value.every((item) => item === null || typeof item !== "object");
}

// A command line at one layer: `base` is where its args start in the
// server's own args (0 for the server's command line itself).
interface Line {
  view: ServerView;
  base: number;
  /** The field every finding names, for a line split out of one string. */
  field?: string;
}

// Programs that run the command line after their own options, with the
// options of theirs that take a value, and how many operands they take
// before it (timeout's duration, taskset's mask, chrt's priority).
const LAUNCHERS: ReadonlyMap<string, { values: string[]; operands: number }> =
  new Map([
    ["env", { values: ["-u", "--unset", "-C", "--chdir"], operands: 0 }],
    ["sudo", {
      values: ["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T"],
      operands: 0,
    }],
    ["doas", { values: ["-u", "-C"], operands: 0 }],
    ["busybox", { values: [], operands: 0 }],
    ["nohup", { values: [], operands: 0 }],
    ["setsid", { values: [], operands: 0 }],
    ["exec", { values: ["-a"], operands: 0 }],
    ["command", { values: [], operands: 0 }],
    ["time", { values: ["-f", "-o"], operands: 0 }],
    ["nice", { values: ["-n", "--adjustment"], operands: 0 }],
    ["ionice", { values: ["-c", "-n", "-p", "-P", "-u"], operands: 0 }],
    ["stdbuf", { values: ["-i", "-o", "-e"], operands: 0 }],
    ["timeout", {
      values: ["-k", "--kill-after", "-s", "--signal"],
      operands: 1,
    }],
    ["taskset", { values: [], operands: 1 }],
    ["chrt", { values: [], operands: 1 }],
  ]);

// The server's command line, then each one a launcher in it starts.
function launchedLines(view: ServerView): Line[] {
  const lines: Line[] = [{ view, base: 0 }];
  let current: Line = lines[0]!;
  for (let depth = 0; depth < 8; depth++) {
    const command = current.view.command;
    const launcher = command === undefined
      ? undefined
      : LAUNCHERS.get(programKey(command));
    if (!launcher) break;
    const args = current.view.args;
    let index = 0;
    let operands = launcher.operands;
    let split: Line | undefined;
    for (; index < args.length; index++) {
      const arg = args[index]!;
      if (arg === "--") {
        index++;
        break;
      }
      // `env -S "sh -c …"` splits one string into the command line.
      const string = programKey(command!) === "env"
        ? splitString(args, index)
        : undefined;
      if (string) {
        const words = string.value.trim().split(/\s+/).filter(Boolean);
        if (words.length > 0) {
          // env reads the words as its own arguments (more options and
          // assignments may come first), then the rest.
          split = {
            view: {
              ...current.view,
              args: [...words, ...args.slice(string.next)],
            },
            base: 0,
            field: current.field ?? `args[${current.base + string.at}]`,
          };
        }
        break;
      }
      if (arg.startsWith("-") && arg !== "-") {
        const [name, inline] = splitOption(arg);
        if (inline === undefined && launcher.values.includes(name)) index++;
        continue;
      }
      // env's and sudo's NAME=VALUE assignments.
      if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(arg)) continue;
      if (operands > 0) {
        operands--;
        continue;
      }
      break;
    }
    if (split) {
      current = split;
      lines.push(current);
      continue;
    }
    if (index >= args.length) break;
    current = {
      view: {
        ...current.view,
        command: args[index]!,
        args: args.slice(index + 1),
      },
      base: current.base + index + 1,
      ...(current.field !== undefined ? { field: current.field } : {}),
    };
    lines.push(current);
  }
  return lines;
}

// env's -S STRING, --split-string=STRING, -SSTRING at args[index]: the
// string, the index it is at, and where the arguments after it start.
function splitString(
  args: readonly string[],
  index: number,
): { value: string; at: number; next: number } | undefined {
  const arg = args[index]!;
  if (arg === "-S" || arg === "--split-string") {
    const value = args[index + 1];
    return value === undefined
      ? undefined
      : { value, at: index + 1, next: index + 2 };
  }
  if (arg.startsWith("--split-string=")) {
    return { value: arg.slice(15), at: index, next: index + 1 };
  }
  if (/^-S./.test(arg)) {
    return { value: arg.slice(2), at: index, next: index + 1 };
  }
  return undefined;
}

// A rule's findings on one layer, with fields named in the server's args.
function onLine(
  line: Line,
  rule: (view: ServerView) => ServerFinding[],
): ServerFinding[] {
  if (line.field !== undefined) {
    const field = line.field;
    return rule(line.view).map((finding) => ({ ...finding, field }));
  }
  if (line.base === 0) return rule(line.view);
  return rule(line.view).map((finding) => ({
    ...finding,
    field: finding.field === "command"
      ? `args[${line.base - 1}]`
      : finding.field.replace(
        /^args\[(\d+)\]/,
        (_, index: string) => `args[${Number(index) + line.base}]`,
      ),
  }));
}

// "--opt=value" → ["--opt", "value"]; "--opt" → ["--opt", undefined].
function splitOption(arg: string): [string, string | undefined] {
  if (!arg.startsWith("--")) return [arg, undefined];
  const at = arg.indexOf("=");
  return at < 0 ? [arg, undefined] : [arg.slice(0, at), arg.slice(at + 1)];
}
