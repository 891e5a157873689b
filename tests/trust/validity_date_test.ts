import { equal, ok } from "node:assert/strict";
import { parseValidityDate } from "../../src/trust/validity_date.ts";
import { assertToolError } from "../support/errors.ts";

Deno.test("parseValidityDate reads ssh-keygen and ISO 8601 dates", () => {
  const good: [string, Date][] = [
    ["20260131", new Date(2026, 0, 31)],
    ["20260131Z", new Date("2026-01-31T00:00:00Z")],
    ["202601311230", new Date(2026, 0, 31, 12, 30)],
    ["202601311230Z", new Date("2026-01-31T12:30:00Z")],
    ["20260131123045", new Date(2026, 0, 31, 12, 30, 45)],
    ["20260131123045Z", new Date("2026-01-31T12:30:45Z")],
    ["20260131123045z", new Date("2026-01-31T12:30:45Z")],
    ["20260131123045UTC", new Date("2026-01-31T12:30:45Z")],
    ["20240229Z", new Date("2024-02-29T00:00:00Z")],
    ["2026-01-31", new Date(2026, 0, 31)],
    ["2026-01-31T12:00", new Date(2026, 0, 31, 12)],
    ["2026-01-31T12:00Z", new Date("2026-01-31T12:00:00Z")],
    ["2026-01-31T12:00:00Z", new Date("2026-01-31T12:00:00Z")],
    ["2026-01-31T12:00:00+02:00", new Date("2026-01-31T10:00:00Z")],
    ["2026-01-31T12:00:00-05:30", new Date("2026-01-31T17:30:00Z")],
  ];
  for (const [text, date] of good) {
    equal(
      parseValidityDate(text, "--valid-after").toISOString(),
      date.toISOString(),
      text,
    );
  }
  const bad = [
    "20261340",
    "20261301",
    "20260132",
    "20260230",
    "20250229Z",
    "20260131240000Z",
    "20260131126000Z",
    "20260131120060Z",
    "19691231Z",
    "19700101000000Z",
    "2026013",
    "202601311",
    "2026013112301",
    "20260131123045ZZ",
    "",
    "Z",
    "UTC",
    " 20260131",
    "2026-1-31",
    "2026-01-31Z",
    "2026-01-31T12:00:00.000Z",
    "2026-01-31 12:00:00Z",
    "2026-01-31T12:00:00+24:00",
    "2026-02-30",
    "tomorrow",
    "１２３４５６７８",
  ];
  for (const text of bad) {
    const error = assertToolError(
      () => parseValidityDate(text, "--valid-before"),
      "USAGE",
    );
    ok(
      error.message.startsWith(`Invalid --valid-before "${text}": `),
      error.message,
    );
  }
});
