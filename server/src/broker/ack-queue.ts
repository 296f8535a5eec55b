/** One received QoS 1 message waiting for its PUBACK. */
export interface AckSlot {
  readonly messageId: number;
  /** The connection it came on (AckQueue.generation when taken). */
  readonly generation: number;
  ready: boolean;
}

/**
 * PUBACKs of one MQTT connection, sent in the order the PUBLISHes came (MQTT 3.1.1 and 5, 4.6:
 * a receiver acknowledges QoS 1 messages in the order it received them) and each only once its
 * message is done (journaled). A message that finishes early waits for those before it.
 *
 * The PUBACKs that became due are sent together, in one `sendPubacks` call on the next tick
 * (`defer`): every message of one journal group commit is done in the same turn, so the group's
 * PUBACKs leave in one socket write instead of one write (and one syscall) each.
 * `reset()` when the connection closes: the broker delivers what was not acknowledged again on
 * the next connection, so slots of the old connection are never acknowledged.
 */
export class AckQueue {
  #slots: AckSlot[] = [];
  /** Index of the first slot not yet acknowledged: the array is compacted now and then, not shifted. */
  #head = 0;
  #due: number[] = [];
  #scheduled = false;
  #generation = 0;
  readonly #flush = () => {
    this.#scheduled = false;
    this.flush();
  };

  constructor(
    private readonly sendPubacks: (messageIds: number[]) => void,
    private readonly defer: (fn: () => void) => void = process.nextTick,
  ) {}

  get generation(): number {
    return this.#generation;
  }

  /** Messages received and not acknowledged yet (due PUBACKs not yet sent count as acknowledged). */
  get pending(): number {
    return this.#slots.length - this.#head;
  }

  take(messageId: number): AckSlot {
    const slot: AckSlot = { messageId, generation: this.#generation, ready: false };
    this.#slots.push(slot);
    return slot;
  }

  done(slot: AckSlot): void {
    if (slot.generation !== this.#generation) return;
    slot.ready = true;
    const slots = this.#slots;
    let head = this.#head;
    while (head < slots.length && (slots[head] as AckSlot).ready) {
      this.#due.push((slots[head] as AckSlot).messageId);
      head++;
    }
    if (head === slots.length) {
      this.#slots = [];
      this.#head = 0;
    } else if (head > 1024 && head * 2 > slots.length) {
      this.#slots = slots.slice(head);
      this.#head = 0;
    } else this.#head = head;
    if (this.#due.length > 0 && !this.#scheduled) {
      this.#scheduled = true;
      this.defer(this.#flush);
    }
  }

  /** Sends the due PUBACKs now (before the connection is ended, so they go ahead of the DISCONNECT). */
  flush(): void {
    if (this.#due.length === 0) return;
    const ids = this.#due;
    this.#due = [];
    this.sendPubacks(ids);
  }

  reset(): void {
    this.#slots = [];
    this.#head = 0;
    this.#due = [];
    this.#generation += 1;
  }
}
