/// <reference lib="dom" />
/**
 * "Download CSV" and "Download PDF report" for a batch. A signed-in person's link is a plain
 * link (the session cookie goes with a GET); with an automation token the page fetches the file
 * with the token and hands the browser the bytes.
 */
import type { ApiClient } from "../api/client.js";
import { browserTimeZone } from "../format/time.js";
import { h } from "./element.js";

type Api = Pick<ApiClient, "exportUrl" | "downloadWithToken" | "usesToken">;

function downloadLink(api: Api, url: string, fallbackName: string, label: string, status: HTMLElement) {
  const a = h("a", { href: url, download: fallbackName, class: "button secondary download" }, label);
  a.addEventListener("click", async (ev) => {
    if (!api.usesToken()) return;
    ev.preventDefault();
    status.textContent = `Preparing ${fallbackName}…`;
    const r = await api.downloadWithToken(url);
    if (!r.ok) {
      status.textContent = `Could not download ${fallbackName}: ${r.message}`;
      return;
    }
    const href = URL.createObjectURL(r.value.blob);
    const save = h("a", { href, download: r.value.filename ?? fallbackName });
    document.body.append(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(href), 60_000);
    status.textContent = "";
  });
  return a;
}

export function batchDownloads(api: Api, batchId: string, code: string): HTMLElement {
  const status = h("p", { class: "hint download-status", role: "status" });
  return h(
    "div",
    { class: "downloads" },
    h(
      "p",
      { class: "actions" },
      downloadLink(
        api,
        api.exportUrl(batchId, "readings.csv"),
        `batch-${code}-readings.csv`,
        "Download CSV",
        status,
      ),
      " ",
      downloadLink(
        api,
        api.exportUrl(batchId, "report.pdf", browserTimeZone()),
        `batch-${code}-report.pdf`,
        "Download PDF report",
        status,
      ),
    ),
    h(
      "p",
      { class: "hint" },
      "CSV: every reading behind the verdict (time in UTC, °C, unit, probe). PDF: the report to file, with verdict, reasons, chart, custody, reviews and audit trail.",
    ),
    status,
  );
}
