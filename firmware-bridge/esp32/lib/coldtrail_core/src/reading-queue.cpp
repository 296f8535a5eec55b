#include "reading-queue.h"

namespace coldtrail {

bool ReadingQueue::at(size_t i, Reading& out) {
  const size_t inFlash = flash_.size();
  if (i < inFlash) return flash_.at(i, out);
  if (i - inFlash >= rtc_.size()) return false;
  out = rtc_.at(i - inFlash);
  return true;
}

bool ReadingQueue::spillToFlash() {
  if (rtc_.empty()) return true;
  // Copy out in order (the RTC ring may wrap) and append in one header write.
  Reading batch[kRtcRingCapacity];
  const size_t n = rtc_.size();
  for (size_t i = 0; i < n; ++i) batch[i] = rtc_.at(i);
  if (!flash_.append(batch, n)) return false;
  rtc_.clear();
  return true;
}

bool ReadingQueue::push(const Reading& r) {
  if (rtc_.full() && !spillToFlash()) {
    // Flash failed: keep sampling in RTC memory (overwrite-oldest) rather than stop measuring.
    rtc_.push(r);
    return false;
  }
  rtc_.push(r);
  return true;
}

bool ReadingQueue::dropThroughSeq(uint32_t seq) {
  size_t fromFlash = 0;
  Reading r{};
  while (fromFlash < flash_.size() && flash_.at(fromFlash, r) && seqAtOrBefore(r.seq, seq)) ++fromFlash;
  if (!flash_.popFront(fromFlash)) return false;
  if (fromFlash < flash_.size()) return true;  // the acknowledged run ended inside flash
  size_t fromRtc = 0;
  while (fromRtc < rtc_.size() && seqAtOrBefore(rtc_.at(fromRtc).seq, seq)) ++fromRtc;
  rtc_.popFront(fromRtc);
  return true;
}

}  // namespace coldtrail
