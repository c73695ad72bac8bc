// query_page_fuzz: the SOQL select list (parse_select_list, from_object) and
// the REST query page parser (QueryPageParser) on arbitrary bytes.
// Input: the first byte picks one of the select lists below (bit 7 set:
// the rest of the input is itself parsed as a SOQL select list instead);
// the rest is the page. Properties: no crash; every row has one cell per
// column; scan_types() and parse() agree on whether the page is valid and
// on the record count; a cell's type is its column's or null; a page the
// strict way (set_strict) accepts reads the same with the shortcuts (key
// hints, skipped values), which may accept more (a skipped value is not checked).
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_check.hpp"
#include "salesforce_client/query_page.hpp"
#include "salesforce_client/soql_fields.hpp"

namespace {

using reportd::Status;
namespace table = reportd::table;
namespace sf = reportd::salesforce;

constexpr std::string_view kQueries[] = {
    "SELECT Id, Name FROM Account",
    "SELECT Id, Name, Owner.Name, Account.Owner.Email FROM Opportunity",
    "SELECT COUNT(Id) n, StageName FROM Opportunity GROUP BY StageName",
    "SELECT Id, (SELECT Id FROM Contacts), toLabel(Industry) FROM Account",
    "SELECT Amount, CloseDate, IsWon, LastModifiedDate FROM Opportunity",
};

class CheckingSink final : public table::RowSink {
 public:
  explicit CheckingSink(std::size_t columns) : columns_(columns) {}
  Status begin(const table::TableHeader&) override { return {}; }
  Status row(std::span<const table::Cell> cells) override {
    FUZZ_CHECK(cells.size() == columns_);
    ++rows;
    for (const auto& c : cells) {
      log += static_cast<char>('0' + static_cast<int>(c.type));
      log.append(c.text);
      log += '\x1f';
    }
    return {};
  }
  Status end(const table::TableFooter&) override { return {}; }
  std::uint64_t rows = 0;
  std::string log;  // every cell's type and text

 private:
  std::size_t columns_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 0x80) {
    auto fields = sf::parse_select_list(rest);
    if (fields.ok()) FUZZ_CHECK(!fields->empty());
    (void)sf::from_object(rest);
    return 0;
  }
  auto fields = sf::parse_select_list(kQueries[data[0] % std::size(kQueries)]);
  FUZZ_CHECK(fields.ok());
  const std::size_t columns = fields->size();
  sf::QueryPageParser parser(*fields);
  auto types = parser.scan_types(rest);
  CheckingSink sink(columns);
  auto info = parser.parse(rest, sink);
  FUZZ_CHECK(types.ok() == info.ok());
  if (info.ok()) {
    FUZZ_CHECK(types->size() == columns);
    FUZZ_CHECK(info->records == sink.rows);
  }
  sf::QueryPageParser strict(*fields);
  strict.set_strict(true);
  CheckingSink strict_sink(columns);
  auto strict_info = strict.parse(rest, strict_sink);
  if (strict_info.ok()) {
    FUZZ_CHECK(info.ok());
    FUZZ_CHECK(sink.log == strict_sink.log);
    FUZZ_CHECK(info->next_records_url == strict_info->next_records_url);
  }
  return 0;
}
