#pragma once
// What a customer reads about a run on their schedule record
// (Last_Error__c): a text chosen by the run's error code from one table,
// with the code, never the operator's detail (relay host, config hints,
// store errors, paths). That detail stays in the run's reason, which the
// daemon's log and `reportd runs show` carry. Pure; any thread.

#include <string>

#include "store/records.hpp"

namespace reportd::sync {

struct CustomerError {
  std::string code;  // the run's error code, e.g. "recipient-not-allowed"; empty: none
  std::string text;  // what the customer can read and do; empty: nothing to say
};

// The customer's view of how `run` ended (its state, error_code, reason and
// id). Failed runs: the table's text for the code (a Salesforce errorCode,
// an SMTP code, one of reportd's), else a generic text naming the run id.
// Skipped and missed runs: their reason, which reportd builds from counts
// and times only. Cancelled runs: a fixed text (the pause reason is the
// operator's). Succeeded runs: only the truncation note.
CustomerError customer_error(const store::Run& run);

// Last_Error__c: "TEXT (code CODE)", just TEXT without a code, or empty
// (written as null) when there is nothing to say.
std::string customer_error_text(const store::Run& run);

}  // namespace reportd::sync
