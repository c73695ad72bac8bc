// json_sax_fuzz: JsonSax (the query pages' JSON parser) against
// boost::json::basic_parser on arbitrary bytes. Properties: no crash; both
// accept or both refuse the text; when both accept, the same callbacks in
// the same order with the same keys, strings, number texts and values.
#include <string_view>

#include "fuzz/fuzz_check.hpp"
#include "fuzz/json_sax_diff.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  FUZZ_CHECK(reportd::salesforce::json_sax_diff::compare(text).empty());
  return 0;
}
