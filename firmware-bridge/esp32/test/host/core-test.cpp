// Host tests of the probe core. Build and run:
//   g++ -std=c++17 -Wall -Wextra -Werror -I../../lib/coldtrail_core/src core-test.cpp ../../lib/coldtrail_core/src/*.cpp -o core-test && ./core-test
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "check.h"
#include "coldtrail-core.h"
#include "memory-store.h"

using namespace coldtrail;

namespace {

// Scratchpad as a DS18B20 returns it: temperature LSB, MSB, TH, TL, config (12-bit), 3 reserved, CRC.
std::vector<uint8_t> scratchpadFor(uint16_t raw) {
  std::vector<uint8_t> sp = {static_cast<uint8_t>(raw & 0xFF), static_cast<uint8_t>(raw >> 8), 0x4B, 0x46, 0x7F,
                             0xFF, 0x0C, 0x10, 0};
  sp[8] = dallasCrc8(sp.data(), 8);
  return sp;
}

ProbeSample decode(const std::vector<uint8_t>& bytes) {
  uint8_t sp[9];
  std::memcpy(sp, bytes.data(), 9);
  return decodeScratchpad(sp);
}

std::string fmt(int16_t raw) {
  char buf[16];
  formatSixteenths(raw, buf, sizeof buf);
  return buf;
}

Reading reading(uint32_t tsS, uint32_t seq, int16_t raw16, uint8_t flags = 0) { return Reading{tsS, seq, raw16, flags, 0}; }

const DeviceVitals kNoVitals{false, 0, false, 0, false, 0};

constexpr uint32_t kT0 = 1777816800;  // 2026-05-03T14:00:00Z, the protocol vectors' time

}  // namespace

// ---- DS18B20 -------------------------------------------------------------------------------

TEST(crc8_matches_the_catalogued_check_value) {
  // CRC-8/MAXIM check value over "123456789" is 0xA1 (Greg Cook's CRC catalogue).
  const char* text = "123456789";
  CHECK_EQ(dallasCrc8(reinterpret_cast<const uint8_t*>(text), 9), 0xA1);
}

TEST(scratchpad_decodes_every_datasheet_table1_value) {
  // DS18B20 datasheet, Table 1 "Temperature/Data Relationship".
  struct Row {
    uint16_t raw;
    const char* celsius;
  } rows[] = {{0x07D0, "125"},      {0x0191, "25.0625"}, {0x00A2, "10.125"}, {0x0008, "0.5"},
              {0x0000, "0"},        {0xFFF8, "-0.5"},    {0xFF5E, "-10.125"}, {0xFE6F, "-25.0625"},
              {0xFC90, "-55"}};
  for (const Row& row : rows) {
    const ProbeSample s = decode(scratchpadFor(row.raw));
    CHECK(s.ok);
    CHECK_STR(fmt(s.raw16), row.celsius);
  }
}

TEST(power_on_85_is_an_error_not_a_reading) {
  const ProbeSample s = decode(scratchpadFor(0x0550));
  CHECK(!s.ok);
  CHECK(s.error == ProbeError::kPowerOnReset);
  CHECK_STR(probeErrorName(s.error), "power_on_reset");
}

TEST(disconnected_bus_is_an_error_even_though_zeros_pass_the_crc) {
  CHECK(decode(std::vector<uint8_t>(9, 0xFF)).error == ProbeError::kDisconnected);
  // CRC-8 of eight zero bytes is zero: without the explicit check this would be a 0 °C reading.
  CHECK_EQ(dallasCrc8(std::vector<uint8_t>(8, 0).data(), 8), 0);
  const ProbeSample zeros = decode(std::vector<uint8_t>(9, 0x00));
  CHECK(!zeros.ok);
  CHECK(zeros.error == ProbeError::kDisconnected);
}

TEST(corrupted_scratchpad_fails_the_crc) {
  std::vector<uint8_t> sp = scratchpadFor(0xFED9);  // -18.4375
  sp[0] ^= 0x01;
  const ProbeSample s = decode(sp);
  CHECK(!s.ok);
  CHECK(s.error == ProbeError::kCrcMismatch);
}

