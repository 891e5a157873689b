/**
 * Which hook commands start the tool from a package manager's throwaway
 * cache, and what each refusal tells the user to run instead.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  assertDurableLauncher,
  throwawayLauncher,
} from "../../src/hooks/launch.ts";
import { PERMISSION_FLAGS } from "../../src/permissions.ts";
import { assertToolError } from "../support/errors.ts";

const DENO = "/usr/local/bin/deno";
const deno = (execPath: string, module: string) => [
  execPath,
  "run",
  "--quiet",
  ...PERMISSION_FLAGS,
  module,
];

const CASES: {
  name: string;
  command: string[];
  cache: string | null;
  durable?: RegExp;
}[] = [
  {
    name: "npx's Deno running a checkout",
    command: deno(
      "/home/a/.npm/_npx/9f1b2c3d4e5f6a7b/node_modules/@deno/linux-x64/deno",
      "/home/a/src/mcp-orchestration/main.ts",
    ),
    cache: "npx (npm exec)",
    durable:
      /^npm install --global deno@\d+\.\d+\.\d+ && deno run --quiet .* \/home\/a\/src\/mcp-orchestration\/main\.ts install$/,
  },
  {
    name: "npx's Deno running a pinned URL",
    command: deno(
      "/home/a/.npm/_npx/9f1b/node_modules/deno/deno",
      "https://raw.githubusercontent.com/o/mcp-orchestration/0123abc/main.ts",
    ),
    cache: "npx (npm exec)",
    durable: /&& deno run .* https:\/\/raw\.githubusercontent\.com\/o\//,
  },
  {
    name: "npx's npm package under Node (Windows paths too)",
    command: [
      "C:\\Program Files\\nodejs\\node.exe",
      "C:\\Users\\a\\AppData\\Local\\npm-cache\\_npx\\1a2b\\node_modules\\mcp-orchestration\\cli.cjs",
    ],
    cache: "npx (npm exec)",
    durable:
      /^npm install --global mcp-orchestration && mcp-orchestration install/,
  },
  {
    name: "pnpm dlx's cache",
    command: [
      "/usr/bin/node",
      "/home/a/.cache/pnpm/dlx/abcdef/19a-1234/node_modules/mcp-orchestration/cli.cjs",
    ],
    cache: "pnpm dlx",
  },
  {
    name: "pnpm-cache dlx on Windows",
    command: [
      "C:\\node\\node.exe",
      "C:\\Users\\a\\AppData\\Local\\pnpm-cache\\dlx\\abc\\node_modules\\mcp-orchestration\\cli.cjs",
    ],
    cache: "pnpm dlx",
  },
  {
    name: "yarn dlx's temporary project",
    command: [
      "/usr/bin/node",
      "/tmp/xfs-1b2c3d4e/dlx-4242/node_modules/mcp-orchestration/cli.cjs",
    ],
    cache: "yarn dlx or pnpm dlx",
  },
  {
    name: "bunx's cache",
    command: [
      "/usr/bin/node",
      "/tmp/bunx-1000-mcp-orchestration@0.1.0/node_modules/mcp-orchestration/cli.cjs",
    ],
    cache: "bunx",
  },
  {
    name: "a single executable inside npx's cache",
    command: ["/home/a/.npm/_npx/77/node_modules/.bin/mcp-orchestration"],
    cache: "npx (npm exec)",
    durable: /^cp .* ~\/\.local\/bin\/mcp-orchestration && /,
  },
  {
    name: "Deno from a URL, its module in Deno's cache",
    command: deno(
      DENO,
      "https://raw.githubusercontent.com/o/mcp-orchestration/0123abc/main.ts",
    ),
    cache: null,
  },
  {
    name: "an installed npm package",
    command: [
      "/usr/bin/node",
      "/usr/lib/node_modules/mcp-orchestration/cli.cjs",
    ],
    cache: null,
  },
  {
    name: "a project's own node_modules",
    command: [
      "/usr/bin/node",
      "/home/a/project/node_modules/mcp-orchestration/cli.cjs",
    ],
    cache: null,
  },
  {
    name: "folders that only look alike",
    command: [
      "/opt/my_npx/bin/node",
      "/home/a/dlx-tools/bunx/mcp-orchestration.cjs",
    ],
    cache: null,
  },
];

for (const { name, command, cache, durable } of CASES) {
  Deno.test(`throwaway launcher: ${name}`, () => {
    const found = throwawayLauncher(command);
    assert.equal(found?.cache ?? null, cache);
    if (cache === null) {
      assertDurableLauncher(command);
      return;
    }
    if (durable) assert.match(found?.durable ?? "", durable);
    assertToolError(
      () => assertDurableLauncher(command),
      "HOOKS",
      /throwaway cache of .*\n {2}.+ install.*\nOr run again with --force/s,
    );
  });
}
