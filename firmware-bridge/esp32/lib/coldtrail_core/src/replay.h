// Replay batching: oldest first, at most N readings a message, and nothing leaves the queue until
// the broker acknowledged the message (the caller then calls ReadingQueue::dropThroughSeq with
// the batch's lastSeq).
#pragma once

#include <cstddef>
#include <cstdint>

#include "reading-queue.h"

namespace coldtrail {

struct Batch {
  size_t count;      // readings copied into the scratch array
  uint32_t lastSeq;  // drop through this seq once acknowledged
};

// Copies up to `maxReadings` (capped at the protocol's 500) of the oldest clock-synced readings
// into `scratch`. Stops at the first reading whose clock was never synced: it stays queued until
// NTP answers and it can be rebased, so the stream is always sent in seq order.
Batch nextBatch(ReadingQueue& queue, Reading* scratch, size_t maxReadings);

}  // namespace coldtrail