TEST(register_outside_minus55_to_125_is_out_of_range) {
  CHECK(decode(scratchpadFor(0x07E0)).error == ProbeError::kOutOfRange);  // +126
  CHECK(decode(scratchpadFor(0xFC80)).error == ProbeError::kOutOfRange);  // -56
  CHECK(classifyRaw16(-55 * 16).ok);
  CHECK(classifyRaw16(125 * 16).ok);
}

TEST(dallas_library_minus127_is_disconnected_and_128ths_convert_exactly) {
  CHECK(classifyDallasRaw128(kDallasDisconnectedRaw128).error == ProbeError::kDisconnected);
  const ProbeSample s = classifyDallasRaw128(-311 * 8);  // -19.4375 °C in 1/128 °C
  CHECK(s.ok);
  CHECK_EQ(s.raw16, -311);
  CHECK(classifyDallasRaw128(85 * 128).error == ProbeError::kPowerOnReset);
  CHECK(sixteenthsToCelsius(-311) == -19.4375);
}

// ---- Formatting and payloads ---------------------------------------------------------------

TEST(sixteenths_print_exactly_with_no_trailing_zeros) {
  CHECK_STR(fmt(-311), "-19.4375");
  CHECK_STR(fmt(-312), "-19.5");
  CHECK_STR(fmt(-1), "-0.0625");
  CHECK_STR(fmt(1), "0.0625");
  CHECK_STR(fmt(-16), "-1");
  CHECK_STR(fmt(0), "0");
  CHECK_STR(fmt(-292), "-18.25");
  CHECK_STR(fmt(-895), "-55.9375");
  CHECK_STR(fmt(INT16_MIN), "-2048");
  // Every one of the 16 fractions round-trips through a double exactly.
  for (int16_t raw = -40; raw <= 40; ++raw) CHECK(std::stod(fmt(raw)) == raw / 16.0);
  char tiny[4];
  CHECK_EQ(formatSixteenths(-311, tiny, sizeof tiny), 0u);
  CHECK_STR(tiny, "");
}

TEST(readings_payload_matches_the_protocol_vector_byte_for_byte) {
  const Reading rs[] = {reading(kT0, 1, -312), reading(kT0 + 60, 2, -311), reading(kT0 + 120, 3, -310)};
  const DeviceVitals vitals{true, 87, true, 3950, true, -67};
  char out[1024];
  const EncodeResult r = encodeReadingsPayload(rs, 3, vitals, out, sizeof out);
  CHECK(r.ok);
  // firmware-bridge/src/protocol/vectors/messages.json, "replayed buffer with battery and rssi".
  CHECK_STR(out,
            "{\"readings\":[{\"ts\":1777816800000,\"temp_c\":-19.5,\"seq\":1},{\"ts\":1777816860000,\"temp_c\":-19.4375,"
            "\"seq\":2},{\"ts\":1777816920000,\"temp_c\":-19.375,\"seq\":3}],\"battery_pct\":87,\"battery_mv\":3950,"
            "\"rssi\":-67}");
  CHECK_EQ(r.length, std::strlen(out));
}

TEST(readings_payload_refuses_empty_oversized_unsynced_and_small_buffers) {
  std::vector<Reading> many(501, reading(kT0, 1, -300));
  char out[64 * 1024];
  CHECK(!encodeReadingsPayload(many.data(), 0, kNoVitals, out, sizeof out).ok);
  const EncodeResult tooMany = encodeReadingsPayload(many.data(), 501, kNoVitals, out, sizeof out);
  CHECK(!tooMany.ok);
  CHECK_STR(tooMany.reason, "a readings message holds at most 500 readings");
  const Reading unsynced = reading(120, 1, -300, kReadingClockUnsynced);
  CHECK(!encodeReadingsPayload(&unsynced, 1, kNoVitals, out, sizeof out).ok);
  char small[40];
  const EncodeResult tight = encodeReadingsPayload(many.data(), 1, kNoVitals, small, sizeof small);
  CHECK(!tight.ok);
  CHECK_STR(tight.reason, "output buffer too small for the payload");
  const DeviceVitals badPct{true, 101, false, 0, false, 0};
  CHECK(!encodeReadingsPayload(many.data(), 1, badPct, out, sizeof out).ok);
}

