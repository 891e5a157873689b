import { deepEqual, equal } from "node:assert/strict";
import {
  ALLOWED_SIGNERS_PATH,
  POLICY_PATH,
  REPO_CONFIG_PATH,
  REVOKED_KEYS_PATH,
} from "../../src/constants.ts";
import {
  isTrustFile,
  matchingRule,
  parsePolicy,
  requirementFor,
} from "../../src/trust/policy.ts";
import {
  formatAllowedSigner,
  parseAllowedSigners,
} from "../../src/trust/allowed_signers.ts";
import {
  initialPolicyText,
  literalPrincipals,
} from "../../src/trust/policy_store.ts";
import { mayConcernPreCommit } from "../../src/configs/pre_commit_filter.ts";
import { PRE_COMMIT_FAST_PATH } from "../../src/hooks/stubs.ts";
import { assertToolError } from "../support/errors.ts";

const PRINCIPALS = new Set([
  "alice@example.com",
  "bob@example.com",
  "carol@example.com",
  "sam@example.com",
  "fred@example.com",
]);

/** The spec's worked example, pretty-printed so that each field has its own line. */
function example(): Record<string, unknown> {
  return {
    format: "mcp-orchestration-policy v1",
    version: 3,
    groups: {
      admins: ["alice@example.com", "bob@example.com", "carol@example.com"],
      leads: ["alice@example.com"],
      security: ["sam@example.com"],
      frontend: ["fred@example.com"],
    },
    trust: { groups: ["admins"], threshold: 2 },
    rules: [
      { pattern: ".mcp.json", groups: ["leads", "security"], threshold: 2 },
      { pattern: ".vscode/**", groups: ["frontend"], threshold: 1 },
    ],
  };
}

