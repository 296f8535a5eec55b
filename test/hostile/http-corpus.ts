/**
 * Issue #14: hostile HTTP inputs, one case a row, run against a live server by
 * server/test/hostile-corpus.test.ts. Paths and bodies may hold `{unitId}`, `{probeId}`,
 * `{batchId}`, `{accountId}`, `{siteId}`, `{code}` and `{yesterday}`, filled with objects the
 * runner created first.
 *
 * Outcomes:
 * - `refused`: a 4xx answer `{"error":{code,message}}` (with `status` and `code` when pinned) whose
 *   message contains `mentions` when given: the field or thing that was wrong.
 * - `stored`: free text (names, comments, donor references) is data, not code: the hostile string
 *   is kept verbatim (2xx) and read back equal from `readBack` (`{id}` is the created object's id),
 *   so an injection neither runs nor gets mangled.
 * - `emptyList`: a filter that matches nothing answers 200 with an empty list under that name (an
 *   injected `OR 1=1` must not match every row).
 * - `status`: exactly this status, for requests HTTP says a server must take (absolute-form paths).
 */

export type HttpOutcome =
  | { refused: true; status?: number; code?: string; mentions?: string }
  | { stored: { readBack: string; field: string; value: string } }
  | { emptyList: string }
  | { status: number };

export interface HttpCase {
  name: string;
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  path: string;
  /** JSON-encoded and sent with content-type application/json. */
  body?: unknown;
  /** Sent exactly as given instead of `body`. */
  raw?: string;
  contentType?: string;
  /** `none`: no credentials (public routes, or to see the 401). Default: the admin token. */
  auth?: "admin" | "none" | "garbage";
  expect: HttpOutcome;
}

/** Strings that reach a store: SQL, InfluxQL and line protocol, newline and header injection. */
export const INJECTIONS: readonly string[] = [
  "'; DROP TABLE unit; --",
  "'; DROP TABLE units; --",
  '" OR 1=1 --',
  "' OR '1'='1",
  "1; DELETE FROM readings",
  "probe,tag=x temp_c=1",
  "x\nreadings,probe=p1 temp_c=99 1700000000000000000",
  '"; DROP MEASUREMENT readings; --',
  "x\r\nSet-Cookie: coldtrail_session=stolen",
  "<script>alert(1)</script>",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4j-style lookup, sent as plain text
  "${jndi:ldap://127.0.0.1/a}",
  "{{7*7}}",
];

/** Text that must survive a round trip byte for byte. */
export const UNICODE: readonly string[] = [
  "Zoë’s 冷凍庫 🧊",
  "\u202Egnp.exe",
  "e\u0301\u0301\u0301",
  "\uFEFFbom",
  "עברית العربية",
  "\u{1F9CA}".repeat(50),
];

/** Control characters and NUL. */
export const CONTROL: readonly string[] = [
  "a\u0000b",
  "\u0000",
  "bell\u0007\u001b[31mred",
  "tab\there",
  "line\nbreak",
];

/** Ids, codes and references that must never match anything or escape a path or topic. */
export const HOSTILE_IDS: readonly string[] = [
  "#",
  "+",
  "a/b",
  "..",
  "../../etc/passwd",
  "coldtrail/v1/probes/+/readings",
  "'; DROP TABLE unit; --",
  '" OR 1=1 --',
  "probe,tag=x temp_c=1",
  "a\u0000b",
  "🧊",
  "x".repeat(129),
];

const enc = encodeURIComponent;
const refused = (status?: number, mentions?: string, code?: string): HttpOutcome => ({
  refused: true,
  ...(status !== undefined && { status }),
  ...(mentions !== undefined && { mentions }),
  ...(code !== undefined && { code }),
});
const invalid = (mentions?: string) => refused(400, mentions);

