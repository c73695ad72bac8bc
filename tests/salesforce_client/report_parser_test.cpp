#include "salesforce_client/report_parser.hpp"

#include <doctest/doctest.h>

#include "test_sinks.hpp"

using namespace reportd;
using namespace reportd::salesforce;
using R = std::vector<std::string>;

namespace {
constexpr std::string_view kTabular = R"j({
 "attributes":{"type":"Report","reportId":"00O1","reportName":"Opps"},
 "allData":false,"hasDetailRows":true,
 "factMap":{"T!T":{"aggregates":[{"label":"2","value":2}],
   "rows":[{"dataCells":[{"label":"Acme","value":"006A"},{"label":"$140,000.00","value":{"amount":140000,"currency":null}},
                         {"label":"10/22/2013","value":"2013-10-22"},{"label":"50%","value":50},{"label":"-","value":null}]},
           {"dataCells":[{"label":"Beta","value":"006B"},{"label":"-","value":{"amount":null,"currency":null}},
                         {"label":"-","value":null},{"label":"12.5%","value":12.5},{"label":"Call","value":"Call"}]}]}},
 "groupingsDown":{"groupings":[]},"groupingsAcross":{"groupings":[]},
 "reportMetadata":{"reportFormat":"TABULAR","detailColumns":["OPPORTUNITY_NAME","AMOUNT","CLOSE_DATE","PROBABILITY","NEXT_STEP"],"groupingsDown":[]},
 "reportExtendedMetadata":{"detailColumnInfo":{
   "OPPORTUNITY_NAME":{"dataType":"string","label":"Opportunity Name"},"AMOUNT":{"dataType":"currency","label":"Amount"},
   "CLOSE_DATE":{"dataType":"date","label":"Close Date"},"PROBABILITY":{"dataType":"percent","label":"Probability (%)"},
   "NEXT_STEP":{"dataType":"string","label":"Next Step"}}}})j";

constexpr std::string_view kSummary = R"j({
 "attributes":{"reportName":"By stage"},"allData":true,
 "groupingsDown":{"groupings":[
   {"key":"0","label":"Closed Won","value":"Closed Won","groupings":[
      {"key":"0_0","label":"Web","value":"Web","groupings":[]},{"key":"0_1","label":"Phone","value":"Phone","groupings":[]}]},
   {"key":"1","label":"Prospecting","value":"Prospecting","groupings":[
      {"key":"1_0","label":"Web","value":"Web","groupings":[]}]}]},
 "groupingsAcross":{"groupings":[]},
 "factMap":{"T!T":{"aggregates":[]},"0!T":{"rows":[{"dataCells":[{"label":"dup","value":"dup"}]}]},
   "0_0!T":{"rows":[{"dataCells":[{"label":"A","value":"A"}]},{"dataCells":[{"label":"B","value":"B"}]}]},
   "0_1!T":{"rows":[{"dataCells":[{"label":"C","value":"C"}]}]},
   "1_0!T":{"rows":[{"dataCells":[{"label":"D","value":"D"}]}]}},
 "reportMetadata":{"reportFormat":"SUMMARY","detailColumns":["OPPORTUNITY_NAME"],
   "groupingsDown":[{"name":"STAGE_NAME"},{"name":"LEAD_SOURCE"}]},
 "reportExtendedMetadata":{"detailColumnInfo":{"OPPORTUNITY_NAME":{"dataType":"string","label":"Opportunity Name"}},
   "groupingColumnInfo":{"STAGE_NAME":{"label":"Stage"},"LEAD_SOURCE":{"label":"Lead Source"}}}})j";

