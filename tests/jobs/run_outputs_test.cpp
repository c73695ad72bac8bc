// RunOutputs' caps: rows and bytes stop a run as data arrives, for every
// format, with a permanent "too-large" error that names the cap.
#include "jobs/run_outputs.hpp"

#include <doctest/doctest.h>

#include "jobs/render/sample_table.hpp"

namespace reportd::jobs {
namespace {

store::Schedule schedule_with(std::vector<std::string> formats) {
  store::Schedule s;
  s.name = "Weekly pipeline";
  s.formats = std::move(formats);
  return s;
}

TEST_CASE("run outputs: the row past max_rows fails the run, whatever the formats") {
  for (auto formats : {std::vector<std::string>{"csv"}, std::vector<std::string>{"xlsx"},
                       std::vector<std::string>{"html"}, std::vector<std::string>{"pdf"},
                       std::vector<std::string>{"csv", "xlsx", "pdf", "html"}}) {
    OutputOptions o;
    o.max_rows = 250;
    auto out = RunOutputs::create(schedule_with(formats), nullptr, o);
    REQUIRE(out.ok());
    Status st = render::emit_sample_table((*out)->sink(), 1000);
    CHECK(st.kind() == ErrorKind::kPermanent);
    CHECK(st.code() == "too-large");
    CHECK(st.message().find("limits.max_rows_per_run") != std::string::npos);
    CHECK((*out)->summary().total_rows() == 250);  // no row past the cap reached a renderer
    (*out)->dispose();
  }
}

TEST_CASE("run outputs: exactly max_rows passes") {
  OutputOptions o;
  o.max_rows = 250;
  auto out = RunOutputs::create(schedule_with({"csv"}), nullptr, o);
  REQUIRE(out.ok());
  REQUIRE(render::emit_sample_table((*out)->sink(), 250).ok());
  REQUIRE((*out)->finish().ok());
  CHECK((*out)->summary().total_rows() == 250);
}

TEST_CASE("run outputs: the byte cap stops CSV, XLSX and PDF while rows arrive") {
  for (auto formats : {std::vector<std::string>{"csv"}, std::vector<std::string>{"xlsx"},
                       std::vector<std::string>{"pdf"}}) {
    render::ScratchBudget budget(0);
    OutputOptions o;
    o.scratch.cap_bytes = 256 * 1024;
    o.scratch.budget = &budget;
    auto out = RunOutputs::create(schedule_with(formats), nullptr, o);
    REQUIRE(out.ok());
    Status st = render::emit_sample_table((*out)->sink(), 200000);
    CHECK(st.code() == "too-large");
    CHECK((*out)->high_water_bytes() <= o.scratch.cap_bytes + 128 * 1024);
    (*out)->dispose();
    CHECK(budget.used() == 0);
  }
}

TEST_CASE("run outputs: pdf is one attachment named after the schedule") {
  OutputOptions o;
  auto out = RunOutputs::create(schedule_with({"pdf", "csv"}), nullptr, o, 1733385600000);
  REQUIRE(out.ok());
  REQUIRE(render::emit_sample_table((*out)->sink(), 100).ok());
  REQUIRE((*out)->finish().ok());
  auto refs = (*out)->refs();
  REQUIRE(refs.ok());
  REQUIRE(refs->size() == 2);
  const deliver::OutputRef& pdf = refs->at(1);
  CHECK(pdf.filename == "weekly-pipeline.pdf");
  CHECK(pdf.content_type == "application/pdf");
  CHECK(pdf.bytes.substr(0, 5) == "%PDF-");
  CHECK(pdf.bytes.find("%%EOF") != std::string_view::npos);
  (*out)->dispose();
}

}  // namespace
}  // namespace reportd::jobs
