import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  checkTemplateFill,
  secretName,
  templateSecrets,
  type TemplateVerdict,
} from "../../src/configs/continue_templates.ts";
import { parseDotenv } from "../../src/configs/dotenv.ts";
import { loadYamlParser } from "../../src/deps.ts";

const PATH = ".continue/mcpServers/github.yaml";
const FROM = ".continue/.env";

function block(envLine: string): string {
  return [
    "name: GitHub",
    "version: 0.0.1",
    "schema: v1",
    "mcpServers:",
    "  - name: github",
    "    command: npx",
    "    args:",
    "      - -y",
    '      - "@modelcontextprotocol/server-github"',
    "    env:",
    `      ${envLine}`,
    "",
  ].join("\n");
}
const PLAIN = block("GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}");
const QUOTED = block('GITHUB_TOKEN: "${{ secrets.GITHUB_TOKEN }}"');
const FLOW = [
  "name: GitHub",
  "version: 0.0.1",
  "schema: v1",
  'mcpServers: [{name: github, command: npx, args: ["${{ secrets.ARG }}"]}]',
  "",
].join("\n");

async function check(
  text: string,
  values: Record<string, string>,
): Promise<TemplateVerdict> {
  return await checkTemplateFill(
    PATH,
    text,
    new Map(
      Object.entries(values).map(([name, value]) => [name, {
        value,
        from: FROM,
      }]),
    ),
  );
}

function assertRefused(
  verdict: TemplateVerdict,
  pattern: RegExp,
  secret: string,
): void {
  strictEqual(verdict.ok, false, "the fill was accepted");
  if (verdict.ok) return;
  ok(pattern.test(verdict.problem), verdict.problem);
  ok(verdict.problem.includes(`"${FROM}"`), verdict.problem);
  // Names the secret, never its value.
  ok(!verdict.problem.includes(secret), verdict.problem);
}

Deno.test("secretName: secrets and inputs are filled, by their last part", () => {
  strictEqual(secretName("secrets.GITHUB_TOKEN"), "GITHUB_TOKEN");
  strictEqual(secretName("inputs.API_KEY"), "API_KEY");
  strictEqual(secretName("secrets.owner/block/API_KEY"), "API_KEY");
  strictEqual(secretName("continue.anything"), undefined);
  strictEqual(secretName("env.HOME"), undefined);
});

Deno.test("templateSecrets: Continue's template syntax, each name once", () => {
  deepStrictEqual(
    templateSecrets(
      "a: ${{secrets.A}}\nb: ${{   inputs.B   }}\nc: ${{ secrets.A }}\n" +
        "d: ${{ env.D }}\ne: {{ secrets.E }}\nf: ${ secrets.F }\n",
    ),
    ["A", "B"],
  );
});

Deno.test("checkTemplateFill: a block without templates is accepted as it is", async () => {
  const text = block("GITHUB_TOKEN: ghp_literal");
  deepStrictEqual(await check(text, { GITHUB_TOKEN: "x\ny" }), {
    ok: true,
    filled: [],
  });
});

Deno.test("checkTemplateFill: a missing or empty value leaves the template as it is", async () => {
  deepStrictEqual(await check(PLAIN, {}), { ok: true, filled: [] });
  deepStrictEqual(await check(PLAIN, { GITHUB_TOKEN: "" }), {
    ok: true,
    filled: [],
  });
  deepStrictEqual(await check(PLAIN, { OTHER: "x\n  - name: evil" }), {
    ok: true,
    filled: [],
  });
});

Deno.test("checkTemplateFill: an ordinary token is accepted, plain or quoted", async () => {
  for (const text of [PLAIN, QUOTED]) {
    for (const value of ["ghp_16C7e42F292c6912E7710c838347Ae178B4a", "1234"]) {
      deepStrictEqual(await check(text, { GITHUB_TOKEN: value }), {
        ok: true,
        filled: ["GITHUB_TOKEN"],
      });
    }
  }
  // A value that only changes the scalar it fills.
  deepStrictEqual(
    await check(PLAIN, { GITHUB_TOKEN: "x}}, [evil], {sh}" }),
    { ok: true, filled: ["GITHUB_TOKEN"] },
  );
  deepStrictEqual(
    await check(block("AUTH: Bearer ${{ inputs.GITHUB_TOKEN }}"), {
      GITHUB_TOKEN: "p@ss #1",
    }),
    { ok: true, filled: ["GITHUB_TOKEN"] },
  );
});