TEST(worst_case_500_readings_fit_the_64_KiB_limit) {
  std::vector<Reading> rs;
  for (uint32_t i = 0; i < 500; ++i) rs.push_back(reading(UINT32_MAX - 500 + i, UINT32_MAX - 500 + i, -895));
  static char out[64 * 1024];
  const DeviceVitals vitals{true, 100, true, 65535, true, -32768};
  const EncodeResult r = encodeReadingsPayload(rs.data(), rs.size(), vitals, out, sizeof out);
  CHECK(r.ok);
  CHECK(r.length <= 500 * kMaxReadingJsonBytes + 100);
  CHECK(r.length <= kMaxPayloadBytes);
}

TEST(status_payloads_are_the_will_and_the_birth) {
  char out[128];
  CHECK(encodeStatusPayload(false, nullptr, out, sizeof out).ok);
  CHECK_STR(out, "{\"state\":\"offline\"}");
  CHECK(encodeStatusPayload(true, "0.1.0", out, sizeof out).ok);
  CHECK_STR(out, "{\"state\":\"online\",\"fw\":\"0.1.0\"}");
  CHECK(!encodeStatusPayload(true, "0.1\"", out, sizeof out).ok);
  CHECK(!encodeStatusPayload(true, std::string(65, 'x').c_str(), out, sizeof out).ok);
}

// ---- RTC ring ------------------------------------------------------------------------------

TEST(rtc_ring_overwrites_the_oldest_and_counts_drops) {
  RingBuffer<int, 4> ring;
  std::memset(&ring, 0xA5, sizeof ring);  // RTC memory after a cold boot holds noise
  CHECK(!ring.valid());
  ring.reset();
  CHECK(ring.valid());
  for (int i = 1; i <= 4; ++i) CHECK(!ring.push(i));
  CHECK(ring.full());
  CHECK(ring.push(5));  // overwrites 1
  CHECK(ring.push(6));  // overwrites 2
  CHECK_EQ(ring.dropped, 2u);
  CHECK_EQ(ring.size(), 4u);
  CHECK_EQ(ring.at(0), 3);
  CHECK_EQ(ring.at(3), 6);
  ring.popFront(3);
  CHECK_EQ(ring.size(), 1u);
  CHECK_EQ(ring.at(0), 6);
  ring.popFront(10);
  CHECK(ring.empty());
}

// ---- Flash ring ----------------------------------------------------------------------------

TEST(flash_ring_persists_across_reopen_and_wraps) {
  MemoryStore store(FlashRing::bytesNeeded(8));
  {
    FlashRing ring(store, 8);
    CHECK(ring.open());
    CHECK_EQ(ring.size(), 0u);
    std::vector<Reading> rs;
    for (uint32_t i = 1; i <= 6; ++i) rs.push_back(reading(kT0 + i, i, -300));
    CHECK(ring.append(rs.data(), rs.size()));
    CHECK(ring.popFront(4));
  }
  FlashRing again(store, 8);
  CHECK(again.open());
  CHECK_EQ(again.size(), 2u);
  std::vector<Reading> more;
  for (uint32_t i = 7; i <= 14; ++i) more.push_back(reading(kT0 + i, i, -300));
  CHECK(again.append(more.data(), more.size()));  // 2 + 8 > 8: the two oldest go
  CHECK_EQ(again.size(), 8u);
  CHECK_EQ(again.dropped(), 2u);
  Reading r{};
  CHECK(again.at(0, r));
  CHECK_EQ(r.seq, 7u);
  CHECK(again.at(7, r));
  CHECK_EQ(r.seq, 14u);
  CHECK(!again.at(8, r));
}

