// Fixed-capacity FIFO that overwrites its oldest entry when full and counts what it dropped.
//
// Why overwrite-oldest rather than refuse-newest: when the buffer is full the probe has been cut
// off for a long time, and on reconnection the newest readings are what tell staff whether the
// milk is frozen *now*. Every reading carries a monotonic seq, so the server sees the dropped
// head as a seq gap and marks that time unmonitored (DESIGN.md: never assumed safe); nothing is
// lost silently. Refusing the newest would instead hide the present behind a stale backlog.
//
// The type is trivial (no constructors, no member initialisers) so that it can live in
// RTC_DATA_ATTR memory: a C++ constructor would run again on every wake from deep sleep and wipe
// it. Validity is checked through a magic number instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace coldtrail {

constexpr uint32_t kRingMagic = 0x43545242;  // "CTRB"

template <typename T, size_t N>
struct RingBuffer {
  static_assert(N > 0 && N < 0x80000000u, "capacity out of range");

  uint32_t magic;
  uint32_t head;     // index of the oldest entry
  uint32_t count;
  uint32_t dropped;  // entries overwritten since reset, for diagnostics
  T items[N];

  static constexpr size_t capacity() { return N; }

  void reset() {
    magic = kRingMagic;
    head = 0;
    count = 0;
    dropped = 0;
  }

  // False after a cold boot (RTC memory holds noise) or if anything scribbled over the header.
  bool valid() const { return magic == kRingMagic && head < N && count <= N; }

  size_t size() const { return count; }
  bool empty() const { return count == 0; }
  bool full() const { return count == N; }

  // Returns true if an older entry had to be overwritten.
  bool push(const T& item) {
    if (count == N) {
      items[head] = item;
      head = static_cast<uint32_t>((head + 1) % N);
      ++dropped;
      return true;
    }
    items[(head + count) % N] = item;
    ++count;
    return false;
  }

  // i = 0 is the oldest entry; the caller keeps i < size().
  const T& at(size_t i) const { return items[(head + i) % N]; }
  T& at(size_t i) { return items[(head + i) % N]; }

  void popFront(size_t n) {
    if (n > count) n = count;
    head = static_cast<uint32_t>((head + n) % N);
    count -= static_cast<uint32_t>(n);
  }

  void clear() {
    head = 0;
    count = 0;
  }
};

}  // namespace coldtrail
