/**
 * The tools of the `mcp` server, in one table: each one's name, what it
 * tells the MCP client (and so the AI agent) it does, its arguments as zod
 * schemas, the shape of its result, and the command line it runs. Every
 * tool runs one of the tool's own commands with `--json`, so the server
 * does exactly what the CLI does, with the same checks and messages.
 *
 * Nothing is signed but what a `sign` or `approve` call names: those two
 * take a non-empty list of paths, and no tool has a "sign everything"
 * form (`sign` without paths, `sign --resign`, `init`).
 *
 * The schemas are built from the zod module that {@linkcode loadMcpSdk}
 * loads, so that no other command loads zod.
 *
 * @module
 */

import type { Zod, ZodRawShape, ZodType } from "../deps.ts";
import { ToolError } from "../errors.ts";
import {
  commentProblem,
  pathProblem,
  rangeProblem,
  revisionProblem,
  signablePathProblem,
} from "./mcp_arguments.ts";

/** What an MCP client may assume of a tool (MCP's `ToolAnnotations`). */
export interface McpToolHints {
  /** The tool changes nothing. */
  readOnlyHint: boolean;
  /** The tool may remove or overwrite something. */
  destructiveHint: boolean;
  /** Calling it twice with the same arguments does no more than once. */
  idempotentHint: boolean;
  /** The tool reaches beyond the repository and the key folder. */
  openWorldHint: boolean;
}

/** One tool of the `mcp` server. */
export interface McpTool {
  /** Its name, e.g. `sign`. */
  name: string;
  /** A short title for people. */
  title: string;
  /** What it does, for the client and the agent. */
  description: string;
  /** Its hints. */
  annotations: McpToolHints;
  /** Its arguments, as zod schemas by name. */
  input(z: Zod): ZodRawShape;
  /** The shape of the command's `--json` output. */
  result(z: Zod): ZodType;
  /**
   * The command line to run, `--json` included, from arguments the input
   * schema has accepted.
   *
   * @throws {ToolError} `USAGE` for arguments that do not go together.
   */
  argv(args: Readonly<Record<string, unknown>>): string[];
  /** What to add to a failure's message, by error code: the CLI's advice in this server's terms. */
  hints?: Readonly<Record<string, string>>;
}

/** What every signing tool says about what a signature means. */
const ATTESTATION =
  "A signature is an attestation by the owner of the signing key (the user whose " +
  "key this server uses) that they reviewed these exact bytes and approve what an " +
  "MCP client would run from them: call it only when the user has asked for it, " +
  "for these paths.";

const READ_ONLY: McpToolHints = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
};

const WRITES: McpToolHints = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
};

/**
 * A string that a check accepts or refuses with its reason.
 *
 * @param z Zod.
 * @param problem Why a value is refused, or undefined.
 * @returns The schema.
 */
function checkedString(
  z: Zod,
  problem: (value: string) => string | undefined,
) {
  return z.string().superRefine((value, context) => {
    const message = problem(value);
    if (message !== undefined) context.addIssue({ code: "custom", message });
  });
}

// A repository path: see pathProblem.
function pathSchema(z: Zod) {
  return checkedString(z, pathProblem).describe(
    "a file path relative to the repository folder the server runs in",
  );
}

// A path to sign or approve: see signablePathProblem.
function signablePathSchema(z: Zod) {
  return checkedString(z, signablePathProblem).describe(
    "an MCP config's path, relative to the repository folder the server runs in",
  );
}

// A revision: see revisionProblem.
function revisionSchema(z: Zod, description: string) {
  return checkedString(z, (value) => revisionProblem(value)).describe(
    description,
  );
}

function paths(args: Readonly<Record<string, unknown>>): string[] {
  return (args.paths as string[] | undefined) ?? [];
}

// Every command line ends its options before the paths ("--"), so that a
// path can never be read as an option, whatever the schema let through.
function withPaths(options: string[], list: readonly string[]): string[] {
  return list.length > 0 ? [...options, "--", ...list] : options;
}

