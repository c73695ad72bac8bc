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
                  {{"report.csv", 2048}}, {}, {}, {}, {}};
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
  SummaryInput in{"Weekly", 0, nullptr, {}, {}, {}, "Hi team,\r\nsee <b>below</b> & act.\n\nThanks", {}};
  EmailBodies b = render_bodies(in, s);
  auto body_at = b.html.find(
      "<p style=\"margin:0 0 12px 0;\">Hi team,<br>\nsee &lt;b&gt;below&lt;/b&gt; &amp; act.</p>\n"
      "<p style=\"margin:0 0 12px 0;\">Thanks</p>");
  REQUIRE(body_at != std::string::npos);
  CHECK(body_at < b.html.find("Run at"));
  CHECK(b.html.find("<b>below") == std::string::npos);
  auto text_at = b.text.find("Hi team,\nsee <b>below</b> & act.\n\nThanks\n\n");
  REQUIRE(text_at != std::string::npos);
  CHECK(text_at < b.text.find("Run at"));
  CHECK(text_at > b.text.find("Weekly"));
  // No body: nothing added.
  EmailBodies none = render_bodies({"Weekly", 0, nullptr, {}, {}, {}, " \n", {}}, s);
  CHECK(none.text.rfind("Weekly\n\nRun at", 0) == 0);
}

TEST_CASE("html: a table cut by the source is flagged") {
  HtmlSummary s(0, nullptr);
  REQUIRE(s.begin({"R", {}}).ok());
  REQUIRE(s.end({2000, true}).ok());
  EmailBodies b = render_bodies({"S", 0, nullptr, {}, {}, {}, {}, {}}, s);
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

namespace reportd::render {
namespace {

// What Gmail, Outlook and Apple Mail keep: inline styles only, no <style>,
// no external CSS, no scripts or images, a column that fits a phone.
TEST_CASE("mail: the HTML body is self-contained, inline-styled and phone-sized") {
  const auto* tz = date::locate_zone("Europe/Paris");
  HtmlSummary s(3, tz);
  REQUIRE(emit_sample_table(s, 40).ok());
  SummaryInput in{"Weekly pipeline", 1733385600000, tz, {{"weekly.pdf", 90000}, {"weekly.csv", 4000}},
                  {}, {}, "Numbers for Monday.", {}};
  in.salesforce = {{"Open the report in Salesforce", "https://acme.my.salesforce.com/lightning/r/Report/00O000000000001AAA/view"},
                   {"bad", "javascript:alert(1)"}};
  EmailBodies b = render_bodies(in, s);
  for (const char* banned : {"<style", "<script", "<link", "<img", "src=", "class=", "@import", "javascript:"}) {
    CHECK_MESSAGE(b.html.find(banned) == std::string::npos, banned);
  }
  CHECK(b.html.find("name=\"viewport\"") != std::string::npos);
  CHECK(b.html.find("max-width:640px") != std::string::npos);
  CHECK(b.html.find("width=\"100%\"") != std::string::npos);
  CHECK(b.html.find("overflow-x:auto") != std::string::npos);
  // Numbers right-aligned, text left.
  CHECK(b.html.find("text-align:right;white-space:nowrap;padding:6px 8px;background-color:#eef1f4;"
                    "border-bottom:1px solid #c5ccd3;font-weight:bold;\">Amount</th>") != std::string::npos);
  CHECK(b.html.find("text-align:left;padding:6px 8px;background-color:#eef1f4;"
                    "border-bottom:1px solid #c5ccd3;font-weight:bold;\">Name</th>") != std::string::npos);
  // Body text, then the run's time and zone, the total, the files, the link, the preview.
  auto at = [&](const std::string& body, std::string_view what) {
    auto p = body.find(what);
    CHECK_MESSAGE(p != std::string::npos, what);
    return p;
  };
  for (const std::string* body : {&b.html, &b.text}) {
    auto intro = at(*body, "Numbers for Monday.");
    auto run = at(*body, "Run at 2024-12-05 09:00 CET (Europe/Paris). 40 rows.");
    auto link = at(*body, "https://acme.my.salesforce.com/lightning/r/Report/00O000000000001AAA/view");
    auto files = at(*body, "weekly.pdf (87.9 KB)");
    auto table = at(*body, "Opportunities: first 3 of 40 rows");
    at(*body, "Showing 3 of 40 rows; every row is in the attachment.");
    CHECK(intro < run);
    CHECK(run < link);
    CHECK(link < files);
    CHECK(files < table);
  }
  CHECK(b.text.find("Record Id | Name | Amount | Active | Close Date | Created | Description") !=
        std::string::npos);
  CHECK(b.text.find("<") == std::string::npos);  // plain text, not markup
  CHECK(b.html.find("REC-000002") != std::string::npos);
  CHECK(b.html.find("REC-000003") == std::string::npos);
  CHECK(b.text.find("REC-000002") != std::string::npos);
  b.wipe();
}

}  // namespace
}  // namespace reportd::render
