/**
 * "How I am told" (issue 11): each person's own email and web push channels, kept as ordinary
 * alert channels owned by the account, so alerts reach them through the same durable outbox and
 * the same owner rule as every channel (a donor hears her own units' alerts; staff those of their
 * site). The choice of alert kinds is kept per account (`notify_pref`) and copied onto each of
 * these channels, including push subscriptions made later.
 *
 * The email channel managed here is the one whose target is the account's own address; channels
 * made by hand through `POST /api/v1/channels` are left alone.
 */
import type { Db } from "../db/open.js";
import type { Caller } from "../registry/caller.js";
import type { ChannelStore } from "./channel-store.js";
import type { PushKeys } from "./channels/webpush.js";
import { ALERT_KINDS, type AlertKind, type Channel } from "./types.js";

export interface NotifyChoices {
  email: boolean;
  /** Every kind when the person never chose. */
  alertKinds: AlertKind[];
}

export interface PushSubscriptionInput {
  endpoint: string;
  keys: PushKeys;
}

export function createNotifyPrefs(
  db: Db,
  channels: ChannelStore,
  opts: {
    /**
     * The escalation level from which a person of this role hears alerts: a donor at once (level
     * 0), staff once an alert escalates to them — the same ladder as every channel.
     */
    minEscalationOf(role: Caller["role"]): number;
  },
) {
  const emailOf = db.prepare("SELECT email FROM account WHERE id = ?").pluck();
  const prefOf = db.prepare("SELECT alert_kinds FROM notify_pref WHERE account_id = ?").pluck();
  const putPref = db.prepare(
    `INSERT INTO notify_pref (account_id, alert_kinds, updated_ms) VALUES (?, ?, ?)
     ON CONFLICT (account_id) DO UPDATE SET alert_kinds = excluded.alert_kinds, updated_ms = excluded.updated_ms`,
  );
  const ownLive = db.prepare(
    "SELECT id FROM alert_channel WHERE owner_id = ? AND kind = ? AND deleted_ms IS NULL ORDER BY created_ms, rowid",
  );
  const byEndpoint = db.prepare(
    "SELECT id, owner_id FROM alert_channel WHERE kind = 'webpush' AND target = ? AND deleted_ms IS NULL",
  );
  const setKinds = db.prepare("UPDATE alert_channel SET alert_kinds = ? WHERE id = ?");
  const setKeys = db.prepare("UPDATE alert_channel SET secret = ? WHERE id = ?");

  const addressOf = (caller: Caller): string | null =>
    (emailOf.get(caller.accountId) as string | null) ?? null;
  const kindsOf = (caller: Caller): AlertKind[] | null => {
    const raw = prefOf.get(caller.accountId) as string | null | undefined;
    return raw ? (JSON.parse(raw) as AlertKind[]) : null;
  };
  const live = (caller: Caller, kind: Channel["kind"]): Channel[] =>
    (ownLive.all(caller.accountId, kind) as { id: string }[])
      .map((r) => channels.get(r.id))
      .filter((c): c is Channel => c !== null);

  /** The email channels this page manages: the caller's own, to the account's address. */
  function ownEmail(caller: Caller): Channel[] {
    const address = addressOf(caller);
    return address === null
      ? []
      : live(caller, "email").filter((c) => c.target.toLowerCase() === address.toLowerCase());
  }

  return {
    addressOf,
    get(caller: Caller): NotifyChoices & { pushDevices: number } {
      return {
        email: ownEmail(caller).length > 0,
        alertKinds: kindsOf(caller) ?? [...ALERT_KINDS],
        pushDevices: live(caller, "webpush").length,
      };
    },
    /** Saves the choices: creates or removes the email channel, copies the kinds onto each channel. */
    set(caller: Caller, choices: NotifyChoices, nowMs: number): void {
      const chosen = [...new Set(choices.alertKinds)];
      const kinds = chosen.length === ALERT_KINDS.length ? null : chosen;
      const address = addressOf(caller);
      db.transaction(() => {
        putPref.run(caller.accountId, kinds ? JSON.stringify(kinds) : null, nowMs);
        const existing = ownEmail(caller);
        if (choices.email && existing.length === 0 && address !== null) {
          channels.create(
            caller,
            { kind: "email", target: address, minEscalation: opts.minEscalationOf(caller.role) },
            nowMs,
          );
        }
        if (!choices.email) for (const c of existing) channels.delete(caller, c.id, nowMs);
        for (const c of [...ownEmail(caller), ...live(caller, "webpush")])
          setKinds.run(kinds ? JSON.stringify(kinds) : null, c.id);
      })();
    },
    /**
     * Subscribes this browser for the caller. The same endpoint again only refreshes its keys; an
     * endpoint another account subscribed (a shared phone, someone else signed in now) moves to
     * the caller, since the browser delivers to whoever is signed in on it.
     */
    subscribe(
      caller: Caller,
      sub: PushSubscriptionInput,
      nowMs: number,
    ): { channel: Channel; created: boolean } {
      const secret = JSON.stringify({ p256dh: sub.keys.p256dh, auth: sub.keys.auth });
      return db.transaction(() => {
        const found = byEndpoint.get(sub.endpoint) as { id: string; owner_id: string } | undefined;
        if (found && found.owner_id === caller.accountId) {
          setKeys.run(secret, found.id);
          return { channel: channels.get(found.id) as Channel, created: false };
        }
        if (found) channels.remove(found.id, nowMs, "the browser subscribed for another account");
        const kinds = kindsOf(caller);
        const { channel } = channels.create(
          caller,
          {
            kind: "webpush",
            target: sub.endpoint,
            secret,
            alertKinds: kinds ?? undefined,
            minEscalation: opts.minEscalationOf(caller.role),
          },
          nowMs,
        );
        return { channel, created: true };
      })();
    },
    /** Unsubscribes the caller's browser; false when the caller has no such subscription. */
    unsubscribe(caller: Caller, endpoint: string, nowMs: number): boolean {
      const found = byEndpoint.get(endpoint) as { id: string; owner_id: string } | undefined;
      if (!found || found.owner_id !== caller.accountId) return false;
      channels.delete(caller, found.id, nowMs);
      return true;
    },
    /** The caller's channels this page manages: for the test button. */
    ownChannels(caller: Caller): Channel[] {
      return [...ownEmail(caller), ...live(caller, "webpush")];
    },
  };
}
export type NotifyPrefs = ReturnType<typeof createNotifyPrefs>;
