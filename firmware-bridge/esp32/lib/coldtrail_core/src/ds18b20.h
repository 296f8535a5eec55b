// DS18B20 scratchpad and temperature-register decoding (Maxim DS18B20 datasheet, 19-7487 Rev 6).
#pragma once

#include <cstddef>
#include <cstdint>

namespace coldtrail {

enum class ProbeError : uint8_t {
  kNone = 0,
  kDisconnected,   // no device answered: bus reads all 1s (pulled up) or all 0s (shorted)
  kCrcMismatch,    // a device answered but the bytes were corrupted on the wire
  kPowerOnReset,   // +85 °C: the register's power-on value, no conversion has run
  kOutOfRange,     // outside the sensor's rated −55…+125 °C
};

struct ProbeSample {
  bool ok;
  int16_t raw16;     // sixteenths of °C; valid only when ok
  ProbeError error;  // kNone when ok
};

// Datasheet, "Operating Range": −55 °C to +125 °C; register LSB = 0.0625 °C (12-bit).
constexpr int16_t kDs18b20MinRaw16 = -55 * 16;
constexpr int16_t kDs18b20MaxRaw16 = 125 * 16;
// Datasheet, Table 1 / "Power-up state": the temperature register reads +85 °C (0x0550) until
// the first conversion finishes; a genuine 85 °C never happens in a milk cold chain.
constexpr int16_t kDs18b20PowerOnRaw16 = 0x0550;
// DallasTemperature's DEVICE_DISCONNECTED_RAW: −127 °C in its 1/128 °C units.
constexpr int32_t kDallasDisconnectedRaw128 = -7040;

// Dallas/Maxim 1-Wire CRC-8 (polynomial x^8 + x^5 + x^4 + 1, reflected 0x8C), datasheet "CRC Generation".
uint8_t dallasCrc8(const uint8_t* data, size_t length);

// Classifies a temperature-register value: range and the power-on value are errors, not readings.
ProbeSample classifyRaw16(int16_t raw16);

// Decodes the 9 scratchpad bytes (byte 8 is the CRC of bytes 0–7).
ProbeSample decodeScratchpad(const uint8_t (&scratchpad)[9]);

// Accepts DallasTemperature::getTemp() output (1/128 °C); −127 °C means disconnected.
ProbeSample classifyDallasRaw128(int32_t raw128);

double sixteenthsToCelsius(int16_t raw16);

const char* probeErrorName(ProbeError error);

}  // namespace coldtrail
