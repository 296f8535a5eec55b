/**
 * The CLI as a real process (node + the bin launcher, from a foreign working directory) on the BLE
 * captures (decoders/captures/*.json), plus every vector and usage error through the same entry in-process.
 */
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { describe, type ExpectStatic, expect, it } from "vitest";
import { type Capture, loadAllCaptures } from "../decoders/captures/load-captures.js";
import { runCli } from "./cli.js";

const BIN = fileURLToPath(new URL("../../bin/coldtrail-bridge.js", import.meta.url));
const vectors = loadAllCaptures();
const CLI_FIELDS = ["temp_c", "humidity_pct", "battery_pct", "battery_mv"];

function flagsFor(v: Capture): string[] {
  const args = ["decode"];
  if (v.service_uuid !== null) args.push("--service-uuid", v.service_uuid);
  // Decimal for some, 0x… for others: both spellings are part of the contract.
  if (v.manufacturer_id !== null) {
    args.push(
      "--manufacturer-id",
      v.manufacturer_id % 2 ? String(v.manufacturer_id) : `0x${v.manufacturer_id.toString(16)}`,
    );
  }
  args.push("--data", v.data);
  if (v.mac !== null) args.push("--mac", v.mac);
  if (v.name !== null) args.push("--name", v.name);
  if (v.bindkey !== null) args.push("--bindkey", v.bindkey);
  return args;
}

