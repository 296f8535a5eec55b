import type { Db } from "../db/open.js";
import { prepared } from "../db/statements.js";
import { conflict, invalidInput, notFound } from "../errors.js";
import { defaultProfileId } from "../rules/index.js";
import type { Audit } from "./audit.js";
import { type Caller, ownedBy } from "./caller.js";
import { newId } from "./ids.js";

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

function toUnit(r: Record<string, unknown>): Unit {
  return {
    id: r.id as string,
    ownerId: r.owner_id as string,
    name: r.name as string,
    kind: r.kind as UnitKind,
    site: r.site as UnitSite,
    profile: r.profile as string,
    profileOverrides: r.profile_overrides ? JSON.parse(r.profile_overrides as string) : null,
    createdMs: r.created_ms as number,
  };
}

export function createUnits(db: Db, audit: Audit, knownProfiles: () => ReadonlySet<string>) {
  const insert = db.prepare(
    "INSERT INTO unit (id, owner_id, name, kind, site, profile, profile_overrides, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const update = db.prepare("UPDATE unit SET name = ?, profile = ?, profile_overrides = ? WHERE id = ?");
  return {
    create(
      caller: Caller,
      input: { name: string; kind: UnitKind; site?: UnitSite | undefined; profile?: string | undefined },
      nowMs: number,
    ): Unit {
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
      db.transaction(() => {
        insert.run(unit.id, unit.ownerId, unit.name, unit.kind, unit.site, unit.profile, null, nowMs);
        audit.record(nowMs, caller.accountId, "unit.created", "unit", unit.id, {
          name: unit.name,
          kind: unit.kind,
          site,
          profile,
        });
      })();
      return unit;
    },
    /**
     * Staff choose another profile or override its numbers (validated by `validate`, which names the
     * key and value it refuses); the change is audited with what it was before.
     */
    update(
      caller: Caller,
      id: string,
      change: {
        name?: string | undefined;
        profile?: string | undefined;
        profileOverrides?: Record<string, unknown> | null | undefined;
      },
      validate: (unit: Unit) => string | null,
      nowMs: number,
    ): Unit {
      const before = this.get(caller, id);
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
      db.transaction(() => {
        update.run(
          after.name,
          after.profile,
          after.profileOverrides ? JSON.stringify(after.profileOverrides) : null,
          id,
        );
        audit.record(nowMs, caller.accountId, "unit.updated", "unit", id, {
          before: { name: before.name, profile: before.profile, profileOverrides: before.profileOverrides },
          after: { name: after.name, profile: after.profile, profileOverrides: after.profileOverrides },
        });
      })();
      return after;
    },
    get(caller: Caller, id: string): Unit {
      const own = ownedBy(caller);
      const r = prepared(db, `SELECT * FROM unit WHERE id = ? AND ${own.sql}`).get(id, ...own.params);
      if (!r) throw notFound("unit", id);
      return toUnit(r as Record<string, unknown>);
    },
    list(caller: Caller): Unit[] {
      const own = ownedBy(caller);
      return (
        prepared(db, `SELECT * FROM unit WHERE ${own.sql} ORDER BY created_ms, id`).all(
          ...own.params,
        ) as Record<string, unknown>[]
      ).map(toUnit);
    },
  };
}
export type Units = ReturnType<typeof createUnits>;
