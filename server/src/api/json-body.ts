/**
 * Request bodies in JSON, parsed only when they are shallow enough (issue #14): a body nested
 * thousands deep is refused with a 400 before any parser or validator recurses into it, and
 * `__proto__` / `constructor.prototype` keys are refused too (fastify's secure parser), so no
 * object's prototype can be changed through a request.
 */
import type { FastifyInstance } from "fastify";
import { httpError } from "../errors.js";

/** Deeper than any body the API takes (channels: object → array → string is 3). */
export const MAX_JSON_DEPTH = 32;

/** The deepest nesting of arrays and objects in JSON text, strings skipped; stops past `limit`. */
export function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 125 || c === 93) depth--;
  }
  return max;
}

export function registerJsonBodies(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (req, body, done) => {
    const text = body as string;
    // JSON is UTF-8 (RFC 8259 §8.1); a body declared in another charset would be read wrongly.
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers["content-type"] ?? "")?.[1];
    if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
      done(
        httpError(
          "CT_ERR_UNSUPPORTED_MEDIA",
          `JSON bodies must be UTF-8; got charset "${charset.slice(0, 40)}"`,
        ),
        undefined,
      );
      return;
    }
    if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
      done(
        httpError(
          "CT_ERR_BAD_REQUEST",
          `JSON body nested more than ${MAX_JSON_DEPTH} levels deep; send the flat shape the route documents`,
        ),
        undefined,
      );
      return;
    }
    parse(req, text, done);
  });
}
