#!/bin/sh
# Creates Mosquitto's dynamic-security file with one admin on the first start, then runs the
# image's own entrypoint. coldtrail logs in as that admin to create a broker client for each probe
# it registers (server/src/broker/mosquitto-dynsec.ts). Later starts keep the file: it holds every
# probe's credentials, and it lives on the data volume.
set -eu

DYNSEC_FILE="${DYNSEC_FILE:-/mosquitto/data/dynamic-security.json}"

if [ ! -s "$DYNSEC_FILE" ]; then
  : "${MOSQUITTO_ADMIN_USERNAME:?set MOSQUITTO_ADMIN_USERNAME (the dynsec admin coldtrail logs in as)}"
  : "${MOSQUITTO_ADMIN_PASSWORD:?set MOSQUITTO_ADMIN_PASSWORD (at least 16 random characters)}"
  mkdir -p "$(dirname "$DYNSEC_FILE")"
  # Password as an argument, not a prompt: there is no terminal in a container.
  mosquitto_ctrl dynsec init "$DYNSEC_FILE" "$MOSQUITTO_ADMIN_USERNAME" "$MOSQUITTO_ADMIN_PASSWORD" >/dev/null
  echo "coldtrail: created $DYNSEC_FILE with dynsec admin \"$MOSQUITTO_ADMIN_USERNAME\""
fi

# eclipse-mosquitto's entrypoint hands /mosquitto to the mosquitto user, then runs the command.
if [ -x /docker-entrypoint.sh ]; then
  exec /docker-entrypoint.sh "$@"
fi
exec "$@"