/** Free-text fields: where they are sent, and how they are read back. */
const FREE_TEXT: {
  route: string;
  method: "POST" | "PATCH";
  path: string;
  body: (v: string) => Record<string, unknown>;
  readBack: string;
  field: string;
}[] = [
  {
    route: "unit name",
    method: "POST",
    path: "/api/v1/units",
    body: (v) => ({ name: v, kind: "freezer" }),
    readBack: "/api/v1/units/{id}",
    field: "name",
  },
  {
    route: "unit rename",
    method: "PATCH",
    path: "/api/v1/units/{unitId}",
    body: (v) => ({ name: v }),
    readBack: "/api/v1/units/{unitId}",
    field: "name",
  },
  {
    route: "probe name",
    method: "POST",
    path: "/api/v1/probes",
    body: (v) => ({ name: v }),
    readBack: "/api/v1/probes/{id}",
    field: "name",
  },
  {
    route: "batch donorRef",
    method: "POST",
    path: "/api/v1/batches",
    body: (v) => ({ unitId: "{unitId}", expressedAt: "{yesterday}", donorRef: v }),
    readBack: "/api/v1/batches/{id}",
    field: "donorRef",
  },
  {
    route: "review comment",
    method: "POST",
    path: "/api/v1/batches/{batchId}/reviews",
    body: (v) => ({ decision: "hold", comment: v }),
    readBack: "/api/v1/batches/{batchId}",
    field: "review.comment",
  },
  {
    route: "token name",
    method: "POST",
    path: "/api/v1/tokens",
    body: (v) => ({ name: v }),
    readBack: "/api/v1/tokens",
    field: "tokens[id={id}].name",
  },
  {
    route: "site name",
    method: "POST",
    path: "/api/v1/sites",
    body: (v) => ({ name: v }),
    readBack: "/api/v1/sites",
    field: "sites[id={id}].name",
  },
  {
    route: "account name",
    method: "PATCH",
    path: "/api/v1/accounts/{accountId}",
    body: (v) => ({ name: v }),
    readBack: "/api/v1/accounts/{accountId}",
    field: "name",
  },
];

