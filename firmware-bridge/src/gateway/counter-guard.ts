/**
 * Replay protection for encrypted BTHome: the 4-byte encryption counter is part of the nonce and the
 * sender increases it with every advertisement (bthome.io/encryption), so a packet whose counter is
 * not above the last accepted one from that device is a recording played back by someone in radio
 * range, or a duplicate. The decoder returns the counter; the state lives here, per device. The
 * gateway persists `snapshot()` so that a restart keeps the floor.
 *
 * Known trade-off: a sensor that restarts its counter (battery change) is refused until its entry is
 * removed from the counters file; Home Assistant's bthome-ble met the same problem
 * (Bluetooth-Devices/bthome-ble issue 116). Refusing is the safe side: a replayed packet could hide a
 * thaw behind old, cold readings.
 */
export type CounterCheck = { ok: true } | { ok: false; reason: string };

export function createCounterGuard(initial: Readonly<Record<string, number>> = {}) {
  const last = new Map<string, number>(Object.entries(initial));
  let changed = false;
  return {
    check(mac: string, counter: number): CounterCheck {
      const prev = last.get(mac);
      if (prev !== undefined && counter <= prev) {
        return {
          ok: false,
          reason: `BTHome counter ${counter} did not increase (last accepted ${prev}): dropped as a possible replay`,
        };
      }
      last.set(mac, counter);
      changed = true;
      return { ok: true };
    },
    /** The state to persist, and whether it changed since the last call. */
    snapshot(): { counters: Record<string, number>; changed: boolean } {
      const c = changed;
      changed = false;
      return { counters: Object.fromEntries(last), changed: c };
    },
  };
}
export type CounterGuard = ReturnType<typeof createCounterGuard>;
