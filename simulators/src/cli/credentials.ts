import { readFile } from "node:fs/promises";
import { z } from "zod";
import { stateFileSchema } from "../demo/state-file.js";

/**
 * Probe credentials for `run` and `load`, from a file in any of these shapes:
 * the demo's state file (`{"version":1,"probes":[{"id","secret",…}]}`), a list
 * `[{"id","secret"}]`, or a map `{"<probe id>":"<secret>"}`.
 */
const listSchema = z.array(z.object({ id: z.string().min(1), secret: z.string().min(1) }));
const mapSchema = z.record(z.string().min(1), z.string().min(1));

export type Credentials = { ok: true; secrets: Map<string, string> } | { ok: false; reason: string };

export async function readCredentials(path: string): Promise<Credentials> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (e) {
    return { ok: false, reason: `--creds ${path}: ${(e as Error).message}` };
  }
  const state = stateFileSchema.safeParse(json);
  if (state.success) return { ok: true, secrets: new Map(state.data.probes.map((p) => [p.id, p.secret])) };
  const list = listSchema.safeParse(json);
  if (list.success) return { ok: true, secrets: new Map(list.data.map((p) => [p.id, p.secret])) };
  const map = mapSchema.safeParse(json);
  if (map.success) return { ok: true, secrets: new Map(Object.entries(map.data)) };
  return {
    ok: false,
    reason: `--creds ${path}: expected a demo state file, [{"id","secret"}] or {"<probe id>":"<secret>"}`,
  };
}
