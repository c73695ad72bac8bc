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

TEST_CASE("report: joined reports and junk are permanent errors") {
  testing::RecordingSink sink;
  CHECK(emit_report(R"({"reportMetadata":{"reportFormat":"MULTI_BLOCK"},"factMap":{}})", sink)
            .kind() == ErrorKind::kPermanent);
  CHECK(emit_report("<html>", sink).kind() == ErrorKind::kPermanent);
}