constexpr std::string_view kMatrix = R"j({
 "attributes":{"reportName":"Matrix"},"allData":true,
 "groupingsDown":{"groupings":[{"key":"0","label":"East"},{"key":"1","label":"West"}]},
 "groupingsAcross":{"groupings":[{"key":"0","label":"2023"},{"key":"1","label":"2024"}]},
 "factMap":{"0!0":{"rows":[{"dataCells":[{"label":"1","value":1}]}]},"0!1":{"rows":[]},
   "1!1":{"rows":[{"dataCells":[{"label":"2","value":2}]},{"dataCells":[{"label":"3","value":3}]}]},"T!T":{"aggregates":[]}},
 "reportMetadata":{"reportFormat":"MATRIX","detailColumns":["QTY"],
   "groupingsDown":[{"name":"REGION"}],"groupingsAcross":[{"name":"YEAR"}]},
 "reportExtendedMetadata":{"detailColumnInfo":{"QTY":{"dataType":"int","label":"Quantity"}},
   "groupingColumnInfo":{"REGION":{"label":"Region"},"YEAR":{"label":"Year"}}}})j";
}  // namespace

TEST_CASE("report: tabular rows, labels from detailColumnInfo, allData:false is truncated") {
  testing::RecordingSink sink;
  REQUIRE(emit_report(kTabular, sink).ok());
  CHECK(sink.header.name == "Opps");
  std::vector<std::string> labels;
  for (const auto& c : sink.header.columns) labels.push_back(c.label);
  CHECK(labels == R{"Opportunity Name", "Amount", "Close Date", "Probability (%)", "Next Step"});
  CHECK(sink.header.columns[1].type == table::CellType::kNumber);
  REQUIRE(sink.rows.size() == 2);
  CHECK(sink.rows[0] == R{"Acme", "140000", "2013-10-22", "50", "<null>"});
  CHECK(sink.types[0][2] == table::CellType::kDate);
  CHECK(sink.rows[1] == R{"Beta", "<null>", "<null>", "12.5", "Call"});
  CHECK(sink.footer.rows == 2);
  CHECK(sink.footer.truncated);
}

TEST_CASE("report: summary groupings become leading columns, deepest level only") {
  testing::RecordingSink sink;
  REQUIRE(emit_report(kSummary, sink).ok());
  CHECK(sink.column_names() == R{"STAGE_NAME", "LEAD_SOURCE", "OPPORTUNITY_NAME"});
  CHECK(sink.header.columns[0].label == "Stage");
  CHECK(sink.rows == std::vector<R>{{"Closed Won", "Web", "A"},
                                    {"Closed Won", "Web", "B"},
                                    {"Closed Won", "Phone", "C"},
                                    {"Prospecting", "Web", "D"}});
  CHECK_FALSE(sink.footer.truncated);
}

TEST_CASE("report: matrix rows carry down and across groupings") {
  testing::RecordingSink sink;
  REQUIRE(emit_report(kMatrix, sink).ok());
  CHECK(sink.column_names() == R{"REGION", "YEAR", "QTY"});
  CHECK(sink.rows ==
        std::vector<R>{{"East", "2023", "1"}, {"West", "2024", "2"}, {"West", "2024", "3"}});
}

