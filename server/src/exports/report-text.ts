/** Words and times in the batch report: what pdfkit's built-in Helvetica can draw, in one zone. */

/** Windows-1252 characters beyond Latin-1 that Helvetica in pdfkit can draw. */
const CP1252_EXTRA = new Set("€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ");
const REPLACE: Record<string, string> = {
  "\u2212": "-",
  "\u2264": "<=",
  "\u2265": ">=",
  "\u2192": "->",
  "\u2011": "-",
  "\u202f": " ",
  "\u2009": " ",
};

/** Text in what the built-in font can draw: a minus sign as a hyphen, ≤ as <=, anything else as ?. */
export function printable(s: string): string {
  let out = "";
  for (const ch of s) {
    const code = ch.codePointAt(0) as number;
    if ((code >= 0x20 && code < 0x7f) || (code >= 0xa0 && code <= 0xff) || ch === "\n") out += ch;
    else if (CP1252_EXTRA.has(ch)) out += ch;
    else out += REPLACE[ch] ?? "?";
  }
  return out;
}

export function timeFormatter(timeZone: string): (ms: number) => string {
  const f = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });
  return (ms) => f.format(new Date(ms));
}
