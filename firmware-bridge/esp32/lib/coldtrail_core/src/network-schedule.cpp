#include "network-schedule.h"

namespace coldtrail {

uint32_t backoffWaitS(uint32_t failedAttempts, const NetworkPolicy& policy, uint16_t jitterDraw) {
  if (failedAttempts == 0) return 0;
  uint64_t wait = policy.backoffBaseS;
  for (uint32_t i = 1; i < failedAttempts && wait < policy.backoffMaxS; ++i) wait *= 2;
  if (wait > policy.backoffMaxS) wait = policy.backoffMaxS;
  if (jitterDraw > 999) jitterDraw = 999;
  // Signed offset in permille of the wait: (draw − 500) / 500 × jitterPermille.
  const int64_t offset =
      static_cast<int64_t>(wait) * (static_cast<int64_t>(jitterDraw) - 500) * policy.jitterPermille / 500000;
  const int64_t jittered = static_cast<int64_t>(wait) + offset;
  return jittered < 1 ? 1 : static_cast<uint32_t>(jittered);
}

bool shouldAttempt(const NetworkState& state, uint32_t nowS) {
  return static_cast<int32_t>(nowS - state.nextAttemptS) >= 0;
}

void recordSuccess(NetworkState& state, uint32_t nowS, const NetworkPolicy& policy) {
  state.failedAttempts = 0;
  state.nextAttemptS = nowS + policy.publishIntervalS;
}

void recordFailure(NetworkState& state, uint32_t nowS, const NetworkPolicy& policy, uint16_t jitterDraw) {
  if (state.failedAttempts < UINT32_MAX) ++state.failedAttempts;
  state.nextAttemptS = nowS + backoffWaitS(state.failedAttempts, policy, jitterDraw);
}

}  // namespace coldtrail