/** Every POST/PATCH/PUT body with a wrong type, number or shape in each field. */
const WRONG_TYPES: HttpCase[] = [
  ["POST", "/api/v1/units", { name: 42, kind: "freezer" }, "name"],
  ["POST", "/api/v1/units", { name: ["a"], kind: "freezer" }, "name"],
  ["POST", "/api/v1/units", { name: "a", kind: "oven" }, "kind"],
  ["POST", "/api/v1/units", { name: "a", kind: null }, "kind"],
  ["POST", "/api/v1/units", { name: "a", kind: "freezer", site: "moon" }, "site"],
  [
    "POST",
    "/api/v1/units",
    { name: "a", kind: "freezer", profile: "'; DROP TABLE unit; --" },
    null,
    "profile",
  ],
  ["POST", "/api/v1/units", { name: "", kind: "freezer" }, "name"],
  ["POST", "/api/v1/units", { name: "   ", kind: "freezer" }, "name"],
  ["POST", "/api/v1/units", { name: "a".repeat(201), kind: "freezer" }, "name"],
  ["POST", "/api/v1/units", { name: "a", kind: "freezer", owner: "admin" }, "owner"],
  ["POST", "/api/v1/units", { name: "a", kind: "freezer", ownerId: "acc_other" }, "ownerId"],
  ["POST", "/api/v1/units", [], undefined],
  ["POST", "/api/v1/units", "freezer", undefined],
  ["POST", "/api/v1/units", null, undefined],
  ["POST", "/api/v1/units", 1e308, undefined],
  ["PATCH", "/api/v1/units/{unitId}", { profileOverrides: { "high.forMin": "45" } }, "high.forMin"],
  ["PATCH", "/api/v1/units/{unitId}", { profileOverrides: { "high.forMin": -1e308 } }, "high.forMin"],
  ["PATCH", "/api/v1/units/{unitId}", { profileOverrides: { "no.such.rule": 1 } }, "no.such.rule"],
  ["PATCH", "/api/v1/units/{unitId}", { profileOverrides: { limits: "'; DROP TABLE unit; --" } }, "limits"],
  ["PATCH", "/api/v1/units/{unitId}", { profileOverrides: { "safe.maxC": 1e308 } }, "safe.maxC"],
  ["PATCH", "/api/v1/units/{unitId}", { profileOverrides: { "safe.maxC": -300 } }, "safe.maxC"],
  ["PATCH", "/api/v1/units/{unitId}", { profileOverrides: { "sensor.minC": { $gt: 0 } } }, "sensor.minC"],
  ["PATCH", "/api/v1/units/{unitId}", { profile: "../../etc/passwd" }, "profile"],
  ["PATCH", "/api/v1/units/{unitId}", { kind: "fridge" }, "kind"],
  ["POST", "/api/v1/probes", { id: "ab" }, "id"],
  ["POST", "/api/v1/probes", { intervalS: 0 }, "intervalS"],
  ["POST", "/api/v1/probes", { intervalS: 1e308 }, "intervalS"],
  ["POST", "/api/v1/probes", { intervalS: 1.5 }, "intervalS"],
  ["POST", "/api/v1/probes", { intervalS: "60" }, "intervalS"],
  ["POST", "/api/v1/probes", { bleMac: "'; DROP TABLE probes; --" }, "bleMac"],
  ["POST", "/api/v1/probes", { bleMac: "AA:BB:CC:DD:EE:FF\nX" }, "bleMac"],
  ["POST", "/api/v1/probes", { bleFormat: "../../x" }, "bleFormat"],
  ["POST", "/api/v1/probes", { bleBindkey: "zz".repeat(16) }, "bleBindkey"],
  ["POST", "/api/v1/probes", { bleName: "n".repeat(65) }, "bleName"],
  ["POST", "/api/v1/probes", { secret: "chosen-by-me-000000" }, "secret"],
  ["PATCH", "/api/v1/probes/{probeId}", { calibrationOffsetC: 1e308 }, "calibrationOffsetC"],
  ["PATCH", "/api/v1/probes/{probeId}", { calibrationOffsetC: -300 }, "calibrationOffsetC"],
  ["PATCH", "/api/v1/probes/{probeId}", { calibrationOffsetC: "1" }, "calibrationOffsetC"],
  ["PATCH", "/api/v1/probes/{probeId}", { calibrationOffsetC: null }, "calibrationOffsetC"],
  ["PATCH", "/api/v1/probes/{probeId}", { calibrationOffsetC: 10.0001 }, "calibrationOffsetC"],
  ["PUT", "/api/v1/probes/{probeId}/unit", { unitId: 5 }, "unitId"],
  ["PUT", "/api/v1/probes/{probeId}/unit", { unitId: "{unitId}", at: "2999-01-01T00:00:00Z" }, "at"],
  ["PUT", "/api/v1/probes/{probeId}/unit", { unitId: "{unitId}", at: "2026-05-03T14:00:00" }, "at"],
  ["PUT", "/api/v1/probes/{probeId}/unit", { unitId: "{unitId}", at: "yesterday" }, "at"],
  ["PUT", "/api/v1/probes/{probeId}/unit", { unitId: "{unitId}", at: 1777816800000 }, "at"],
  ["PUT", "/api/v1/probes/{probeId}/unit", {}, "unitId"],
  ["POST", "/api/v1/batches", { unitId: "{unitId}" }, "expressedAt"],
  ["POST", "/api/v1/batches", { unitId: "{unitId}", expressedAt: "2999-01-01T00:00:00Z" }, "expressedAt"],
  ["POST", "/api/v1/batches", { unitId: "{unitId}", expressedAt: "2026-13-45T25:61:00Z" }, "expressedAt"],
  ["POST", "/api/v1/batches", { unitId: "{unitId}", expressedAt: "+275760-09-13T00:00:00Z" }, "expressedAt"],
  ["POST", "/api/v1/batches", { unitId: "{unitId}", expressedAt: "{yesterday}", volumeMl: -1 }, "volumeMl"],
  [
    "POST",
    "/api/v1/batches",
    { unitId: "{unitId}", expressedAt: "{yesterday}", volumeMl: 1e308 },
    "volumeMl",
  ],
  [
    "POST",
    "/api/v1/batches",
    { unitId: "{unitId}", expressedAt: "{yesterday}", volumeMl: "100" },
    "volumeMl",
  ],
  ["POST", "/api/v1/batches", { unitId: "{unitId}", expressedAt: "{yesterday}", state: "boiled" }, "state"],
  [
    "POST",
    "/api/v1/batches",
    { unitId: "{unitId}", expressedAt: "{yesterday}", container: "cup" },
    "container",
  ],
  [
    "POST",
    "/api/v1/batches",
    { unitId: "{unitId}", expressedAt: "{yesterday}", at: "2999-01-01T00:00:00Z" },
    "at",
  ],
  ["POST", "/api/v1/batches", { unitId: "{unitId}", expressedAt: "{yesterday}", code: "MYCODE123" }, "code"],
  ["POST", "/api/v1/batches", { unitId: "{unitId}", expressedAt: "{yesterday}", verdict: "safe" }, "verdict"],
  ["POST", "/api/v1/batches/{batchId}/moves", { unitId: ["{unitId}"] }, "unitId"],
  ["POST", "/api/v1/batches/{batchId}/moves", { unitId: "{unitId}", at: "2999-01-01T00:00:00Z" }, "at"],
  ["POST", "/api/v1/batches/{batchId}/moves", { unitId: "{unitId}", at: "1999-12-31T23:59:59Z" }, undefined],
  ["POST", "/api/v1/batches/{batchId}/reviews", { decision: "approve", comment: "x" }, "decision"],
  ["POST", "/api/v1/batches/{batchId}/reviews", { decision: "release", comment: "" }, "comment"],
  [
    "POST",
    "/api/v1/batches/{batchId}/reviews",
    { decision: "release", comment: "x".repeat(2001) },
    "comment",
  ],
  [
    "POST",
    "/api/v1/batches/{batchId}/reviews",
    { decision: "release", comment: "x", showToRecipient: "yes" },
    "showToRecipient",
  ],
  [
    "POST",
    "/api/v1/batches/{batchId}/reviews",
    { decision: "release", comment: "x", verdict: "safe" },
    "verdict",
  ],
  ["POST", "/api/v1/channels", { kind: "sms", target: "x" }, "kind"],
  ["POST", "/api/v1/channels", { kind: "webhook", target: "http://127.0.0.1:1/hook" }, "target"],
  [
    "POST",
    "/api/v1/channels",
    { kind: "webhook", target: "http://169.254.169.254/latest/meta-data" },
    "target",
  ],
  ["POST", "/api/v1/channels", { kind: "webhook", target: "file:///etc/passwd" }, "target"],
  ["POST", "/api/v1/channels", { kind: "webhook", target: "http://[::1]/x" }, "target"],
  ["POST", "/api/v1/channels", { kind: "webhook", target: "http://0x7f000001/x" }, "target"],
  ["POST", "/api/v1/channels", { kind: "webhook", target: "javascript:alert(1)" }, "target"],
  ["POST", "/api/v1/channels", { kind: "email", target: "a@b.c\r\nBcc: all@evil.example" }, "target"],
  ["POST", "/api/v1/channels", { kind: "email", target: "'; DROP TABLE alert_channels; --" }, "target"],
  ["POST", "/api/v1/channels", { kind: "mqtt", target: "", secret: "s".repeat(20) }, "secret"],
  [
    "POST",
    "/api/v1/channels",
    { kind: "webhook", target: "https://example.com/h", secret: "short" },
    "secret",
  ],
  ["POST", "/api/v1/channels", { kind: "mqtt", target: "", minEscalation: 1e308 }, "minEscalation"],
  [
    "POST",
    "/api/v1/channels",
    { kind: "mqtt", target: "", alertKinds: ["'; DROP TABLE alerts; --"] },
    "alertKinds",
  ],
  ["POST", "/api/v1/channels", { kind: "mqtt", target: "", unitIds: [] }, "unitIds"],
  ["POST", "/api/v1/channels", { kind: "mqtt", target: "", unitIds: "{unitId}" }, "unitIds"],
  ["POST", "/api/v1/accounts", { email: "a@b.c", name: "x", role: "root" }, "role"],
  ["POST", "/api/v1/accounts", { email: "a@b.c", name: "x", role: "admin ", siteId: 7 }, "role"],
  ["POST", "/api/v1/accounts", { email: "", name: "x", role: "donor" }, "email"],
  ["POST", "/api/v1/accounts", { email: "a@b.c", name: "", role: "donor" }, "name"],
  ["POST", "/api/v1/accounts", { email: "e".repeat(255), name: "x", role: "donor" }, "email"],
  ["PATCH", "/api/v1/accounts/{accountId}", { role: "superuser" }, "role"],
  ["PATCH", "/api/v1/accounts/{accountId}", { disabled: "true" }, "disabled"],
  ["PATCH", "/api/v1/accounts/{accountId}", { passwordHash: "x" }, "passwordHash"],
  ["POST", "/api/v1/tokens", { name: "" }, "name"],
  ["POST", "/api/v1/tokens", { name: "t", token: "ct_mine" }, "token"],
  ["POST", "/api/v1/sites", { name: { $ne: null } }, "name"],
  ["POST", "/api/v1/alerts/no-such-alert/ack", { comment: 5 }, "comment"],
  ["POST", "/api/v1/alerts/no-such-alert/resolve", { comment: "x".repeat(2001) }, "comment"],
].map(([method, path, body, mentions, anyStatusMentions]) => ({
  name: `${method} ${path} ${truncate(JSON.stringify(body))}`,
  method: method as HttpCase["method"],
  path: path as string,
  body,
  // A row's fourth column is the field a 400 must name; null with a fifth: any 4xx naming that.
  expect:
    typeof anyStatusMentions === "string"
      ? refused(undefined, anyStatusMentions)
      : typeof mentions === "string"
        ? invalid(mentions)
        : refused(),
}));

