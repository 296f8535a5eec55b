/**
 * Which transaction the running code is inside, so that a transaction's callback calling its
 * client instead of `tx` fails at once with a message, instead of waiting for itself (SQLite: the
 * call queues behind the transaction) or stepping outside it (PostgreSQL: another connection).
 */
import { AsyncLocalStorage } from "node:async_hooks";

export interface TransactionState {
  /** The client the transaction belongs to. */
  readonly owner: object;
  /** True until the transaction commits or rolls back. */
  open: boolean;
}

const scope = new AsyncLocalStorage<TransactionState>();
/** Transactions whose callback is running now (several at once on PostgreSQL). */
let running = 0;

/**
 * Runs a transaction's callback inside its scope. The scope is switched off again once no
 * transaction runs: on Node 20 an enabled AsyncLocalStorage adds a hook to every promise the
 * process makes (about 0.75 µs each, several per MQTT message on the ingest path, issue #12),
 * and outside a transaction there is nothing for it to tell. A promise made inside a transaction
 * that outlives it carries a state whose `open` is false, which no check counts.
 */
export async function insideTransaction<T>(state: TransactionState, fn: () => Promise<T>): Promise<T> {
  running++;
  try {
    return await scope.run(state, fn);
  } finally {
    running--;
    if (running === 0) scope.disable();
  }
}

/** Throws when called from the callback of an open transaction of `owner`. */
export function assertOutsideTransaction(owner: object, call: string): void {
  const state = scope.getStore();
  if (state !== undefined && state.owner === owner && state.open) {
    throw new Error(
      `${call} was called on the SQL client from inside one of its own transactions: use the transaction's \`tx\` ` +
        "(a call on the client would wait for the transaction to end, or run outside it)",
    );
  }
}

/** Throws when a transaction's handle is used after the transaction ended. */
export function assertOpen(state: TransactionState, call: string): void {
  if (!state.open) {
    throw new Error(
      `tx.${call} ran after its transaction had ended: await every tx call inside the transaction's callback`,
    );
  }
}
