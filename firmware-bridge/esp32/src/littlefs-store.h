// BlockStore over one LittleFS file: the flash ring's bytes. LittleFS is copy-on-write and
// wear-levelling, so rewriting the 64-byte header about once an hour is harmless to the flash.
#pragma once

#include <FS.h>
#include <cstring>
#include <LittleFS.h>

#include "block-store.h"

class LittleFsStore : public coldtrail::BlockStore {
 public:
  // Opens (creating and sizing if needed) `path` with at least `bytes` bytes.
  bool begin(const char* path, size_t bytes) {
    if (!LittleFS.begin(true)) return false;  // true: format a blank or corrupt partition
    if (!LittleFS.exists(path) || LittleFS.open(path, "r").size() < bytes) {
      File f = LittleFS.open(path, "w");
      if (!f) return false;
      // Fill with 0xFF so an unused header slot fails its magic check.
      uint8_t blank[256];
      memset(blank, 0xFF, sizeof blank);
      for (size_t written = 0; written < bytes; written += sizeof blank) {
        const size_t n = bytes - written < sizeof blank ? bytes - written : sizeof blank;
        if (f.write(blank, n) != n) return false;
      }
      f.close();
    }
    file_ = LittleFS.open(path, "r+");
    return static_cast<bool>(file_);
  }

  bool read(uint32_t offset, void* buffer, size_t length) override {
    return file_.seek(offset, SeekSet) && file_.read(static_cast<uint8_t*>(buffer), length) == length;
  }

  bool write(uint32_t offset, const void* buffer, size_t length) override {
    return file_.seek(offset, SeekSet) && file_.write(static_cast<const uint8_t*>(buffer), length) == length;
  }

  bool sync() override {
    file_.flush();
    return true;
  }

  void end() {
    file_.close();
    LittleFS.end();
  }

 private:
  File file_;
};
