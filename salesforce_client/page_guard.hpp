#pragma once
// PageGuard: ends paging that would not end. A query follows nextRecordsUrl
// (REST) or Sforce-Locator (Bulk API 2.0) page after page; a server that
// sends a page URL or locator it sent before would loop forever, and one
// that never says "done" would page until the run deadline. The guard
// refuses a repeated URL or locator ("paging-loop") and the page past a
// cap ("too-large"), both kPermanent: trying again reads the same pages.
// One query; not thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>

#include "table/status.hpp"

namespace reportd::salesforce {

class PageGuard {
 public:
  // `what` names the paging in errors ("nextRecordsUrl", "Bulk result
  // locator"); `max_pages` 0: no cap on the count.
  PageGuard(std::string what, std::uint64_t max_pages)
      : what_(std::move(what)), max_pages_(max_pages) {}

  // Call before fetching the page `next` leads to; the first page is
  // counted already.
  Status follow(std::string_view next);
  std::uint64_t pages() const { return pages_; }

 private:
  std::string what_;
  std::uint64_t max_pages_;
  std::uint64_t pages_ = 1;
  std::unordered_set<std::string> seen_;
};

}  // namespace reportd::salesforce
