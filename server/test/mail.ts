/** Reading back what nodemailer sent, for tests with a real SMTP server. */

/** RFC 2047 encoded words (=?UTF-8?Q?…?= / ?B?), as nodemailer writes non-ASCII subjects. */
export function decodeHeader(value: string): string {
  const bytes: number[] = [];
  let out = "";
  const flush = () => {
    out += Buffer.from(bytes.splice(0)).toString("utf8");
  };
  const re = /=\?utf-8\?([bq])\?([^?]*)\?=|([^=]+|=)/gi;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    if (m[1]) {
      if (m[1].toLowerCase() === "b") bytes.push(...Buffer.from(m[2] as string, "base64"));
      else {
        const q = (m[2] as string).replace(/_/g, " ");
        for (let i = 0; i < q.length; i++) {
          if (q[i] === "=") {
            bytes.push(Number.parseInt(q.slice(i + 1, i + 3), 16));
            i += 2;
          } else bytes.push(q.charCodeAt(i));
        }
      }
    } else if (!/^\s+$/.test(m[3] as string) || bytes.length === 0) {
      flush();
      out += m[3];
    }
  }
  flush();
  return out;
}

export function parseMail(raw: string) {
  const [head = "", ...rest] = raw.split(/\r?\n\r?\n/);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = rest.join("\n\n");
  if (/quoted-printable/i.test(headers["content-transfer-encoding"] ?? "")) {
    body = Buffer.from(
      body
        .replace(/=\r?\n/g, "")
        .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
      "latin1",
    ).toString("utf8");
  }
  return { headers, subject: decodeHeader(headers.subject ?? ""), body };
}
