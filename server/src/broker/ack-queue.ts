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
 * `reset()` when the connection closes: the broker delivers what was not acknowledged again on
 * the next connection, so slots of the old connection are never acknowledged.
 */
export class AckQueue {
  #slots: AckSlot[] = [];
  #generation = 0;

  constructor(private readonly sendPuback: (messageId: number) => void) {}

  get generation(): number {
    return this.#generation;
  }

  /** Messages received and not acknowledged yet. */
  get pending(): number {
    return this.#slots.length;
  }

  take(messageId: number): AckSlot {
    const slot: AckSlot = { messageId, generation: this.#generation, ready: false };
    this.#slots.push(slot);
    return slot;
  }

  done(slot: AckSlot): void {
    if (slot.generation !== this.#generation) return;
    slot.ready = true;
    while (this.#slots.length > 0 && (this.#slots[0] as AckSlot).ready) {
      this.sendPuback((this.#slots.shift() as AckSlot).messageId);
    }
  }

  reset(): void {
    this.#slots = [];
    this.#generation += 1;
  }
}
