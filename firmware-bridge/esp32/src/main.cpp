// coldtrail ESP32 probe: wake, read the DS18B20, buffer the reading, upload when the network
// schedule says so, deep sleep. Everything that decides anything is in lib/coldtrail_core (pure,
// host-tested); this file is the I/O edge: sensor, Wi-Fi, NTP, MQTT, NVS, LittleFS, serial, sleep.
#include <Arduino.h>
#include <DallasTemperature.h>
#include <OneWire.h>
#include <Preferences.h>
#include <WiFi.h>
#include <esp_sleep.h>
#include <esp_sntp.h>
#include <esp_system.h>
#include <sys/time.h>

#include "coldtrail-core.h"
#include "littlefs-store.h"
#include "mqtt-link.h"

using namespace coldtrail;

namespace {

// 16,384 × 12-byte records = 192 KiB of the 1.4 MB LittleFS partition: 11 days at one reading a
// minute, longer than any power cut the milk would survive frozen anyway.
constexpr uint32_t kFlashCapacity = 16384;
// Readings per message. The protocol allows 500 (≈28 KiB); 100 (≈5.5 KiB) keeps each QoS 1
// message and esp_mqtt's outbox copy of it small in RAM, and a flaky link retries less per loss.
constexpr size_t kChunk = 100;
constexpr uint32_t kPublishAckTimeoutMs = 10000;
constexpr uint32_t kNtpTimeoutMs = 5000;
// Resync at least this often so RTC drift through deep sleep stays small (see clock-fix.h).
constexpr uint32_t kResyncEveryS = 6 * 3600;
// firmware-bridge/src/protocol/limits.ts minTsMs: anything earlier is an unset clock.
constexpr time_t kClockValidAfterS = 1577836800;  // 2020-01-01T00:00:00Z
constexpr uint32_t kSetupWindowMs = 5000;
constexpr const char* kBacklogPath = "/backlog.bin";
constexpr uint32_t kClockMagic = 0x4354434B;  // "CTCK"
constexpr uint32_t kNetMagic = 0x43544E54;    // "CTNT"

struct ClockState {
  uint32_t magic;
  uint32_t lastSyncS;  // system clock at the last NTP sync
};

// RTC_NOINIT_ATTR: kept through deep sleep and also through software, watchdog and panic resets
// (RTC_DATA_ATTR would be re-initialised by those). Validated by magic numbers, and reset on power-on.
RTC_NOINIT_ATTR RtcRing g_rtc;
RTC_NOINIT_ATTR SequenceState g_seq;
RTC_NOINIT_ATTR NetworkState g_net;
RTC_NOINIT_ATTR ClockState g_clock;
RTC_NOINIT_ATTR uint32_t g_netMagic;

ProbeConfig g_config;
Preferences g_prefs;
LittleFsStore g_store;
FlashRing g_flash(g_store, kFlashCapacity);
ReadingQueue g_queue(g_rtc, g_flash);
Reading g_scratch[kChunk];
char g_payload[kChunk * kMaxReadingJsonBytes + 128];
char g_readingsTopic[128];
char g_statusTopic[128];

uint32_t nowS() { return static_cast<uint32_t>(time(nullptr)); }
bool clockSynced() { return time(nullptr) >= kClockValidAfterS; }

NetworkPolicy policy() {
  NetworkPolicy p = kDefaultNetworkPolicy;
  p.publishIntervalS = g_config.publishIntervalS;
  return p;
}

// ---- configuration (NVS) and serial setup ----------------------------------------------------

void loadConfig() {
  configDefaults(g_config);
  if (g_prefs.getBytesLength("config") == sizeof g_config) g_prefs.getBytes("config", &g_config, sizeof g_config);
}

void printHelp() {
  Serial.println(
      "coldtrail probe setup. Commands:\n"
      "  set wifi_ssid <name>     set wifi_pass <passphrase>\n"
      "  set probe_id <id>        set secret <secret from POST /api/v1/probes>\n"
      "  set mqtt_url mqtt://<host>:1883\n"
      "  set ntp <server>         (default pool.ntp.org; use your router if there is no internet)\n"
      "  set sample_s <seconds>   set publish_s <seconds>\n"
      "  show   save   exit   help");
}

// Blocks until `exit` with a valid saved config. Entered at power-on if the user types a key within
// kSetupWindowMs, or always while the stored config is incomplete.
void runSerialSetup() {
  printHelp();
  Serial.setTimeout(3600UL * 1000UL);
  char shown[512];
  for (;;) {
    Serial.print("> ");
    String line = Serial.readStringUntil('\n');
    const SetupResult r = applySetupLine(g_config, line.c_str());
    switch (r.action) {
      case SetupAction::kNone:
        break;
      case SetupAction::kSet:
        Serial.printf("ok %s\n", r.message);
        break;
      case SetupAction::kShow:
        describeConfig(g_config, shown, sizeof shown);
        Serial.print(shown);
        break;
      case SetupAction::kSave:
        g_prefs.putBytes("config", &g_config, sizeof g_config);
        Serial.println("saved");
        break;
      case SetupAction::kExit:
        if (validateConfig(g_config) != nullptr) {
          Serial.printf("cannot run yet: %s\n", validateConfig(g_config));
          break;
        }
        return;
      case SetupAction::kHelp:
        printHelp();
        break;
      case SetupAction::kError:
        Serial.printf("error: %s\n", r.message);
        break;
    }
  }
}

void offerSetupAtPowerOn() {
  const bool incomplete = validateConfig(g_config) != nullptr;
  if (incomplete) {
    Serial.printf("config incomplete (%s): entering setup\n", validateConfig(g_config));
    runSerialSetup();
    return;
  }
  Serial.printf("coldtrail probe %s, id %s. Press Enter within %lu s for setup.\n", COLDTRAIL_FW_VERSION,
                g_config.probeId, static_cast<unsigned long>(kSetupWindowMs / 1000));
  const uint32_t start = millis();
  while (millis() - start < kSetupWindowMs) {
    if (Serial.available()) {
      while (Serial.available()) Serial.read();
      runSerialSetup();
      return;
    }
    delay(20);
  }
}

// ---- sensor -----------------------------------------------------------------------------------

ProbeSample readProbe() {
  OneWire bus(COLDTRAIL_ONEWIRE_PIN);
  DallasTemperature sensors(&bus);
  sensors.begin();
  DeviceAddress address;
  if (!sensors.getAddress(address, 0)) return {false, 0, ProbeError::kDisconnected};
  // Setting the resolution copies the scratchpad to the sensor's EEPROM; do it only when needed.
  if (sensors.getResolution(address) != 12) sensors.setResolution(address, 12);
  sensors.setWaitForConversion(true);
  sensors.requestTemperaturesByAddress(address);  // up to 750 ms at 12 bits (datasheet tCONV)
  uint8_t scratchpad[9];
  sensors.readScratchPad(address, scratchpad);
  return decodeScratchpad(scratchpad);
}

DeviceVitals readVitals(bool withRssi) {
  DeviceVitals v{false, 0, false, 0, false, 0};
#if COLDTRAIL_BATTERY_PIN >= 0
  uint32_t sum = 0;
  for (int i = 0; i < 8; ++i) sum += analogReadMilliVolts(COLDTRAIL_BATTERY_PIN);
  v.hasBatteryMv = true;
  v.batteryMv = static_cast<uint16_t>(static_cast<float>(sum) / 8.0f * COLDTRAIL_BATTERY_DIVIDER);
#endif
  if (withRssi) {
    v.hasRssi = true;
    v.rssiDbm = static_cast<int16_t>(WiFi.RSSI());
  }
  return v;
}

void sampleOnce() {
  const ProbeSample s = readProbe();
  if (!s.ok) {
    // Not a reading: the server sees a gap (unmonitored time), never a false −127 or 85 °C.
    Serial.printf("probe.error reason=%s\n", probeErrorName(s.error));
    return;
  }
  const SeqTake t = sequenceTake(g_seq);
  if (t.persist) g_prefs.putUInt("seq", t.persistValue);
  const uint8_t flags = clockSynced() ? 0 : kReadingClockUnsynced;
  const Reading r{nowS(), t.seq, s.raw16, flags, 0};
  if (!g_queue.push(r)) Serial.println("backlog.flash_write_failed");
  char temp[12];
  formatSixteenths(s.raw16, temp, sizeof temp);
  Serial.printf("probe.sample seq=%lu temp_c=%s backlog=%u\n", static_cast<unsigned long>(t.seq), temp,
                static_cast<unsigned>(g_queue.size()));
}

// ---- network ----------------------------------------------------------------------------------

bool joinWifi(uint32_t timeoutMs) {
  WiFi.persistent(false);  // credentials live in our NVS namespace, not rewritten on every wake
  WiFi.mode(WIFI_STA);
  WiFi.begin(g_config.wifiSsid, g_config.wifiPass[0] ? g_config.wifiPass : nullptr);
  const uint32_t start = millis();
  while (WiFi.status() != WL_CONNECTED) {
    if (millis() - start >= timeoutMs) return false;
    delay(50);
  }
  return true;
}

void leaveWifi() {
  WiFi.disconnect(true);
  WiFi.mode(WIFI_OFF);
}

// Syncs the clock by NTP and corrects the buffered timestamps by the step it made.
void syncClock() {
  timeval before{};
  gettimeofday(&before, nullptr);
  const uint32_t m0 = millis();
  sntp_set_sync_status(SNTP_SYNC_STATUS_RESET);
  configTime(0, 0, g_config.ntpServer);  // UTC: the wire carries unix time
  while (sntp_get_sync_status() != SNTP_SYNC_STATUS_COMPLETED) {
    if (millis() - m0 >= kNtpTimeoutMs) {
      Serial.println("clock.sync_failed");
      return;
    }
    delay(50);
  }
  timeval after{};
  gettimeofday(&after, nullptr);
  const uint32_t elapsedMs = millis() - m0;
  const int64_t deviceNowS = static_cast<int64_t>(before.tv_sec) + (elapsedMs + 500) / 1000;
  const ClockStep step{g_clock.magic == kClockMagic ? g_clock.lastSyncS : 0, static_cast<uint32_t>(deviceNowS),
                       static_cast<int64_t>(after.tv_sec) - deviceNowS};
  const size_t fixed = g_queue.rewriteTimestamps([&](Reading& r) { return applyClockStep(r, step); });
  g_clock.magic = kClockMagic;
  g_clock.lastSyncS = static_cast<uint32_t>(after.tv_sec);
  Serial.printf("clock.synced step_s=%lld rebased=%u\n", static_cast<long long>(step.stepS),
                static_cast<unsigned>(fixed));
}

// Sends the backlog oldest first; a chunk leaves the buffer only after its PUBACK.
bool uploadBacklog(MqttLink& mqtt) {
  char status[96];
  const EncodeResult online = encodeStatusPayload(true, COLDTRAIL_FW_VERSION, status, sizeof status);
  if (!online.ok || !mqtt.publishAcked(g_statusTopic, status, online.length, true, kPublishAckTimeoutMs)) return false;
  for (;;) {
    const Batch b = nextBatch(g_queue, g_scratch, kChunk);
    if (b.count == 0) return true;
    const EncodeResult e = encodeReadingsPayload(g_scratch, b.count, readVitals(true), g_payload, sizeof g_payload);
    if (!e.ok) {
      Serial.printf("publish.encode_failed reason=%s\n", e.reason);
      return false;
    }
    if (!mqtt.publishAcked(g_readingsTopic, g_payload, e.length, false, kPublishAckTimeoutMs)) return false;
    g_queue.dropThroughSeq(b.lastSeq);
    Serial.printf("publish.acked readings=%u last_seq=%lu left=%u\n", static_cast<unsigned>(b.count),
                  static_cast<unsigned long>(b.lastSeq), static_cast<unsigned>(g_queue.size()));
  }
}

bool attemptUpload() {
  const NetworkPolicy p = policy();
  const uint32_t start = millis();
  if (!joinWifi(p.connectTimeoutMs)) {
    Serial.println("wifi.connect_failed");
    leaveWifi();
    return false;
  }
  const bool afterOutage = g_net.failedAttempts > 0;
  if (!clockSynced() || g_clock.magic != kClockMagic || afterOutage || nowS() - g_clock.lastSyncS > kResyncEveryS) {
    syncClock();
  }
  MqttLink mqtt;
  const MqttSettings settings{g_config.mqttUrl, g_config.probeId, g_config.probeId, g_config.secret, g_statusTopic,
                              "{\"state\":\"offline\"}"};
  const uint32_t used = millis() - start;
  // Whatever Wi-Fi and NTP left of the budget, but at least 5 s for TCP + CONNACK.
  const uint32_t left = used + 5000 < p.connectTimeoutMs ? p.connectTimeoutMs - used : 5000;
  bool ok = mqtt.connect(settings, left);
  if (!ok) Serial.println("mqtt.connect_failed");
  if (ok) ok = uploadBacklog(mqtt);
  mqtt.close();
  leaveWifi();
  return ok;
}

// ---- wake cycle -------------------------------------------------------------------------------

void restoreOrResetRtcState() {
  const esp_reset_reason_t reason = esp_reset_reason();
  // After power-on or brown-out RTC memory holds noise; magic numbers catch anything else.
  const bool powerLost = reason == ESP_RST_POWERON || reason == ESP_RST_BROWNOUT;
  if (powerLost || !g_rtc.valid()) g_rtc.reset();
  if (powerLost || !sequenceValid(g_seq)) {
    sequenceResume(g_seq, g_prefs.isKey("seq"), g_prefs.getUInt("seq", 0));
  }
  if (powerLost || g_netMagic != kNetMagic) {
    g_net = NetworkState{0, 0};
    g_netMagic = kNetMagic;
  }
  if (powerLost) g_clock.magic = 0;
}

void sleepUntilNextSample() {
  const uint64_t intervalUs = static_cast<uint64_t>(g_config.sampleIntervalS) * 1000000ULL;
  const uint64_t awakeUs = micros();
  const uint64_t sleepUs = awakeUs + 1000000ULL < intervalUs ? intervalUs - awakeUs : 1000000ULL;
  Serial.flush();
  esp_sleep_enable_timer_wakeup(sleepUs);
  esp_deep_sleep_start();
}

}  // namespace

