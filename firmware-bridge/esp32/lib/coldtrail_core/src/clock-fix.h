// Correcting buffered timestamps once NTP answers after an outage.
//
// Two cases:
//  - Readings taken after a cold boot with no network carry device-clock seconds since boot
//    (kReadingClockUnsynced). When NTP answers, the clock steps by `stepS`; adding it gives
//    their unix time.
//  - Readings taken with a synced clock that then ran on its own through deep sleeps: the ESP32's
//    RTC clock (internal RC oscillator unless the board has a 32 kHz crystal) drifts, so the step
//    measured at resync is spread linearly over the time since the previous sync.
// The firmware measures the step as (clock after sync) − (clock before sync) − (elapsed by the
// monotonic timer during the sync), see main.cpp.
#pragma once

#include <cstdint>

#include "reading.h"

namespace coldtrail {

struct ClockStep {
  uint32_t lastSyncS;    // device clock at the previous successful sync (0: never synced)
  uint32_t beforeSyncS;  // device clock just before this sync, drift included
  int64_t stepS;         // what this sync added to the clock
};

// Adjusts one reading; returns true if it changed. Readings from before lastSyncS are left alone
// (they were already correct when the clock was last set).
bool applyClockStep(Reading& r, const ClockStep& step);

}  // namespace coldtrail