function text(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function parse(input: string) {
  return parsePolicy(input, { source: POLICY_PATH, principals: PRINCIPALS });
}

Deno.test("parsePolicy reads the worked example", async () => {
  const policy = await parse(text(example()));
  equal(policy.version, 3);
  deepEqual(policy.groups.get("leads"), ["alice@example.com"]);
  deepEqual(policy.trust, { groups: ["admins"], threshold: 2 });
  equal(policy.rules.length, 2);
  deepEqual(policy.rules[0]?.groups, ["leads", "security"]);
  equal(policy.rules[0]?.line, 27);
  equal(policy.source, POLICY_PATH);
  equal(policy.text, text(example()));
});

Deno.test("requirementFor: first match wins, trust files use trust, no match is any key", async () => {
  const value = example();
  (value.rules as unknown[]).push({
    pattern: "**",
    groups: ["admins"],
    threshold: 1,
  }, {
    pattern: "**/.mcp.json",
    groups: ["frontend"],
    threshold: 1,
  });
  const policy = await parse(text(value));
  const mcp = requirementFor(policy, ".mcp.json");
  equal(mcp.threshold, 2);
  deepEqual(mcp.eligible, new Set(["alice@example.com", "sam@example.com"]));
  equal(mcp.source, `rule 1 (".mcp.json") of ${POLICY_PATH}`);
  // ".MCP.json" is the same file on macOS and Windows, as for config patterns.
  equal(matchingRule(policy, ".MCP.json"), 0);
  equal(
    requirementFor(policy, ".vscode/mcp.json").source.startsWith("rule 2"),
    true,
  );
  // The later "**/.mcp.json" never wins over the earlier "**".
  equal(matchingRule(policy, "sub/.mcp.json"), 2);
  for (
    const path of [
      ALLOWED_SIGNERS_PATH,
      REPO_CONFIG_PATH,
      POLICY_PATH,
      REVOKED_KEYS_PATH,
    ]
  ) {
    const trust = requirementFor(policy, path);
    equal(trust.threshold, 2, path);
    deepEqual(
      trust.eligible,
      new Set(["alice@example.com", "bob@example.com", "carol@example.com"]),
    );
  }
  const none = requirementFor(await parse(text(example())), "sub/.mcp.json");
  deepEqual([none.eligible, none.threshold], ["any", 1]);
  const nothing = requirementFor(undefined, ".mcp.json");
  deepEqual([nothing.eligible, nothing.threshold], ["any", 1]);
  equal(requirementFor(undefined, POLICY_PATH).threshold, 1);
});

Deno.test("isTrustFile names exactly the four trust files", () => {
  for (
    const path of [
      ALLOWED_SIGNERS_PATH,
      REPO_CONFIG_PATH,
      POLICY_PATH,
      REVOKED_KEYS_PATH,
    ]
  ) {
    equal(isTrustFile(path), true, path);
  }
  for (
    const path of [
      ".mcp.json",
      ".mcp-orchestration/index",
      "policy.json",
      ".mcp-orchestration/approvals/x/y.sig",
    ]
  ) {
    equal(isTrustFile(path), false, path);
  }
});

Deno.test("parsePolicy without principals does not check them", async () => {
  const value = example();
  (value.groups as Record<string, string[]>).leads = ["zed@example.com"];
  const policy = await parsePolicy(text(value), { source: POLICY_PATH });
  deepEqual(policy.groups.get("leads"), ["zed@example.com"]);
  await assertToolError(
    parse(text(value)),
    "INVALID_FORMAT",
    'field "groups.leads[0]"',
    "unknown principal",
  );
});

// deno-lint-ignore no-explicit-any
type Edit = (value: Record<string, any>) => void;

// Each bad input: an edit of the worked example, and what the error must say.
const BAD: [string, Edit | string, string[]][] = [
  ["not JSON", "{ nope", ["line 1", "expected"]],
  ["a comment", '// x\n{"format": 1}', ["line 1", "comment"]],
  ["a trailing comma", '{"format": "x",\n}', ["line 1", "trailing comma"]],
  ["a byte-order mark", "\uFEFF{}", ["byte-order mark"]],
  ["an empty file", "", ["empty"]],
  ["a duplicate key", '{\n"version": 1,\n"version": 2\n}', [
    "line 3",
    "duplicate key",
  ]],
  ["a list at the top", "[]", ["not an object"]],
  ["an unknown key", (v) => v.extra = 1, ['field "extra"', "unknown key"]],
  ["an unknown rule key", (v) => v.rules[1].owner = "x", [
    'field "rules[1].owner"',
    "line 41",
  ]],
  ["a missing trust", (v) => delete v.trust, ['field "trust"', "missing"]],
  ["a missing rules", (v) => delete v.rules, ['field "rules"', "missing"]],
  ["a wrong format", (v) => v.format = "mcp-orchestration-policy v2", [
    'field "format"',
    "line 2",
  ]],
  ["version 0", (v) => v.version = 0, [
    'field "version"',
    "line 3",
    "from 1 to 2147483647",
  ]],
  ["version too large", (v) => v.version = 2147483648, ['field "version"']],
  ["version a string", (v) => v.version = "3", [
    'field "version"',
    "whole number",
  ]],
  ["version a fraction", (v) => v.version = 1.5, [
    'field "version"',
    "whole number",
  ]],
  ["version in exponent form", (v) => v.version = "@1e0", [
    'field "version"',
    "whole number",
  ]],
  ["no groups", (v) => v.groups = {}, ['field "groups"', "at least one"]],
  ["an empty group", (v) => v.groups.leads = [], [
    'field "groups.leads"',
    "line 10",
    "non-empty",
  ]],
  ["a group not a list", (v) => v.groups.leads = "alice@example.com", [
    'field "groups.leads"',
  ]],
  ["a bad group name", (v) => v.groups["a b"] = ["alice@example.com"], [
    'field "groups[\\"a b\\"]"',
    "group name",
  ]],
  ["a principal twice", (v) => v.groups.admins.push("bob@example.com"), [
    'field "groups.admins[3]"',
    "twice",
  ]],
  ["an unknown principal", (v) => v.groups.security = ["mallory@example.com"], [
    'field "groups.security[0]"',
    "line 14",
    "unknown principal",
  ]],
  ["a wildcard principal", (v) => v.groups.security = ["*@example.com"], [
    'field "groups.security[0]"',
    "pattern character",
  ]],
  ["a negated principal", (v) => v.groups.security = ["!sam@example.com"], [
    'field "groups.security[0]"',
    "pattern character",
  ]],
  ["an unknown group in a rule", (v) => v.rules[0].groups = ["leads", "ops"], [
    'field "rules[0].groups[1]"',
    "line 31",
    'unknown group "ops"',
  ]],
  ["an unknown group in trust", (v) => v.trust.groups = ["root"], [
    'field "trust.groups[0]"',
    'unknown group "root"',
  ]],
  ["a group twice in a rule", (v) => v.rules[0].groups = ["leads", "leads"], [
    'field "rules[0].groups[1]"',
    "twice",
  ]],
  ["no groups in a rule", (v) => v.rules[0].groups = [], [
    'field "rules[0].groups"',
    "non-empty",
  ]],
  ["threshold 0", (v) => v.rules[0].threshold = 0, [
    'field "rules[0].threshold"',
    "line 33",
    "from 1 to 2",
  ]],
  ["threshold -1", (v) => v.rules[1].threshold = -1, [
    'field "rules[1].threshold"',
  ]],
  ["threshold above the groups' principals", (v) => v.rules[0].threshold = 3, [
    'field "rules[0].threshold"',
    "from 1 to 2",
  ]],
  ["trust threshold above the group", (v) => v.trust.threshold = 4, [
    'field "trust.threshold"',
    "line 24",
    "from 1 to 3",
  ]],
  ["a principal in two groups counts once", (v) => {
    v.groups.security = ["alice@example.com"];
  }, ['field "rules[0].threshold"', "from 1 to 1"]],
  ["a fractional threshold", (v) => v.trust.threshold = 1.5, [
    'field "trust.threshold"',
    "whole number",
  ]],
  ["a string threshold", (v) => v.trust.threshold = "2", [
    'field "trust.threshold"',
    "whole number",
  ]],
  [
    "a pattern escaping the repository",
    (v) => v.rules[0].pattern = "../.mcp.json",
    ['field "rules[0].pattern"', "line 28", '".." segment'],
  ],
  ["an absolute pattern", (v) => v.rules[0].pattern = "/etc/x", [
    'field "rules[0].pattern"',
    'leading "/"',
  ]],
  [
    "a pattern into the store",
    (v) => v.rules[0].pattern = ".mcp-orchestration/**",
    ['field "rules[0].pattern"', ".mcp-orchestration/"],
  ],
  ["a pattern into .git", (v) => v.rules[0].pattern = "sub/.git/config", [
    'field "rules[0].pattern"',
    ".git/",
  ]],
  ["a pattern with braces", (v) => v.rules[0].pattern = "{a,b}.json", [
    'field "rules[0].pattern"',
    "unsupported glob",
  ]],
  ["an empty pattern", (v) => v.rules[0].pattern = "", [
    'field "rules[0].pattern"',
    "non-empty",
  ]],
  ["a duplicate pattern", (v) => v.rules[1].pattern = ".mcp.json", [
    'field "rules[1].pattern"',
    "same as rules[0]",
  ]],
  ["a duplicate pattern by case", (v) => v.rules[1].pattern = ".MCP.json", [
    'field "rules[1].pattern"',
    "same as rules[0]",
  ]],
  ["a rule not an object", (v) => v.rules[1] = ".mcp.json", [
    'field "rules[1]"',
    "must be an object",
  ]],
  ["rules not a list", (v) => v.rules = {}, [
    'field "rules"',
    "must be a list",
  ]],
  [
    "too many rules",
    (v) =>
      v.rules = Array.from(
        { length: 101 },
        (_, i) => ({
          pattern: `d${i}/.mcp.json`,
          groups: ["leads"],
          threshold: 1,
        }),
      ),
    ['field "rules"', "over the limit of 100"],
  ],
  ["too many groups", (v) => {
    for (let i = 0; i < 97; i++) v.groups[`g${i}`] = ["alice@example.com"];
  }, ['field "groups"', "over the limit of 100"]],
];

for (const [name, edit, fragments] of BAD) {
  Deno.test(`parsePolicy refuses ${name}`, async () => {
    let input: string;
    if (typeof edit === "string") input = edit;
    else {
      const value = example();
      edit(value);
      input = text(value).replace('"@1e0"', "1e0");
    }
    await assertToolError(
      parse(input),
      "INVALID_FORMAT",
      `Invalid policy "${POLICY_PATH}"`,
      ...fragments,
    );
  });
}

Deno.test("parsePolicy reads bytes, and refuses invalid UTF-8 with its position", async () => {
  const bytes = new TextEncoder().encode(text(example()));
  equal((await parsePolicy(bytes, { source: POLICY_PATH })).version, 3);
  const bad = new Uint8Array([
    ...new TextEncoder().encode('{\n"a": "'),
    0xff,
    0x22,
    0x7d,
  ]);
  await assertToolError(
    parsePolicy(bad, { source: POLICY_PATH }),
    "INVALID_FORMAT",
    "line 2",
    "UTF-8",
  );
});

Deno.test("a change of policy.json always starts the pre-commit hook (the tool's filter and the stub's)", () => {
  for (const path of [POLICY_PATH, REVOKED_KEYS_PATH]) {
    equal(mayConcernPreCommit({ path, mode: "100644" }), true, path);
    equal(mayConcernPreCommit({ path, mode: "000000" }), true, path);
    equal(PRE_COMMIT_FAST_PATH.test(path), true, path);
  }
});

Deno.test("the policy init writes parses, and states today's rule for the trust list's literal principals", async () => {
  const key = (n: number) => new Uint8Array(32).fill(n);
  const trust = await parseAllowedSigners(
    [
      formatAllowedSigner(key(1), { principal: "alice@example.com" }),
      formatAllowedSigner(key(2), { principal: "bob@example.com" }),
      formatAllowedSigner(key(3), { principal: "alice@example.com" }),
      `*@example.com,!carol@example.com ${
        formatAllowedSigner(key(4), { principal: "x" }).split(" ").slice(1)
          .join(" ")
      }`,
      "",
    ].join("\n"),
    ALLOWED_SIGNERS_PATH,
  );
  const principals = literalPrincipals(trust);
  deepEqual([...principals], ["alice@example.com", "bob@example.com"]);
  const policy = await parsePolicy(initialPolicyText([...principals]), {
    source: POLICY_PATH,
    principals,
  });
  equal(policy.version, 1);
  for (const path of [".mcp.json", "a/b/.cursor/mcp.json", POLICY_PATH]) {
    const requirement = requirementFor(policy, path);
    equal(requirement.threshold, 1);
    deepEqual(requirement.eligible, principals);
  }
});

Deno.test("parsePolicy reads lint.block, optional, and refuses an unknown rule with its line and field", async () => {
  equal((await parse(text(example()))).lint, undefined);
  const policy = await parse(
    text({
      ...example(),
      lint: { block: ["secret-literal", "insecure-http"] },
    }),
  );
  deepEqual(policy.lint, { block: ["secret-literal", "insecure-http"] });
  const bad = text({
    ...example(),
    lint: { block: ["secret-literal", "secret-in-env"] },
  });
  const line = bad.split("\n").findIndex((l) => l.includes("secret-in-env")) +
    1;
  await assertToolError(
    parse(bad),
    "INVALID_FORMAT",
    `line ${line}, field "lint.block[1]"`,
    'unknown lint rule "secret-in-env"',
    '"insecure-http"',
  );
  for (
    const [lint, fragment] of [
      [{ block: [] }, 'field "lint.block": must be a non-empty list'],
      [{ block: ["shell-wrapper", "shell-wrapper"] }, "is listed twice"],
      [
        { block: ["shell-wrapper"], warn: [] },
        'field "lint.warn": unknown key',
      ],
      [{}, 'field "lint.block": missing'],
      [["shell-wrapper"], 'field "lint": must be an object'],
    ] as const
  ) {
    await assertToolError(
      parse(text({ ...example(), lint })),
      "INVALID_FORMAT",
      fragment,
    );
  }
});
