// Monotonic uint32 sequence numbers that survive deep sleep (the counter lives in RTC memory) and
// power loss (a checkpoint in NVS every `stride` numbers; after a cold boot the counter resumes at
// checkpoint + stride, past anything that could have been used). At one reading a minute a uint32
// wraps after 8,000 years; comparisons use serial arithmetic anyway (reading.h).
#pragma once

#include <cstdint>

namespace coldtrail {

constexpr uint32_t kSeqMagic = 0x43545351;  // "CTSQ"
// One NVS write per 64 readings (about an hour at one a minute) keeps flash wear negligible.
constexpr uint32_t kSeqCheckpointStride = 64;

struct SequenceState {  // trivial: lives in RTC_DATA_ATTR memory
  uint32_t magic;
  uint32_t next;        // the next seq to hand out
  uint32_t checkpoint;  // a value persisted to NVS; every seq handed out is < checkpoint + stride
};

struct SeqTake {
  uint32_t seq;
  bool persist;         // the caller must store `persistValue` in NVS before using `seq`
  uint32_t persistValue;
};

bool sequenceValid(const SequenceState& s);

// After a cold boot: `stored` is the NVS checkpoint (0 and `hasStored` false on a fresh device).
void sequenceResume(SequenceState& s, bool hasStored, uint32_t stored);

SeqTake sequenceTake(SequenceState& s);

}  // namespace coldtrail
