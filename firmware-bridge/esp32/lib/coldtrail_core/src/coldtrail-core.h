// The probe's logic in plain C++17 with no Arduino or ESP-IDF headers, so that it builds and is
// tested on the host (test/host) exactly as it runs on the ESP32 (src/main.cpp is the I/O edge).
#pragma once

#include "block-store.h"
#include "clock-fix.h"
#include "ds18b20.h"
#include "flash-ring.h"
#include "network-schedule.h"
#include "payload.h"
#include "probe-config.h"
#include "reading-queue.h"
#include "reading.h"
#include "replay.h"
#include "ring-buffer.h"
#include "sequence.h"
