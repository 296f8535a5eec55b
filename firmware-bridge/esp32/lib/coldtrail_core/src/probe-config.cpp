#include "probe-config.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace coldtrail {

namespace {

bool copyBounded(char* dst, size_t capacity, const char* src) {
  const size_t n = std::strlen(src);
  if (n >= capacity) return false;
  std::memcpy(dst, src, n + 1);
  return true;
}

bool startsWith(const char* s, const char* prefix) { return std::strncmp(s, prefix, std::strlen(prefix)) == 0; }

bool parseSeconds(const char* s, uint32_t& out) {
  if (*s == '\0') return false;
  char* end = nullptr;
  const unsigned long v = std::strtoul(s, &end, 10);
  if (*end != '\0' || s[0] == '-' || v > 86400) return false;
  out = static_cast<uint32_t>(v);
  return true;
}

}  // namespace

void configDefaults(ProbeConfig& c) {
  std::memset(&c, 0, sizeof c);
  copyBounded(c.ntpServer, sizeof c.ntpServer, "pool.ntp.org");
  c.sampleIntervalS = 60;
  c.publishIntervalS = 300;
}

bool isProbeId(const char* s) {
  const size_t n = std::strlen(s);
  if (n < 3 || n > 64) return false;
  for (size_t i = 0; i < n; ++i) {
    const char ch = s[i];
    const bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                    ch == '_' || ch == '-';
    if (!ok) return false;
  }
  return true;
}

const char* validateConfig(const ProbeConfig& c) {
  if (c.wifiSsid[0] == '\0') return "wifi_ssid is empty: set wifi_ssid <your network name>";
  const size_t passLength = std::strlen(c.wifiPass);
  if (passLength != 0 && passLength < 8) return "wifi_pass is shorter than 8 characters (WPA2 needs 8-63)";
  if (!isProbeId(c.probeId)) return "probe_id must be 3-64 characters of A-Z a-z 0-9 _ - (as registered)";
  if (c.secret[0] == '\0') return "secret is empty: set secret <the secret POST /probes returned>";
  // mqtts:// needs a CA certificate on the probe, which setup does not handle yet: refuse it rather
  // than fail at every wake.
  if (!startsWith(c.mqttUrl, "mqtt://")) {
    return "mqtt_url must start with mqtt:// (TLS is not supported yet), e.g. mqtt://192.168.1.10:1883";
  }
  const char* host = std::strstr(c.mqttUrl, "://") + 3;
  if (*host == '\0' || *host == ':' || *host == '/') return "mqtt_url has no host, e.g. mqtt://192.168.1.10:1883";
  if (c.ntpServer[0] == '\0') return "ntp is empty: set ntp pool.ntp.org (or your router's address)";
  // 10 s: a 12-bit DS18B20 conversion takes up to 750 ms (datasheet, tCONV) and each wake costs a boot.
  if (c.sampleIntervalS < 10 || c.sampleIntervalS > 3600) return "sample_s must be 10-3600 seconds";
  if (c.publishIntervalS < c.sampleIntervalS || c.publishIntervalS > 3600) {
    return "publish_s must be at least sample_s and at most 3600 seconds";
  }
  return nullptr;
}

SetupResult applySetupLine(ProbeConfig& c, const char* line) {
  while (*line == ' ' || *line == '\t') ++line;
  char trimmed[256];
  if (!copyBounded(trimmed, sizeof trimmed, line)) return {SetupAction::kError, "line longer than 255 characters"};
  size_t n = std::strlen(trimmed);
  while (n > 0 && (trimmed[n - 1] == '\r' || trimmed[n - 1] == '\n' || trimmed[n - 1] == ' ')) trimmed[--n] = '\0';
  if (n == 0) return {SetupAction::kNone, nullptr};
  if (std::strcmp(trimmed, "show") == 0) return {SetupAction::kShow, nullptr};
  if (std::strcmp(trimmed, "save") == 0) {
    const char* problem = validateConfig(c);
    return problem ? SetupResult{SetupAction::kError, problem} : SetupResult{SetupAction::kSave, nullptr};
  }
  if (std::strcmp(trimmed, "exit") == 0) return {SetupAction::kExit, nullptr};
  if (std::strcmp(trimmed, "help") == 0) return {SetupAction::kHelp, nullptr};
  if (!startsWith(trimmed, "set ")) return {SetupAction::kError, "unknown command: use set, show, save, exit or help"};

  char* key = trimmed + 4;
  while (*key == ' ') ++key;
  char* value = std::strchr(key, ' ');
  if (value == nullptr) return {SetupAction::kError, "set needs a key and a value: set <key> <value>"};
  *value++ = '\0';
  while (*value == ' ') ++value;

  struct Field {
    const char* key;
    char* dst;
    size_t capacity;
    const char* tooLong;
  };
  const Field fields[] = {
      {"wifi_ssid", c.wifiSsid, sizeof c.wifiSsid, "wifi_ssid is longer than 32 characters"},
      {"wifi_pass", c.wifiPass, sizeof c.wifiPass, "wifi_pass is longer than 63 characters"},
      {"probe_id", c.probeId, sizeof c.probeId, "probe_id is longer than 64 characters"},
      {"secret", c.secret, sizeof c.secret, "secret is longer than 128 characters"},
      {"mqtt_url", c.mqttUrl, sizeof c.mqttUrl, "mqtt_url is longer than 128 characters"},
      {"ntp", c.ntpServer, sizeof c.ntpServer, "ntp is longer than 64 characters"},
  };
  for (const Field& f : fields) {
    if (std::strcmp(key, f.key) != 0) continue;
    if (std::strcmp(key, "probe_id") == 0 && !isProbeId(value)) {
      return {SetupAction::kError, "probe_id must be 3-64 characters of A-Z a-z 0-9 _ - (as registered)"};
    }
    if (!copyBounded(f.dst, f.capacity, value)) return {SetupAction::kError, f.tooLong};
    return {SetupAction::kSet, f.key};
  }
  if (std::strcmp(key, "sample_s") == 0 || std::strcmp(key, "publish_s") == 0) {
    uint32_t seconds = 0;
    if (!parseSeconds(value, seconds)) return {SetupAction::kError, "interval must be a whole number of seconds"};
    if (key[0] == 's') {
      c.sampleIntervalS = seconds;
      return {SetupAction::kSet, "sample_s"};
    }
    c.publishIntervalS = seconds;
    return {SetupAction::kSet, "publish_s"};
  }
  return {SetupAction::kError,
          "unknown key: use wifi_ssid, wifi_pass, probe_id, secret, mqtt_url, ntp, sample_s or publish_s"};
}

size_t describeConfig(const ProbeConfig& c, char* out, size_t capacity) {
  const int n = std::snprintf(out, capacity,
                              "wifi_ssid=%s\nwifi_pass=%s\nprobe_id=%s\nsecret=%s\nmqtt_url=%s\nntp=%s\n"
                              "sample_s=%lu\npublish_s=%lu\n",
                              c.wifiSsid, c.wifiPass[0] ? "(set)" : "(empty)", c.probeId,
                              c.secret[0] ? "(set)" : "(empty)", c.mqttUrl, c.ntpServer,
                              static_cast<unsigned long>(c.sampleIntervalS),
                              static_cast<unsigned long>(c.publishIntervalS));
  if (n < 0) return 0;
  return static_cast<size_t>(n) < capacity ? static_cast<size_t>(n) : capacity - 1;
}

}  // namespace coldtrail
