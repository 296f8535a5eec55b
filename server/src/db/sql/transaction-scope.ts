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

export function insideTransaction<T>(state: TransactionState, fn: () => Promise<T>): Promise<T> {
  return scope.run(state, fn);
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
