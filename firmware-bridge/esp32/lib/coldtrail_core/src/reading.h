// One buffered temperature reading, as kept in RTC memory and in the flash ring.
// Plain C++17, no Arduino headers: this file is compiled both for the ESP32 and on the host.
#pragma once

#include <cstdint>
#include <type_traits>

namespace coldtrail {

// Set when the reading was taken before the clock was ever synced (cold boot during an outage):
// tsS then counts seconds of the device clock since boot, and is rebased once NTP answers.
constexpr uint8_t kReadingClockUnsynced = 0x01;

struct Reading {
  uint32_t tsS;    // unix seconds (good until 2106); the wire carries milliseconds
  uint32_t seq;    // monotonic per probe, survives deep sleep and power loss
  int16_t raw16;   // DS18B20 temperature register: sixteenths of a degree Celsius
  uint8_t flags;   // kReadingClockUnsynced
  uint8_t reserved;
};

// The record is written to flash byte for byte, so its layout is part of the on-flash format.
static_assert(sizeof(Reading) == 12, "Reading is a 12-byte on-flash record");
static_assert(std::is_trivial<Reading>::value, "Reading must be trivial to live in RTC memory");

inline bool isClockSynced(const Reading& r) { return (r.flags & kReadingClockUnsynced) == 0; }

// Serial-number comparison (RFC 1982 style) so that a wrapped uint32 sequence still orders.
inline bool seqAtOrBefore(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) <= 0; }

}  // namespace coldtrail
