// Byte-addressed persistent storage the flash ring writes through. On the ESP32 it is a LittleFS
// file; on the host an in-memory vector. Two methods, so a fake is trivial and a real one thin.
#pragma once

#include <cstddef>
#include <cstdint>

namespace coldtrail {

class BlockStore {
 public:
  virtual ~BlockStore() = default;
  virtual bool read(uint32_t offset, void* buffer, size_t length) = 0;
  virtual bool write(uint32_t offset, const void* buffer, size_t length) = 0;
  // Makes earlier writes durable (fsync/flush); a power cut may lose anything not yet synced.
  virtual bool sync() = 0;
};

}  // namespace coldtrail
