// Placeholder until the influxd harness lands: the stores work replaces this file.
export default async function setup(): Promise<void> {}