TEST(flash_ring_survives_a_torn_header_write) {
  MemoryStore store(FlashRing::bytesNeeded(16));
  FlashRing ring(store, 16);
  CHECK(ring.open());
  const Reading a[] = {reading(kT0, 1, -300), reading(kT0 + 60, 2, -301)};
  CHECK(ring.append(a, 2));
  const Reading b[] = {reading(kT0 + 120, 3, -302)};
  CHECK(ring.append(b, 1));
  // Corrupt the slot the last append wrote: the other slot still describes the first append.
  uint32_t newest = 0;
  for (uint32_t s = 0; s < 2; ++s) {
    FlashRingHeader h{};
    store.read(s * sizeof h, &h, sizeof h);
    if (h.count == 3) newest = s;
  }
  store.scribble(newest * sizeof(FlashRingHeader) + 8, 4);
  FlashRing reopened(store, 16);
  CHECK(reopened.open());
  CHECK_EQ(reopened.size(), 2u);
  Reading r{};
  CHECK(reopened.at(1, r));
  CHECK_EQ(r.seq, 2u);
}

TEST(flash_ring_loses_only_unsynced_records_at_a_power_cut) {
  MemoryStore store(FlashRing::bytesNeeded(16));
  FlashRing ring(store, 16);
  CHECK(ring.open());
  const Reading a[] = {reading(kT0, 1, -300)};
  CHECK(ring.append(a, 1));
  store.powerCut();
  FlashRing reopened(store, 16);
  CHECK(reopened.open());
  CHECK_EQ(reopened.size(), 1u);
}

TEST(flash_ring_with_another_capacity_starts_empty) {
  MemoryStore store(FlashRing::bytesNeeded(32));
  FlashRing small(store, 16);
  CHECK(small.open());
  const Reading a[] = {reading(kT0, 1, -300)};
  CHECK(small.append(a, 1));
  FlashRing bigger(store, 32);
  CHECK(bigger.open());
  CHECK_EQ(bigger.size(), 0u);
}

TEST(crc32_matches_the_catalogued_check_value) {
  CHECK_EQ(crc32("123456789", 9), 0xCBF43926u);  // CRC-32/ISO-HDLC check value
}

// ---- Two-tier queue and replay -------------------------------------------------------------

struct Probe {
  // What the firmware holds: an RTC ring (survives deep sleep) and a flash ring (survives power loss).
  explicit Probe(uint32_t flashCapacity) : store(FlashRing::bytesNeeded(flashCapacity)), flash(store, flashCapacity) {
    rtc.reset();
    flash.open();
  }
  MemoryStore store;
  FlashRing flash;
  RtcRing rtc;
  ReadingQueue queue{rtc, flash};
};

TEST(queue_spills_to_flash_when_the_rtc_ring_fills_and_keeps_order) {
  Probe p(1024);
  for (uint32_t i = 1; i <= kRtcRingCapacity + 5; ++i) CHECK(p.queue.push(reading(kT0 + 60 * i, i, -300)));
  CHECK_EQ(p.flash.size(), kRtcRingCapacity);
  CHECK_EQ(p.rtc.size(), 5u);
  CHECK_EQ(p.queue.size(), kRtcRingCapacity + 5);
  for (size_t i = 0; i < p.queue.size(); ++i) {
    Reading r{};
    CHECK(p.queue.at(i, r));
    CHECK_EQ(r.seq, i + 1);
  }
}

TEST(replay_sends_oldest_first_in_chunks_and_drops_only_after_ack) {
  Probe p(4096);
  for (uint32_t i = 1; i <= 250; ++i) p.queue.push(reading(kT0 + 60 * i, i, -300));
  std::vector<Reading> scratch(100);
  Batch b = nextBatch(p.queue, scratch.data(), 100);
  CHECK_EQ(b.count, 100u);
  CHECK_EQ(scratch[0].seq, 1u);
  CHECK_EQ(b.lastSeq, 100u);
  // Not acknowledged (Wi-Fi lost mid-publish): the next try sends the same readings.
  CHECK_EQ(p.queue.size(), 250u);
  b = nextBatch(p.queue, scratch.data(), 100);
  CHECK_EQ(scratch[0].seq, 1u);
  CHECK(p.queue.dropThroughSeq(b.lastSeq));
  CHECK_EQ(p.queue.size(), 150u);
  b = nextBatch(p.queue, scratch.data(), 100);
  CHECK_EQ(scratch[0].seq, 101u);
  CHECK(p.queue.dropThroughSeq(b.lastSeq));
  b = nextBatch(p.queue, scratch.data(), 100);
  CHECK_EQ(b.count, 50u);
  CHECK_EQ(b.lastSeq, 250u);
  CHECK(p.queue.dropThroughSeq(b.lastSeq));
  CHECK_EQ(p.queue.size(), 0u);
  CHECK_EQ(nextBatch(p.queue, scratch.data(), 100).count, 0u);
}

