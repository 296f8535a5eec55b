// Per-probe settings entered over the serial console (see README.md, "Setup") and kept in NVS.
// Parsing and validation are pure so the host tests cover every message a user can see.
#pragma once

#include <cstddef>
#include <cstdint>

namespace coldtrail {

struct ProbeConfig {
  char wifiSsid[33];    // IEEE 802.11: an SSID is at most 32 octets
  char wifiPass[64];    // WPA2-PSK passphrase: 8–63 characters (or empty for an open network)
  char probeId[65];     // DESIGN.md: 3–64 of [A-Za-z0-9_-]; also the MQTT username
  char secret[129];     // issued by POST /probes; the MQTT password
  char mqttUrl[129];    // mqtt://host:1883 (no TLS yet)
  char ntpServer[65];   // a LAN NTP server if the site has no internet
  uint32_t sampleIntervalS;
  uint32_t publishIntervalS;
};

void configDefaults(ProbeConfig& c);

// Returns nullptr if the config can run, else a message naming the setting, what is wrong and the fix.
const char* validateConfig(const ProbeConfig& c);

bool isProbeId(const char* s);

enum class SetupAction : uint8_t { kNone, kSet, kShow, kSave, kExit, kHelp, kError };

struct SetupResult {
  SetupAction action;
  const char* message;  // for kError: what was wrong; for kSet: the key that changed
};

// One console line: `set <key> <value>`, `show`, `save`, `exit`, `help`. Values run to the end of
// the line (SSIDs and passphrases may contain spaces). Keys: wifi_ssid, wifi_pass, probe_id,
// secret, mqtt_url, ntp, sample_s, publish_s.
SetupResult applySetupLine(ProbeConfig& c, const char* line);

// `show` output for one setting, with the secret and the Wi-Fi passphrase masked.
size_t describeConfig(const ProbeConfig& c, char* out, size_t capacity);

}  // namespace coldtrail
