// A ring of Reading records on persistent storage, with overwrite-oldest (see ring-buffer.h for
// why). Survives power loss: records are written before the header that makes them visible, and
// the header has two slots written alternately, each with a generation and a CRC-32, so a write
// torn by a power cut leaves the previous header intact.
//
// Layout: [slot A: 32 bytes][slot B: 32 bytes][capacity × 12-byte records]
#pragma once

#include <cstddef>
#include <cstdint>

#include "block-store.h"
#include "reading.h"

namespace coldtrail {

struct FlashRingHeader {
  uint32_t magic;
  uint32_t version;
  uint32_t capacity;
  uint32_t generation;
  uint32_t head;
  uint32_t count;
  uint32_t dropped;
  uint32_t crc;  // CRC-32 of the 28 bytes above
};
static_assert(sizeof(FlashRingHeader) == 32, "header slot is 32 bytes");

uint32_t crc32(const void* data, size_t length);

class FlashRing {
 public:
  static constexpr uint32_t kMagic = 0x43544652;  // "CTFR"
  static constexpr uint32_t kVersion = 1;
  static constexpr uint32_t kHeaderBytes = 2 * sizeof(FlashRingHeader);

  FlashRing(BlockStore& store, uint32_t capacity) : store_(store), capacity_(capacity) {}

  // Loads the newest valid header; formats an empty ring if there is none or it has another
  // capacity (a firmware with a different size starts fresh rather than misreading records).
  bool open();

  size_t size() const { return header_.count; }
  size_t capacity() const { return capacity_; }
  uint32_t dropped() const { return header_.dropped; }

  bool at(size_t i, Reading& out);
  bool overwrite(size_t i, const Reading& r);  // used to rebase timestamps in place

  // Appends records and then publishes them with one header write.
  bool append(const Reading* readings, size_t n);
  bool popFront(size_t n);

  static uint32_t bytesNeeded(uint32_t capacity) { return kHeaderBytes + capacity * static_cast<uint32_t>(sizeof(Reading)); }

 private:
  bool writeHeader();
  uint32_t recordOffset(uint32_t slot) const { return kHeaderBytes + slot * static_cast<uint32_t>(sizeof(Reading)); }

  BlockStore& store_;
  uint32_t capacity_;
  FlashRingHeader header_{};
};

}  // namespace coldtrail
