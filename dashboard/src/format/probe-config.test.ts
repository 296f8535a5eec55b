import { describe, expect, it } from "vitest";
import { brokerAddress, esphomeSecrets, esphomeYaml, simulatorCommand } from "./probe-config.js";

const login = {
  url: "mqtts://mqtt.coldtrail.example:8883",
  username: "p_7k2m",
  topic: "coldtrail/v1/probes/p_7k2m/readings",
};

describe("brokerAddress", () => {
  it("splits the announced URL without changing it", () => {
    expect(brokerAddress("mqtt://192.168.1.10:1884")).toEqual({
      ok: true,
      host: "192.168.1.10",
      port: 1884,
      tls: false,
    });
    expect(brokerAddress("mqtts://mqtt.coldtrail.example")).toEqual({
      ok: true,
      host: "mqtt.coldtrail.example",
      port: 8883,
      tls: true,
    });
  });
  it("names a URL it cannot use", () => {
    expect(brokerAddress("ws://x:80")).toMatchObject({
      ok: false,
      reason: expect.stringContaining('"ws://x:80"'),
    });
    expect(brokerAddress("nonsense")).toMatchObject({
      ok: false,
      reason: expect.stringContaining('"nonsense"'),
    });
  });
});

describe("esphomeYaml and the simulator command", () => {
  it("puts the probe id, broker host and port in the config and the secret only in secrets.yaml", () => {
    const yaml = esphomeYaml(login);
    expect(yaml).toContain("probe_id: p_7k2m");
    expect(yaml).toContain("broker: mqtt.coldtrail.example");
    expect(yaml).toContain("port: 8883");
    expect(yaml).toContain("password: !secret coldtrail_probe_secret");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ESPHome's own substitution syntax
    expect(yaml).toContain("state_topic: coldtrail/v1/probes/${probe_id}/temp_c");
    expect(yaml).not.toContain("s3cret");
    expect(esphomeSecrets("s3cret")).toContain('coldtrail_probe_secret: "s3cret"');
  });
  it("runs coldtrail-sim against the announced URL with the probe's login", () => {
    const cmd = simulatorCommand(login, "s3cret");
    expect(cmd).toContain('{"p_7k2m":"s3cret"}');
    expect(cmd).toContain(
      "coldtrail-sim load --mqtt mqtts://mqtt.coldtrail.example:8883 --creds coldtrail-creds.json",
    );
  });
});
