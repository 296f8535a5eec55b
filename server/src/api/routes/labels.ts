import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import QRCode from "qrcode";
import { notFound } from "../../errors.js";
import type { Batches } from "../../registry/batches.js";
import { PASSPORT_PER_MINUTE } from "../rate-limits.js";
import { errorResponses } from "../schemas/common.js";
import { passportCodeParams, qrSvg } from "../schemas/labels.js";
import { passportUrl } from "./batches.js";

export interface LabelsDeps {
  batches: Pick<Batches, "byCode">;
  /** The server's public URL; the QR opens `<it>/p/<code>`, as `passportUrl` in batch answers. */
  publicHttpUrl(): string;
}

/**
 * Error correction "M" (15 % of the symbol may be lost): a milk bag's label gets wet, creased and
 * frosted, and M still keeps a 40-odd-character URL at a small version (large modules) that a
 * phone reads from a 50 x 30 mm label. One module of quiet zone around it is added by the
 * label's own white margin, so `margin: 2` keeps the SVG tight.
 */
const QR_CACHE = "private, max-age=86400";

const QR_OPTIONS = { type: "svg", errorCorrectionLevel: "M", margin: 2 } as const;

/**
 * Bag labels (issue #11): the QR code of a batch's passport as SVG, to print. Public and limited
 * like the passport itself (codes must not be enumerable): the code is the only key, and the
 * image says no more than the code does.
 */
export const labelsPlugin: FastifyPluginAsyncZod<LabelsDeps> = async (app, ctx) => {
  app.get(
    "/api/v1/passports/:code/qr.svg",
    {
      schema: {
        // Not JSON, so it stays out of the OpenAPI document (as /metrics); docs/http-api.md has it.
        hide: true,
        params: passportCodeParams,
        response: { 200: qrSvg, ...errorResponses },
      },
      config: { auth: "public", rateLimit: { max: PASSPORT_PER_MINUTE, timeWindow: "1 minute" } },
    },
    async (req, reply) => {
      const batch = await ctx.batches.byCode(req.params.code);
      if (!batch) throw notFound("passport", req.params.code);
      const svg = await QRCode.toString(passportUrl(ctx, batch.code), QR_OPTIONS);
      // The image of a code never changes: a sheet of labels reprinted needs no new requests.
      // Private, because the code is the passport's only key and shared caches need not hold it.
      reply.type("image/svg+xml; charset=utf-8").header("cache-control", QR_CACHE);
      return svg;
    },
  );
};
