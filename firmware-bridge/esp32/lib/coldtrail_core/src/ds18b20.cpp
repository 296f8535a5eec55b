#include "ds18b20.h"

namespace coldtrail {

uint8_t dallasCrc8(const uint8_t* data, size_t length) {
  uint8_t crc = 0;
  for (size_t i = 0; i < length; ++i) {
    uint8_t byte = data[i];
    for (int bit = 0; bit < 8; ++bit) {
      const bool mix = ((crc ^ byte) & 0x01) != 0;
      crc = static_cast<uint8_t>(crc >> 1);
      if (mix) crc ^= 0x8C;
      byte = static_cast<uint8_t>(byte >> 1);
    }
  }
  return crc;
}

ProbeSample classifyRaw16(int16_t raw16) {
  if (raw16 == kDs18b20PowerOnRaw16) return {false, 0, ProbeError::kPowerOnReset};
  if (raw16 < kDs18b20MinRaw16 || raw16 > kDs18b20MaxRaw16) return {false, 0, ProbeError::kOutOfRange};
  return {true, raw16, ProbeError::kNone};
}

ProbeSample decodeScratchpad(const uint8_t (&scratchpad)[9]) {
  bool allOnes = true;
  bool allZeros = true;
  for (uint8_t b : scratchpad) {
    allOnes = allOnes && b == 0xFF;
    allZeros = allZeros && b == 0x00;
  }
  // All zeros passes the CRC (CRC-8 of zeros is zero) and would read as 0 °C: refuse it explicitly.
  if (allOnes || allZeros) return {false, 0, ProbeError::kDisconnected};
  if (dallasCrc8(scratchpad, 8) != scratchpad[8]) return {false, 0, ProbeError::kCrcMismatch};
  // Byte 0 is the LSB and byte 1 the MSB of a two's-complement register (datasheet, Figure 4).
  const auto raw = static_cast<int16_t>(static_cast<uint16_t>(scratchpad[1]) << 8 | scratchpad[0]);
  return classifyRaw16(raw);
}

ProbeSample classifyDallasRaw128(int32_t raw128) {
  if (raw128 <= kDallasDisconnectedRaw128) return {false, 0, ProbeError::kDisconnected};
  // 1/128 °C → 1/16 °C is exact for a 12-bit register (the library shifts the register left by 3).
  if (raw128 % 8 != 0) return {false, 0, ProbeError::kOutOfRange};
  const int32_t raw16 = raw128 / 8;
  if (raw16 < INT16_MIN || raw16 > INT16_MAX) return {false, 0, ProbeError::kOutOfRange};
  return classifyRaw16(static_cast<int16_t>(raw16));
}

double sixteenthsToCelsius(int16_t raw16) { return static_cast<double>(raw16) / 16.0; }

const char* probeErrorName(ProbeError error) {
  switch (error) {
    case ProbeError::kNone:
      return "none";
    case ProbeError::kDisconnected:
      return "disconnected";
    case ProbeError::kCrcMismatch:
      return "crc_mismatch";
    case ProbeError::kPowerOnReset:
      return "power_on_reset";
    case ProbeError::kOutOfRange:
      return "out_of_range";
  }
  return "unknown";
}

}  // namespace coldtrail
