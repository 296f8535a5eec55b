/// <reference lib="dom" />
/**
 * Adding a probe to a unit, for a donor on her phone: pick the device, register it
 * (POST /probes), and see its login once, with what to paste into the device. "New secret"
 * (POST /probes/{id}/secret) shows the same panel for a probe that lost its secret.
 */
import type { FormatId } from "@coldtrail/firmware-bridge/decoders";
import type { ApiClient } from "../api/client.js";
import type { ProbeRegistered } from "../api/types.js";
import { esphomeSecrets, esphomeYaml, simulatorCommand } from "../format/probe-config.js";
import { h } from "./element.js";

export type Device = "esp32" | "simulator" | "ble";

/** The BLE formats POST /probes takes as `bleFormat`, in words a donor finds on the box. */
const BLE_MODELS: Record<FormatId, string> = {
  "bthome-v2": "BTHome v2 sensor",
  pvvx: "Xiaomi LYWSD03MMC with pvvx firmware",
  atc1441: "Xiaomi LYWSD03MMC with ATC firmware",
  "ruuvi-5": "RuuviTag (format 5)",
  "ruuvi-3": "RuuviTag (format 3)",
  "govee-h5075": "Govee H5075",
  "govee-h5074": "Govee H5074",
  "inkbird-ibs-th": "Inkbird IBS-TH1 / TH2",
};

/** A button that copies `text`; says "Copied" (or how to copy by hand) for screen readers too. */
export function copyButton(text: () => string, what: string): HTMLElement {
  const said = h("span", { class: "copy-status", role: "status" });
  const button = h(
    "button",
    {
      type: "button",
      class: "secondary copy",
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(text());
          said.textContent = "Copied.";
        } catch {
          said.textContent = "This browser did not let the page copy: select the text and copy it.";
        }
      },
    },
    `Copy ${what}`,
  );
  return h("span", { class: "copy-row" }, button, " ", said);
}

function block(title: string, text: string, cls: string): HTMLElement {
  return h(
    "div",
    { class: `copy-block ${cls}` },
    h("h4", null, title),
    h("pre", { tabindex: 0 }, h("code", null, text)),
    copyButton(() => text, title.toLowerCase()),
  );
}

/** The login of a probe with its secret, shown once, and what to paste where for the device. */
export function credentialsPanel(
  r: { id: string; secret: string; mqtt: ProbeRegistered["mqtt"]; warnings?: readonly string[] },
  device: Device,
): HTMLElement {
  const row = (term: string, value: string, cls: string) =>
    h("div", { class: cls }, h("dt", null, term), h("dd", null, h("code", null, value)));
  return h(
    "section",
    { class: "credentials", "data-probe-id": r.id, "aria-labelledby": `cred-${r.id}` },
    h("h3", { id: `cred-${r.id}` }, `Login for probe ${r.id}`),
    h(
      "p",
      { class: "notice once-warning", role: "alert" },
      h("strong", null, "Copy the secret now: you will not see it again. "),
      "If it is lost, press “New secret” and set the device up again.",
    ),
    h(
      "dl",
      { class: "login" },
      row("MQTT URL", r.mqtt.url, "mqtt-url"),
      row("Username", r.mqtt.username, "mqtt-username"),
      row("Topic", r.mqtt.topic, "mqtt-topic"),
      row("Secret", r.secret, "mqtt-secret"),
    ),
    copyButton(() => r.secret, "secret"),
    device === "esp32"
      ? [
          h(
            "p",
            { class: "hint" },
            "ESP32 with a DS18B20 on GPIO4 (4.7 kΩ pull-up to 3V3). Save these two files next to each other and run “esphome run coldtrail-probe.yaml”.",
          ),
          block("coldtrail-probe.yaml", esphomeYaml(r.mqtt), "esphome-yaml"),
          block("secrets.yaml", esphomeSecrets(r.secret), "esphome-secrets"),
        ]
      : null,
    device === "simulator"
      ? [
          h(
            "p",
            { class: "hint" },
            "In a copy of coldtrail (npm install done), this runs one simulated probe for 10 minutes:",
          ),
          block("Command", simulatorCommand(r.mqtt, r.secret), "sim-command"),
        ]
      : null,
    device === "ble"
      ? r.warnings?.length
        ? h(
            "div",
            { class: "notice error range-warning", role: "alert" },
            h("p", null, h("strong", null, "This thermometer may not read freezer temperatures:")),
            h(
              "ul",
              null,
              r.warnings.map((w) => h("li", null, w)),
            ),
          )
        : h(
            "p",
            { class: "hint" },
            "A BLE thermometer reaches coldtrail through a household gateway (OpenMQTTGateway or Theengs) that the server listens to; the login above is for devices that publish themselves.",
          )
      : null,
  );
}

/** The "Add a probe" form; `done` gets the panel to show (the caller also reloads the unit). */
export function probeForm(
  api: ApiClient,
  unitId: string,
  done: (panel: HTMLElement) => void,
): HTMLFormElement {
  const choice = (value: Device, words: string, checked = false) =>
    h(
      "label",
      { class: "choice" },
      h("input", { type: "radio", name: "device", value, checked }),
      ` ${words}`,
    );
  const name = h("input", { id: "probe-name", name: "name", maxlength: 100, autocomplete: "off" });
  const mac = h("input", {
    id: "probe-mac",
    name: "bleMac",
    autocomplete: "off",
    placeholder: "A4:C1:38:00:00:01",
    autocapitalize: "characters",
  });
  const model = h(
    "select",
    { id: "probe-model", name: "bleFormat" },
    Object.entries(BLE_MODELS).map(([id, words]) => h("option", { value: id }, words)),
  );
  const bleFields = h(
    "div",
    { class: "ble-fields", hidden: true },
    h("label", { for: "probe-model" }, "Model"),
    model,
    h("label", { for: "probe-mac" }, "Bluetooth address (on the box or in the gateway's list)"),
    mac,
  );
  const error = h("p", { class: "form-error", role: "alert" });
  const submit = h("button", { type: "submit" }, "Add probe");
  const form = h(
    "form",
    {
      class: "add-form probe-form",
      onchange: () => {
        bleFields.hidden = device() !== "ble";
      },
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        const d = device();
        if (d === "ble" && !mac.value.trim()) {
          error.textContent = "Type the thermometer's Bluetooth address, six pairs like A4:C1:38:00:00:01.";
          mac.focus();
          return;
        }
        submit.disabled = true;
        const r = await api.createProbe({
          unitId,
          ...(name.value.trim() && { name: name.value.trim() }),
          ...(d === "ble" && { bleMac: mac.value.trim(), bleFormat: model.value }),
        });
        submit.disabled = false;
        if (!r.ok) {
          error.textContent = `Not added: ${r.message}`;
          return;
        }
        error.textContent = "";
        name.value = "";
        done(credentialsPanel(r.value, d));
      },
    },
    h("h2", null, "Add a probe"),
    h(
      "fieldset",
      null,
      h("legend", null, "Device"),
      choice("esp32", "ESP32 + DS18B20", true),
      choice("simulator", "Simulator"),
      choice("ble", "BLE thermometer"),
    ),
    bleFields,
    h("label", { for: "probe-name" }, "Name (optional)"),
    name,
    h("div", { class: "actions" }, submit),
    error,
  );
  const device = () => ((form.elements.namedItem("device") as RadioNodeList).value || "esp32") as Device;
  return form;
}
