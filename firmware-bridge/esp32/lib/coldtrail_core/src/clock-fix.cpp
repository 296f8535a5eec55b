#include "clock-fix.h"

namespace coldtrail {

bool applyClockStep(Reading& r, const ClockStep& step) {
  if (!isClockSynced(r)) {
    const int64_t fixed = static_cast<int64_t>(r.tsS) + step.stepS;
    if (fixed <= 0 || fixed > static_cast<int64_t>(UINT32_MAX)) return false;
    r.tsS = static_cast<uint32_t>(fixed);
    r.flags = static_cast<uint8_t>(r.flags & ~kReadingClockUnsynced);
    return true;
  }
  if (step.stepS == 0 || step.lastSyncS == 0 || r.tsS <= step.lastSyncS) return false;
  const int64_t span = static_cast<int64_t>(step.beforeSyncS) - step.lastSyncS;
  if (span <= 0) return false;
  int64_t elapsed = static_cast<int64_t>(r.tsS) - step.lastSyncS;
  if (elapsed > span) elapsed = span;
  // Rounded to the nearest second; the drift accumulated linearly between the two syncs.
  const int64_t numerator = step.stepS * elapsed;
  const int64_t correction = (numerator >= 0 ? numerator + span / 2 : numerator - span / 2) / span;
  if (correction == 0) return false;
  r.tsS = static_cast<uint32_t>(static_cast<int64_t>(r.tsS) + correction);
  return true;
}

}  // namespace coldtrail
