/// <reference lib="dom" />
/**
 * A milk-bag label: the passport's QR code (GET /passports/{code}/qr.svg), the code in large type
 * for people whose phone cannot scan, and the day the milk was expressed. Sized in millimetres
 * for 50 x 30 mm labels; styles.css prints them several to an A4 page.
 */
import type { BatchDetail } from "../api/types.js";
import { groupCode } from "../format/passport-code.js";
import { type Child, h } from "./element.js";

/** "30 Nov 2026" in the browser's zone: the long form wraps to three lines on a 50 mm label. */
const shortDay = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

/** "7K2M-01AB-CDEF-G" with a line-break chance after each dash, so it wraps between groups. */
function codeWithBreaks(code: string): Child[] {
  return groupCode(code)
    .split("-")
    .flatMap((g, i, all) => (i < all.length - 1 ? [`${g}-`, h("wbr")] : [g]));
}

export function bagLabel(
  b: Pick<BatchDetail, "id" | "code" | "expressedAt" | "volumeMl" | "passportUrl">,
  qrUrl: string,
): HTMLElement {
  let where = "";
  try {
    where = `${new URL(b.passportUrl).host}/p`;
  } catch {
    // A server without a public URL answers a relative passport URL: the QR still works.
  }
  return h(
    "article",
    { class: "bag-label", "data-batch-id": b.id, "data-code": b.code },
    h("img", {
      class: "label-qr",
      src: qrUrl,
      alt: `QR code that opens the milk passport of batch ${b.code}`,
    }),
    h(
      "div",
      { class: "label-text" },
      h(
        "span",
        { class: "label-code code", "aria-label": `Code ${b.code.split("").join(" ")}` },
        codeWithBreaks(b.code),
      ),
      h("span", { class: "label-expressed" }, `Expressed ${shortDay.format(Date.parse(b.expressedAt))}`),
      b.volumeMl ? h("span", { class: "label-volume" }, `${b.volumeMl} ml`) : null,
      where ? h("span", { class: "label-where" }, where) : null,
    ),
  );
}
