/**
 * Messages each ingest connection reads ahead of its PUBACKs when COLDTRAIL_MQTT_RECEIVE_MAXIMUM
 * is not set: all of them join the next journal group commit. A backlog Mosquitto queued during an
 * outage drains at up to this many messages per commit-and-fsync round; 100 made that round, not
 * the CPU, the limit.
 */
export const DEFAULT_RECEIVE_MAXIMUM = 2000;

/**
 * Payload and topic bytes one ingest connection holds read and not yet journaled, at most. With
 * readings of about 200 bytes the message count binds first; with large payloads (Mosquitto lets
 * through up to its max_packet_size, 128 KiB) this does, so memory stays bounded either way.
 */
export const READ_WINDOW_MAX_BYTES = 16 * 1024 * 1024;

/** One message counted by `enter`, handed back to `leave` when it is journaled (or failed). */
export interface WindowTicket {
  readonly bytes: number;
  readonly generation: number;
}

/**
 * What one ingest connection has read and not yet finished, and whether it may read on. The broker
 * is told the limit (MQTT 5 Receive Maximum) but Mosquitto 2.0.11 does not keep to it once PUBACKs
 * flow: a subscriber with Receive Maximum 100 that acknowledged each message 20 ms late held 1,300
 * unacknowledged messages, and the bench's ingest held 31,000 (tens of MB of payloads, one SQLite
 * transaction of 36,000 messages blocking the event loop). So the connection enforces it itself:
 * when the window is full it stops taking PUBLISHes (the splitter holds them and pauses the socket,
 * `whenRoom`; mqtt.js's own get their callback late, `readOn`), and the broker keeps the rest
 * queued, as it does for any slow subscriber. The window opens again as soon as a message is journaled.
 */
export class ReadWindow {
  #messages = 0;
  #bytes = 0;
  #generation = 0;
  #waiting: (() => void)[] = [];

  constructor(
    readonly maxMessages: number,
    readonly maxBytes: number = READ_WINDOW_MAX_BYTES,
  ) {
    if (!Number.isInteger(maxMessages) || maxMessages < 1)
      throw new RangeError(`ReadWindow needs at least 1 message in flight, got ${maxMessages}`);
  }

  /** Messages read and not finished. */
  get messages(): number {
    return this.#messages;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** True while nothing more may be read. */
  get full(): boolean {
    return this.#messages >= this.maxMessages || this.#bytes >= this.maxBytes;
  }

  /** A message was read: counted until its ticket comes back to `leave`. */
  enter(bytes: number): WindowTicket {
    this.#messages += 1;
    this.#bytes += bytes;
    return { bytes, generation: this.#generation };
  }

  /** The message is journaled (or its journal failed): room for another. */
  leave(ticket: WindowTicket): void {
    if (ticket.generation !== this.#generation) return;
    this.#messages -= 1;
    this.#bytes -= ticket.bytes;
    if (this.#waiting.length > 0 && !this.full) this.#wake();
  }

  /**
   * `resume` once the window has room again: at once when it has now. Normally one reader waits;
   * the packets of a closed connection that mqtt.js still hands over may add a second.
   */
  whenRoom(resume: () => void): void {
    if (this.full) this.#waiting.push(resume);
    else resume();
  }

  /**
   * mqtt.js's callback for the packet just handled (`err` as mqtt.js takes it): called at once when
   * the window has room, so the next packet is read, else once it has (no closure on the fast path).
   */
  readOn(callback: (err?: Error) => void, err?: Error): void {
    if (this.full) this.#waiting.push(() => callback(err));
    else callback(err);
  }

  /**
   * The connection closed: nothing of it is pending any more (the broker sends it all again on the
   * next one). A reader left waiting is let go, so the old connection's stream can finish.
   */
  reset(): void {
    this.#generation += 1;
    this.#messages = 0;
    this.#bytes = 0;
    this.#wake();
  }

  #wake(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const resume of waiting) resume();
  }
}
