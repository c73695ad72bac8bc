#pragma once
// What both engines share: the column lists of each table and the code that
// reads a row into a record or binds a record's fields. `Row` is sqlite's
// Stmt or a PgRow, `Params` sqlite's Stmt or PgParams: both have int64(col),
// text(col), blob(col) and bind(i, value). Flags are stored as 0/1.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/records.hpp"
#include "table/status.hpp"

namespace reportd::store {

// Joins and splits the list columns (formats, recipients, domains).
std::string join(const std::vector<std::string>& items, char sep);
std::vector<std::string> split(std::string_view s, char sep);

// "no connection named \"x\"": what a lookup by name says when it finds nothing.
Status not_found_named(std::string_view what, std::string_view name);

inline constexpr const char* kConnectionColumns =
    "SELECT id, name, login_url, client_id, client_secret, org_id, instance_url, "
    "refresh_token, key_id, status, status_reason, allowed_domains, created_at_ms, generation, "
    "jwt_client_id, jwt_key, jwt_key_sha256, jwt_cert_sha256 FROM connections ";

template <class Row>
Connection read_connection(const Row& q) {
  Connection c;
  c.id = q.int64(0);
  c.name = q.text(1);
  c.login_url = q.text(2);
  c.client_id = q.text(3);
  c.sealed_client_secret = q.blob(4);
  c.org_id = q.text(5);
  c.instance_url = q.text(6);
  c.sealed_refresh_token = q.blob(7);
  c.key_id = q.text(8);
  // The CHECK constraint admits only known words.
  c.status = connection_status_from(q.text(9)).value_or(ConnectionStatus::kNeedsReauth);
  c.status_reason = q.text(10);
  c.allowed_domains = split(q.text(11), '\n');
  c.created_at_ms = q.int64(12);
  c.generation = q.int64(13);
  c.jwt.client_id = q.text(14);
  c.jwt.sealed_key = q.blob(15);
  c.jwt.key_sha256 = q.text(16);
  c.jwt.cert_sha256 = q.text(17);
  return c;
}

inline constexpr const char* kSetConnectionJwt =
    "UPDATE connections SET jwt_client_id = ?, jwt_key = ?, jwt_key_sha256 = ?, "
    "jwt_cert_sha256 = ? WHERE id = ?";

template <class Params>
void bind_jwt(Params& q, const JwtSetting& jwt, std::int64_t id) {
  q.bind(1, jwt.client_id).bind(2, std::span<const std::uint8_t>(jwt.sealed_key));
  q.bind(3, jwt.key_sha256).bind(4, jwt.cert_sha256).bind(5, id);
}

inline constexpr const char* kScheduleColumns =
    "SELECT id, name, connection_id, origin, sf_record_id, cron, tz, source_kind, source, "
    "formats, recipients, subject, send_when_empty, min_rows, files_target, paused, "
    "pause_reason, catchup_seconds, overlap, splay_seconds, min_interval_seconds, "
    "created_at_ms, owner_email, body, send_when, run_as, owner_username, burst FROM schedules ";

// The columns that add_schedule inserts, in bind_schedule's order;
// created_at_ms (insert) or the id (update) is parameter kScheduleLastParam.
inline constexpr int kScheduleLastParam = 27;
inline constexpr const char* kInsertSchedule =
    "INSERT INTO schedules (name, connection_id, origin, sf_record_id, cron, tz, "
    "source_kind, source, formats, recipients, subject, send_when_empty, min_rows, "
    "files_target, paused, pause_reason, catchup_seconds, overlap, splay_seconds, "
    "min_interval_seconds, owner_email, body, send_when, run_as, owner_username, burst, "
    "created_at_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

// update_schedule's statement: bind_schedule, then the id as kScheduleLastParam.
inline constexpr const char* kUpdateSchedule =
    "UPDATE schedules SET name=?, connection_id=?, origin=?, sf_record_id=?, cron=?, tz=?, "
    "source_kind=?, source=?, formats=?, recipients=?, subject=?, send_when_empty=?, "
    "min_rows=?, files_target=?, paused=?, pause_reason=?, catchup_seconds=?, overlap=?, "
    "splay_seconds=?, min_interval_seconds=?, owner_email=?, body=?, send_when=?, run_as=?, "
    "owner_username=?, burst=? WHERE id=?";

template <class Row>
Schedule read_schedule(const Row& q) {
  Schedule s;
  s.id = q.int64(0);
  s.name = q.text(1);
  s.connection_id = q.int64(2);
  s.origin = schedule_origin_from(q.text(3)).value_or(ScheduleOrigin::kLocal);
  s.sf_record_id = q.text(4);
  s.cron = q.text(5);
  s.tz = q.text(6);
  s.source_kind = source_kind_from(q.text(7)).value_or(SourceKind::kSoql);
  s.source = q.text(8);
  s.formats = split(q.text(9), ',');
  s.recipients = split(q.text(10), '\n');
  s.subject = q.text(11);
  s.send_when_empty = q.int64(12) != 0;
  s.min_rows = q.int64(13);
  s.files_target = q.text(14);
  s.paused = q.int64(15) != 0;
  s.pause_reason = q.text(16);
  s.catchup_seconds = q.int64(17);
  s.overlap = q.text(18) == "queue" ? Overlap::kQueue : Overlap::kSkip;
  s.splay_seconds = q.int64(19);
  s.min_interval_seconds = q.int64(20);
  s.created_at_ms = q.int64(21);
  s.owner_email = q.text(22);
  s.body = q.text(23);
  s.send_when = send_when_from(q.text(24)).value_or(SendWhen::kAlways);
  // The CHECK constraint admits only the known forms.
  s.run_as = run_as_from(q.text(25)).value_or(RunAs{});
  s.owner_username = q.text(26);
  s.burst = q.int64(27) != 0;
  return s;
}

// Binds parameters 1..26 in the column order of kScheduleColumns minus id
// and created_at_ms.
template <class Params>
void bind_schedule(Params& q, const Schedule& s) {
  q.bind(1, s.name).bind(2, s.connection_id).bind(3, to_string(s.origin)).bind(4, s.sf_record_id);
  q.bind(5, s.cron).bind(6, s.tz).bind(7, to_string(s.source_kind)).bind(8, s.source);
  q.bind(9, join(s.formats, ',')).bind(10, join(s.recipients, '\n')).bind(11, s.subject);
  q.bind(12, std::int64_t{s.send_when_empty}).bind(13, s.min_rows).bind(14, s.files_target);
  q.bind(15, std::int64_t{s.paused}).bind(16, s.pause_reason).bind(17, s.catchup_seconds);
  q.bind(18, s.overlap == Overlap::kQueue ? "queue" : "skip");
  q.bind(19, s.splay_seconds).bind(20, s.min_interval_seconds);
  q.bind(21, s.owner_email).bind(22, s.body).bind(23, to_string(s.send_when));
  q.bind(24, to_string(s.run_as)).bind(25, s.owner_username).bind(26, std::int64_t{s.burst});
}

inline constexpr const char* kRunColumns =
    "SELECT id, schedule_id, nominal_s, state, reason, error_code, attempt, claimed_at_ms, "
    "started_at_ms, finished_at_ms, disposed_at_ms, rows, bytes, truncated, ran_as, "
    "scratch_reserved FROM runs ";

template <class Row>
Run read_run(const Row& q) {
  Run r;
  r.id = q.int64(0);
  r.schedule_id = q.int64(1);
  r.nominal_s = q.int64(2);
  r.state = run_state_from(q.text(3)).value_or(RunState::kFailed);
  r.reason = q.text(4);
  r.error_code = q.text(5);
  r.attempt = q.int64(6);
  r.claimed_at_ms = q.int64(7);
  r.started_at_ms = q.int64(8);
  r.finished_at_ms = q.int64(9);
  r.disposed_at_ms = q.int64(10);
  r.rows = q.int64(11);
  r.bytes = q.int64(12);
  r.truncated = q.int64(13) != 0;
  r.ran_as = q.text(14);
  r.scratch_reserved = q.int64(15);
  return r;
}

// claim_occurrences' statement: parameters nominal_s, state, reason,
// claimed_at_ms, schedule_id. Selecting from schedules inserts nothing for a
// schedule removed meanwhile (its foreign key would fail the whole batch).
inline constexpr const char* kClaimIfScheduled =
    "INSERT INTO runs (schedule_id, nominal_s, state, reason, claimed_at_ms) "
    "SELECT id, ?, ?, ?, ? FROM schedules WHERE id = ? "
    "ON CONFLICT (schedule_id, nominal_s) DO NOTHING";

// list_active_schedules' query. The latest run is one index seek per
// schedule, so its cost follows the number of schedules, not the run
// history (a GROUP BY over runs reads every run ever claimed).
inline constexpr const char* kActiveSchedules =
    "SELECT id, name, connection_id, cron, tz, catchup_seconds, overlap, splay_seconds, "
    "min_interval_seconds, created_at_ms, "
    "(SELECT max(nominal_s) FROM runs WHERE runs.schedule_id = schedules.id) "
    "FROM schedules WHERE NOT paused";

template <class Row>
ActiveSchedule read_active_schedule(const Row& q) {
  ActiveSchedule a;
  a.id = q.int64(0);
  a.name = q.text(1);
  a.connection_id = q.int64(2);
  a.cron = q.text(3);
  a.tz = q.text(4);
  a.catchup_seconds = q.int64(5);
  a.overlap = q.text(6) == "queue" ? Overlap::kQueue : Overlap::kSkip;
  a.splay_seconds = q.int64(7);
  a.min_interval_seconds = q.int64(8);
  a.created_at_ms = q.int64(9);
  if (!q.is_null(10)) a.last_nominal_s = q.int64(10);
  return a;
}

// update_run's statement and its parameters.
inline constexpr const char* kUpdateRun =
    "UPDATE runs SET state=?, reason=?, error_code=?, attempt=?, started_at_ms=?, "
    "finished_at_ms=?, disposed_at_ms=?, rows=?, bytes=?, truncated=?, ran_as=?, "
    "scratch_reserved=? WHERE id=?";

template <class Params>
void bind_run(Params& q, const Run& r) {
  q.bind(1, to_string(r.state)).bind(2, r.reason).bind(3, r.error_code).bind(4, r.attempt);
  q.bind(5, r.started_at_ms).bind(6, r.finished_at_ms).bind(7, r.disposed_at_ms);
  q.bind(8, r.rows).bind(9, r.bytes).bind(10, std::int64_t{r.truncated}).bind(11, r.ran_as);
  q.bind(12, r.scratch_reserved).bind(13, r.id);
}

inline constexpr const char* kDeliveryColumns =
    "SELECT id, run_id, channel, recipient, state, message_id, content_document_id, error, "
    "updated_at_ms, rows, ran_as FROM deliveries ";

template <class Row>
Delivery read_delivery(const Row& q) {
  Delivery d;
  d.id = q.int64(0);
  d.run_id = q.int64(1);
  d.channel = delivery_channel_from(q.text(2)).value_or(DeliveryChannel::kSmtp);
  d.recipient = q.text(3);
  d.state = delivery_state_from(q.text(4)).value_or(DeliveryState::kFailed);
  d.message_id = q.text(5);
  d.content_document_id = q.text(6);
  d.error = q.text(7);
  d.updated_at_ms = q.int64(8);
  d.rows = q.int64(9);
  d.ran_as = q.text(10);
  return d;
}

inline constexpr const char* kPendingColumns =
    "SELECT state, name, login_url, client_id, redirect_uri, sealed_secrets, key_id, "
    "created_at_ms, expires_at_ms, outcome FROM pending_authorizations ";

template <class Row>
PendingAuthorization read_pending(const Row& q) {
  PendingAuthorization p;
  p.state = q.text(0);
  p.name = q.text(1);
  p.login_url = q.text(2);
  p.client_id = q.text(3);
  p.redirect_uri = q.text(4);
  p.sealed_secrets = q.blob(5);
  p.key_id = q.text(6);
  p.created_at_ms = q.int64(7);
  p.expires_at_ms = q.int64(8);
  p.outcome = q.text(9);
  return p;
}

}  // namespace reportd::store
