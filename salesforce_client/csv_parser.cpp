#include "salesforce_client/csv_parser.hpp"

#include "table/wipe.hpp"

namespace reportd::salesforce {

CsvParser::CsvParser(OnRecord on_record, char delimiter)
    : on_record_(std::move(on_record)), delimiter_(delimiter) {}

CsvParser::~CsvParser() { wipe(record_); }

void CsvParser::reset() {
  state_ = State::kFieldStart;
  record_.clear();
  ends_.clear();
  any_ = false;
}

void CsvParser::end_field() { ends_.push_back(record_.size()); }

Status CsvParser::end_record() {
  end_field();
  views_.clear();
  std::size_t begin = 0;
  for (std::size_t end : ends_) {
    views_.emplace_back(record_.data() + begin, end - begin);
    begin = end;
  }
  Status s = on_record_(views_);
  record_.clear();
  ends_.clear();
  any_ = false;
  state_ = State::kFieldStart;
  return s;
}

Status CsvParser::feed(std::string_view chunk) {
  for (std::size_t i = 0; i < chunk.size(); ++i) {
    const char c = chunk[i];
    switch (state_) {
      case State::kAfterCr:
        state_ = State::kFieldStart;
        if (c == '\n') continue;  // CRLF already ended the record
        [[fallthrough]];
      case State::kFieldStart:
        if (c == '"') {
          state_ = State::kQuoted;
          any_ = true;
        } else if (c == delimiter_) {
          end_field();
          any_ = true;
        } else if (c == '\n' || c == '\r') {
          if (any_) {
            if (Status s = end_record(); !s.ok()) return s;
          }
          state_ = c == '\r' ? State::kAfterCr : State::kFieldStart;
        } else {
          record_.push_back(c);
          state_ = State::kUnquoted;
          any_ = true;
        }
        break;
      case State::kUnquoted:
        if (c == delimiter_) {
          end_field();
          state_ = State::kFieldStart;
        } else if (c == '\n' || c == '\r') {
          if (Status s = end_record(); !s.ok()) return s;
          state_ = c == '\r' ? State::kAfterCr : State::kFieldStart;
        } else {
          record_.push_back(c);
        }
        break;
      case State::kQuoted: {
        // Copy the run up to the next quote in one go: this is the hot loop.
        std::size_t q = chunk.find('"', i);
        if (q == std::string_view::npos) {
          record_.append(chunk.data() + i, chunk.size() - i);
          i = chunk.size() - 1;
        } else {
          record_.append(chunk.data() + i, q - i);
          i = q;
          state_ = State::kQuoteInQuoted;
        }
        break;
      }
      case State::kQuoteInQuoted:
        if (c == '"') {
          record_.push_back('"');
          state_ = State::kQuoted;
        } else if (c == delimiter_) {
          end_field();
          state_ = State::kFieldStart;
        } else if (c == '\n' || c == '\r') {
          if (Status s = end_record(); !s.ok()) return s;
          state_ = c == '\r' ? State::kAfterCr : State::kFieldStart;
        } else {
          // Lenient: text after a closing quote joins the field.
          record_.push_back(c);
          state_ = State::kUnquoted;
        }
        break;
    }
  }
  return {};
}

Status CsvParser::finish() {
  if (state_ == State::kQuoted)
    return Status::error(ErrorKind::kTransient, "salesforce: CSV ends inside a quoted field",
                         "bad-csv");
  if (any_ || state_ == State::kUnquoted || state_ == State::kQuoteInQuoted) {
    if (Status s = end_record(); !s.ok()) return s;
  }
  state_ = State::kFieldStart;
  return {};
}

}  // namespace reportd::salesforce