namespace {
// One line per event, so a failed CHECK shows both sides.
std::string lines(const R& events) {
  std::string out;
  for (const auto& e : events) out += e + "\n";
  return out;
}

// Aggregates as Salesforce sends them: "s!AMOUNT" and RowCount in every
// fact, labelled from aggregateColumnInfo.
constexpr std::string_view kMatrixTotals = R"j({
 "attributes":{"reportName":"Matrix"},"allData":true,
 "groupingsDown":{"groupings":[{"key":"0","label":"East"},{"key":"1","label":"West"}]},
 "groupingsAcross":{"groupings":[{"key":"0","label":"2023"},{"key":"1","label":"2024"}]},
 "factMap":{
   "0!0":{"rows":[{"dataCells":[{"label":"a","value":"a"}]}],"aggregates":[{"label":"$10.00","value":10},{"label":"1","value":1}]},
   "1!0":{"rows":[{"dataCells":[{"label":"b","value":"b"}]}],"aggregates":[{"label":"$20.50","value":20.5},{"label":"1","value":1}]},
   "1!1":{"rows":[{"dataCells":[{"label":"c","value":"c"}]}],"aggregates":[{"label":"-","value":null},{"label":"1","value":1}]},
   "0!T":{"aggregates":[{"label":"$10.00","value":10},{"label":"1","value":1}]},
   "1!T":{"aggregates":[{"label":"$20.50","value":20.5},{"label":"2","value":2}]},
   "T!0":{"aggregates":[{"label":"$30.50","value":30.5},{"label":"2","value":2}]},
   "T!1":{"aggregates":[{"label":"-","value":null},{"label":"1","value":1}]},
   "T!T":{"aggregates":[{"label":"$30.50","value":30.5},{"label":"3","value":3}]}},
 "reportMetadata":{"reportFormat":"MATRIX","detailColumns":["NAME"],"aggregates":["s!AMOUNT","RowCount"],
   "groupingsDown":[{"name":"REGION"}],"groupingsAcross":[{"name":"YEAR"}]},
 "reportExtendedMetadata":{"detailColumnInfo":{"NAME":{"dataType":"string","label":"Name"}},
   "aggregateColumnInfo":{"s!AMOUNT":{"label":"Sum of Amount"},"RowCount":{"label":"Record Count"}},
   "groupingColumnInfo":{"REGION":{"label":"Region"},"YEAR":{"label":"Year"}}}})j";
}  // namespace

TEST_CASE("report: summary groups start, rows, then their subtotal; nested groups close inside out") {
  testing::RecordingSink sink;
  std::string body(kSummary);
  auto put = [&](std::string_view what, std::string_view with) {
    REQUIRE(body.find(what) != std::string::npos);
    body.replace(body.find(what), what.size(), with);
  };
  put(R"("T!T":{"aggregates":[]})", R"("T!T":{"aggregates":[{"label":"4","value":4}]})");
  put(R"("value":"dup"}]}]})", R"("value":"dup"}]}],"aggregates":[{"label":"3","value":3}]})");
  put(R"("value":"B"}]}]})", R"("value":"B"}]}],"aggregates":[{"label":"2","value":2}]})");
  put(R"("reportFormat":"SUMMARY",)", R"("reportFormat":"SUMMARY","aggregates":["RowCount"],)");
  REQUIRE(emit_report(body, sink).ok());
  CHECK(sink.header.grouping_columns == 2);
  CHECK(lines(sink.events) == lines(R{"group 0 Stage=Closed Won", "group 1 Lead Source=Web", "row A", "row B",
                         "subtotal Closed Won Web | RowCount=2(2)", "group 1 Lead Source=Phone",
                         "row C", "subtotal Closed Won | RowCount=3(3)",
                         "group 0 Stage=Prospecting", "group 1 Lead Source=Web", "row D",
                         "grand | RowCount=4(4)"}));
}

TEST_CASE("report: matrix flattens down then across, with cell, row, column and grand totals") {
  testing::RecordingSink sink;
  REQUIRE(emit_report(kMatrixTotals, sink).ok());
  CHECK(sink.header.grouping_columns == 2);
  CHECK(lines(sink.events) ==
        lines(R{"group 0 Region=East", "group 1 Year=2023", "row a",
          "subtotal East 2023 | Sum of Amount=$10.00(10) | Record Count=1(1)",
          "subtotal East | Sum of Amount=$10.00(10) | Record Count=1(1)",
          "group 0 Region=West", "group 1 Year=2023", "row b",
          "subtotal West 2023 | Sum of Amount=$20.50(20.5) | Record Count=1(1)",
          "group 1 Year=2024", "row c",
          "subtotal West 2024 | Sum of Amount=-(<null>) | Record Count=1(1)",
          "subtotal West | Sum of Amount=$20.50(20.5) | Record Count=2(2)",
          "column 2023 | Sum of Amount=$30.50(30.5) | Record Count=2(2)",
          "column 2024 | Sum of Amount=-(<null>) | Record Count=1(1)",
          "grand | Sum of Amount=$30.50(30.5) | Record Count=3(3)"}));
}

