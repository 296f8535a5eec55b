import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApi, type TestApi } from "../api/test-api.js";
import { ADMIN, type Caller } from "../registry/caller.js";
import { ALERT_KINDS } from "./types.js";

const KEYS = {
  p256dh: Buffer.alloc(65, 4).toString("base64url"),
  auth: Buffer.alloc(16, 1).toString("base64url"),
};

let t: TestApi;
let donor: Caller;
let staff: Caller;
beforeAll(async () => {
  t = await createTestApi();
  const site = (await t.accounts.createSite(ADMIN, "Bank")).id;
  const make = async (role: "donor" | "staff", email: string): Promise<Caller> => {
    const a = (await t.accounts.invite(ADMIN, { email, name: email, role, siteId: site })).account;
    return { accountId: a.id, role: a.role, siteId: a.siteId };
  };
  donor = await make("donor", "dora@example.org");
  staff = await make("staff", "sam@example.org");
});
afterAll(async () => t?.close());

describe("how each person is told", () => {
  it("copies the chosen kinds onto her email channel and onto browsers subscribed later; all kinds = no filter", async () => {
    const prefs = t.alerting.http.notify.prefs;
    const channels = t.alerting.http.channels.channels;
    prefs.set(donor, { email: true, alertKinds: ["excursion", "excursion", "probable-thaw"] }, t.now());
    const { channel: phone } = prefs.subscribe(
      donor,
      { endpoint: "https://push.example.org/dora", keys: KEYS },
      t.now(),
    );
    const own = prefs.ownChannels(donor);
    expect(own.map((c) => [c.kind, c.target, c.alertKinds, c.minEscalation])).toEqual([
      ["email", "dora@example.org", ["excursion", "probable-thaw"], 0],
      ["webpush", "https://push.example.org/dora", ["excursion", "probable-thaw"], 0],
    ]);
    prefs.set(donor, { email: false, alertKinds: [...ALERT_KINDS] }, t.now());
    expect(prefs.ownChannels(donor).map((c) => [c.kind, c.alertKinds])).toEqual([["webpush", null]]);
    expect(channels.get(phone.id)?.deletedMs).toBeNull();
    expect(prefs.get(donor)).toEqual({ email: false, alertKinds: [...ALERT_KINDS], pushDevices: 1 });
  });

  it("staff hear from the staff escalation level; a browser that moves to another account leaves the first", async () => {
    const prefs = t.alerting.http.notify.prefs;
    const endpoint = "https://push.example.org/shared-tablet";
    prefs.subscribe(donor, { endpoint, keys: KEYS }, t.now());
    const { channel, created } = prefs.subscribe(staff, { endpoint, keys: KEYS }, t.now());
    expect(created).toBe(true);
    expect(channel.minEscalation).toBe(t.alerting.settings.escalation[1]?.level);
    expect(prefs.ownChannels(donor).map((c) => c.target)).not.toContain(endpoint);
    expect(prefs.unsubscribe(donor, endpoint, t.now())).toBe(false);
    expect(prefs.unsubscribe(staff, endpoint, t.now())).toBe(true);
    expect(prefs.ownChannels(staff)).toEqual([]);
  });
});
