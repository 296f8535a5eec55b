#include "replay.h"

#include "payload.h"

namespace coldtrail {

Batch nextBatch(ReadingQueue& queue, Reading* scratch, size_t maxReadings) {
  if (maxReadings > kMaxReadingsPerMessage) maxReadings = kMaxReadingsPerMessage;
  Batch b{0, 0};
  const size_t available = queue.size();
  while (b.count < maxReadings && b.count < available) {
    Reading r{};
    if (!queue.at(b.count, r) || !isClockSynced(r)) break;
    scratch[b.count] = r;
    b.lastSeq = r.seq;
    ++b.count;
  }
  return b;
}

}  // namespace coldtrail
