#pragma once
// QueryPageParser: streams one REST query page ({totalSize, done,
// nextRecordsUrl, records:[...]}) into a RowSink with JsonSax (json_sax.hpp:
// Boost.JSON's SAX callbacks), without building a DOM. Relationship fields are flattened by the
// select-list paths; a null parent leaves its cells null. Owns one row of
// cell storage, reused for every record. Plain object; no executor.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "salesforce_client/soql_fields.hpp"
#include "table/status.hpp"
#include "table/table.hpp"

namespace reportd::salesforce {

struct QueryPageInfo {
  std::uint64_t total_size = 0;
  bool done = false;
  std::string next_records_url;  // empty on the last page
  std::uint64_t records = 0;     // records in this page
};

class QueryPageParser {
 public:
  explicit QueryPageParser(std::vector<SelectField> fields);
  ~QueryPageParser();
  QueryPageParser(const QueryPageParser&) = delete;
  QueryPageParser& operator=(const QueryPageParser&) = delete;

  // Column types seen in `page`: for each column the type of its first
  // non-null cell, kString when all are null. Calls no sink.
  Result<std::vector<table::CellType>> scan_types(std::string_view page);

  // Calls sink.row() once per record in `page`. A non-ok Status from the
  // sink stops parsing and is returned as is.
  Result<QueryPageInfo> parse(std::string_view page, table::RowSink& sink);

  // Strict: every value is parsed and checked, none skipped, no key hinted
  // (for tests that compare the two ways). Default: values no column takes
  // are only delimited (json_sax.hpp).
  void set_strict(bool strict);

  const std::vector<SelectField>& fields() const { return fields_; }

 private:
  struct Handler;
  struct Impl;
  Result<QueryPageInfo> run(std::string_view page, table::RowSink* sink,
                            std::vector<table::CellType>* types);
  std::vector<SelectField> fields_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace reportd::salesforce
