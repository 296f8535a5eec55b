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
import type { SqlClient, SqlQueries } from "../db/sql/client.js";
import type { Caller } from "../registry/caller.js";
import { type ChannelStore, channelOrder } from "./channel-store.js";
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
  sql: SqlClient,
  channels: ChannelStore,
  opts: {
    /**
     * The escalation level from which a person of this role hears alerts: a donor at once (level
     * 0), staff once an alert escalates to them — the same ladder as every channel.
     */
    minEscalationOf(role: Caller["role"]): number;
  },
) {
  const PUT_PREF = `INSERT INTO notify_pref (account_id, alert_kinds, updated_ms) VALUES (?, ?, ?)
     ON CONFLICT (account_id) DO UPDATE SET alert_kinds = excluded.alert_kinds, updated_ms = excluded.updated_ms`;
  const OWN_LIVE = `SELECT id FROM alert_channel WHERE owner_id = ? AND kind = ? AND deleted_ms IS NULL ORDER BY ${channelOrder(sql)}`;
  const BY_ENDPOINT =
    "SELECT id, owner_id FROM alert_channel WHERE kind = 'webpush' AND target = ? AND deleted_ms IS NULL";
  const SET_KINDS = "UPDATE alert_channel SET alert_kinds = ? WHERE id = ?";

  const addressOf = async (caller: Caller, q: SqlQueries = sql): Promise<string | null> =>
    (await q.get<{ email: string | null }>("SELECT email FROM account WHERE id = ?", [caller.accountId]))
      ?.email ?? null;
  const kindsOf = async (caller: Caller, q: SqlQueries = sql): Promise<AlertKind[] | null> => {
    const r = await q.get<{ alert_kinds: string | null }>(
      "SELECT alert_kinds FROM notify_pref WHERE account_id = ?",
      [caller.accountId],
    );
    return r?.alert_kinds ? (JSON.parse(r.alert_kinds) as AlertKind[]) : null;
  };
  const live = async (caller: Caller, kind: Channel["kind"], q: SqlQueries = sql): Promise<Channel[]> => {
    const out: Channel[] = [];
    for (const r of await q.query<{ id: string }>(OWN_LIVE, [caller.accountId, kind])) {
      const c = await channels.get(r.id, q);
      if (c) out.push(c);
    }
    return out;
  };

  /** The email channels this page manages: the caller's own, to the account's address. */
  async function ownEmail(caller: Caller, q: SqlQueries = sql): Promise<Channel[]> {
    const address = await addressOf(caller, q);
    return address === null
      ? []
      : (await live(caller, "email", q)).filter((c) => c.target.toLowerCase() === address.toLowerCase());
  }

  return {
    addressOf: (caller: Caller): Promise<string | null> => addressOf(caller),
    async get(caller: Caller): Promise<NotifyChoices & { pushDevices: number }> {
      return {
        email: (await ownEmail(caller)).length > 0,
        alertKinds: (await kindsOf(caller)) ?? [...ALERT_KINDS],
        pushDevices: (await live(caller, "webpush")).length,
      };
    },
    /** Saves the choices: creates or removes the email channel, copies the kinds onto each channel. */
    async set(caller: Caller, choices: NotifyChoices, nowMs: number): Promise<void> {
      const chosen = [...new Set(choices.alertKinds)];
      const kinds = chosen.length === ALERT_KINDS.length ? null : chosen;
      await sql.transaction(async (tx) => {
        const address = await addressOf(caller, tx);
        await tx.run(PUT_PREF, [caller.accountId, kinds ? JSON.stringify(kinds) : null, nowMs]);
        const existing = await ownEmail(caller, tx);
        if (choices.email && existing.length === 0 && address !== null) {
          await channels.create(
            caller,
            { kind: "email", target: address, minEscalation: opts.minEscalationOf(caller.role) },
            nowMs,
            tx,
          );
        }
        if (!choices.email) for (const c of existing) await channels.delete(caller, c.id, nowMs, tx);
        for (const c of [...(await ownEmail(caller, tx)), ...(await live(caller, "webpush", tx))])
          await tx.run(SET_KINDS, [kinds ? JSON.stringify(kinds) : null, c.id]);
      });
    },
    /**
     * Subscribes this browser for the caller. The same endpoint again only refreshes its keys; an
     * endpoint another account subscribed (a shared phone, someone else signed in now) moves to
     * the caller, since the browser delivers to whoever is signed in on it.
     */
    async subscribe(
      caller: Caller,
      sub: PushSubscriptionInput,
      nowMs: number,
    ): Promise<{ channel: Channel; created: boolean }> {
      const secret = JSON.stringify({ p256dh: sub.keys.p256dh, auth: sub.keys.auth });
      return sql.transaction(async (tx) => {
        const found = await tx.get<{ id: string; owner_id: string }>(BY_ENDPOINT, [sub.endpoint]);
        if (found && found.owner_id === caller.accountId) {
          await channels.setSecret(found.id, secret, tx);
          return { channel: (await channels.get(found.id, tx)) as Channel, created: false };
        }
        if (found) await channels.remove(found.id, nowMs, "the browser subscribed for another account", tx);
        const kinds = await kindsOf(caller, tx);
        const { channel } = await channels.create(
          caller,
          {
            kind: "webpush",
            target: sub.endpoint,
            secret,
            alertKinds: kinds ?? undefined,
            minEscalation: opts.minEscalationOf(caller.role),
          },
          nowMs,
          tx,
        );
        return { channel, created: true };
      });
    },
    /** Unsubscribes the caller's browser; false when the caller has no such subscription. */
    async unsubscribe(caller: Caller, endpoint: string, nowMs: number): Promise<boolean> {
      return sql.transaction(async (tx) => {
        const found = await tx.get<{ id: string; owner_id: string }>(BY_ENDPOINT, [endpoint]);
        if (!found || found.owner_id !== caller.accountId) return false;
        await channels.delete(caller, found.id, nowMs, tx);
        return true;
      });
    },
    /** A channel of `ownChannels` with its secret opened, to send to it now. */
    opened: (c: Channel): Channel => channels.opened(c),
    /** The caller's channels this page manages: for the test button (secrets sealed). */
    async ownChannels(caller: Caller): Promise<Channel[]> {
      return [...(await ownEmail(caller)), ...(await live(caller, "webpush"))];
    },
  };
}
export type NotifyPrefs = ReturnType<typeof createNotifyPrefs>;