TEST(replay_never_exceeds_500_and_stops_at_unsynced_readings) {
  Probe p(4096);
  for (uint32_t i = 1; i <= 600; ++i) p.queue.push(reading(kT0 + 60 * i, i, -300));
  std::vector<Reading> scratch(1000);
  CHECK_EQ(nextBatch(p.queue, scratch.data(), 1000).count, 500u);
  Probe q(1024);
  q.queue.push(reading(kT0, 1, -300));
  q.queue.push(reading(30, 2, -300, kReadingClockUnsynced));
  q.queue.push(reading(kT0 + 60, 3, -300));
  const Batch b = nextBatch(q.queue, scratch.data(), 100);
  CHECK_EQ(b.count, 1u);
  CHECK_EQ(b.lastSeq, 1u);
}

TEST(ack_after_overwrite_drops_exactly_the_acknowledged_seqs) {
  Probe p(kRtcRingCapacity);  // flash as small as the RTC ring: a second spill overwrites
  for (uint32_t i = 1; i <= 2 * kRtcRingCapacity; ++i) p.queue.push(reading(kT0 + 60 * i, i, -300));
  std::vector<Reading> scratch(10);
  const Batch b = nextBatch(p.queue, scratch.data(), 10);
  CHECK_EQ(scratch[0].seq, 1u);
  // While that message was in flight the backlog overflowed: seqs 1…64 were overwritten in flash.
  for (uint32_t i = 2 * kRtcRingCapacity + 1; i <= 2 * kRtcRingCapacity + 1 + kRtcRingCapacity; ++i) {
    p.queue.push(reading(kT0 + 60 * i, i, -300));
  }
  CHECK(p.queue.dropThroughSeq(b.lastSeq));  // seq 10 is gone already: nothing newer may go
  Reading first{};
  CHECK(p.queue.at(0, first));
  CHECK(first.seq > b.lastSeq);
  CHECK(p.queue.dropped() > 0);
}

TEST(a_three_day_outage_is_delivered_whole_and_in_order) {
  // 3 days at one reading a minute: 4,320 readings, far more than the RTC ring holds.
  Probe p(16384);
  SequenceState seq{};
  sequenceResume(seq, false, 0);
  const uint32_t n = 3 * 24 * 60;
  for (uint32_t i = 0; i < n; ++i) CHECK(p.queue.push(reading(kT0 + 60 * i, sequenceTake(seq).seq, -290 + static_cast<int16_t>(i % 7))));
  CHECK_EQ(p.queue.size(), n);
  CHECK_EQ(p.queue.dropped(), 0u);
  std::vector<Reading> scratch(kMaxReadingsPerMessage);
  static char out[64 * 1024];
  uint32_t expectSeq = 1;
  size_t messages = 0;
  for (;;) {
    const Batch b = nextBatch(p.queue, scratch.data(), kMaxReadingsPerMessage);
    if (b.count == 0) break;
    CHECK(encodeReadingsPayload(scratch.data(), b.count, kNoVitals, out, sizeof out).ok);
    for (size_t i = 0; i < b.count; ++i) CHECK_EQ(scratch[i].seq, expectSeq++);
    CHECK(p.queue.dropThroughSeq(b.lastSeq));
    ++messages;
  }
  CHECK_EQ(expectSeq, n + 1);
  CHECK_EQ(messages, (n + 499) / 500);
}

// ---- Sequence numbers ----------------------------------------------------------------------

