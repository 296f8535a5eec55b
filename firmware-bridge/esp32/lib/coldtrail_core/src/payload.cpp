#include "payload.h"

#include <cstdio>
#include <cstring>

namespace coldtrail {

namespace {

// Appends to a fixed buffer and remembers overflow instead of writing past the end.
class Writer {
 public:
  Writer(char* out, size_t capacity) : out_(out), capacity_(capacity) {}

  void text(const char* s) {
    const size_t n = std::strlen(s);
    if (overflow_ || length_ + n + 1 > capacity_) {
      overflow_ = true;
      return;
    }
    std::memcpy(out_ + length_, s, n);
    length_ += n;
    out_[length_] = '\0';
  }

  void unsignedNumber(uint64_t value) {
    char digits[21];
    std::snprintf(digits, sizeof digits, "%llu", static_cast<unsigned long long>(value));
    text(digits);
  }

  void signedNumber(int32_t value) {
    char digits[12];
    std::snprintf(digits, sizeof digits, "%ld", static_cast<long>(value));
    text(digits);
  }

  bool overflow() const { return overflow_; }
  size_t length() const { return length_; }

 private:
  char* out_;
  size_t capacity_;
  size_t length_ = 0;
  bool overflow_ = false;
};

}  // namespace

size_t formatSixteenths(int16_t raw16, char* out, size_t capacity) {
  const bool negative = raw16 < 0;
  const uint32_t magnitude = negative ? static_cast<uint32_t>(-static_cast<int32_t>(raw16))
                                      : static_cast<uint32_t>(raw16);
  const uint32_t whole = magnitude / 16;
  // 1/16 = 0.0625: the fraction in ten-thousandths is exact.
  uint32_t fraction = (magnitude % 16) * 625;
  char decimals[5] = {0};
  if (fraction != 0) {
    std::snprintf(decimals, sizeof decimals, "%04lu", static_cast<unsigned long>(fraction));
    for (int i = 3; i > 0 && decimals[i] == '0'; --i) decimals[i] = '\0';
  }
  const int n = std::snprintf(out, capacity, "%s%lu%s%s", negative ? "-" : "", static_cast<unsigned long>(whole),
                              fraction != 0 ? "." : "", decimals);
  if (n < 0 || static_cast<size_t>(n) >= capacity) {
    if (capacity > 0) out[0] = '\0';
    return 0;
  }
  return static_cast<size_t>(n);
}

EncodeResult encodeReadingsPayload(const Reading* readings, size_t count, const DeviceVitals& vitals,
                                   char* out, size_t capacity) {
  if (count == 0) return {false, 0, "a readings message needs at least one reading"};
  if (count > kMaxReadingsPerMessage) return {false, 0, "a readings message holds at most 500 readings"};
  Writer w(out, capacity);
  w.text("{\"readings\":[");
  for (size_t i = 0; i < count; ++i) {
    const Reading& r = readings[i];
    if (!isClockSynced(r)) return {false, 0, "a reading taken before the clock was synced has no unix time yet"};
    char temp[12];
    formatSixteenths(r.raw16, temp, sizeof temp);
    w.text(i == 0 ? "{\"ts\":" : ",{\"ts\":");
    w.unsignedNumber(static_cast<uint64_t>(r.tsS) * 1000u);
    w.text(",\"temp_c\":");
    w.text(temp);
    w.text(",\"seq\":");
    w.unsignedNumber(r.seq);
    w.text("}");
  }
  w.text("]");
  if (vitals.hasBatteryPct) {
    if (vitals.batteryPct > 100) return {false, 0, "battery_pct must be 0-100"};
    w.text(",\"battery_pct\":");
    w.unsignedNumber(vitals.batteryPct);
  }
  if (vitals.hasBatteryMv) {
    w.text(",\"battery_mv\":");
    w.unsignedNumber(vitals.batteryMv);
  }
  if (vitals.hasRssi) {
    w.text(",\"rssi\":");
    w.signedNumber(vitals.rssiDbm);
  }
  w.text("}");
  if (w.overflow()) return {false, 0, "output buffer too small for the payload"};
  if (w.length() > kMaxPayloadBytes) return {false, 0, "payload exceeds 64 KiB"};
  return {true, w.length(), nullptr};
}

EncodeResult encodeStatusPayload(bool online, const char* fw, char* out, size_t capacity) {
  Writer w(out, capacity);
  w.text(online ? "{\"state\":\"online\"" : "{\"state\":\"offline\"");
  if (fw != nullptr && fw[0] != '\0') {
    // status.ts: fw is at most 64 characters; a version string needs no escaping, refuse anything that would.
    const size_t n = std::strlen(fw);
    if (n > 64) return {false, 0, "fw must be at most 64 characters"};
    for (size_t i = 0; i < n; ++i) {
      const char c = fw[i];
      if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
        return {false, 0, "fw must not contain quotes, backslashes or control characters"};
      }
    }
    w.text(",\"fw\":\"");
    w.text(fw);
    w.text("\"");
  }
  w.text("}");
  if (w.overflow()) return {false, 0, "output buffer too small for the payload"};
  return {true, w.length(), nullptr};
}

}  // namespace coldtrail