function truncate(s: string): string {
  return s.length > 70 ? `${s.slice(0, 67)}…` : s;
}

/** Malformed JSON, deep nesting and prototype keys, sent raw to every route that takes a body. */
const RAW_BODIES: [string, string][] = [
  ["truncated JSON", '{"name":"a","kind":"freezer"'],
  ["trailing comma", '{"name":"a","kind":"freezer",}'],
  ["single quotes", "{'name':'a','kind':'freezer'}"],
  ["NaN literal", '{"name":"a","kind":"freezer","x":NaN}'],
  ["Infinity literal", '{"calibrationOffsetC":Infinity}'],
  ["bare word", "freezer"],
  ["lone surrogate escape only", '"\\ud800"'],
  ["two documents", '{"name":"a","kind":"freezer"}{"name":"b","kind":"freezer"}'],
  ["__proto__ key", '{"__proto__":{"role":"admin"},"name":"a","kind":"freezer"}'],
  ["nested __proto__", '{"name":"a","kind":"freezer","profileOverrides":{"__proto__":{"x":1}}}'],
  ["constructor.prototype", '{"constructor":{"prototype":{"role":"admin"}},"name":"a","kind":"freezer"}'],
  ["33 deep arrays", `${"[".repeat(33)}${"]".repeat(33)}`],
  ["10 000 deep arrays", `${"[".repeat(10_000)}${"]".repeat(10_000)}`],
  ["100 000 deep objects", `${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`],
  ["unbalanced deep", "[".repeat(50_000)],
  ["empty body", ""],
];

