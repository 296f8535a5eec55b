/**
 * Response shapes of the coldtrail HTTP API, taken from the zod schemas the server's routes
 * declare as their responses (server/src/api/schemas, the same that make /api/openapi.json):
 * types only, nothing of the server is bundled. Times are ISO 8601 strings, temperatures °C.
 * `types.test.ts` checks each type's route in the document against its schema.
 */
import type { z } from "zod";
import type * as S from "../../../server/src/api/schemas/index.js";

export type Band = z.output<typeof S.band>;
export type UnitKind = z.output<typeof S.unitKind>;

export type Unit = z.output<typeof S.unitView>;
export type UnitDetail = z.output<typeof S.unitDetail>;
export type UnitList = z.output<typeof S.unitList>;
export type LastReading = NonNullable<Unit["lastReading"]>;

/** A reading or a bucket of readings (`every=`: min/mean/max per bucket). */
export type ReadingPoint = z.output<typeof S.readingPoint>;
export type UnitReadings = z.output<typeof S.unitReadings>;

export type Reason = z.output<typeof S.reason>;
export type VerdictCore = z.output<typeof S.verdictCore>;
export type VerdictStats = VerdictCore["stats"];
export type Budget = VerdictCore["budgets"][number];
/** A resolved rule profile, as the server sends it. */
export type RuleProfile = z.output<typeof S.ruleProfile>;
/** The numbers of a rule profile the dashboard draws. */
export type ProfileNumbers = Pick<RuleProfile, "id" | "kind" | "label" | "safe">;

export type Review = z.output<typeof S.reviewView>;
export type ReviewCreated = z.output<typeof S.reviewCreated>;
export type BatchDetail = z.output<typeof S.batchDetail>;
export type CustodyEntry = BatchDetail["custody"][number];
export type BatchSummary = z.output<typeof S.batchSummary>;
export type BatchList = z.output<typeof S.batchList>;
/** A batch's audit trail (GET /batches/{id}/audit), oldest first. */
export type AuditList = z.output<typeof S.auditList>;
export type AuditEntry = AuditList["audit"][number];

/** A probe with its attachments; `intervalLearned` when it registered without `intervalS`. */
export type ProbeDetail = z.output<typeof S.probeDetail>;
/** A registered probe: its MQTT login and the secret, shown once. */
export type ProbeRegistered = z.output<typeof S.probeRegistered>;
export type ProbeSecret = z.output<typeof S.probeSecret>;
export type BatchCreated = z.output<typeof S.batchCreated>;

/** Public: no donor identity, custody as unit kinds and times only. */
export type Passport = z.output<typeof S.passport>;

export type AlertState = z.output<typeof S.alertState>;
export type Alert = z.output<typeof S.alertView>;
export type AlertList = z.output<typeof S.alertList>;

export type DeadLetterList = z.output<typeof S.deadLetterList>;
export type DeadLetter = DeadLetterList["deadletters"][number];
export type RefusedReading = DeadLetter["refusedReadings"][number];

/** Accounts and sessions (DESIGN.md "Accounts and sessions"). */
export type Account = z.output<typeof S.accountView>;
export type Me = z.output<typeof S.me>;
export type SiteList = z.output<typeof S.siteList>;
export type SignedIn = z.output<typeof S.signedIn>;
export type AcceptedInvitation = z.output<typeof S.acceptedInvitation>;

/** "How I am told": the signed-in person's email and push choices and alert kinds. */
export type NotifyChoices = z.output<typeof S.notifyChoices>;
export type NotifyTestResult = z.output<typeof S.notifyTestResult>;
export type PushKey = z.output<typeof S.pushKey>;
export type PushSubscriptionCreated = z.output<typeof S.pushSubscriptionCreated>;
