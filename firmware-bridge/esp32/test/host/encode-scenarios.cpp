// Prints what the probe core would publish in a few scenarios, one message a line:
//   <scenario>\t<topic>\t<payload>
// firmware-bridge/test/esp32-core.test.ts runs this and validates every payload with the
// protocol's zod schemas, and compares them with the checked-in vectors in ../vectors/.
#include <cstdio>
#include <vector>

#include "coldtrail-core.h"
#include "memory-store.h"

using namespace coldtrail;

namespace {

constexpr const char* kProbeId = "esp32-a1b2c3";
constexpr uint32_t kT0 = 1777816800;  // 2026-05-03T14:00:00Z
char out[kMaxPayloadBytes + 1];

void emit(const char* scenario, const char* kind, const EncodeResult& r) {
  if (!r.ok) {
    std::fprintf(stderr, "%s: %s\n", scenario, r.reason);
    return;
  }
  std::printf("%s\tcoldtrail/v1/probes/%s/%s\t%s\n", scenario, kProbeId, kind, out);
}

struct Probe {
  explicit Probe(uint32_t flashCapacity) : store(FlashRing::bytesNeeded(flashCapacity)), flash(store, flashCapacity) {
    rtc.reset();
    flash.open();
    sequenceResume(seq, false, 0);
  }
  Reading sample(uint32_t tsS, int16_t raw16, uint8_t flags = 0) { return Reading{tsS, sequenceTake(seq).seq, raw16, flags, 0}; }
  MemoryStore store;
  FlashRing flash;
  RtcRing rtc;
  SequenceState seq{};
  ReadingQueue queue{rtc, flash};
};

// Drains the queue in chunks as the firmware does, acknowledging each chunk.
void drain(Probe& p, const char* scenario, size_t chunk, const DeviceVitals& vitals) {
  std::vector<Reading> scratch(chunk);
  char name[64];
  for (int n = 1;; ++n) {
    const Batch b = nextBatch(p.queue, scratch.data(), chunk);
    if (b.count == 0) return;
    std::snprintf(name, sizeof name, "%s-%d", scenario, n);
    emit(name, "readings", encodeReadingsPayload(scratch.data(), b.count, vitals, out, sizeof out));
    p.queue.dropThroughSeq(b.lastSeq);
  }
}

}  // namespace

int main() {
  // Cold boot during a power cut: three readings on the unsynced clock, then NTP answers.
  {
    Probe p(1024);
    const int16_t temps[] = {-312, -311, -310};  // -19.5, -19.4375, -19.375
    for (uint32_t i = 0; i < 3; ++i) p.queue.push(p.sample(12 + 60 * i, temps[i], kReadingClockUnsynced));
    const ClockStep step{0, 12 + 180, static_cast<int64_t>(kT0) - 12};
    p.queue.rewriteTimestamps([&](Reading& r) { return applyClockStep(r, step); });
    drain(p, "replay-3", 100, DeviceVitals{false, 0, true, 3950, true, -67});
  }
  // A 20-hour power cut at one reading a minute: the freezer warms from -20 °C towards -2 °C and
  // the backlog goes out in three chunks of at most 500 once the router is back.
  {
    Probe p(16384);
    for (uint32_t i = 0; i < 1200; ++i) {
      const int16_t raw = static_cast<int16_t>(-320 + static_cast<int32_t>(i) * 288 / 1200);
      p.queue.push(p.sample(kT0 + 60 * i, raw));
    }
    drain(p, "outage", 500, DeviceVitals{false, 0, true, 3710, true, -71});
  }
  // One on-schedule reading with every optional field.
  {
    Probe p(1024);
    p.queue.push(p.sample(kT0, -295));
    drain(p, "battery-fields", 100, DeviceVitals{true, 64, true, 3795, true, -58});
  }
  emit("status-online", "status", encodeStatusPayload(true, "0.1.0", out, sizeof out));
  emit("status-offline", "status", encodeStatusPayload(false, nullptr, out, sizeof out));
  return 0;
}