const BODY_ROUTES: [HttpCase["method"], string][] = [
  ["POST", "/api/v1/units"],
  ["PATCH", "/api/v1/units/{unitId}"],
  ["POST", "/api/v1/probes"],
  ["PATCH", "/api/v1/probes/{probeId}"],
  ["PUT", "/api/v1/probes/{probeId}/unit"],
  ["POST", "/api/v1/batches"],
  ["POST", "/api/v1/batches/{batchId}/moves"],
  ["POST", "/api/v1/batches/{batchId}/reviews"],
  ["POST", "/api/v1/channels"],
  ["POST", "/api/v1/accounts"],
  ["PATCH", "/api/v1/accounts/{accountId}"],
  ["POST", "/api/v1/tokens"],
  ["POST", "/api/v1/sites"],
];

function rawBodyCases(): HttpCase[] {
  const out: HttpCase[] = [];
  for (const [method, path] of BODY_ROUTES) {
    for (const [what, raw] of RAW_BODIES) {
      out.push({ name: `${method} ${path} ${what}`, method, path, raw, expect: refused() });
    }
  }
  return out;
}

/** Bodies over 64 KiB and bodies that are not JSON. */
function sizeAndTypeCases(): HttpCase[] {
  const big = JSON.stringify({ name: "a".repeat(66 * 1024), kind: "freezer" });
  const out: HttpCase[] = [];
  for (const [method, path] of BODY_ROUTES) {
    out.push({ name: `${method} ${path} 66 KiB body`, method, path, raw: big, expect: refused(413) });
  }
  out.push({
    name: "POST /units 1 MiB body",
    method: "POST",
    path: "/api/v1/units",
    raw: JSON.stringify({ name: "a".repeat(1024 * 1024), kind: "freezer" }),
    expect: refused(413),
  });
  const typed: [string, string][] = [
    ["text/plain", '{"name":"a","kind":"freezer"}'],
    ["application/x-www-form-urlencoded", "name=a&kind=freezer"],
    [
      "multipart/form-data; boundary=x",
      '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\na\r\n--x--',
    ],
    ["application/xml", "<unit><name>a</name></unit>"],
    ["application/json; charset=utf-16", '{"name":"a","kind":"freezer"}'],
    ["application/javascript", '{"name":"a","kind":"freezer"}'],
    ["image/png", "\u0089PNG\r\n"],
    ["", '{"name":"a","kind":"freezer"}'],
  ];
  for (const [type, raw] of typed) {
    for (const [method, path] of [
      ["POST", "/api/v1/units"],
      ["POST", "/api/v1/batches"],
      ["POST", "/api/v1/sessions"],
    ] as const) {
      if (path === "/api/v1/sessions" && type !== "text/plain") continue;
      out.push({
        name: `${method} ${path} as ${type || "no content-type"}`,
        method,
        path,
        raw,
        contentType: type,
        auth: path === "/api/v1/sessions" ? "none" : "admin",
        expect: refused(),
      });
    }
  }
  return out;
}

