/**
 * What a donor copies to set up a probe, from what POST /api/v1/probes answered: an ESPHome
 * config for an ESP32 with a DS18B20 (the shape of firmware-bridge/devices/esphome/
 * coldtrail-ds18b20.yaml), and a `coldtrail-sim` command line. Pure: the MQTT URL is the one the
 * server is configured to announce, split into host and port for ESPHome, never replaced.
 */

export interface MqttLogin {
  url: string;
  username: string;
  topic: string;
}

export type BrokerAddress =
  | { ok: true; host: string; port: number; tls: boolean }
  | { ok: false; reason: string };

const DEFAULT_PORTS: Record<string, number> = { "mqtt:": 1883, "mqtts:": 8883, "tcp:": 1883, "ssl:": 8883 };

/** `mqtts://mqtt.example:8883` → host, port and whether it is TLS. */
export function brokerAddress(url: string): BrokerAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { ok: false, reason: `the server announced "${url}" as its MQTT address, which is not a URL` };
  }
  const port = u.port ? Number(u.port) : DEFAULT_PORTS[u.protocol];
  if (port === undefined)
    return { ok: false, reason: `the server announced "${url}"; ESPHome speaks mqtt:// or mqtts:// only` };
  return {
    ok: true,
    host: u.hostname.replace(/^\[|\]$/g, ""),
    port,
    tls: u.protocol === "mqtts:" || u.protocol === "ssl:",
  };
}

/** ESPHome YAML for this probe; the secret goes in secrets.yaml (see `esphomeSecrets`). */
export function esphomeYaml(login: MqttLogin): string {
  const b = brokerAddress(login.url);
  const host = b.ok ? b.host : "BROKER-HOST";
  const port = b.ok ? b.port : 1883;
  const tlsNote =
    b.ok && b.tls
      ? "  # The broker wants TLS (mqtts): on ESP32 use the esp-idf framework and add\n  # certificate_authority: (the broker's CA, PEM) below, as ESPHome's MQTT docs describe.\n"
      : "";
  const id = login.username;
  return `# coldtrail probe ${id}: ESP32 + DS18B20 (data pin GPIO4, 4.7 kOhm pull-up to 3V3).
# Put the secrets in secrets.yaml, then: esphome run coldtrail-probe.yaml
substitutions:
  probe_id: ${id}

esphome:
  name: ${id
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .slice(0, 31)}

esp32:
  board: esp32dev
  framework:
    type: arduino

logger:
  level: INFO

wifi:
  ssid: !secret wifi_ssid
  password: !secret wifi_password

mqtt:
  broker: ${host}
  port: ${port}
${tlsNote}  username: \${probe_id}
  password: !secret coldtrail_probe_secret
  client_id: \${probe_id}
  topic_prefix: coldtrail/v1/probes/\${probe_id}
  discovery: false
  discover_ip: false
  log_topic: null
  birth_message:
    topic: coldtrail/v1/probes/\${probe_id}/status
    payload: '{"state":"online","fw":"esphome"}'
    qos: 1
    retain: true
  will_message:
    topic: coldtrail/v1/probes/\${probe_id}/status
    payload: '{"state":"offline"}'
    qos: 1
    retain: true

one_wire:
  - platform: gpio
    pin: GPIO4

sensor:
  - platform: dallas_temp
    name: temperature
    update_interval: 60s
    accuracy_decimals: 4
    state_topic: coldtrail/v1/probes/\${probe_id}/temp_c
    retain: false
    qos: 1
    filters:
      - lambda: |-
          if (std::isnan(x) || x == 85.0f) return {};
          return x;
`;
}

/** The lines of secrets.yaml that go with `esphomeYaml`. */
export function esphomeSecrets(secret: string): string {
  return `wifi_ssid: "your Wi-Fi name"
wifi_password: "your Wi-Fi password"
coldtrail_probe_secret: "${secret}"
`;
}

/** A shell command that runs one simulated probe under this login for ten minutes. */
export function simulatorCommand(login: MqttLogin, secret: string): string {
  return `echo '{"${login.username}":"${secret}"}' > coldtrail-creds.json
npx coldtrail-sim load --mqtt ${login.url} --creds coldtrail-creds.json --probes 1 --rate 1 --duration 600`;
}