/** Spawns `node bin/coldtrail-bridge.js …` from the temp directory, as a user would from anywhere. */
function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: tmpdir(), timeout: 20_000 });
    let stdout = "";
    let stderr = "";
    p.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    p.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    p.on("error", reject);
    p.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function inProcess(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

function expectReading(stdoutLine: string, v: Capture, check: ExpectStatic = expect): void {
  const printed = JSON.parse(stdoutLine) as Record<string, unknown>;
  check(printed.format).toBe(v.format);
  check(Object.keys(printed).every((k) => k === "format" || CLI_FIELDS.includes(k))).toBe(true);
  check("temp_c" in printed).toBe(true);
  for (const [k, want] of Object.entries(v.expect ?? {})) {
    if (CLI_FIELDS.includes(k)) check(printed[k], `${v.id}.${k}`).toBe(want);
  }
}

// Each case is its own process, so they run concurrently.
describe.concurrent("coldtrail-bridge as a process", () => {
  const onePerFormat = [...new Map(vectors.filter((v) => !v.error).map((v) => [v.format, v])).values()];

  for (const v of onePerFormat) {
    it(`decodes ${v.id} (${v.format}): one JSON line on stdout, exit 0`, async ({ expect }) => {
      const r = await run(flagsFor(v));
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const lines = r.stdout.split("\n");
      expect(lines).toHaveLength(2); // one line plus the final newline
      expectReading(lines[0] as string, v, expect);
    });
  }

  it("decodes an OpenMQTTGateway JSON advertisement with a bindkey (BTHome encrypted)", async ({
    expect,
  }) => {
    const r = await run([
      "decode",
      "--json",
      '{"id":"54:48:E6:8F:80:A5","servicedatauuid":"0xfcd2","servicedata":"41e445f3c9962b332211006c7c4519"}',
      "--bindkey",
      "231d39c1d7cc1ab1aee224cd096db932",
    ]);
    expect(r).toEqual({
      code: 0,
      stdout: '{"format":"bthome-v2","temp_c":25.06,"humidity_pct":50.55}\n',
      stderr: "",
    });
  });

  for (const v of vectors.filter((x) => x.error)) {
    it(`refuses ${v.id}: one line on stderr, exit 1`, async ({ expect }) => {
      const r = await run(flagsFor(v));
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/^coldtrail-bridge decode: .{20,}\n$/);
    });
  }

  it("wrong bindkey is undecodable (exit 1)", async ({ expect }) => {
    const r = await run([
      "decode",
      "--service-uuid",
      "fcd2",
      "--data",
      "41e445f3c9962b332211006c7c4519",
      "--mac",
      "54:48:E6:8F:80:A5",
      "--bindkey",
      "00000000000000000000000000000000",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/decryption failed/);
  });

  const usageErrors: Array<[string[], RegExp]> = [
    [["decode"], /give exactly one of/],
    [["decode", "--service-uuid", "fcd2"], /--data <hex> is required/],
    [["decode", "--service-uuid", "fcd2", "--data", "4002c"], /odd number of digits/],
    [["decode", "--bogus"], /Unknown option '--bogus'/],
    [["decode", "--json", "{not json"], /--json is not valid JSON/],
    [["frobnicate"], /unknown command "frobnicate"/],
    [[], /no command given/],
  ];
  for (const [args, reason] of usageErrors) {
    it(`usage error ${JSON.stringify(args)} exits 2`, async ({ expect }) => {
      const r = await run(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(reason);
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    });
  }

  it("--help prints usage and exits 0", async ({ expect }) => {
    const r = await run(["decode", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("--manufacturer-id");
  });
});

describe("coldtrail-bridge in-process, every capture", () => {
  for (const v of vectors) {
    it(`${v.id} → exit ${v.error ? 1 : 0}`, () => {
      const r = inProcess(flagsFor(v));
      if (v.error) {
        expect(r).toMatchObject({ code: 1, out: [] });
        expect(r.err).toHaveLength(1);
      } else {
        expect(r.err).toEqual([]);
        expect(r.code).toBe(0);
        expect(r.out).toHaveLength(1);
        expectReading(r.out[0] as string, v);
      }
    });
  }

  it("the same vectors as gateway JSON give the same output as flags", () => {
    for (const v of vectors.filter((x) => !x.error)) {
      const json: Record<string, string> = {};
      if (v.mac !== null) json.id = v.mac;
      if (v.name !== null) json.name = v.name;
      if (v.service_uuid !== null) {
        json.servicedatauuid = `0x${v.service_uuid}`;
        json.servicedata = v.data;
      }
      if (v.manufacturer_id !== null) {
        const id = v.manufacturer_id;
        json.manufacturerdata = Buffer.of(id & 0xff, id >> 8).toString("hex") + v.data;
      }
      const args = ["decode", "--json", JSON.stringify(json), ...(v.bindkey ? ["--bindkey", v.bindkey] : [])];
      expect(inProcess(args).out, v.id).toEqual(inProcess(flagsFor(v)).out);
    }
  });

  it.each([
    [["decode", "--manufacturer-id", "70000", "--data", "00"], /--manufacturer-id must be 0-65535/],
    [["decode", "--manufacturer-id", "0xgg", "--data", "00"], /--manufacturer-id must be/],
    [["decode", "--service-uuid", "fcd2x", "--data", "00"], /--service-uuid must be a 16-bit UUID/],
    [["decode", "--service-uuid", "fcd2", "--manufacturer-id", "1", "--data", "00"], /exactly one of/],
    [["decode", "--service-uuid", "fcd2", "--data", "40", "--mac", "nope"], /--mac must look like/],
    [
      ["decode", "--service-uuid", "fcd2", "--data", "40", "--bindkey", "123"],
      /--bindkey must be 32 hex digits/,
    ],
    [["decode", "--json", "{}", "--data", "00"], /--json cannot be combined with --data/],
    [["decode", "--json", '{"name":"x"}'], /neither "servicedata" nor "manufacturerdata"/],
  ])("%j → exit 2", (args, reason) => {
    const r = inProcess(args);
    expect(r.code).toBe(2);
    expect(r.err).toEqual([expect.stringMatching(reason)]);
  });

  it("accepts the 128-bit UUID form and 0x-prefixed data", () => {
    const r = inProcess([
      "decode",
      "--service-uuid",
      "0000fcd2-0000-1000-8000-00805f9b34fb",
      "--data",
      "0x4057ea",
    ]);
    expect(r).toEqual({ code: 0, out: ['{"format":"bthome-v2","temp_c":-22}'], err: [] });
  });
});
