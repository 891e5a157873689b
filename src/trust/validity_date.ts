/**
 * Validity dates of allowed_signers lines (`valid-after`, `valid-before`) and
 * of the `--valid-after` / `--valid-before` arguments that write them.
 *
 * The file holds ssh-keygen's `YYYYMMDD[HHMM[SS]][Z]` (parse_absolute_time()
 * in OpenSSH 9.2); arguments may also be ISO 8601. Deliberately stricter than
 * OpenSSH: impossible calendar dates (`20260230`) and seconds above 59 are
 * rejected rather than normalised. Without a zone, a time is local time, as
 * in ssh-keygen.
 *
 * @module
 */

import { ToolError } from "../errors.ts";

const SSH_TIME = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?$/;
const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:\d{2})?)?$/;

/** Options for {@linkcode wholeSeconds}. */
export interface WholeSecondsOptions {
  /**
   * Which way to round a fraction of a second: `up` for a first valid
   * instant (so the window never grows), `down` for a last one.
   */
  round: "up" | "down";
}

/**
 * Parses a validity date argument: ssh-keygen's `YYYYMMDD[HHMM[SS]][Z]` (no
 * `Z` means local time, as in ssh-keygen; a `UTC` suffix works too) or ISO
 * 8601 `YYYY-MM-DD[THH:MM[:SS][Z|±HH:MM]]` (no zone means local time, too).
 *
 * @param text The argument.
 * @param what The argument's name (e.g. `--valid-before`), for errors.
 * @returns The instant.
 * @throws {ToolError} `USAGE` when the text is not such a date, names an
 * impossible date (`20261340`, `20260230`), or is not after 1970.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseValidityDate } from "./validity_date.ts";
 * const a = parseValidityDate("20260131120000Z", "--valid-after");
 * const b = parseValidityDate("2026-01-31T12:00:00Z", "--valid-after");
 * assert.equal(a.getTime(), b.getTime());
 * ```
 */
export function parseValidityDate(text: string, what: string): Date {
  const date = parseSshTime(text) ?? _parseIsoTime(text);
  if (date === undefined) {
    throw new ToolError(
      "USAGE",
      `Invalid ${what} "${text}": expected a date as YYYYMMDD[HHMM[SS]][Z] or ISO 8601 (e.g. "2026-01-31T12:00:00Z")`,
    );
  }
  return date;
}

/**
 * Parses ssh-keygen's time syntax (parse_absolute_time()):
 * `YYYYMMDD[HHMM[SS]]`, then `Z` or `UTC` (either case) for UTC, else local
 * time. This is the only syntax an allowed_signers file may hold.
 *
 * @param text The time, e.g. the value of a `valid-before` option.
 * @returns The instant, or `undefined` when the text is not such a time,
 * names an impossible date or time, or is not after 1970.
 * @throws Never.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSshTime } from "./validity_date.ts";
 * assert.equal(
 *   parseSshTime("20270101000000Z")?.toISOString(),
 *   "2027-01-01T00:00:00.000Z",
 * );
 * assert.equal(parseSshTime("20260230Z"), undefined);
 * ```
 */
export function parseSshTime(text: string): Date | undefined {
  let body = text;
  let utc = false;
  if (body.length > 1 && /z$/i.test(body)) {
    body = body.slice(0, -1);
    utc = true;
  } else if (body.length > 3 && /utc$/i.test(body)) {
    body = body.slice(0, -3);
    utc = true;
  }
  const m = SSH_TIME.exec(body);
  if (m === null) return undefined;
  return _makeDate(m.slice(1, 7), utc ? 0 : undefined);
}

