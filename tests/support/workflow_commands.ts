/**
 * How the GitHub Actions runner reads a line of a step's output as a
 * workflow command (`::name key=value,…::data`), ported from the runner's
 * `ActionCommand.TryParseV2` (actions/runner, src/Runner.Common/ActionCommand.cs):
 * leading whitespace is dropped, the line must start with `::`, the first
 * `::` after that ends the command and its properties, properties are split
 * on `,` and then on the first `=`, and values and data are unescaped in the
 * runner's order (`%0D`, `%0A`, then `%3A` and `%2C` in properties, `%25`
 * last). Tests use it to read `verify --format github` the way GitHub will.
 *
 * @module
 */

/** A workflow command, as the runner understands it. */
export interface WorkflowCommand {
  /** The command's name, e.g. "error". */
  name: string;
  /** Its properties, unescaped. */
  properties: Record<string, string>;
  /** Its data (the message), unescaped. */
  data: string;
}

const DATA_ESCAPES: readonly [string, string][] = [
  ["%0D", "\r"],
  ["%0A", "\n"],
  ["%25", "%"],
];

const PROPERTY_ESCAPES: readonly [string, string][] = [
  ["%0D", "\r"],
  ["%0A", "\n"],
  ["%3A", ":"],
  ["%2C", ","],
  ["%25", "%"],
];

/**
 * Parses one line of output as the runner would.
 *
 * @param line A line, without its line break.
 * @returns The command, or undefined when the runner would print the line as it is.
 */
export function parseWorkflowCommand(
  line: string,
): WorkflowCommand | undefined {
  const message = line.trimStart();
  if (!message.startsWith("::")) return undefined;
  const end = message.indexOf("::", 2);
  if (end < 0) return undefined;
  const info = message.slice(2, end);
  const space = info.indexOf(" ");
  const name = space < 0 ? info : info.slice(0, space);
  if (name === "") return undefined;
  const properties: Record<string, string> = {};
  if (space > 0) {
    for (const pair of info.slice(space + 1).trim().split(",")) {
      const equals = pair.indexOf("=");
      if (equals <= 0 || equals === pair.length - 1) continue;
      properties[pair.slice(0, equals)] = unescape(
        pair.slice(equals + 1),
        PROPERTY_ESCAPES,
      );
    }
  }
  return {
    name,
    properties,
    data: unescape(message.slice(end + 2), DATA_ESCAPES),
  };
}

/**
 * Splits output into lines the way the runner reads them (.NET's
 * `ReadLine`: at CR, LF or CRLF).
 *
 * @param output A step's output.
 * @returns Its lines, without a last empty one.
 */
export function runnerLines(output: string): string[] {
  const lines = output.split(/\r\n|\r|\n/);
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

function unescape(text: string, escapes: readonly [string, string][]): string {
  let result = text;
  for (const [escaped, char] of escapes) {
    result = result.replaceAll(escaped, char);
  }
  return result;
}
