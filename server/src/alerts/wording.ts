/**
 * Plain words for alerts: a title that says what and where, and a message that says where to look
 * and what to do. Pure; times in the server's zone (COLDTRAIL_TIME_ZONE) with the zone's short name.
 */
import type { ProbeTrouble } from "../rules/sensor-fault.js";
import { formatDuration, formatTempC, formatTime } from "../rules/wording.js";

export interface UnitWords {
  name: string;
  kind: "freezer" | "fridge" | "cool-bag";
}

const kindWord = (k: UnitWords["kind"]) => (k === "cool-bag" ? "cool bag" : k);
const q = (s: string) => `"${s}"`;

/** The alert words with every time in `timeZone` (default UTC), e.g. "3 May 2026, 08:05 EDT". */
export function alertWords(timeZone = "UTC") {
  const at = (ms: number) => formatTime(ms, timeZone);

  function excursionStartedWords(
    u: UnitWords,
    e: { rule: "high" | "low"; fromMs: number; limitC: number; forMin: number; nowC: number | null },
  ) {
    const now = e.nowC === null ? "" : ` (last reading ${formatTempC(e.nowC)})`;
    if (e.rule === "low") {
      return {
        title: `${capital(kindWord(u.kind))} too cold: ${u.name}`,
        message:
          `${q(u.name)} has been colder than ${formatTempC(e.limitC)} since ${at(e.fromMs)}${now}, for more than ${e.forMin} minutes: ` +
          "milk kept liquid there may be freezing. Check the thermostat setting and that nothing blocks the air vent; " +
          "open the unit's page to see which batches are inside.",
      };
    }
    const act =
      u.kind === "freezer"
        ? "Check that the door is shut and the freezer is running; if it does not cool down within the hour, move the milk to a working freezer."
        : u.kind === "fridge"
          ? "Check that the door is shut and the fridge is running; if it does not cool down soon, move the milk to a working fridge."
          : "Add fresh ice packs or move the milk to a freezer or fridge now.";
    return {
      title: `${capital(kindWord(u.kind))} too warm: ${u.name}`,
      message:
        `${q(u.name)} has been warmer than ${formatTempC(e.limitC)} since ${at(e.fromMs)}${now}, for more than ${e.forMin} minutes. ` +
        `${act} Open the unit's page to see which batches are affected.`,
    };
  }

  function excursionEndedWords(
    u: UnitWords,
    e: { rule: "high" | "low"; fromMs: number; toMs: number; peakC: number },
  ) {
    const word = e.rule === "low" ? "coldest" : "warmest";
    return {
      message:
        `Back to normal: ${q(u.name)} was out of range from ${at(e.fromMs)} to ${at(e.toMs)} ` +
        `(${formatDuration(e.toMs - e.fromMs)}, ${word} ${formatTempC(e.peakC)}). ` +
        "Check the verdict of each batch that was inside before it is used.",
    };
  }

  function probableThawWords(u: UnitWords, e: { atMs: number; by: "estimate" | "air" }) {
    const why =
      e.by === "air"
        ? "the air around it stayed above −1 °C for an hour or more"
        : "its estimated temperature passed −0.5 °C, where milk melts";
    return {
      title: `Milk probably thawed: ${u.name}`,
      message:
        `The milk in ${q(u.name)} has probably thawed (${why}) at ${at(e.atMs)}. Thawed milk must not be refrozen: ` +
        "move it to a fridge and use it within 24 hours, or discard it. Say what you did when you acknowledge this alert.",
    };
  }

  function refreezeWords(u: UnitWords, e: { atMs: number }) {
    return {
      title: `Thawed milk refrozen: ${u.name}`,
      message:
        `Milk in ${q(u.name)} that had thawed froze again at ${at(e.atMs)}. Thawed milk must not be refrozen: ` +
        "do not use these batches; label them and discard them. Open the unit's page to see which batches were inside.",
    };
  }

  /**
   * A probe in trouble, worded by what the trouble most likely is (rules/sensor-fault.ts
   * `troubleOf`): stuck, disconnected (the driver's −127 °C), restarted (its 85 °C power-on
   * value) or an impossible reading.
   */
  function sensorFaultWords(
    u: UnitWords,
    e: { tsMs: number; tempC: number; fault: string; trouble: ProbeTrouble; fromMs?: number | undefined },
  ) {
    const value = Number.isFinite(e.tempC) ? formatTempC(e.tempC) : "not a number";
    const unmonitored = "Until it reads normally the unit is not monitored: check the temperature yourself.";
    const clearMessage = `The probe in ${q(u.name)} has read normally again since ${at(e.tsMs)}.`;
    switch (e.trouble) {
      case "stuck":
        return {
          title: `Probe stuck: ${u.name}`,
          message:
            `The probe in ${q(u.name)} is stuck: it has read exactly ${value} without any change since ${at(e.fromMs ?? e.tsMs)}, ` +
            `and a working ${kindWord(u.kind)} goes up and down. Check the probe: it may be frozen into ice or broken; ` +
            `make sure its tip hangs free in the air, then see whether the reading moves. ${unmonitored}`,
          clearMessage,
        };
      case "disconnected":
        return {
          title: `Probe disconnected: ${u.name}`,
          message:
            `The probe in ${q(u.name)} is disconnected: at ${at(e.tsMs)} it sent ${value}, the value a thermometer gives with no sensor on its cable. ` +
            `Check that the probe's cable is plugged in and undamaged. ${unmonitored}`,
          clearMessage,
        };
      case "restarted":
        return {
          title: `Probe restarted: ${u.name}`,
          message:
            `The probe in ${q(u.name)} restarted at ${at(e.tsMs)} and sent its power-on value (${value}) instead of a temperature. ` +
            `Check its power supply and cable; if it keeps restarting, replace it. ${unmonitored}`,
          clearMessage,
        };
      default:
        return {
          title: `Sensor fault: ${u.name}`,
          message:
            `The probe in ${q(u.name)} sent an impossible reading (${value}${e.fault === "jump" ? ", a jump no air can make" : ""}) at ${at(e.tsMs)}. ` +
            `Check that the probe's cable is plugged in and undamaged. ${unmonitored}`,
          clearMessage,
        };
    }
  }

  function offlineWords(p: {
    probeId: string;
    unitName: string | null;
    lastHeardMs: number;
    nowMs: number;
    byStatus: boolean;
  }) {
    const where = p.unitName ? ` in ${q(p.unitName)}` : "";
    const why = p.byStatus ? "it reported its connection lost" : "no reading arrived";
    return {
      title: `Probe offline: ${p.probeId}${p.unitName ? ` (${p.unitName})` : ""}`,
      message:
        `Probe ${q(p.probeId)}${where} is offline: ${why}; last heard ${at(p.lastHeardMs)} (${formatDuration(p.nowMs - p.lastHeardMs)} ago). ` +
        "Check the probe's power and Wi-Fi. Meanwhile check the temperature yourself: unmonitored time is never counted as safe.",
    };
  }

  function backOnlineWords(p: { probeId: string; atMs: number }) {
    return { message: `Probe ${q(p.probeId)} is back: heard again at ${at(p.atMs)}.` };
  }

  function batteryWords(p: {
    probeId: string;
    unitName: string | null;
    pct: number | null;
    mv: number | null;
  }) {
    const level = [
      p.pct !== null ? `${Math.round(p.pct)} %` : null,
      p.mv !== null ? `${(p.mv / 1000).toFixed(2)} V` : null,
    ]
      .filter(Boolean)
      .join(", ");
    return {
      title: `Battery low: ${p.probeId}`,
      message:
        `Probe ${q(p.probeId)}${p.unitName ? ` in ${q(p.unitName)}` : ""} reports its battery at ${level}. ` +
        "Replace or charge the battery within a few days: the probe stops reporting when it runs out.",
      clearMessage: `Probe ${q(p.probeId)} reports its battery at ${level} again.`,
    };
  }

  function clockSkewWords(p: { probeId: string; offsetMs: number }) {
    const dir = p.offsetMs > 0 ? "ahead of" : "behind";
    return {
      title: `Clock off: ${p.probeId}`,
      message:
        `Probe ${q(p.probeId)}'s clock is ${formatDuration(Math.abs(p.offsetMs))} ${dir} the server's. Its readings are placed at the wrong ` +
        "time, so excursions may be timed wrong (and readings more than 10 minutes ahead are refused). Check the probe's time (NTP) settings and restart it.",
      clearMessage: `Probe ${q(p.probeId)}'s clock agrees with the server again.`,
    };
  }

  function rejectSurgeWords(p: {
    probeId: string;
    count: number;
    windowMin: number;
    reasons: Record<string, number>;
  }) {
    const top = Object.entries(p.reasons)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([r, n]) => `${r} ×${n}`)
      .join(", ");
    return {
      title: `Probe sends refused messages: ${p.probeId}`,
      message:
        `The server refused ${p.count} messages from probe ${q(p.probeId)} within ${p.windowMin} minutes (${top}). ` +
        `Those readings are not recorded. See GET /api/v1/deadletters?probeId=${p.probeId} for the messages, then fix the device's firmware or settings.`,
      clearMessage: `No refused messages from probe ${q(p.probeId)} for ${p.windowMin} minutes.`,
    };
  }

  function batchLimitWords(b: {
    code: string;
    unitName: string | null;
    limit: string;
    band: "check" | "do-not-use";
    untilMs: number;
    nowMs: number;
  }) {
    const where = b.unitName ? ` in ${q(b.unitName)}` : "";
    const band = b.band === "do-not-use" ? "do not use" : "check";
    if (b.untilMs <= b.nowMs) {
      return {
        title: `Batch ${b.code} past its storage limit`,
        message:
          `Batch ${b.code}${where} passed its ${b.limit} storage limit at ${at(b.untilMs)}: its verdict is now "${band}". ` +
          "Open the batch's page for the reasons before anyone uses it.",
      };
    }
    return {
      title: `Batch ${b.code} nearing its storage limit`,
      message:
        `Batch ${b.code}${where} reaches its ${b.limit} storage limit at ${at(b.untilMs)} (in ${formatDuration(b.untilMs - b.nowMs)}); ` +
        `after that its verdict is "${band}". Use it or give it to a recipient before then.`,
    };
  }

  return {
    excursionStartedWords,
    excursionEndedWords,
    probableThawWords,
    refreezeWords,
    sensorFaultWords,
    offlineWords,
    backOnlineWords,
    batteryWords,
    clockSkewWords,
    rejectSurgeWords,
    batchLimitWords,
  };
}
export type AlertWords = ReturnType<typeof alertWords>;

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
