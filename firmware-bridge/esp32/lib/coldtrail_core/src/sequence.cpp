#include "sequence.h"

namespace coldtrail {

bool sequenceValid(const SequenceState& s) {
  return s.magic == kSeqMagic && static_cast<uint32_t>(s.next - s.checkpoint) <= kSeqCheckpointStride;
}

void sequenceResume(SequenceState& s, bool hasStored, uint32_t stored) {
  s.magic = kSeqMagic;
  // Numbers in [stored, stored + stride) may have been used before the power went: skip them all.
  s.next = hasStored ? stored + kSeqCheckpointStride : 1;
  // Forces a checkpoint on the first take, so a second cold boot skips ahead from here.
  s.checkpoint = s.next - kSeqCheckpointStride;
}

SeqTake sequenceTake(SequenceState& s) {
  SeqTake t{s.next, false, 0};
  if (static_cast<uint32_t>(s.next - s.checkpoint) >= kSeqCheckpointStride) {
    t.persist = true;
    t.persistValue = s.next;
    s.checkpoint = s.next;
  }
  ++s.next;
  return t;
}

}  // namespace coldtrail
