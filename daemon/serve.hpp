#pragma once
// `reportd serve`: the daemon's event loop. main() wires the store, keys and
// config into it; it runs until SIGTERM or SIGINT, reloads on SIGHUP, and
// records a heartbeat in the store that `reportd status` reads.

#include <cstdint>

namespace reportd::daemon {

// How often the daemon records that it is alive.
inline constexpr std::int64_t kHeartbeatMs = 5000;

}  // namespace reportd::daemon
