// The MQTT edge: ESP-IDF's esp_mqtt client, which Arduino-ESP32 ships.
//
// Why not PubSubClient: it publishes only at QoS 0, and DESIGN.md requires QoS 1 so that a reading
// leaves the probe's buffer only once the broker has acknowledged it (PUBACK). esp_mqtt does QoS 1
// with a per-message id reported back in MQTT_EVENT_PUBLISHED, sets a last will, needs no extra
// library, and is maintained by Espressif. AsyncMqttClient also does QoS 1 but is unmaintained.
#pragma once

#include <cstddef>
#include <cstdint>

struct MqttSettings {
  const char* url;         // mqtt://host:1883
  const char* clientId;    // the probe id
  const char* username;    // the probe id (DESIGN.md: username = probeId)
  const char* password;    // the probe's secret
  const char* willTopic;   // coldtrail/v1/probes/{id}/status
  const char* willPayload; // {"state":"offline"}
};

class MqttLink {
 public:
  // Connects and waits for CONNACK at most `timeoutMs`. False on refusal or timeout.
  bool connect(const MqttSettings& s, uint32_t timeoutMs);
  // Publishes at QoS 1 and waits for its PUBACK at most `timeoutMs`. True only if acknowledged.
  bool publishAcked(const char* topic, const char* payload, size_t length, bool retain, uint32_t timeoutMs);
  // Clean DISCONNECT (so the broker does not publish the will) and frees the client.
  void close();
  bool connected() const;
};
