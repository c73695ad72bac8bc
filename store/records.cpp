#include "store/records.hpp"

#include <array>
#include <utility>

#include "store/rows.hpp"
#include "store/store.hpp"

namespace reportd::store {
namespace {

template <class E, std::size_t N>
std::optional<E> lookup(const std::array<std::pair<E, std::string_view>, N>& names,
                        std::string_view s) {
  for (const auto& [e, name] : names) {
    if (name == s) return e;
  }
  return std::nullopt;
}

template <class E, std::size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& names, E e) {
  for (const auto& [v, name] : names) {
    if (v == e) return name;
  }
  return "unknown";
}

constexpr std::array<std::pair<ConnectionStatus, std::string_view>, 3> kConnectionStatuses{{
    {ConnectionStatus::kActive, "ok"},
    {ConnectionStatus::kNeedsReauth, "needs-reauth"},
    {ConnectionStatus::kOrgMismatch, "org-mismatch"},
}};

constexpr std::array<std::pair<ScheduleOrigin, std::string_view>, 2> kScheduleOrigins{{
    {ScheduleOrigin::kLocal, "local"},
    {ScheduleOrigin::kSalesforce, "salesforce"},
}};

constexpr std::array<std::pair<DeliveryChannel, std::string_view>, 3> kDeliveryChannels{{
    {DeliveryChannel::kSmtp, "smtp"},
    {DeliveryChannel::kFiles, "files"},
    {DeliveryChannel::kFilesLink, "files-link"},
}};

constexpr std::array<std::pair<SendWhen, std::string_view>, 2> kSendWhens{{
    {SendWhen::kAlways, "always"},
    {SendWhen::kChanged, "changed"},
}};

constexpr std::array<std::pair<SourceKind, std::string_view>, 3> kSourceKinds{{
    {SourceKind::kSoql, "soql"},
    {SourceKind::kReport, "report"},
    {SourceKind::kBulk, "bulk"},
}};

constexpr std::array<std::pair<RunState, std::string_view>, 8> kRunStates{{
    {RunState::kPending, "pending"},
    {RunState::kRunning, "running"},
    {RunState::kDelivering, "delivering"},
    {RunState::kSucceeded, "succeeded"},
    {RunState::kFailed, "failed"},
    {RunState::kSkipped, "skipped"},
    {RunState::kMissed, "missed"},
    {RunState::kCancelled, "cancelled"},
}};

constexpr std::array<std::pair<DeliveryState, std::string_view>, 5> kDeliveryStates{{
    {DeliveryState::kPending, "pending"},
    {DeliveryState::kSending, "sending"},
    {DeliveryState::kSent, "sent"},
    {DeliveryState::kFailed, "failed"},
    {DeliveryState::kRefused, "refused"},
}};

}  // namespace

std::string_view to_string(ConnectionStatus status) { return name_of(kConnectionStatuses, status); }
std::optional<ConnectionStatus> connection_status_from(std::string_view s) {
  return lookup(kConnectionStatuses, s);
}
std::string_view to_string(ScheduleOrigin origin) { return name_of(kScheduleOrigins, origin); }
std::optional<ScheduleOrigin> schedule_origin_from(std::string_view s) {
  return lookup(kScheduleOrigins, s);
}
std::string_view to_string(DeliveryChannel channel) { return name_of(kDeliveryChannels, channel); }
std::optional<DeliveryChannel> delivery_channel_from(std::string_view s) {
  return lookup(kDeliveryChannels, s);
}
std::string_view to_string(SendWhen when) { return name_of(kSendWhens, when); }
std::optional<SendWhen> send_when_from(std::string_view s) { return lookup(kSendWhens, s); }
std::string_view to_string(SourceKind kind) { return name_of(kSourceKinds, kind); }
std::optional<SourceKind> source_kind_from(std::string_view s) { return lookup(kSourceKinds, s); }
std::string_view to_string(RunState state) { return name_of(kRunStates, state); }
std::optional<RunState> run_state_from(std::string_view s) { return lookup(kRunStates, s); }
std::string_view to_string(DeliveryState state) { return name_of(kDeliveryStates, state); }
std::optional<DeliveryState> delivery_state_from(std::string_view s) {
  return lookup(kDeliveryStates, s);
}

std::string join(const std::vector<std::string>& items, char sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += sep;
    out += items[i];
  }
  return out;
}

Status not_found_named(std::string_view what, std::string_view name) {
  return Status::error(ErrorKind::kNotFound,
                       "no " + std::string(what) + " named \"" + std::string(name) + "\"");
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  while (!s.empty()) {
    std::size_t at = s.find(sep);
    std::string_view item = s.substr(0, at);
    if (!item.empty()) out.emplace_back(item);
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + 1);
  }
  return out;
}

std::string to_string(const RunAs& run_as) {
  switch (run_as.kind) {
    case RunAsKind::kOwner:
      return "owner";
    case RunAsKind::kUser:
      return "user:" + run_as.username;
    case RunAsKind::kIntegration:
      break;
  }
  return "integration";
}

std::optional<RunAs> run_as_from(std::string_view s) {
  if (s == "integration") return RunAs{};
  if (s == "owner") return RunAs{RunAsKind::kOwner, {}};
  if (s.size() > 5 && s.substr(0, 5) == "user:") return RunAs{RunAsKind::kUser, std::string(s.substr(5))};
  return std::nullopt;
}

Result<std::int64_t> rewrap_connections(Store& store, const Store::Rewrap& rewrap) {
  std::int64_t count = 0;
  Status st = store.transaction([&](Store& t) -> Status {
    auto all = t.list_connections();
    if (!all.ok()) return std::move(all).status();
    for (const Connection& c : *all) {
      Result<Connection> next = rewrap(c);
      if (!next.ok()) return std::move(next).status().with_context("connection " + c.name);
      if (Status u = t.update_connection_secrets(c.id, next->sealed_refresh_token,
                                                 next->sealed_client_secret, next->key_id);
          !u.ok()) {
        return u;
      }
      if (next->jwt.configured()) {
        if (Status u = t.set_connection_jwt(c.id, next->jwt); !u.ok()) return u;
      }
    }
    count = static_cast<std::int64_t>(all->size());
    return {};
  });
  if (!st.ok()) return st;
  return count;
}

bool is_final(RunState state) {
  switch (state) {
    case RunState::kPending:
    case RunState::kRunning:
    case RunState::kDelivering:
      return false;
    default:
      return true;
  }
}

Schedule ActiveSchedule::schedule() const {
  Schedule s;
  s.id = id;
  s.name = name;
  s.connection_id = connection_id;
  s.cron = cron;
  s.tz = tz;
  s.catchup_seconds = catchup_seconds;
  s.overlap = overlap;
  s.splay_seconds = splay_seconds;
  s.min_interval_seconds = min_interval_seconds;
  s.created_at_ms = created_at_ms;
  return s;
}

}  // namespace reportd::store
