/// <reference lib="dom" />
/**
 * The phone's camera as a QR reader: the rear camera (getUserMedia, `facingMode: environment`)
 * into a `<video>`, read a few times a second by the browser's own BarcodeDetector where it has
 * one for QR codes (Chrome on Android and macOS, Safari 17+), and otherwise by jsQR on a
 * downscaled frame. jsQR is loaded only then (its own chunk of the bundle), so pages that never
 * scan never download it. A camera that is refused, absent or busy is reported as a `problem`.
 */

export type CameraProblem =
  /** The person (or the browser's settings) said no. */
  | "refused"
  /** No camera, or no camera API here (an old browser, or a page not served over https). */
  | "absent"
  /** The camera exists but could not be started (another app has it, say). */
  | "failed";

export interface ScannerHandle {
  /** Stops the camera and the reading loop; safe to call more than once. */
  stop(): void;
  /** "BarcodeDetector" or "jsQR": which reader is in use (shown to nobody, asserted by tests). */
  reader: string;
}

type Reader = (video: HTMLVideoElement) => Promise<string | null>;

/** How often a frame is read: often enough to feel instant, seldom enough to spare the battery. */
const READ_EVERY_MS = 150;
/** jsQR reads a frame scaled to at most this many pixels on its longer side: fast, and enough for a label filling part of the view. */
const JSQR_MAX_SIDE = 640;

interface BarcodeDetectorLike {
  detect(source: CanvasImageSource): Promise<{ rawValue: string }[]>;
}
interface BarcodeDetectorClass {
  new (opts: { formats: string[] }): BarcodeDetectorLike;
  getSupportedFormats(): Promise<string[]>;
}

async function nativeReader(): Promise<Reader | null> {
  const BD = (globalThis as { BarcodeDetector?: BarcodeDetectorClass }).BarcodeDetector;
  if (!BD) return null;
  try {
    if (!(await BD.getSupportedFormats()).includes("qr_code")) return null;
    const detector = new BD({ formats: ["qr_code"] });
    return async (video) => (await detector.detect(video))[0]?.rawValue ?? null;
  } catch {
    return null;
  }
}

async function jsqrReader(): Promise<Reader> {
  const mod = (await import("jsqr")) as unknown as { default: unknown };
  const fn = (
    typeof mod.default === "function" ? mod.default : (mod.default as { default: unknown }).default
  ) as typeof import("jsqr").default;
  const canvas = document.createElement("canvas");
  const g = canvas.getContext("2d", { willReadFrequently: true }) as CanvasRenderingContext2D;
  return async (video) => {
    const scale = Math.min(1, JSQR_MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
    const w = Math.max(1, Math.round(video.videoWidth * scale));
    const hgt = Math.max(1, Math.round(video.videoHeight * scale));
    canvas.width = w;
    canvas.height = hgt;
    g.drawImage(video, 0, 0, w, hgt);
    return fn(g.getImageData(0, 0, w, hgt).data, w, hgt, { inversionAttempts: "dontInvert" })?.data ?? null;
  };
}

function problemOf(e: unknown): { problem: CameraProblem; detail: string } {
  const name = (e as { name?: string }).name ?? "";
  const detail = `${name}: ${(e as Error).message ?? String(e)}`;
  if (name === "NotAllowedError" || name === "SecurityError") return { problem: "refused", detail };
  if (name === "NotFoundError" || name === "OverconstrainedError" || name === "TypeError")
    return { problem: "absent", detail };
  return { problem: "failed", detail };
}

/**
 * Starts the camera in `video` and calls `onText` with each QR text read (the same text once
 * until another is read). Resolves to the handle once the reader runs, or to the problem that
 * kept the camera off.
 */
export async function startScanner(
  video: HTMLVideoElement,
  onText: (text: string) => void,
  /** The camera's picture is showing (the reader may still be loading). */
  onStarted: () => void = () => undefined,
): Promise<{ ok: true; handle: ScannerHandle } | { ok: false; problem: CameraProblem; detail: string }> {
  const media = navigator.mediaDevices as MediaDevices | undefined;
  if (!media?.getUserMedia)
    return {
      ok: false,
      problem: "absent",
      detail: window.isSecureContext ? "no getUserMedia" : "not a secure context (https)",
    };
  let stream: MediaStream;
  try {
    stream = await media.getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false });
  } catch (e) {
    return { ok: false, ...problemOf(e) };
  }
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const handle: ScannerHandle = {
    reader: "",
    stop() {
      stopped = true;
      clearTimeout(timer);
      for (const t of stream.getTracks()) t.stop();
      video.srcObject = null;
    },
  };
  video.srcObject = stream;
  try {
    await video.play();
  } catch (e) {
    // A page left while the camera started: not a problem to show.
    if (stopped) return { ok: true, handle };
    handle.stop();
    return { ok: false, ...problemOf(e) };
  }
  if (stopped) return { ok: true, handle };
  onStarted();
  const native = await nativeReader();
  const read = native ?? (await jsqrReader());
  handle.reader = native ? "BarcodeDetector" : "jsQR";
  video.dataset.reader = handle.reader;
  let lastText = "";
  const tick = async () => {
    if (stopped) return;
    if (video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA && video.videoWidth > 0) {
      const text = await read(video).catch(() => null);
      if (text && text !== lastText && !stopped) {
        lastText = text;
        onText(text);
      }
    }
    if (!stopped) timer = setTimeout(tick, READ_EVERY_MS);
  };
  void tick();
  return { ok: true, handle };
}