TEST(sequence_is_monotonic_across_deep_sleep_and_skips_ahead_after_power_loss) {
  SequenceState s{};
  CHECK(!sequenceValid(s));  // zeroed RTC memory is not a valid counter
  sequenceResume(s, false, 0);
  CHECK(sequenceValid(s));
  uint32_t persisted = 0;
  uint32_t persists = 0;
  uint32_t last = 0;
  for (int i = 0; i < 200; ++i) {  // deep sleep keeps `s` in RTC memory: plain continuation
    const SeqTake t = sequenceTake(s);
    if (t.persist) {
      persisted = t.persistValue;
      ++persists;
    }
    CHECK(i == 0 || t.seq == last + 1);
    last = t.seq;
  }
  CHECK_EQ(last, 200u);
  CHECK_EQ(persists, 4u);  // seq 1, 65, 129, 193: one NVS write per 64
  SequenceState afterPowerLoss{};
  sequenceResume(afterPowerLoss, true, persisted);
  const SeqTake t = sequenceTake(afterPowerLoss);
  CHECK(t.seq > last);
  CHECK(t.persist);  // the new start is persisted before use, so a second power cut skips further
  CHECK_EQ(t.seq, persisted + kSeqCheckpointStride);
  CHECK(seqAtOrBefore(UINT32_MAX, 0));  // wraps in serial arithmetic
  CHECK(!seqAtOrBefore(0, UINT32_MAX));
}

// ---- Network back-off ----------------------------------------------------------------------

TEST(backoff_doubles_from_one_minute_to_a_fifteen_minute_cap) {
  const NetworkPolicy& p = kDefaultNetworkPolicy;
  const uint16_t mid = 500;  // no jitter
  CHECK_EQ(backoffWaitS(0, p, mid), 0u);
  CHECK_EQ(backoffWaitS(1, p, mid), 60u);
  CHECK_EQ(backoffWaitS(2, p, mid), 120u);
  CHECK_EQ(backoffWaitS(3, p, mid), 240u);
  CHECK_EQ(backoffWaitS(4, p, mid), 480u);
  CHECK_EQ(backoffWaitS(5, p, mid), 900u);
  CHECK_EQ(backoffWaitS(1000000, p, mid), 900u);
  CHECK_EQ(backoffWaitS(5, p, 0), 810u);    // -10 %
  CHECK_EQ(backoffWaitS(5, p, 999), 989u);  // +~10 %
  CHECK(p.connectTimeoutMs <= 10000);
}

TEST(power_cut_day_costs_a_bounded_number_of_attempts_and_recovery_is_prompt) {
  const NetworkPolicy& p = kDefaultNetworkPolicy;
  NetworkState st{0, 0};
  uint32_t attempts = 0;
  const uint32_t outageEndS = 24 * 3600;
  uint32_t deliveredAtS = 0;
  for (uint32_t now = 0; now < 2 * outageEndS; now += 60) {  // one wake a minute
    if (!shouldAttempt(st, now)) continue;
    ++attempts;
    if (now < outageEndS) {
      recordFailure(st, now, p, static_cast<uint16_t>((now * 7919u) % 1000u));
    } else {
      recordSuccess(st, now, p);
      deliveredAtS = now;
      break;
    }
  }
  CHECK(attempts < 110);  // vs 1,440 wakes in the day
  CHECK(deliveredAtS >= outageEndS);
  CHECK(deliveredAtS - outageEndS <= p.backoffMaxS * 11 / 10 + 60);
  CHECK_EQ(st.failedAttempts, 0u);
  CHECK_EQ(st.nextAttemptS, deliveredAtS + p.publishIntervalS);
}

// ---- Clock fixes ---------------------------------------------------------------------------

TEST(unsynced_readings_are_rebased_by_the_ntp_step) {
  Probe p(1024);
  // Cold boot during an outage: the clock starts at 0 and counts seconds since boot.
  for (uint32_t i = 0; i < 100; ++i) p.queue.push(reading(5 + 60 * i, i + 1, -300, kReadingClockUnsynced));
  const ClockStep step{0, 5 + 60 * 100, static_cast<int64_t>(kT0)};
  const size_t changed = p.queue.rewriteTimestamps([&](Reading& r) { return applyClockStep(r, step); });
  CHECK_EQ(changed, 100u);
  Reading r{};
  CHECK(p.queue.at(0, r));
  CHECK_EQ(r.tsS, kT0 + 5);
  CHECK(isClockSynced(r));
  CHECK(p.queue.at(99, r));  // in the RTC ring
  CHECK_EQ(r.tsS, kT0 + 5 + 60 * 99);
}

