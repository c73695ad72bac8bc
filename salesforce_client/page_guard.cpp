#include "salesforce_client/page_guard.hpp"

namespace reportd::salesforce {

Status PageGuard::follow(std::string_view next) {
  if (!seen_.emplace(next).second) {
    return Status::error(ErrorKind::kPermanent,
                         "salesforce: paging loops: the " + what_ + " after page " +
                             std::to_string(pages_) +
                             " is one Salesforce sent before, so the query would never end; "
                             "the run stops here (run it again later; if it repeats, the org's "
                             "query cursor is broken: report it to Salesforce support)",
                         "paging-loop");
  }
  if (max_pages_ != 0 && pages_ >= max_pages_) {
    return Status::error(ErrorKind::kPermanent,
                         "salesforce: the query needs more than " + std::to_string(max_pages_) +
                             " pages, more than limits.max_rows_per_run allows: narrow the "
                             "query, or raise limits.max_rows_per_run in the config file",
                         "too-large");
  }
  ++pages_;
  return {};
}

}  // namespace reportd::salesforce
