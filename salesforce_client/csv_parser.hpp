#pragma once
// CsvParser: incremental RFC 4180 parser for Bulk API 2.0 results. Takes the
// body in arbitrary chunks (quotes, doubled quotes, CR/LF and newlines inside
// quoted fields may straddle chunk boundaries) and calls back once per
// record. Owns one record's field storage. Plain object; no executor.

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "table/status.hpp"

namespace reportd::salesforce {

class CsvParser {
 public:
  // Called with the fields of each complete record; views are valid during
  // the call only. A non-ok Status stops parsing.
  using OnRecord = std::function<Status(std::span<const std::string_view> fields)>;

  explicit CsvParser(OnRecord on_record, char delimiter = ',');
  ~CsvParser();  // zeroes the record buffer (record values)
  CsvParser(const CsvParser&) = delete;
  CsvParser& operator=(const CsvParser&) = delete;

  // Feeds the next piece of the input.
  Status feed(std::string_view chunk);
  // Ends the input; emits a last record without a trailing newline. Fails
  // (kTransient) when a quoted field is still open.
  Status finish();
  // Starts over for a new document (keeps capacity).
  void reset();

 private:
  enum class State { kFieldStart, kUnquoted, kQuoted, kQuoteInQuoted, kAfterCr };
  Status end_record();
  void end_field();

  OnRecord on_record_;
  char delimiter_;
  State state_ = State::kFieldStart;
  std::string record_;             // field bytes back to back
  std::vector<std::size_t> ends_;  // end offset of each field in record_
  std::vector<std::string_view> views_;
  bool any_ = false;  // the current record has content
};

}  // namespace reportd::salesforce
