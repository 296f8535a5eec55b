/// <reference lib="dom" />
/**
 * Dead letters (`/deadletters`): refused MQTT messages, newest first, for staff debugging devices.
 * A message whose good readings were stored lists the readings refused alone, each with its reason.
 * On a phone the table stacks into one block per letter (styles.css `.deadletters`).
 */
import type { DeadLetter, RefusedReading } from "../api/types.js";
import { type Child, h } from "../components/element.js";
import { errorNotice, loading } from "../components/notice.js";
import { formatAge, formatLocal } from "../format/time.js";
import type { Page } from "../router.js";

const PAGE = 50;
/** Refused readings shown before the list folds away behind its summary. */
const OPEN_UP_TO = 5;
const COLUMNS = ["When", "Probe", "Reason", "Topic", "First bytes"] as const;
/** Dates JavaScript can represent (±100 000 000 days from 1970). */
const MAX_DATE_MS = 8.64e15;

/** A value as the device sent it: a plausible ts also as local time, strings quoted. */
function sent(v: RefusedReading["ts"], asTime: boolean): string {
  if (v === undefined) return "none";
  if (typeof v === "string") return JSON.stringify(v);
  if (asTime && typeof v === "number" && Number.isSafeInteger(v) && Math.abs(v) <= MAX_DATE_MS) {
    return `${v} (${formatLocal(v)})`;
  }
  return String(v);
}

function refusedList(list: readonly RefusedReading[]): HTMLElement {
  return h(
    "details",
    { class: "refused-readings", open: list.length <= OPEN_UP_TO },
    h("summary", null, list.length === 1 ? "1 reading refused" : `${list.length} readings refused`),
    h(
      "ul",
      null,
      list.map((r) =>
        h(
          "li",
          { "data-index": String(r.index) },
          h("code", null, `#${r.index}`),
          " ",
          h("code", { class: "reason-code" }, r.reason),
          h("br"),
          `ts ${sent(r.ts, true)}, temp_c ${sent(r.temp_c, false)}`,
          r.message && [h("br"), h("span", { class: "hint" }, r.message)],
        ),
      ),
    ),
  );
}

function row(d: DeadLetter, nowMs: number): HTMLElement {
  const refused = d.refusedReadings ?? [];
  const cell = (i: number, attrs: Record<string, string> | null, ...children: Child[]) =>
    h("td", { ...attrs, "data-label": COLUMNS[i] as string }, ...children);
  return h(
    "tr",
    { "data-deadletter-id": String(d.id) },
    cell(
      0,
      null,
      formatLocal(d.at),
      h("br"),
      h("span", { class: "hint" }, formatAge(Date.parse(d.at), nowMs)),
    ),
    cell(1, null, d.probeId ?? h("span", { class: "hint" }, "unknown")),
    cell(
      2,
      { class: "reason" },
      h("code", { class: "reason-code" }, d.reason),
      h("br"),
      d.message,
      refused.length > 0 && refusedList(refused),
    ),
    cell(3, { class: "topic" }, h("code", null, d.topic)),
    cell(
      4,
      null,
      h("code", { class: "payload" }, d.payloadHead),
      h("br"),
      h("span", { class: "hint" }, `${d.payloadBytes} bytes`),
    ),
  );
}

export const deadLettersPage: Page = (root, _params, app) => {
  document.title = "Dead letters · coldtrail";
  const body = h("tbody");
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Load older");
  const box = h("div", null, loading("dead letters"));
  root.append(
    h("h1", null, "Dead letters"),
    h(
      "p",
      null,
      "Messages the server refused (bad payload, wrong topic, unknown probe), and readings it refused alone while storing the rest of their message. Ingest carries on; these are kept so devices can be fixed.",
    ),
    box,
    more,
  );
  let disposed = false;
  let oldest: number | undefined;

  async function load(before?: number) {
    const r = await app.api.deadLetters({ limit: PAGE, ...(before !== undefined && { before }) });
    if (disposed) return;
    if (!r.ok) {
      box.replaceChildren(errorNotice("the dead letters", r));
      return;
    }
    const nowMs = Date.now();
    const rows = r.value.deadletters;
    if (before === undefined) {
      body.replaceChildren();
      box.replaceChildren(
        rows.length
          ? h(
              "div",
              { class: "table-wrap" },
              h(
                "table",
                { class: "deadletters" },
                h(
                  "thead",
                  null,
                  h(
                    "tr",
                    null,
                    COLUMNS.map((t) => h("th", { scope: "col" }, t)),
                  ),
                ),
                body,
              ),
            )
          : h("p", { class: "notice" }, "No refused messages."),
      );
    }
    body.append(...rows.map((d) => row(d, nowMs)));
    oldest = rows.at(-1)?.id ?? oldest;
    more.hidden = rows.length < PAGE;
  }
  more.addEventListener("click", () => void load(oldest));

  void load();
  return () => {
    disposed = true;
  };
};
