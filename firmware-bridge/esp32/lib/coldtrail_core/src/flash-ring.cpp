#include "flash-ring.h"

#include <cstring>

namespace coldtrail {

uint32_t crc32(const void* data, size_t length) {
  // IEEE 802.3 CRC-32 (reflected polynomial 0xEDB88320), bitwise: 32 bytes at a time needs no table.
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < length; ++i) {
    crc ^= p[i];
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

namespace {

uint32_t headerCrc(const FlashRingHeader& h) { return crc32(&h, offsetof(FlashRingHeader, crc)); }

bool headerUsable(const FlashRingHeader& h, uint32_t capacity) {
  return h.magic == FlashRing::kMagic && h.version == FlashRing::kVersion && h.capacity == capacity &&
         h.head < capacity && h.count <= capacity && h.crc == headerCrc(h);
}

}  // namespace

bool FlashRing::open() {
  FlashRingHeader slots[2];
  bool usable[2] = {false, false};
  for (int s = 0; s < 2; ++s) {
    usable[s] = store_.read(static_cast<uint32_t>(s * sizeof(FlashRingHeader)), &slots[s], sizeof slots[s]) &&
                headerUsable(slots[s], capacity_);
  }
  if (usable[0] || usable[1]) {
    int pick = usable[0] ? 0 : 1;
    if (usable[0] && usable[1] && static_cast<int32_t>(slots[1].generation - slots[0].generation) > 0) pick = 1;
    header_ = slots[pick];
    return true;
  }
  header_ = FlashRingHeader{kMagic, kVersion, capacity_, 0, 0, 0, 0, 0};
  // Write both slots so that a later torn write always has a valid sibling.
  return writeHeader() && writeHeader();
}

bool FlashRing::writeHeader() {
  ++header_.generation;
  header_.crc = headerCrc(header_);
  const uint32_t slot = header_.generation % 2;
  return store_.write(slot * static_cast<uint32_t>(sizeof(FlashRingHeader)), &header_, sizeof header_) &&
         store_.sync();
}

bool FlashRing::at(size_t i, Reading& out) {
  if (i >= header_.count) return false;
  const uint32_t slot = static_cast<uint32_t>((header_.head + i) % capacity_);
  return store_.read(recordOffset(slot), &out, sizeof out);
}

bool FlashRing::overwrite(size_t i, const Reading& r) {
  if (i >= header_.count) return false;
  const uint32_t slot = static_cast<uint32_t>((header_.head + i) % capacity_);
  return store_.write(recordOffset(slot), &r, sizeof r);
}

bool FlashRing::append(const Reading* readings, size_t n) {
  if (n == 0) return true;
  // Only the newest `capacity` can survive one append; skip the rest up front.
  if (n > capacity_) {
    header_.dropped += static_cast<uint32_t>(n - capacity_);
    readings += n - capacity_;
    n = capacity_;
  }
  uint32_t head = header_.head;
  uint32_t count = header_.count;
  uint32_t dropped = header_.dropped;
  for (size_t k = 0; k < n; ++k) {
    if (count == capacity_) {
      // The slot about to be written is the oldest: overwrite it and move the head on.
      if (!store_.write(recordOffset(head), &readings[k], sizeof(Reading))) return false;
      head = (head + 1) % capacity_;
      ++dropped;
    } else {
      if (!store_.write(recordOffset((head + count) % capacity_), &readings[k], sizeof(Reading))) return false;
      ++count;
    }
  }
  if (!store_.sync()) return false;
  header_.head = head;
  header_.count = count;
  header_.dropped = dropped;
  return writeHeader();
}

bool FlashRing::popFront(size_t n) {
  if (n == 0) return true;
  if (n > header_.count) n = header_.count;
  header_.head = static_cast<uint32_t>((header_.head + n) % capacity_);
  header_.count -= static_cast<uint32_t>(n);
  return writeHeader();
}

}  // namespace coldtrail
