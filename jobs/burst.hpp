#pragma once
// Bursting (DESIGN.md §4.9, issue #16): each recipient of a burst schedule
// who is an active user of the org gets the report run as themselves; a
// recipient who is not is refused, never sent another user's view. The
// pure parts: how a recipient's user is looked up (as the integration
// user), what a refusal says, and how a burst's recipients add up to the
// run's outcome. RunPipeline::burst (run_burst.cpp) acts on them.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "table/status.hpp"
#include "table/table.hpp"

namespace reportd::jobs {

// The SOQL that finds the active users whose Email is `address`.
std::string burst_user_query(std::string_view address);

// Collects the first column (Username) of burst_user_query()'s rows.
class UsernameSink final : public table::RowSink {
 public:
  Status begin(const table::TableHeader& header) override;
  Status row(std::span<const table::Cell> cells) override;
  Status end(const table::TableFooter& footer) override;
  const std::vector<std::string>& usernames() const { return usernames_; }

 private:
  std::vector<std::string> usernames_;
};

// The name a dry run (--out DIR) gives one recipient's copy of output
// `filename`: the recipient's address, made safe for a file name (letters,
// digits, '@', '.', '-', '_'; anything else '_'; at most 64 characters),
// before the extension: "Accounts.csv", "ann@acme.com" ->
// "Accounts-ann@acme.com.csv". Schedule configuration, never record values.
std::string burst_file_name(std::string_view filename, std::string_view address);

// Why `address` gets nothing: no active user of the org (`matches` 0), or
// several (`matches` > 1, so whose view is unclear). kPermanent, code
// "burst-not-a-user" / "burst-ambiguous-user"; names the recipient and
// what the admin should change.
Status burst_refusal(std::string_view address, std::size_t matches);

// How a burst's recipients went, added up for the run's row.
struct BurstTally {
  std::size_t recipients = 0;
  std::size_t sent = 0;      // sent now or by an earlier attempt
  std::size_t refused = 0;   // not a user, or Salesforce refused to act as them
  std::size_t skipped = 0;   // their report failed the send condition (no rows, minimum)
  std::size_t failed = 0;    // the relay refused the message for good
  std::int64_t rows = 0;     // rows of the reports made for them
  std::int64_t bytes = 0;
  bool truncated = false;
  Status first_problem;      // the first refusal or failure, for the run's reason

  void problem(const Status& st);
  // Ok when nobody was refused and no message failed; else kPermanent with
  // the counts and the first reason, code that reason's code.
  Status outcome() const;
};

}  // namespace reportd::jobs
