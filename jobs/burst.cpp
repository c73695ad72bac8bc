#include "jobs/burst.hpp"

namespace reportd::jobs {

std::string burst_user_query(std::string_view address) {
  std::string quoted;
  for (char c : address) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return "SELECT Username FROM User WHERE Email = '" + quoted + "' AND IsActive = true";
}

std::string burst_file_name(std::string_view filename, std::string_view address) {
  constexpr std::size_t kMost = 64;
  std::string safe;
  for (char c : address.substr(0, kMost)) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '@' || c == '.' || c == '-' || c == '_';
    safe += plain ? c : '_';
  }
  const std::size_t dot = filename.rfind('.');
  const std::string_view stem = dot == std::string_view::npos || dot == 0 ? filename : filename.substr(0, dot);
  const std::string_view ext = stem.size() == filename.size() ? std::string_view() : filename.substr(dot);
  return std::string(stem) + "-" + safe + std::string(ext);
}

Status UsernameSink::begin(const table::TableHeader&) { return {}; }

Status UsernameSink::row(std::span<const table::Cell> cells) {
  if (!cells.empty() && cells[0].type != table::CellType::kNull) usernames_.emplace_back(cells[0].text);
  return {};
}

Status UsernameSink::end(const table::TableFooter&) { return {}; }

Status burst_refusal(std::string_view address, std::size_t matches) {
  const std::string who(address);
  if (matches == 0) {
    return Status::error(
        ErrorKind::kPermanent,
        who + " is not an active user of this Salesforce org, so the burst sent them nothing "
              "(a burst sends each recipient only what they may see themselves). An admin should "
              "remove " + who + " from the recipients, or give them an active user with this "
              "email address",
        "burst-not-a-user");
  }
  return Status::error(
      ErrorKind::kPermanent,
      std::to_string(matches) + " active users of this Salesforce org have the email address " +
          who + ", so whose view to send is unclear and the burst sent them nothing. An admin "
                "should leave that address on one active user only",
      "burst-ambiguous-user");
}

void BurstTally::problem(const Status& st) {
  if (first_problem.ok()) first_problem = st;
}

Status BurstTally::outcome() const {
  if (refused == 0 && failed == 0) return {};
  std::string text = "burst: " + std::to_string(sent) + " of " + std::to_string(recipients) +
                     " recipients sent";
  if (refused > 0) text += ", " + std::to_string(refused) + " refused";
  if (failed > 0) text += ", " + std::to_string(failed) + " failed";
  if (skipped > 0) text += ", " + std::to_string(skipped) + " skipped";
  text += " (`reportd runs show` lists each); first: " + first_problem.message();
  return Status::error(ErrorKind::kPermanent, std::move(text), first_problem.code());
}

}  // namespace reportd::jobs
