#include "mqtt-link.h"

#include <Arduino.h>
#include <cstring>
#include <esp_idf_version.h>
#include <freertos/FreeRTOS.h>
#include <freertos/event_groups.h>
#include <freertos/queue.h>
#include <mqtt_client.h>

namespace {

constexpr EventBits_t kConnected = BIT0;
constexpr EventBits_t kFailed = BIT1;  // refused, transport error or disconnected

esp_mqtt_client_handle_t g_client = nullptr;
EventGroupHandle_t g_events = nullptr;
QueueHandle_t g_acks = nullptr;  // msg ids from MQTT_EVENT_PUBLISHED (PUBACK for QoS 1)

void onEvent(void*, esp_event_base_t, int32_t eventId, void* eventData) {
  auto* event = static_cast<esp_mqtt_event_handle_t>(eventData);
  switch (static_cast<esp_mqtt_event_id_t>(eventId)) {
    case MQTT_EVENT_CONNECTED:
      xEventGroupClearBits(g_events, kFailed);
      xEventGroupSetBits(g_events, kConnected);
      break;
    case MQTT_EVENT_DISCONNECTED:
    case MQTT_EVENT_ERROR:
      xEventGroupClearBits(g_events, kConnected);
      xEventGroupSetBits(g_events, kFailed);
      break;
    case MQTT_EVENT_PUBLISHED: {
      const int id = event->msg_id;
      xQueueSend(g_acks, &id, 0);
      break;
    }
    default:
      break;
  }
}

}  // namespace

bool MqttLink::connect(const MqttSettings& s, uint32_t timeoutMs) {
  esp_mqtt_client_config_t cfg = {};
#if ESP_IDF_VERSION_MAJOR >= 5
  cfg.broker.address.uri = s.url;
  cfg.credentials.client_id = s.clientId;
  cfg.credentials.username = s.username;
  cfg.credentials.authentication.password = s.password;
  cfg.session.last_will.topic = s.willTopic;
  cfg.session.last_will.msg = s.willPayload;
  cfg.session.last_will.msg_len = static_cast<int>(strlen(s.willPayload));
  cfg.session.last_will.qos = 1;
  cfg.session.last_will.retain = 1;
  cfg.session.keepalive = 60;
  cfg.network.disable_auto_reconnect = true;  // the wake's own back-off decides when to retry
  cfg.network.timeout_ms = 10000;
  cfg.buffer.size = 2048;
  cfg.buffer.out_size = 8192;
#else
  cfg.uri = s.url;
  cfg.client_id = s.clientId;
  cfg.username = s.username;
  cfg.password = s.password;
  cfg.lwt_topic = s.willTopic;
  cfg.lwt_msg = s.willPayload;
  cfg.lwt_msg_len = static_cast<int>(strlen(s.willPayload));
  cfg.lwt_qos = 1;
  cfg.lwt_retain = 1;
  cfg.keepalive = 60;
  cfg.disable_auto_reconnect = true;
  cfg.network_timeout_ms = 10000;
  cfg.buffer_size = 2048;
  cfg.out_buffer_size = 8192;
#endif
  if (g_events == nullptr) g_events = xEventGroupCreate();
  if (g_acks == nullptr) g_acks = xQueueCreate(8, sizeof(int));
  xEventGroupClearBits(g_events, kConnected | kFailed);
  xQueueReset(g_acks);
  g_client = esp_mqtt_client_init(&cfg);
  if (g_client == nullptr) return false;
  esp_mqtt_client_register_event(g_client, MQTT_EVENT_ANY, onEvent, nullptr);
  if (esp_mqtt_client_start(g_client) != ESP_OK) {
    close();
    return false;
  }
  const EventBits_t bits =
      xEventGroupWaitBits(g_events, kConnected | kFailed, pdFALSE, pdFALSE, pdMS_TO_TICKS(timeoutMs));
  return (bits & kConnected) != 0;
}

bool MqttLink::connected() const {
  return g_client != nullptr && (xEventGroupGetBits(g_events) & kConnected) != 0;
}

bool MqttLink::publishAcked(const char* topic, const char* payload, size_t length, bool retain,
                            uint32_t timeoutMs) {
  // esp_mqtt_client_publish queues QoS 1 messages even while disconnected; refuse instead, so a
  // message is counted as sent only when this connection carried it.
  if (!connected()) return false;
  const int id = esp_mqtt_client_publish(g_client, topic, payload, static_cast<int>(length), 1, retain ? 1 : 0);
  if (id <= 0) return false;
  const uint32_t deadline = millis() + timeoutMs;
  for (;;) {
    const int32_t left = static_cast<int32_t>(deadline - millis());
    if (left <= 0) return false;
    int acked = 0;
    if (xQueueReceive(g_acks, &acked, pdMS_TO_TICKS(left)) != pdTRUE) return false;
    if (acked == id) return true;  // earlier ids (e.g. the birth message) are skipped
  }
}

void MqttLink::close() {
  if (g_client == nullptr) return;
  if (connected()) esp_mqtt_client_disconnect(g_client);  // DISCONNECT: the will is discarded
  esp_mqtt_client_stop(g_client);
  esp_mqtt_client_destroy(g_client);
  g_client = nullptr;
}
