import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import { UNIT_MODEL_IDS } from "../models/registry.js";

/**
 * The demo's memory between runs: which probes it registered and their secrets, so a restart
 * reuses them instead of registering new ones. Holds secrets, so it is written with mode 0600.
 */
export const savedProbeSchema = z.object({
  id: z.string().min(1),
  secret: z.string().min(1),
  name: z.string(),
  unitId: z.string(),
  model: z.enum(UNIT_MODEL_IDS as [string, ...string[]]),
  mqttUrl: z.string().min(1),
  nextSeq: z.number().int().min(0).optional(),
});
export const stateFileSchema = z.object({
  version: z.literal(1),
  apiUrl: z.string(),
  probes: z.array(savedProbeSchema),
});
export type SavedProbe = z.infer<typeof savedProbeSchema>;
export type StateFile = z.infer<typeof stateFileSchema>;

export type LoadedState = { ok: true; state: StateFile | null } | { ok: false; reason: string };

/** Reads the state file; a missing file is not an error (`state: null`). */
export async function readStateFile(path: string): Promise<LoadedState> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { ok: true, state: null };
    return { ok: false, reason: `cannot read ${path}: ${(e as Error).message}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return {
      ok: false,
      reason: `${path} is not JSON (${(e as Error).message}); delete it to register new probes`,
    };
  }
  const r = stateFileSchema.safeParse(json);
  if (!r.success) {
    return {
      ok: false,
      reason: `${path} is not a coldtrail-sim state file; delete it to register new probes`,
    };
  }
  return { ok: true, state: r.data };
}

/** Writes atomically (temp file + rename) with mode 0600, creating the directory. */
export async function writeStateFile(path: string, state: StateFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600); // mode applies only on creation; be sure
  await rename(tmp, path);
}
