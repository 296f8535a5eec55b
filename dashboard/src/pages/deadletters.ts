/// <reference lib="dom" />
/** Dead letters (`/deadletters`): refused MQTT messages, newest first, for staff debugging devices. */
import type { DeadLetter } from "../api/types.js";
import { h } from "../components/element.js";
import { errorNotice, loading } from "../components/notice.js";
import { formatAge, formatLocal } from "../format/time.js";
import type { Page } from "../router.js";

const PAGE = 50;

function row(d: DeadLetter, nowMs: number): HTMLElement {
  return h(
    "tr",
    { "data-deadletter-id": String(d.id) },
    h(
      "td",
      null,
      formatLocal(d.at),
      h("br"),
      h("span", { class: "hint" }, formatAge(Date.parse(d.at), nowMs)),
    ),
    h("td", null, d.probeId ?? h("span", { class: "hint" }, "unknown")),
    h("td", null, h("code", { class: "reason-code" }, d.reason), h("br"), d.message),
    h("td", { class: "topic" }, h("code", null, d.topic)),
    h(
      "td",
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
      "Messages the server refused (bad payload, wrong topic, unknown probe). Ingest carries on; these are kept so devices can be fixed.",
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
                null,
                h(
                  "thead",
                  null,
                  h(
                    "tr",
                    null,
                    ["When", "Probe", "Reason", "Topic", "First bytes"].map((t) =>
                      h("th", { scope: "col" }, t),
                    ),
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