/** Hostile ids and codes in paths and queries. */
function idCases(): HttpCase[] {
  const out: HttpCase[] = [];
  for (const id of HOSTILE_IDS) {
    const e = enc(id);
    out.push(
      { name: `GET /units/${truncate(id)}`, method: "GET", path: `/api/v1/units/${e}`, expect: refused() },
      { name: `GET /probes/${truncate(id)}`, method: "GET", path: `/api/v1/probes/${e}`, expect: refused() },
      {
        name: `GET /batches/${truncate(id)}`,
        method: "GET",
        path: `/api/v1/batches/${e}`,
        expect: refused(),
      },
      {
        name: `GET /probes/${truncate(id)}/readings`,
        method: "GET",
        path: `/api/v1/probes/${e}/readings`,
        expect: refused(),
      },
      {
        name: `POST /probes/${truncate(id)}/secret`,
        method: "POST",
        path: `/api/v1/probes/${e}/secret`,
        expect: refused(),
      },
      {
        name: `POST /probes id ${truncate(id)}`,
        method: "POST",
        path: "/api/v1/probes",
        body: { id },
        expect: invalid("id"),
      },
      {
        name: `POST /batches unitId ${truncate(id)}`,
        method: "POST",
        path: "/api/v1/batches",
        body: { unitId: id, expressedAt: "{yesterday}" },
        expect: refused(),
      },
      {
        name: `PUT /probes/{probeId}/unit unitId ${truncate(id)}`,
        method: "PUT",
        path: "/api/v1/probes/{probeId}/unit",
        body: { unitId: id },
        expect: refused(),
      },
      {
        name: `GET /batches?code=${truncate(id)}`,
        method: "GET",
        path: `/api/v1/batches?code=${e}`,
        expect: id.length > 32 ? invalid("code") : { emptyList: "batches" },
      },
    );
  }
  // The passport route is public and limited to 60 a minute per address: a dozen cases.
  for (const id of HOSTILE_IDS) {
    out.push({
      name: `GET /passports/${truncate(id)} (public)`,
      method: "GET",
      path: `/api/v1/passports/${enc(id)}`,
      auth: "none",
      expect: refused(),
    });
  }
  return out;
}

/** Paths: absolute form, encoded traversal, bad percent-encoding, NUL, odd methods. */
const PATH_CASES: HttpCase[] = [
  ["GET", "http://127.0.0.1/api/v1/../../../etc/passwd"],
  ["GET", "/api/v1/units/..%2f..%2f..%2fetc%2fpasswd"],
  ["GET", "/api/v1/units/%2e%2e/%2e%2e/accounts"],
  ["GET", "/api/v1/units/%00"],
  ["GET", "/api/v1/units/%ZZ"],
  ["GET", "/api/v1/units/%C0%AE%C0%AE"],
  ["GET", "/api/v1/..%2fadmin-token"],
  ["GET", "/api/v1/%2e%2e/%2e%2e/package.json"],
  ["GET", "/api/v1/batches?limit=-1&limit=5"],
  ["GET", "/api/v1/batches?limit=1e308"],
  ["GET", "/api/v1/batches?limit=NaN"],
  ["GET", "/api/v1/batches?verdict='%20OR%201=1"],
  ["GET", "/api/v1/alerts?state=open'--&limit=0"],
  ["GET", "/api/v1/deadletters?limit=-5"],
  ["GET", "/api/v1/units/{unitId}/readings?from=1999-01-01T00:00:00Z&to=2999-01-01T00:00:00Z"],
  ["GET", "/api/v1/units/{unitId}/readings?from=2026-01-01T00:00:00Z&to=2025-01-01T00:00:00Z"],
  ["GET", "/api/v1/units/{unitId}/readings?every=1ms"],
  ["GET", "/api/v1/units/{unitId}/readings?every=P1000Y"],
  ["GET", "/api/v1/units/{unitId}/readings?every=1h%3B%20DROP%20MEASUREMENT%20readings"],
  ["GET", "/api/v1/units/{unitId}/readings?from=NaN"],
  ["GET", "/api/v1/units/{unitId}/readings?from=+275760-09-13T00:00:00Z"],
  ["GET", "/api/v1/probes/{probeId}/readings?from=2026-05-03T14:00:00&to=now()"],
  ["GET", "/api/v1/probes/{probeId}/readings?from=0&to=1e308"],
  ["GET", "/api/v1/probes/{probeId}/readings?from=1900-01-01T00:00:00Z"],
  ["GET", "/api/v1/passports/{code}?tz=../../../etc/localtime"],
  ["GET", "/api/v1/passports/{code}?tz=%27%3B%20DROP"],
  ["GET", "/api/v1/alerts/stream?lastEventId=-1"],
  ["GET", "/api/v1/alerts/stream?token=%27%20OR%201%3D1"],
  ["DELETE", "/api/v1/units"],
  ["PUT", "/api/v1/batches"],
  ["DELETE", "/api/v1/accounts/admin"],
  ["DELETE", "/api/v1/channels/%27%20OR%201%3D1%20--"],
  ["DELETE", "/api/v1/tokens/%27%20OR%201%3D1%20--"],
].map(([method, path]) => ({
  name: `${method} ${path}`,
  method: method as HttpCase["method"],
  path: path as string,
  // Passports are public; the stream's ?token must be the only credential (a bearer would win).
  auth: /^\/api\/v1\/(passports|alerts\/stream)/.test(path as string)
    ? ("none" as const)
    : ("admin" as const),
  expect: refused(),
}));