Deno.test("checkTemplateFill: a value with a line break is refused, wherever it goes", async () => {
  const secret = "none\n  - name: helper\n    command: sh";
  for (const text of [PLAIN, QUOTED, FLOW]) {
    for (const value of [secret, "a\rb", "a\u2028b", "a\u0085b"]) {
      assertRefused(
        await check(text, { GITHUB_TOKEN: value, ARG: value }),
        /secret "(GITHUB_TOKEN|ARG)" from ".+" holds a line break/,
        value,
      );
    }
  }
});

Deno.test("checkTemplateFill: flow syntax that closes a quoted template and adds a server is refused", async () => {
  const secret = 'x"]}, {name: evil, command: sh, args: ["-c';
  // The attack is real: filled, the flow list holds two servers.
  const yaml = await loadYamlParser();
  const filled = yaml.parse(FLOW.replace("${{ secrets.ARG }}", secret)) as {
    mcpServers: { name: string }[];
  };
  deepStrictEqual(filled.mcpServers.map((server) => server.name), [
    "github",
    "evil",
  ]);
  assertRefused(
    await check(FLOW, { ARG: secret }),
    /secret "ARG" .*changes structure at "mcpServers"/,
    secret,
  );
});

Deno.test("checkTemplateFill: a filled text that no longer parses is refused", async () => {
  // In a plain scalar, ": " starts a mapping: the filled text is not YAML.
  const secret = "x}}, {name: evil, command: sh}";
  assertRefused(
    await check(PLAIN, { GITHUB_TOKEN: secret }),
    /secret "GITHUB_TOKEN" .*the block is no longer strict YAML \(line 11\)/,
    secret,
  );
});

Deno.test("checkTemplateFill: a value that swallows a neighbouring key is refused", async () => {
  const text = "mcpServers:\n  - {name: a, command: npx, " +
    'env: {T: "${{ secrets.T }}", U: "keep"}}\n';
  assertRefused(
    await check(text, { T: 'x", U: "evil' }),
    /secret "T" .*no longer strict YAML/,
    "evil",
  );
});

Deno.test("checkTemplateFill: a quoted template is checked as Continue rewrites it, unquoted", async () => {
  // Continue fills the text YAML.stringify writes, where the quotes are gone.
  for (const secret of ["[sh, -c]", "{command: sh}", "*x", "!!binary aGk="]) {
    assertRefused(
      await check(QUOTED, { GITHUB_TOKEN: secret }),
      /as Continue rewrites it (changes structure|is no longer strict YAML)/,
      secret,
    );
  }
});

Deno.test("parseDotenv: values as dotenv 16 reads them", () => {
  deepStrictEqual(
    parseDotenv(
      [
        "# comment",
        "A=plain value # note",
        "export B='single # kept'",
        'C="x\\ny\\rz"',
        "D=`back`",
        'E="spans',
        'two lines"',
        "F: colon",
        "A=later wins",
        "G=",
        "bad line",
      ].join("\r\n"),
    ),
    new Map([
      ["A", "later wins"],
      ["B", "single # kept"],
      ["C", "x\ny\rz"],
      ["D", "back"],
      ["E", "spans\ntwo lines"],
      ["F", "colon"],
      ["G", ""],
    ]),
  );
});

Deno.test("checkTemplateFill: a JSON block's env ${VAR} is filled as Continue converts it", async () => {
  const json = JSON.stringify({
    mcpServers: {
      github: {
        command: "npx",
        args: ["-y", "${ARG}"],
        env: { GITHUB_TOKEN: "${GITHUB_TOKEN}" },
      },
    },
  });
  const fill = async (values: Record<string, string>) =>
    await checkTemplateFill(
      ".continue/mcpServers/github.json",
      json,
      new Map(
        Object.entries(values).map((
          [name, value],
        ) => [name, { value, from: FROM }]),
      ),
      { format: "json" },
    );
  deepStrictEqual(await fill({ GITHUB_TOKEN: "ghp_1" }), {
    ok: true,
    filled: ["GITHUB_TOKEN"],
  });
  // Only env values are converted: "${ARG}" in args stays as it is.
  deepStrictEqual(await fill({ ARG: "x\n- evil" }), { ok: true, filled: [] });
  assertRefused(
    await fill({ GITHUB_TOKEN: "x\n- evil" }),
    /holds a line break/,
    "evil",
  );
  assertRefused(
    await fill({ GITHUB_TOKEN: "{command: sh}" }),
    /as Continue rewrites it in YAML changes structure at "mcpServers" > "github" > "env" > "GITHUB_TOKEN"/,
    "command: sh",
  );
});
