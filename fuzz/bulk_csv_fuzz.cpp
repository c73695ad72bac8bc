// bulk_csv_fuzz: the Bulk API 2.0 CSV parser (CsvParser) on arbitrary
// bytes. The first byte seeds the chunking. Properties: no crash; feeding
// the body in random chunks gives exactly the records (and the verdict)
// that feeding it whole does, so no quote, CR/LF or doubled quote that
// straddles a chunk boundary changes a value.
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_check.hpp"
#include "salesforce_client/csv_parser.hpp"

namespace {

using reportd::Status;
using Records = std::vector<std::vector<std::string>>;

Status parse(std::string_view body, std::mt19937* chunking, Records& out) {
  reportd::salesforce::CsvParser parser([&](std::span<const std::string_view> fields) {
    out.emplace_back(fields.begin(), fields.end());
    return Status();
  });
  while (!body.empty()) {
    std::size_t n = body.size();
    if (chunking != nullptr) n = std::min(n, static_cast<std::size_t>(1 + (*chunking)() % 7));
    if (Status st = parser.feed(body.substr(0, n)); !st.ok()) return st;
    body.remove_prefix(n);
  }
  return parser.finish();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  Records whole, chunked;
  const Status a = parse(body, nullptr, whole);
  std::mt19937 chunking(data[0]);
  const Status b = parse(body, &chunking, chunked);
  FUZZ_CHECK(a.ok() == b.ok());
  if (a.ok()) FUZZ_CHECK(whole == chunked);
  return 0;
}
