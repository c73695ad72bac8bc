#pragma once
// The DOM of a Reports API run result, built with Boost.JSON's SAX parser,
// in which each detail row's dataCells array (factMap.<key>.rows[i].dataCells)
// is one string of packed cells instead of an array of {label, value}
// objects: about one allocation per row instead of six per cell, so the
// 2,000-row result takes a fraction of the memory a plain DOM would.
// Everything else is the plain DOM. Pure functions; no executor.

#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <string_view>

#include "table/status.hpp"

namespace reportd::salesforce {

// Parses `body` with `sp` for the document and the parser's own stack
// (a zeroing resource: both hold record values). A dataCells value that is
// not an array becomes null. Fails (kPermanent, "bad-report") on bad JSON.
Result<boost::json::value> parse_report_dom(std::string_view body, boost::json::storage_ptr sp);

// One detail cell as the run result had it.
struct ReportCell {
  enum class Value : std::uint8_t {
    kMissing,  // the element was not an object
    kNull,     // no value, null, or {"amount": null}
    kNumber,   // a number, or {"amount": N} (currency)
    kBool,
    kString,
    kOther,  // any other object, or an array
  };
  Value value = Value::kMissing;
  std::string_view label;  // the "label" string, or empty
  double number = 0;
  bool boolean = false;
  std::string_view text;  // kString
};

// Reads the cells of one packed dataCells string, in order.
class PackedCells {
 public:
  explicit PackedCells(std::string_view packed) : rest_(packed) {}
  // The next cell; false past the last one.
  bool next(ReportCell& cell);

 private:
  std::string_view rest_;
};

}  // namespace reportd::salesforce
