/**
 * The set of alerts that are on, as far as the engine knows: filled from the store at start
 * (`mark`), then kept up to date from the intents the detectors return (`apply`), and put back
 * when the store could not commit them (`undo`).
 */
import { type AlertIntent, type AlertKey, type AlertKind, alertKeyText, type Subject } from "../types.js";
import type { ActiveAlerts } from "./types.js";

export interface ActiveSet extends ActiveAlerts {
  mark(key: AlertKey): void;
  apply(intents: readonly AlertIntent[]): void;
  undo(intents: readonly AlertIntent[]): void;
}

export function createActiveSet(): ActiveSet {
  const on = new Map<string, AlertKey>();
  const add = (k: AlertKey) => on.set(alertKeyText(k), k);
  const remove = (k: AlertKey) => on.delete(alertKeyText(k));
  return {
    has: (key) => on.has(alertKeyText(key)),
    subjects(kind: AlertKind): Subject[] {
      const out: Subject[] = [];
      for (const k of on.values()) if (k.kind === kind) out.push(k.subject);
      return out;
    },
    mark: add,
    apply(intents) {
      for (const i of intents) {
        if (i.op === "raise") add(i.key);
        else remove(i.key);
      }
    },
    undo(intents) {
      for (const i of intents) {
        if (i.op === "raise") remove(i.key);
        else add(i.key);
      }
    },
  };
}
