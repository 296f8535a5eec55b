/**
 * Statement text per backend, worked out once per distinct SQL string: PostgreSQL's numbered
 * placeholders, and the number of parameters the statement takes (checked on both backends, so a
 * missing parameter fails the same way everywhere).
 */
import type { Backend } from "./client.js";
import { toPostgresPlaceholders } from "./placeholders.js";

interface Translated {
  text: string;
  count: number;
}

/** SQL strings are constants in the code; the cap only guards against SQL built from data. */
const CACHE_LIMIT = 2000;
const caches: Record<Backend, Map<string, Translated>> = { sqlite: new Map(), postgres: new Map() };

export function statementText(backend: Backend, sql: string, paramCount: number): string {
  const cache = caches[backend];
  let translated = cache.get(sql);
  if (translated === undefined) {
    const result = toPostgresPlaceholders(sql);
    if (!result.ok) throw new SyntaxError(result.reason);
    translated = { text: backend === "postgres" ? result.sql : sql, count: result.count };
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(sql, translated);
  }
  if (translated.count !== paramCount) {
    throw new RangeError(
      `${JSON.stringify(sql.slice(0, 120))} has ${translated.count} "?" placeholder(s) but ${paramCount} parameter(s) were given: pass one value per "?"`,
    );
  }
  return translated.text;
}
