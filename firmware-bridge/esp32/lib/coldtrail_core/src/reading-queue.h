// The probe's backlog: a small ring in RTC memory (written every wake, no flash wear) in front of a
// large ring on flash (written once per RTC-ring-full, survives power loss). Oldest first: every
// flash record is older than every RTC record.
#pragma once

#include <cstddef>
#include <cstdint>

#include "flash-ring.h"
#include "reading.h"
#include "ring-buffer.h"

namespace coldtrail {

// 64 records × 12 bytes = 768 bytes of the ESP32's 8 KiB RTC slow memory; at one reading a minute
// the flash is written about once an hour.
constexpr size_t kRtcRingCapacity = 64;
using RtcRing = RingBuffer<Reading, kRtcRingCapacity>;

class ReadingQueue {
 public:
  ReadingQueue(RtcRing& rtc, FlashRing& flash) : rtc_(rtc), flash_(flash) {}

  size_t size() const { return flash_.size() + rtc_.size(); }
  bool at(size_t i, Reading& out);

  // Moves the RTC ring to flash when it is full, then stores the reading in RTC memory.
  bool push(const Reading& r);
  // Before deep sleep with a dying battery, or before a planned restart: nothing left only in RTC.
  bool spillToFlash();

  // Drops every reading up to and including `seq` from the front: called only once the broker
  // has acknowledged the message that carried them (QoS 1 PUBACK).
  bool dropThroughSeq(uint32_t seq);

  uint32_t dropped() const { return flash_.dropped() + rtc_.dropped; }

  // Fixes timestamps once the clock is known (see clock-fix.h); returns how many changed.
  template <typename Fix>
  size_t rewriteTimestamps(Fix fix);

 private:
  RtcRing& rtc_;
  FlashRing& flash_;
};

template <typename Fix>
size_t ReadingQueue::rewriteTimestamps(Fix fix) {
  size_t changed = 0;
  for (size_t i = 0; i < flash_.size(); ++i) {
    Reading r{};
    if (!flash_.at(i, r)) break;
    Reading fixed = r;
    if (fix(fixed) && flash_.overwrite(i, fixed)) ++changed;
  }
  for (size_t i = 0; i < rtc_.size(); ++i) {
    if (fix(rtc_.at(i))) ++changed;
  }
  return changed;
}

}  // namespace coldtrail