void setup() {
  Serial.begin(115200);
  g_prefs.begin("coldtrail", false);
  loadConfig();
  const bool wokeFromSleep = esp_reset_reason() == ESP_RST_DEEPSLEEP;
  restoreOrResetRtcState();
  if (!g_store.begin(kBacklogPath, FlashRing::bytesNeeded(kFlashCapacity)) || !g_flash.open()) {
    Serial.println("backlog.flash_unavailable");  // keep measuring into RTC memory regardless
  }
  if (!wokeFromSleep) {
    offerSetupAtPowerOn();
    g_queue.spillToFlash();  // setup may take long; nothing stays only in RTC memory meanwhile
  }
  snprintf(g_readingsTopic, sizeof g_readingsTopic, "coldtrail/v1/probes/%s/readings", g_config.probeId);
  snprintf(g_statusTopic, sizeof g_statusTopic, "coldtrail/v1/probes/%s/status", g_config.probeId);

  sampleOnce();

  const NetworkPolicy p = policy();
  if (shouldAttempt(g_net, nowS())) {
    if (attemptUpload()) {
      recordSuccess(g_net, nowS(), p);
    } else {
      recordFailure(g_net, nowS(), p, static_cast<uint16_t>(esp_random() % 1000));
      Serial.printf("network.backoff failures=%lu next_in_s=%lu backlog=%u\n",
                    static_cast<unsigned long>(g_net.failedAttempts),
                    static_cast<unsigned long>(g_net.nextAttemptS - nowS()), static_cast<unsigned>(g_queue.size()));
    }
  }
  g_store.end();
  g_prefs.end();
  sleepUntilNextSample();
}

void loop() {
  // Never reached: setup() ends in deep sleep, and each wake starts again at setup().
}
