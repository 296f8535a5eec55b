import { alertTopic, readingsTopic, statusTopic } from "@coldtrail/firmware-bridge/protocol";

export interface DiscoveryMessage {
  topic: string;
  payload: string;
  retain: true;
}

/**
 * Home Assistant MQTT discovery for one unit: a temperature `sensor` fed by the attached probe's
 * readings topic (its calibration offset added in the template, as rules see it) and a `problem`
 * `binary_sensor` fed by the unit's retained alert state. The temperature is unavailable while the
 * probe's retained status says offline; the problem sensor stays available on purpose, since a
 * probe gone offline is itself a problem it must be able to show. Topic layout `<prefix>/<component>/<node_id>/<object_id>/config`
 * and the field names are Home Assistant's MQTT discovery schema. Publish them retained (QoS 1);
 * publish again when the attached probe changes. An empty retained payload removes an entity.
 */
export function homeAssistantDiscovery(input: {
  unit: { id: string; name: string; kind: string };
  /** The probe attached now; without one, the temperature sensor is left out. */
  probe?: { id: string; calibrationOffsetC?: number } | null;
  discoveryPrefix?: string;
  /** For the device's link in Home Assistant, e.g. `${publicUrl}/units/{id}`. */
  publicUrl?: string | null;
}): DiscoveryMessage[] {
  const prefix = input.discoveryPrefix ?? "homeassistant";
  const { unit, probe } = input;
  // Home Assistant object ids: [a-zA-Z0-9_-].
  const node = `coldtrail_${unit.id.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  const device = {
    identifiers: [node],
    name: unit.name,
    manufacturer: "coldtrail",
    model: unit.kind,
    ...(input.publicUrl && {
      configuration_url: `${input.publicUrl.replace(/\/+$/, "")}/units/${encodeURIComponent(unit.id)}`,
    }),
  };
  const availability = probe
    ? {
        availability: [
          {
            topic: statusTopic(probe.id),
            value_template: "{{ value_json.state }}",
            payload_available: "online",
            payload_not_available: "offline",
          },
        ],
      }
    : {};
  const out: DiscoveryMessage[] = [];
  if (probe) {
    const offset = probe.calibrationOffsetC ?? 0;
    out.push({
      topic: `${prefix}/sensor/${node}/temperature/config`,
      retain: true,
      payload: JSON.stringify({
        name: "Temperature",
        unique_id: `${node}_temperature`,
        object_id: `${node}_temperature`,
        device_class: "temperature",
        state_class: "measurement",
        unit_of_measurement: "°C",
        suggested_display_precision: 1,
        state_topic: readingsTopic(probe.id),
        // A message carries 1–500 readings, oldest first; the last one is the newest.
        value_template: `{{ ((value_json.readings | last).temp_c + (${offset})) | round(2) }}`,
        ...availability,
        device,
      }),
    });
  }
  out.push({
    topic: `${prefix}/binary_sensor/${node}/problem/config`,
    retain: true,
    payload: JSON.stringify({
      name: "Problem",
      unique_id: `${node}_problem`,
      object_id: `${node}_problem`,
      device_class: "problem",
      state_topic: alertTopic(unit.id),
      value_template: "{{ 'ON' if value_json.problem else 'OFF' }}",
      payload_on: "ON",
      payload_off: "OFF",
      json_attributes_topic: alertTopic(unit.id),
      json_attributes_template: "{{ {'count': value_json.count, 'alerts': value_json.alerts} | tojson }}",
      device,
    }),
  });
  return out;
}