TEST_CASE("report: showSubtotals and showGrandTotal false leave the totals out") {
  testing::RecordingSink sink;
  std::string body(kMatrixTotals);
  body.replace(body.find(R"("reportFormat")"), 0, R"("showSubtotals":false,"showGrandTotal":false,)");
  REQUIRE(emit_report(body, sink).ok());
  CHECK(lines(sink.events) == lines(R{"group 0 Region=East", "group 1 Year=2023", "row a", "group 0 Region=West",
                         "group 1 Year=2023", "row b", "group 1 Year=2024", "row c"}));
}

TEST_CASE("report: odd detail cells read as a plain DOM would have them") {
  // Cells are packed per row while parsing (report_dom.hpp): escapes, a
  // currency whose amount is text, an array value, a cell that is not an
  // object, too few cells, and a dataCells that is not an array (its row
  // is skipped, and it is never read as packed cells).
  constexpr std::string_view kOdd = R"j({
 "attributes":{"reportName":"Odd"},"allData":true,
 "factMap":{"T!T":{"aggregates":[],"rows":[
   {"dataCells":[{"label":"Caf\u00e9 \"A\"","value":"006X"},{"label":"$1.00","value":{"amount":"1","currency":"USD"}},
                 {"label":"true","value":true},7]},
   {"dataCells":"\u0001\u0000\u0000\u0000"},
   {"dataCells":[{"value":"only value"}]},
   {"dataCells":[{"label":"x","value":[1,2]},{"label":"-","value":{"amount":2.5}},{"label":"no","value":"false"}]}]}},
 "groupingsDown":{"groupings":[]},"groupingsAcross":{"groupings":[]},
 "reportMetadata":{"reportFormat":"TABULAR","detailColumns":["NAME","AMT","WON","NOTE"]},
 "reportExtendedMetadata":{"detailColumnInfo":{"NAME":{"dataType":"string"},"AMT":{"dataType":"currency"},
   "WON":{"dataType":"boolean"},"NOTE":{"dataType":"string"}}}})j";
  testing::RecordingSink sink;
  REQUIRE(emit_report(kOdd, sink).ok());
  REQUIRE(sink.rows.size() == 3);
  CHECK(sink.rows[0] == R{"Caf\xc3\xa9 \"A\"", "<null>", "true", "<null>"});
  CHECK(sink.rows[1] == R{"only value", "<null>", "<null>", "<null>"});
  CHECK(sink.rows[2] == R{"x", "2.5", "<null>", "<null>"});
  CHECK(sink.footer.rows == 3);
}

TEST_CASE("report: joined reports and junk are permanent errors") {
  testing::RecordingSink sink;
  CHECK(emit_report(R"({"reportMetadata":{"reportFormat":"MULTI_BLOCK"},"factMap":{}})", sink)
            .kind() == ErrorKind::kPermanent);
  CHECK(emit_report("<html>", sink).kind() == ErrorKind::kPermanent);
}

TEST_CASE("report: a describe's detail columns, each named by its field") {
  auto cols = report_detail_columns(R"({"reportMetadata":{"detailColumns":["AMOUNT","DESCRIPTION","X"]},
    "reportExtendedMetadata":{"detailColumnInfo":{
      "AMOUNT":{"label":"Amount","entityColumnName":"Opportunity.Amount"},
      "DESCRIPTION":{"label":"Description"}}}})");
  REQUIRE(cols.ok());
  REQUIRE(cols->size() == 3);
  CHECK((*cols)[0].key == "AMOUNT");
  CHECK((*cols)[0].field == "Opportunity.Amount");
  CHECK((*cols)[1].field == "Description");  // no entityColumnName: the label
  CHECK((*cols)[2].field == "X");            // nothing known: the key
  CHECK(report_detail_columns(kTabular)->size() == 5);
  CHECK(report_detail_columns("{}").status().code() == "bad-report");
}
