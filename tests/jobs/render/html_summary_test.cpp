#include "jobs/render/html_summary.hpp"

#include <doctest/doctest.h>

#include <array>
#include <date/tz.h>

#include "jobs/render/sample_table.hpp"

namespace reportd::render {
namespace {

TEST_CASE("html: names, run time in the schedule's zone, counts and attachments, escaped") {
  const auto* tz = date::locate_zone("America/New_York");
  HtmlSummary s(2, tz);
  REQUIRE(emit_sample_table(s, 5, "Opps <b>").ok());
  SummaryInput in{"Weekly <script>alert(1)</script> & co", 1719828000000, tz,
                  {{"report.csv", 2048}}, {}, {}, {}};
  EmailBodies b = render_bodies(in, s);
  CHECK(b.html.find("<script>") == std::string::npos);
  CHECK(b.html.find("Weekly &lt;script&gt;alert(1)&lt;/script&gt; &amp; co") != std::string::npos);
  CHECK(b.html.find("2024-07-01 06:00 EDT") != std::string::npos);
  CHECK(b.html.find("5 rows") != std::string::npos);
  CHECK(b.html.find("report.csv (2.0 KB)") != std::string::npos);
  CHECK(b.html.find("Opps &lt;b&gt;: first 2 of 5 rows") != std::string::npos);
  CHECK(b.html.find("Quote &quot;q&quot;") == std::string::npos);  // row 2 not shown
  CHECK(b.html.find("Comma, inside") != std::string::npos);
  CHECK(b.text.find("Weekly <script>alert(1)</script> & co") != std::string::npos);
  CHECK(b.text.find("Record Id | Name | Amount") != std::string::npos);
}

TEST_CASE("html: the schedule's body text comes above the summary, escaped, in both bodies") {
  HtmlSummary s(0, nullptr);
  REQUIRE(emit_sample_table(s, 3).ok());
  SummaryInput in{"Weekly", 0, nullptr, {}, {}, {}, "Hi team,\r\nsee <b>below</b> & act.\n\nThanks"};
  EmailBodies b = render_bodies(in, s);
  auto body_at = b.html.find("<p>Hi team,<br>\nsee &lt;b&gt;below&lt;/b&gt; &amp; act.</p>\n<p>Thanks</p>");
  REQUIRE(body_at != std::string::npos);
  CHECK(body_at < b.html.find("Run at"));
  CHECK(b.html.find("<b>below") == std::string::npos);
  auto text_at = b.text.find("Hi team,\nsee <b>below</b> & act.\n\nThanks\n\n");
  REQUIRE(text_at != std::string::npos);
  CHECK(text_at < b.text.find("Run at"));
  CHECK(text_at > b.text.find("Weekly"));
  // No body: nothing added.
  EmailBodies none = render_bodies({"Weekly", 0, nullptr, {}, {}, {}, " \n"}, s);
  CHECK(none.text.rfind("Weekly\n\nRun at", 0) == 0);
}

TEST_CASE("html: a table cut by the source is flagged") {
  HtmlSummary s(0, nullptr);
  REQUIRE(s.begin({"R", {}}).ok());
  REQUIRE(s.end({2000, true}).ok());
  EmailBodies b = render_bodies({"S", 0, nullptr, {}, {}, {}, {}}, s);
  CHECK(b.text.find("cut this table short") != std::string::npos);
  CHECK(b.html.find("2000 rows") != std::string::npos);
}

TEST_CASE("html: a long text is cut in the preview, so the body stays small") {
  HtmlSummary sum(5, nullptr);
  REQUIRE(sum.begin({"T", {{"d", "D", table::CellType::kString}}}).ok());
  std::string big = std::string(999, 'a') + "\xC3\xA9" + std::string(100000, 'b');
  std::array<table::Cell, 1> row{table::Cell::string(big)};
  REQUIRE(sum.row(row).ok());
  const std::string& kept = sum.tables().at(0).first_rows.at(0).at(0);
  CHECK(kept.size() < 1010);
  CHECK(kept == std::string(999, 'a') + "\u2026");  // cut before the two-byte character
}

}  // namespace
}  // namespace reportd::render
