// JSON payloads of the coldtrail wire protocol (DESIGN.md, "Wire protocol";
// firmware-bridge/src/protocol/readings.ts and status.ts are the schemas these must pass).
#pragma once

#include <cstddef>
#include <cstdint>

#include "reading.h"

namespace coldtrail {

// firmware-bridge/src/protocol/limits.ts: maxReadingsPerMessage and maxPayloadBytes.
constexpr size_t kMaxReadingsPerMessage = 500;
constexpr size_t kMaxPayloadBytes = 64 * 1024;
// Longest reading object plus its comma:
// {"ts":4294967295000,"temp_c":-55.9375,"seq":4294967295},
constexpr size_t kMaxReadingJsonBytes = 57;

struct DeviceVitals {
  bool hasBatteryPct;
  uint8_t batteryPct;  // 0–100, from a fuel gauge when the board has one
  bool hasBatteryMv;
  uint16_t batteryMv;
  bool hasRssi;
  int16_t rssiDbm;
};

struct EncodeResult {
  bool ok;
  size_t length;       // bytes written, excluding the terminating NUL
  const char* reason;  // why not, when !ok
};

// Writes the exact decimal value of a DS18B20 register: −311 → "-19.4375", 16 → "1", −1 → "-0.0625".
// Every multiple of 1/16 has at most four decimals, so no rounding ever happens.
size_t formatSixteenths(int16_t raw16, char* out, size_t capacity);

// {"readings":[{"ts":…,"temp_c":…,"seq":…},…],"battery_pct"?,"battery_mv"?,"rssi"?}
// Refuses 0 or more than 500 readings, readings whose clock was never synced, and a buffer too small.
EncodeResult encodeReadingsPayload(const Reading* readings, size_t count, const DeviceVitals& vitals,
                                   char* out, size_t capacity);

// {"state":"online","fw":"0.1.0"} or {"state":"offline"} (fw omitted when null or empty).
EncodeResult encodeStatusPayload(bool online, const char* fw, char* out, size_t capacity);

}  // namespace coldtrail
