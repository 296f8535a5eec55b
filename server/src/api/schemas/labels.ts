import { z } from "zod";

/** A passport code as a label carries it: the same rule as GET /passports/{code}. */
export const passportCodeParams = z.object({
  code: z.string().regex(/^[0-9A-Za-z]{8,32}$/, "a passport code is 8-32 letters and digits"),
});

export const qrSvg = z.string().describe("An SVG image: the QR code of the batch's passport URL");