/** Paths HTTP lets through: served from this server, never fetched from elsewhere; filters that match nothing. */
const ACCEPTED_PATH_CASES: HttpCase[] = [
  {
    name: "GET absolute-form http://evil.example/api/v1/units (served locally, RFC 9112 §3.2.2)",
    method: "GET",
    path: "http://evil.example/api/v1/units",
    expect: { status: 200 },
  },
  {
    name: "GET /deadletters?probeId=' OR 1=1 --&reason=x\\ny",
    method: "GET",
    path: "/api/v1/deadletters?probeId=%27%20OR%201%3D1%20--&reason=x%0Ay",
    expect: { emptyList: "deadletters" },
  },
];

/** Authentication: bad bearer tokens and hostile sign-ins (sign-in is limited to 10 a minute). */
const AUTH_CASES: HttpCase[] = [
  {
    name: "GET /units with a garbage bearer",
    method: "GET",
    path: "/api/v1/units",
    auth: "garbage",
    expect: refused(401),
  },
  {
    name: "GET /units without credentials",
    method: "GET",
    path: "/api/v1/units",
    auth: "none",
    expect: refused(401),
  },
  {
    name: "POST /units without credentials",
    method: "POST",
    path: "/api/v1/units",
    auth: "none",
    body: { name: "a", kind: "freezer" },
    expect: refused(401),
  },
  {
    name: "GET /deadletters without credentials",
    method: "GET",
    path: "/api/v1/deadletters",
    auth: "none",
    expect: refused(401),
  },
  {
    name: "GET /me/export without credentials",
    method: "GET",
    path: "/api/v1/me/export",
    auth: "none",
    expect: refused(401),
  },
  {
    name: "POST /sessions SQL in email",
    method: "POST",
    path: "/api/v1/sessions",
    auth: "none",
    body: { email: "' OR 1=1 --", password: "x" },
    expect: refused(401),
  },
  {
    name: "POST /sessions email as object",
    method: "POST",
    path: "/api/v1/sessions",
    auth: "none",
    body: { email: { $ne: null }, password: { $ne: null } },
    expect: invalid("email"),
  },
  {
    name: "POST /invitations/{sql}/accept",
    method: "POST",
    path: `/api/v1/invitations/${enc("' OR 1=1 --")}/accept`,
    auth: "none",
    body: { password: "a-long-enough-password" },
    expect: refused(404),
  },
  {
    name: "POST /invitations/x/accept password of NULs",
    method: "POST",
    path: "/api/v1/invitations/x/accept",
    auth: "none",
    body: { password: "\u0000".repeat(20) },
    expect: refused(),
  },
] as HttpCase[];

/** Values that no id, enum, time, address or key field may take. */
const NOT_AN_ID: readonly string[] = [
  "a\u0000b",
  "'; DROP TABLE unit; --",
  "probe,tag=x temp_c=1",
  "#",
  "../x",
  "\u202E🧊",
];