/** The tools, in the order the server lists them. */
export const MCP_TOOLS: readonly McpTool[] = [
  {
    name: "initialize_keys",
    title: "Create the signing key",
    description:
      "Creates the user's Ed25519 signing key pair in the tool's key folder " +
      "($MCP_ORCHESTRATION_HOME/keys, default ~/.mcp-orchestration/keys), as " +
      '"mcp-orchestration keys init" does, and returns its key id and public key ' +
      "(never the private key). An existing key is never overwritten: the call " +
      "fails with KEY_EXISTS unless it says force: true, which retires the old " +
      "key (moved to keys/retired/, not deleted) and creates a new one, which " +
      "repositories must then trust before it signs for them.",
    annotations: { ...WRITES, idempotentHint: false },
    input: (z) => ({
      force: z.boolean().optional().describe(
        "replace an existing key (the old one is retired, not deleted)",
      ),
      comment: checkedString(z, commentProblem).optional().describe(
        'the public key\'s comment (default "mcp-orchestration")',
      ),
    }),
    result: (z) =>
      z.looseObject({
        created: keyInfo(z),
        retired: keyInfo(z).nullable(),
      }),
    argv: (args) => [
      "keys",
      "init",
      "--json",
      ...(args.force === true ? ["--regenerate"] : []),
      ...(typeof args.comment === "string" && args.comment !== ""
        ? [`--comment=${args.comment}`]
        : []),
    ],
    hints: {
      KEY_EXISTS:
        "Through this server: call initialize_keys with force: true, if the user wants the key replaced",
    },
  },
  {
    name: "sign",
    title: "Sign MCP configs",
    description:
      "Signs the MCP config files named in paths (and only those) with the " +
      'user\'s signing key, as "mcp-orchestration sign PATH…" does: each file ' +
      "must parse in its client's format; nothing is written unless all can be " +
      "signed. Writes the statements and signatures under .mcp-orchestration/; " +
      "commit them with the configs. The files in .mcp-orchestration/ itself " +
      "(the trust list, the policy) are signed at the command line, not here. " +
      ATTESTATION,
    annotations: WRITES,
    input: (z) => ({
      paths: z.array(signablePathSchema(z)).min(1).max(1000).describe(
        "the configs to sign (at least one; there is no sign-all)",
      ),
    }),
    result: (z) =>
      z.looseObject({
        signer: z.string(),
        results: z.array(
          z.looseObject({ path: z.string(), status: z.string() }),
        ),
        untrusted: z.string().nullable(),
      }),
    argv: (args) => withPaths(["sign", "--json"], paths(args)),
  },
  {
    name: "verify",
    title: "Verify MCP configs",
    description:
      "Verifies MCP configs against their signatures and the repository's " +
      'trust list, as "mcp-orchestration verify" does: every config in the ' +
      "working tree, or the paths given; or, with rev, one commit against its " +
      "parents; or, with range (A..B), every commit B brings. The result lists " +
      "each config with ok or a failure code (UNSIGNED, TAMPERED, " +
      "UNTRUSTED_SIGNER, …); any failure makes the call an error.",
    annotations: READ_ONLY,
    input: (z) => ({
      paths: z.array(pathSchema(z)).max(1000).optional().describe(
        "configs to verify (default: every config in the working tree)",
      ),
      rev: revisionSchema(z, "a commit to verify, e.g. HEAD").optional(),
      range: checkedString(z, rangeProblem).optional().describe(
        "commits to verify, A..B: those reachable from B but not from A",
      ),
    }),
    result: (z) =>
      z.looseObject({
        ok: z.boolean(),
        results: z.array(
          z.looseObject({ path: z.string(), ok: z.boolean() }),
        ).optional(),
        commits: z.array(z.looseObject({ commit: z.string() })).optional(),
      }),
    argv: (args) => {
      const rev = args.rev as string | undefined;
      const range = args.range as string | undefined;
      const list = paths(args);
      const chosen = [rev, range, list.length > 0 ? list : undefined].filter(
        (value) => value !== undefined,
      );
      if (chosen.length > 1) {
        throw new ToolError(
          "USAGE",
          "Give one of paths, rev and range, not more",
        );
      }
      const options = ["verify", "--json"];
      if (rev !== undefined) options.push(`--rev=${rev}`);
      if (range !== undefined) options.push(`--range=${range}`);
      return withPaths(options, list);
    },
  },
  {
    name: "approve",
    title: "Approve signed MCP configs",
    description:
      "Adds the user's signature to the current signed statement of each " +
      'config named in paths, without changing it, as "mcp-orchestration ' +
      "approve PATH…\" does: a second signer's yes when the policy needs more " +
      "than one. Each config must verify as it is now, and the user's key must " +
      "be in the trust list; all are approved, or none. Changes to the files in " +
      ".mcp-orchestration/ are approved at the command line, not here. " +
      ATTESTATION,
    annotations: WRITES,
    input: (z) => ({
      paths: z.array(signablePathSchema(z)).min(1).max(1000).describe(
        "the configs to approve (at least one)",
      ),
    }),
    result: (z) =>
      z.looseObject({
        approver: z.string(),
        results: z.array(
          z.looseObject({ path: z.string(), status: z.string() }),
        ),
      }),
    argv: (args) => withPaths(["approve", "--json"], paths(args)),
  },
  {
    name: "status",
    title: "Show the MCP configs' status",
    description:
      "Lists the MCP configs in the working tree with their client, " +
      "verification result, signer and principals, whether the signer is " +
      "trusted, when they were signed and their sequence; the trust list, the " +
      'hooks and the user\'s key id, as "mcp-orchestration status" does. ' +
      "Changes nothing.",
    annotations: READ_ONLY,
    input: () => ({}),
    result: (z) =>
      z.looseObject({
        root: z.string(),
        configs: z.array(z.looseObject({ path: z.string() })),
      }),
    argv: () => ["status", "--json"],
  },
  {
    name: "inspect",
    title: "Inspect a signed MCP config",
    description:
      "Shows the signed statement and armored signature of a config (path) " +
      "or of every config whose current statement has an artifact id " +
      '(artifact), with its signer, time and sequence, as "mcp-orchestration ' +
      'inspect" does, so they can be checked with sha256sum and ssh-keygen ' +
      "-Y verify. Give path or artifact.",
    annotations: READ_ONLY,
    input: (z) => ({
      path: pathSchema(z).optional(),
      artifact: z.string().regex(
        /^[0-9a-f]{64}$/,
        "An artifact id is 64 lowercase hexadecimal digits",
      ).optional().describe("an artifact id, 64 lowercase hex digits"),
    }),
    result: (z) =>
      z.array(z.looseObject({
        path: z.string(),
        artifact: z.string(),
        signer: z.string(),
        statementId: z.string(),
      })),
    argv: (args) => {
      const targets = [args.path, args.artifact].filter((value) =>
        typeof value === "string"
      ) as string[];
      if (targets.length !== 1) {
        throw new ToolError("USAGE", "Give one of path and artifact");
      }
      return withPaths(["inspect", "--json"], targets);
    },
  },
  {
    name: "diff",
    title: "Compare MCP configs",
    description:
      "Shows what changes between two versions of the MCP configs, in MCP " +
      "terms: servers added, removed and changed, field by field (command, " +
      'args, env keys, URL, headers, transport), as "mcp-orchestration diff" ' +
      "does. a and b are revisions or artifact ids (default: HEAD against " +
      "the working tree; a alone: a against the working tree); paths limits " +
      "it to those configs.",
    annotations: READ_ONLY,
    input: (z) => ({
      a: revisionSchema(z, "the old side: a revision or artifact id")
        .optional(),
      b: revisionSchema(z, "the new side: a revision or artifact id")
        .optional(),
      paths: z.array(pathSchema(z)).max(1000).optional().describe(
        "configs to compare (default: all)",
      ),
    }),
    result: (z) => z.unknown(),
    argv: (args) => {
      if (args.b !== undefined && args.a === undefined) {
        throw new ToolError("USAGE", "Give a when giving b");
      }
      const sides = [args.a, args.b].filter((side) => typeof side === "string")
        .map(String);
      return withPaths(["diff", "--json", ...sides], paths(args));
    },
  },
  {
    name: "log",
    title: "Show the MCP configs' audit trail",
    description:
      "Lists each signed version of the MCP configs along history: signer " +
      "and principal, signing time, commit, sequence, approvals, and the " +
      "trust-list changes and revocations in between, as " +
      '"mcp-orchestration log" does.',
    annotations: READ_ONLY,
    input: (z) => ({
      paths: z.array(pathSchema(z)).max(1000).optional().describe(
        "configs to show (default: all)",
      ),
    }),
    result: (z) => z.unknown(),
    argv: (args) => withPaths(["log", "--json"], paths(args)),
  },
  {
    name: "lint",
    title: "Lint MCP configs",
    description:
      "Checks MCP configs for obvious dangers before anyone signs them " +
      "(secrets in env or headers, unpinned packages, shell wrappers, " +
      'privileged containers, plain http), as "mcp-orchestration lint" does; ' +
      "each finding has a rule id and a fix.",
    annotations: READ_ONLY,
    input: (z) => ({
      paths: z.array(pathSchema(z)).max(1000).optional().describe(
        "configs to check (default: all)",
      ),
    }),
    result: (z) => z.unknown(),
    argv: (args) => withPaths(["lint", "--json"], paths(args)),
  },
];

function keyInfo(z: Zod) {
  return z.looseObject({
    keyId: z.string(),
    publicKeyLine: z.string(),
    publicKeyPath: z.string(),
  });
}