/**
 * Rounds a date to whole seconds, checking that it can be written as
 * `YYYYMMDDHHMMSSZ` and read back (after 1970, before 10000).
 *
 * @param date The date.
 * @param name The option it is for (e.g. `valid-after`), for errors.
 * @param options Which way to round.
 * @returns The rounded date.
 * @throws {ToolError} `USAGE` when the date is invalid, not after 1970 or
 * not before the year 10000.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wholeSeconds } from "./validity_date.ts";
 * const date = new Date("2026-01-31T12:00:00.400Z");
 * assert.equal(
 *   wholeSeconds(date, "valid-after", { round: "up" }).toISOString(),
 *   "2026-01-31T12:00:01.000Z",
 * );
 * assert.throws(
 *   () => wholeSeconds(new Date(0), "valid-after", { round: "up" }),
 *   { code: "USAGE" },
 * );
 * ```
 */
export function wholeSeconds(
  date: Date,
  name: string,
  options: WholeSecondsOptions,
): Date {
  const ms = date.getTime();
  if (!Number.isFinite(ms) || ms <= 0 || ms >= Date.UTC(10000, 0, 1)) {
    throw new ToolError(
      "USAGE",
      `Invalid ${name} date: it must be between 1970 and 9999`,
    );
  }
  const round = options.round === "up" ? Math.ceil : Math.floor;
  return new Date(round(ms / 1000) * 1000);
}

/**
 * Formats a date as an allowed_signers time, `YYYYMMDDHHMMSSZ` in UTC. The
 * caller rounds to whole seconds first (see {@linkcode wholeSeconds});
 * milliseconds are dropped.
 *
 * @param date A date between 1970 and 9999.
 * @returns The time, e.g. `20270101000000Z`.
 * @throws {RangeError} When the date is invalid (from `toISOString()`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sshTime } from "./validity_date.ts";
 * assert.equal(sshTime(new Date("2027-01-01T00:00:00Z")), "20270101000000Z");
 * ```
 */
export function sshTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:T]/g, "");
}

/**
 * Formats a date as ISO 8601 in UTC, without milliseconds, for messages.
 *
 * @param date A valid date.
 * @returns The time, e.g. `2027-01-01T00:00:00Z`.
 * @throws {RangeError} When the date is invalid (from `toISOString()`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { iso } from "./validity_date.ts";
 * assert.equal(iso(new Date("2027-01-01T00:00:00.999Z")), "2027-01-01T00:00:00Z");
 * ```
 */
export function iso(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** ISO 8601 `YYYY-MM-DD[THH:MM[:SS][Z|±HH:MM]]`, or `undefined`. */
function _parseIsoTime(text: string): Date | undefined {
  const m = ISO_TIME.exec(text);
  if (m === null) return undefined;
  const zone = m[7];
  if (zone === undefined) return _makeDate(m.slice(1, 7), undefined);
  if (zone === "Z") return _makeDate(m.slice(1, 7), 0);
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(4, 6));
  if (hours > 23 || minutes > 59) return undefined;
  return _makeDate(
    m.slice(1, 7),
    (zone[0] === "-" ? -1 : 1) * (hours * 60 + minutes),
  );
}

/**
 * Builds a date from [year, month, day, hour?, minute?, second?], checking
 * each field's range; `offsetMinutes` undefined means local time. Only
 * instants after 1970-01-01T00:00:00Z are valid (as in OpenSSH).
 */
function _makeDate(
  fields: (string | undefined)[],
  offsetMinutes: number | undefined,
): Date | undefined {
  const [year, month, day, hour = 0, minute = 0, second = 0] = fields.map((f) =>
    f === undefined ? undefined : Number(f)
  );
  if (year === undefined || month === undefined || day === undefined) {
    return undefined;
  }
  // Day 0 of the next month is the last day of this one.
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (
    year < 1970 || month < 1 || month > 12 || day < 1 || day > daysInMonth ||
    hour > 23 || minute > 59 || second > 59
  ) return undefined;
  const date = offsetMinutes === undefined
    ? new Date(year, month - 1, day, hour, minute, second)
    : new Date(
      Date.UTC(year, month - 1, day, hour, minute, second) -
        offsetMinutes * 60_000,
    );
  return date.getTime() > 0 ? date : undefined;
}