TEST(drift_is_spread_linearly_since_the_last_sync) {
  // Synced at kT0; ten hours later the device clock is 36 s slow (+36 s step at resync).
  const ClockStep step{kT0, kT0 + 36000, 36};
  Reading atSync = reading(kT0, 1, -300);
  Reading half = reading(kT0 + 18000, 2, -300);
  Reading end = reading(kT0 + 36000, 3, -300);
  CHECK(!applyClockStep(atSync, step));
  CHECK(applyClockStep(half, step));
  CHECK_EQ(half.tsS, kT0 + 18000 + 18);
  CHECK(applyClockStep(end, step));
  CHECK_EQ(end.tsS, kT0 + 36000 + 36);
  const ClockStep fast{kT0, kT0 + 36000, -36};
  Reading half2 = reading(kT0 + 18000, 2, -300);
  CHECK(applyClockStep(half2, fast));
  CHECK_EQ(half2.tsS, kT0 + 18000 - 18);
}

// ---- Serial setup --------------------------------------------------------------------------

TEST(setup_lines_set_validate_and_mask) {
  ProbeConfig c;
  configDefaults(c);
  CHECK(applySetupLine(c, "save").action == SetupAction::kError);
  CHECK_STR(applySetupLine(c, "save").message, "wifi_ssid is empty: set wifi_ssid <your network name>");
  CHECK(applySetupLine(c, "set wifi_ssid My Home Net\r\n").action == SetupAction::kSet);
  CHECK_STR(c.wifiSsid, "My Home Net");
  CHECK(applySetupLine(c, "set wifi_pass correct horse battery").action == SetupAction::kSet);
  const SetupResult badId = applySetupLine(c, "set probe_id freezer/1");
  CHECK(badId.action == SetupAction::kError);
  CHECK_STR(c.probeId, "");
  CHECK(applySetupLine(c, "set probe_id esp32-a1b2c3").action == SetupAction::kSet);
  CHECK(applySetupLine(c, "set secret s3cr3t-from-registration").action == SetupAction::kSet);
  CHECK(applySetupLine(c, "set mqtt_url 192.168.1.10").action == SetupAction::kSet);
  CHECK_STR(applySetupLine(c, "save").message,
            "mqtt_url must start with mqtt:// (TLS is not supported yet), e.g. mqtt://192.168.1.10:1883");
  CHECK(applySetupLine(c, "set mqtt_url mqtts://broker.example:8883").action == SetupAction::kSet);
  CHECK(applySetupLine(c, "save").action == SetupAction::kError);
  CHECK(applySetupLine(c, "set mqtt_url mqtt://192.168.1.10:1883").action == SetupAction::kSet);
  CHECK(applySetupLine(c, "set sample_s 5").action == SetupAction::kSet);
  CHECK_STR(applySetupLine(c, "save").message, "sample_s must be 10-3600 seconds");
  CHECK(applySetupLine(c, "set sample_s 60").action == SetupAction::kSet);
  CHECK(applySetupLine(c, "set sample_s -1").action == SetupAction::kError);
  CHECK(applySetupLine(c, "save").action == SetupAction::kSave);
  CHECK(applySetupLine(c, "set colour blue").action == SetupAction::kError);
  CHECK(applySetupLine(c, "reboot now").action == SetupAction::kError);
  CHECK(applySetupLine(c, "   ").action == SetupAction::kNone);
  CHECK(applySetupLine(c, "set secret").action == SetupAction::kError);
  CHECK(applySetupLine(c, ("set secret " + std::string(129, 'x')).c_str()).action == SetupAction::kError);
  char shown[512];
  describeConfig(c, shown, sizeof shown);
  const std::string s = shown;
  CHECK(s.find("s3cr3t") == std::string::npos);
  CHECK(s.find("horse") == std::string::npos);
  CHECK(s.find("secret=(set)") != std::string::npos);
  CHECK(s.find("probe_id=esp32-a1b2c3") != std::string::npos);
}

int main() { return check::runAll(); }
