// In-memory BlockStore for host tests: a byte vector, plus switches to fail writes and to
// "cut the power" (drop everything written since the last sync) so tests can tear writes.
#pragma once

#include <cstring>
#include <vector>

#include "block-store.h"

class MemoryStore : public coldtrail::BlockStore {
 public:
  explicit MemoryStore(size_t bytes) : durable_(bytes, 0xFF), pending_(durable_) {}

  bool read(uint32_t offset, void* buffer, size_t length) override {
    if (offset + length > pending_.size()) return false;
    std::memcpy(buffer, pending_.data() + offset, length);
    return true;
  }
  bool write(uint32_t offset, const void* buffer, size_t length) override {
    if (failWrites || offset + length > pending_.size()) return false;
    std::memcpy(pending_.data() + offset, buffer, length);
    ++writes;
    return true;
  }
  bool sync() override {
    durable_ = pending_;
    return !failWrites;
  }
  // A power cut: whatever was not synced is gone.
  void powerCut() { pending_ = durable_; }
  // Corrupts bytes as a torn write would.
  void scribble(uint32_t offset, size_t length) {
    for (size_t i = 0; i < length; ++i) {
      pending_[offset + i] ^= 0x5A;
      durable_[offset + i] ^= 0x5A;
    }
  }

  bool failWrites = false;
  size_t writes = 0;

 private:
  std::vector<unsigned char> durable_;
  std::vector<unsigned char> pending_;
};
