// report_fuzz: the Reports API result parser (emit_report) on arbitrary
// bytes. Properties: no crash; begin() once before any row and end() once
// after the last, or neither when the body is refused; every row has one
// cell per column.
#include <string_view>

#include "fuzz/fuzz_check.hpp"
#include "salesforce_client/report_parser.hpp"

namespace {

using reportd::Status;
namespace table = reportd::table;

class CheckingSink final : public table::RowSink {
 public:
  Status begin(const table::TableHeader& header) override {
    FUZZ_CHECK(begins == 0 && ends == 0);
    ++begins;
    columns = header.columns.size();
    return {};
  }
  Status row(std::span<const table::Cell> cells) override {
    FUZZ_CHECK(begins == 1 && ends == 0);
    FUZZ_CHECK(cells.size() == columns);
    return {};
  }
  Status end(const table::TableFooter&) override {
    FUZZ_CHECK(begins == 1 && ends == 0);
    ++ends;
    return {};
  }
  int begins = 0;
  int ends = 0;
  std::size_t columns = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  CheckingSink sink;
  const Status st = reportd::salesforce::emit_report(
      std::string_view(reinterpret_cast<const char*>(data), size), sink);
  if (st.ok()) FUZZ_CHECK(sink.begins == 1 && sink.ends == 1);
  if (!st.ok()) FUZZ_CHECK(!st.message().empty());
  return 0;
}
