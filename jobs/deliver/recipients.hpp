#pragma once
// Recipient addresses and the domains a connection may mail: the one place
// where a list of them is split and checked (the CLI's --to and
// --allowed-domains, Recipients__c, the config, the owners that get notices)
// and the check every message makes where it leaves (DESIGN.md §4.4).
// Pure; any thread.

#include <string>
#include <string_view>
#include <vector>

#include "table/status.hpp"

namespace reportd::deliver {

// A recipient list: items separated by commas, semicolons or white space,
// trimmed, each a valid address (validate_address) with its domain
// lower-cased; an address given twice (ignoring case) is kept once. Empty
// text gives an empty list. Error (kInvalidArgument, code "bad-address")
// names the first bad entry and what is wrong with it.
Result<std::vector<std::string>> split_recipients(std::string_view text);

// One address on its own (an owner, the operator): as split_recipients()
// with exactly one item.
Result<std::string> parse_address(std::string_view text);

// A domain list ("acme.com, acme.co.uk"): the same separators, lower-cased,
// each checked by check_domain(). Error names the bad entry.
Result<std::vector<std::string>> split_domains(std::string_view text);

// Ok when `domain` is a dotted ASCII host name ("acme.co.uk"), compared
// without case; the message says what is wrong.
Status check_domain(std::string_view domain);

// The part after the last '@', lower-cased.
std::string domain_of(std::string_view address);

// Which recipient domains one schedule may mail, decided once per message.
struct DomainPolicy {
  std::vector<std::string> domains;  // lower-case; empty: see `required`
  // A list is required (schedules synced from Salesforce): an empty one
  // allows nothing. Otherwise (local schedules) an empty one allows any.
  bool required = false;
};

// Ok when `address` may be mailed under `policy`. Otherwise kPermanent with
// code "recipient-not-allowed" (outside the list) or "no-allowed-domains"
// (a list is required and there is none); the message names the address,
// the list and what the operator can do.
Status check_recipient(std::string_view address, const DomainPolicy& policy);

}  // namespace reportd::deliver
