/// <reference lib="dom" />
/**
 * Scan a bag (`/scan`), for a donor with her phone: the rear camera reads the QR label
 * (`components/qr-scanner.ts`), the passport code in it finds her batch (`GET /batches?code=`),
 * and the move page opens for it. A typed code works the same way (forgiving, as on `/p`).
 * A camera that is refused, absent or busy is said plainly, and the typed-code box stays.
 */
import { codeEntry } from "../components/code-entry.js";
import { fill, h } from "../components/element.js";
import { errorNotice } from "../components/notice.js";
import { type CameraProblem, type ScannerHandle, startScanner } from "../components/qr-scanner.js";
import { codeFromScan } from "../format/move.js";
import { groupCode } from "../format/passport-code.js";
import type { Page } from "../router.js";

const PROBLEM_WORDS: Record<CameraProblem, string> = {
  refused:
    "The camera was not allowed, so this page cannot scan. Type the code printed under the QR code below, or allow the camera for this site in the browser's settings and try again.",
  absent:
    "This phone or browser offers no camera to this page. Type the code printed under the QR code below.",
  failed:
    "The camera could not be started; another app may be using it. Close that app and try again, or type the code below.",
};

export const scanPage: Page = (root, _params, app) => {
  document.title = "Scan a bag · coldtrail";
  const status = h("p", { class: "scan-status", role: "status" }, "Starting the camera…");
  const video = h("video", {
    class: "scan-video",
    muted: true,
    playsinline: true,
    autoplay: true,
    "aria-label": "What the camera sees",
  });
  video.hidden = true;
  const problem = h("div", { class: "scan-problem", "aria-live": "polite" });
  const retry = h("button", { type: "button", class: "secondary" }, "Try the camera again");
  let scanner: ScannerHandle | null = null;
  let disposed = false;
  let busy = false;

  async function find(code: string) {
    if (busy) return;
    busy = true;
    scanner?.stop();
    scanner = null;
    video.hidden = true;
    problem.replaceChildren();
    status.textContent = `Found ${groupCode(code)}. Finding your batch…`;
    const r = await app.api.batches({ code });
    busy = false;
    if (disposed) return;
    if (!r.ok) {
      status.textContent = "";
      fill(problem, errorNotice("the batch", r), retry);
      return;
    }
    const b = r.value.batches[0];
    if (!b) {
      status.textContent = "";
      fill(
        problem,
        h(
          "p",
          { class: "notice error" },
          `None of your batches has the code ${groupCode(code)}. Check the label, or ask the milk bank if this is not your bag.`,
        ),
        retry,
      );
      return;
    }
    app.navigate(`/batches/${encodeURIComponent(b.id)}/move`);
  }

  async function startCamera() {
    problem.replaceChildren();
    status.textContent = "Starting the camera…";
    const looking = "Looking for a QR code. Hold the label flat, about a hand's width from the camera.";
    const r = await startScanner(
      video,
      (text) => {
        const c = codeFromScan(text);
        if (c.ok) void find(c.code);
        else status.textContent = c.reason;
      },
      () => {
        if (disposed || busy) return;
        video.hidden = false;
        status.textContent = looking;
      },
    );
    if (disposed) {
      if (r.ok) r.handle.stop();
      return;
    }
    if (!r.ok) {
      status.textContent = "";
      video.hidden = true;
      fill(
        problem,
        h("p", { class: "notice camera-problem", "data-problem": r.problem }, PROBLEM_WORDS[r.problem]),
        r.problem === "absent" ? null : retry,
      );
      return;
    }
    scanner = r.handle;
    if (busy) r.handle.stop();
  }
  retry.addEventListener("click", () => void startCamera());

  root.append(
    h(
      "div",
      { class: "scan" },
      h("h1", null, "Scan a bag"),
      h("p", null, "Point the camera at the QR code on the bag's label to record where the bag goes."),
      h("div", { class: "scan-view" }, video),
      status,
      problem,
      codeEntry((code) => void find(code), {
        label: "Or type the code on the label",
        submit: "Find the bag",
      }),
    ),
  );
  void startCamera();
  return () => {
    disposed = true;
    scanner?.stop();
  };
};
