// When a sleeping probe should try the network, as pure functions of its RTC-kept state.
//
// A power cut takes the home router down together with the freezer. The probe must not spend its
// battery on a Wi-Fi that is not there: each attempt is bounded (connectTimeoutMs), and after a
// failure the next attempt waits base × 2^(failures−1), capped, across deep-sleep wakes. Sampling
// continues every wake regardless, so the outage is buffered and replayed when the network is back.
#pragma once

#include <cstdint>

namespace coldtrail {

struct NetworkPolicy {
  uint32_t publishIntervalS;   // normal cadence of uploads when all is well
  uint32_t connectTimeoutMs;   // give up on association + DHCP + MQTT CONNACK after this
  uint32_t backoffBaseS;       // first wait after a failure
  uint32_t backoffMaxS;        // longest wait: bounds how late a returning network is noticed
  uint16_t jitterPermille;     // ± spread so a house full of probes does not retry in lockstep
};

// Defaults. A home router typically needs a minute or two to boot after the power returns; with a
// 15 min cap the backlog reaches the server at most about a quarter of an hour later, while a
// day-long outage costs only ~100 bounded attempts instead of 1,440 (one a minute).
constexpr NetworkPolicy kDefaultNetworkPolicy{
    300,    // publishIntervalS: 5 min
    10000,  // connectTimeoutMs
    60,     // backoffBaseS
    900,    // backoffMaxS: 15 min
    100,    // jitterPermille: ±10 %
};

struct NetworkState {  // trivial: lives in RTC_DATA_ATTR memory
  uint32_t failedAttempts;  // consecutive failures since the last success
  uint32_t nextAttemptS;    // device-clock seconds; 0 = now
};

// Wait after the n-th consecutive failure (n ≥ 1): base × 2^(n−1), capped at max, then jittered by
// (jitterDraw − 500)/1000 × 2 × jitterPermille‰, with jitterDraw in 0…999 drawn by the caller.
uint32_t backoffWaitS(uint32_t failedAttempts, const NetworkPolicy& policy, uint16_t jitterDraw);

// Whether this wake should try the network. Nothing overrides a back-off: a network that failed a
// minute ago is not back because there is news to send, and each try costs the same battery.
bool shouldAttempt(const NetworkState& state, uint32_t nowS);

void recordSuccess(NetworkState& state, uint32_t nowS, const NetworkPolicy& policy);
void recordFailure(NetworkState& state, uint32_t nowS, const NetworkPolicy& policy, uint16_t jitterDraw);

}  // namespace coldtrail