/** Every string field that is not free text, in every POST/PATCH/PUT body, with a valid rest. */
const STRICT_FIELDS: [HttpCase["method"], string, Record<string, unknown>, string][] = [
  ["POST", "/api/v1/units", { name: "a", kind: "freezer" }, "kind"],
  ["POST", "/api/v1/units", { name: "a", kind: "freezer" }, "site"],
  ["POST", "/api/v1/units", { name: "a", kind: "freezer" }, "profile"],
  ["PATCH", "/api/v1/units/{unitId}", {}, "profile"],
  ["POST", "/api/v1/probes", {}, "unitId"],
  ["POST", "/api/v1/probes", {}, "bleMac"],
  ["POST", "/api/v1/probes", {}, "bleFormat"],
  ["POST", "/api/v1/probes", {}, "bleBindkey"],
  ["PUT", "/api/v1/probes/{probeId}/unit", { unitId: "{unitId}" }, "at"],
  ["POST", "/api/v1/batches", { unitId: "{unitId}", expressedAt: "{yesterday}" }, "expressedAt"],
  ["POST", "/api/v1/batches", { unitId: "{unitId}", expressedAt: "{yesterday}" }, "at"],
  ["POST", "/api/v1/batches", { unitId: "{unitId}", expressedAt: "{yesterday}" }, "state"],
  ["POST", "/api/v1/batches", { unitId: "{unitId}", expressedAt: "{yesterday}" }, "thawedAt"],
  ["POST", "/api/v1/batches", { unitId: "{unitId}", expressedAt: "{yesterday}" }, "container"],
  ["POST", "/api/v1/batches/{batchId}/moves", { unitId: "{unitId}" }, "unitId"],
  ["POST", "/api/v1/batches/{batchId}/moves", { unitId: "{unitId}" }, "at"],
  ["POST", "/api/v1/batches/{batchId}/reviews", { decision: "hold", comment: "x" }, "decision"],
  ["POST", "/api/v1/channels", { kind: "mqtt", target: "" }, "kind"],
  ["POST", "/api/v1/channels", { kind: "email", target: "a@example.com" }, "target"],
  ["POST", "/api/v1/channels", { kind: "webhook", target: "https://example.com/h" }, "target"],
  ["POST", "/api/v1/channels", { kind: "mqtt", target: "" }, "alertKinds"],
  ["POST", "/api/v1/channels", { kind: "mqtt", target: "" }, "unitIds"],
  [
    "POST",
    "/api/v1/accounts",
    { email: "corpus@example.com", name: "x", role: "donor", siteId: "{siteId}" },
    "email",
  ],
  [
    "POST",
    "/api/v1/accounts",
    { email: "corpus@example.com", name: "x", role: "donor", siteId: "{siteId}" },
    "role",
  ],
  [
    "POST",
    "/api/v1/accounts",
    { email: "corpus@example.com", name: "x", role: "donor", siteId: "{siteId}" },
    "siteId",
  ],
  ["PATCH", "/api/v1/accounts/{accountId}", {}, "role"],
  ["PATCH", "/api/v1/accounts/{accountId}", {}, "siteId"],
];

function strictFieldCases(): HttpCase[] {
  const out: HttpCase[] = [];
  for (const [method, path, base, field] of STRICT_FIELDS) {
    for (const v of NOT_AN_ID) {
      const value = field === "alertKinds" || field === "unitIds" ? [v] : v;
      out.push({
        name: `${method} ${path} ${field}=${JSON.stringify(v)}`,
        method,
        path,
        body: { ...base, [field]: value },
        // An id that passes its schema is looked up: "unit … does not exist" names the thing.
        expect: refused(undefined, /^(unit|site)Ids?$/.test(field) ? field.replace(/Ids?$/, "") : field),
      });
    }
  }
  return out;
}

/** Hostile text in every free-text field: kept verbatim, read back equal. */
function freeTextCases(): HttpCase[] {
  const out: HttpCase[] = [];
  for (const f of FREE_TEXT) {
    for (const value of [...INJECTIONS, ...UNICODE, ...CONTROL]) {
      out.push({
        name: `${f.route} ${truncate(JSON.stringify(value))}`,
        method: f.method,
        path: f.path,
        body: f.body(value),
        expect: { stored: { readBack: f.readBack, field: f.field, value } },
      });
    }
  }
  return out;
}

export function httpCorpus(): HttpCase[] {
  return [
    ...WRONG_TYPES,
    ...rawBodyCases(),
    ...sizeAndTypeCases(),
    ...idCases(),
    ...PATH_CASES,
    ...ACCEPTED_PATH_CASES,
    ...AUTH_CASES,
    ...strictFieldCases(),
    ...freeTextCases(),
  ];
}
