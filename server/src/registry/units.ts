import type { SqlClient } from "../db/sql/client.js";
import { conflict, invalidInput, notFound } from "../errors.js";
import { defaultProfileId } from "../rules/index.js";
import { recordAudit } from "./audit.js";
import { type Caller, ownedBy } from "./caller.js";
import { newId } from "./ids.js";
import { type RegistryIndex, toUnit } from "./registry-index.js";
import { announceChange } from "./registry-notify.js";

export type UnitKind = "freezer" | "fridge" | "cool-bag";
export type UnitSite = "household" | "milk-bank";

export interface Unit {
  id: string;
  ownerId: string;
  name: string;
  kind: UnitKind;
  site: UnitSite;
  profile: string;
  profileOverrides: Record<string, unknown> | null;
  createdMs: number;
}

const INSERT_SQL =
  "INSERT INTO unit (id, owner_id, name, kind, site, profile, profile_overrides, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
const UPDATE_SQL = "UPDATE unit SET name = ?, profile = ?, profile_overrides = ? WHERE id = ?";

/**
 * Units on the SQL client (either backend). Callers' reads go to the database (who may see what is
 * decided there, by `ownedBy`); internal lookups (`byId`) read the in-memory index, which every
 * write here keeps current.
 */
export function createUnits(sql: SqlClient, index: RegistryIndex, knownProfiles: () => ReadonlySet<string>) {
  return {
    async create(
      caller: Caller,
      input: { name: string; kind: UnitKind; site?: UnitSite | undefined; profile?: string | undefined },
      nowMs: number,
    ): Promise<Unit> {
      const site = input.site ?? "household";
      const profile = input.profile ?? defaultProfileId(input.kind, site);
      if (!knownProfiles().has(profile)) {
        throw conflict(
          `profile "${profile}" is not known; choose one of: ${[...knownProfiles()].join(", ")}`,
        );
      }
      const unit: Unit = {
        id: newId("u"),
        ownerId: caller.accountId,
        name: input.name,
        kind: input.kind,
        site,
        profile,
        profileOverrides: null,
        createdMs: nowMs,
      };
      await sql.transaction(async (tx) => {
        await tx.run(INSERT_SQL, [
          unit.id,
          unit.ownerId,
          unit.name,
          unit.kind,
          unit.site,
          unit.profile,
          null,
          nowMs,
        ]);
        await recordAudit(tx, nowMs, caller.accountId, "unit.created", "unit", unit.id, {
          name: unit.name,
          kind: unit.kind,
          site,
          profile,
        });
        await announceChange(tx, sql.backend, "unit", unit.id);
      });
      index.putUnit(unit);
      return unit;
    },
    /**
     * Staff choose another profile or override its numbers (validated by `validate`, which names the
     * key and value it refuses); the change is audited with what it was before.
     */
    async update(
      caller: Caller,
      id: string,
      change: {
        name?: string | undefined;
        profile?: string | undefined;
        profileOverrides?: Record<string, unknown> | null | undefined;
      },
      validate: (unit: Unit) => string | null,
      nowMs: number,
    ): Promise<Unit> {
      const before = await this.get(caller, id);
      const after: Unit = {
        ...before,
        ...(change.name !== undefined && { name: change.name }),
        ...(change.profile !== undefined && { profile: change.profile }),
        ...(change.profileOverrides !== undefined && { profileOverrides: change.profileOverrides }),
      };
      if (!knownProfiles().has(after.profile)) {
        throw invalidInput(
          `profile "${after.profile}" is not known; choose one of: ${[...knownProfiles()].join(", ")}`,
        );
      }
      const problem = validate(after);
      if (problem) throw invalidInput(problem);
      await sql.transaction(async (tx) => {
        await tx.run(UPDATE_SQL, [
          after.name,
          after.profile,
          after.profileOverrides ? JSON.stringify(after.profileOverrides) : null,
          id,
        ]);
        await recordAudit(tx, nowMs, caller.accountId, "unit.updated", "unit", id, {
          before: { name: before.name, profile: before.profile, profileOverrides: before.profileOverrides },
          after: { name: after.name, profile: after.profile, profileOverrides: after.profileOverrides },
        });
        await announceChange(tx, sql.backend, "unit", id);
      });
      index.putUnit(after);
      return after;
    },
    /** A unit the caller may see, or a not-found error naming it. */
    async get(caller: Caller, id: string): Promise<Unit> {
      const own = ownedBy(caller);
      const r = await sql.get(`SELECT * FROM unit WHERE id = ? AND ${own.sql}`, [id, ...own.params]);
      if (!r) throw notFound("unit", id);
      return toUnit(r);
    },
    async list(caller: Caller): Promise<Unit[]> {
      const own = ownedBy(caller);
      return (await sql.query(`SELECT * FROM unit WHERE ${own.sql} ORDER BY created_ms, id`, own.params)).map(
        toUnit,
      );
    },
    /** A unit by id for internal lookups (no caller: never behind an API route), or null; from memory. */
    byId(id: string): Unit | null {
      return index.unit(id);
    },
  };
}
export type Units = ReturnType<typeof createUnits>;

/** A unit by id from memory, or the not-found error `get` would give (custody chains, exports). */
export function knownUnit(units: Pick<Units, "byId">, id: string): Unit {
  const unit = units.byId(id);
  if (!unit) throw notFound("unit", id);
  return unit;
}
