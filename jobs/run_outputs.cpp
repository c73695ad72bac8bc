#include "jobs/run_outputs.hpp"

#include <algorithm>
#include <cctype>

namespace reportd::jobs {

std::string file_base_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0) {
      out += static_cast<char>(std::tolower(u));
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "report" : out.substr(0, 60);
}

Status RowCapSink::row(std::span<const table::Cell> cells) {
  if (max_rows_ != 0 && rows_ >= max_rows_) {
    return Status::error(ErrorKind::kPermanent,
                         "the run has more than " + std::to_string(max_rows_) +
                             " rows, the per-run cap (limits.max_rows_per_run): narrow the query, "
                             "or raise limits.max_rows_per_run in the config file",
                         render::kTooLargeCode);
  }
  ++rows_;
  return next_.row(cells);
}

RunOutputs::RunOutputs(std::unique_ptr<render::Scratch> scratch, std::size_t preview_rows,
                       const date::time_zone* zone, std::uint64_t max_rows)
    : scratch_(std::move(scratch)), summary_(preview_rows, zone), cap_(tee_, max_rows) {}

void RunOutputs::dispose() {
  // The workbook first: its temp files go, and it never writes into a
  // memfd that dispose() closed.
  xlsx_.reset();
  pdf_.reset();
  scratch_->dispose();
}

Result<std::unique_ptr<RunOutputs>> RunOutputs::create(const store::Schedule& s,
                                                       const date::time_zone* zone,
                                                       const OutputOptions& options,
                                                       std::int64_t run_time_ms,
                                                       std::unique_ptr<ChangeHash> change) {
  auto scratch = render::Scratch::open(options.scratch);
  if (!scratch.ok()) return std::move(scratch).status();
  auto has = [&](std::string_view f) {
    return std::find(s.formats.begin(), s.formats.end(), f) != s.formats.end();
  };
  std::unique_ptr<RunOutputs> out(new RunOutputs(std::move(scratch).value(),
                                                 has("html") ? options.preview_rows : 0, zone,
                                                 options.max_rows));
  std::string base = file_base_name(s.name);
  std::vector<table::RowSink*> sinks{&out->summary_};
  if (has("csv")) {
    render::CsvOptions o;
    o.tz = zone;
    o.base_name = base;
    out->csv_ = std::make_unique<render::CsvRenderer>(*out->scratch_, o);
    sinks.push_back(out->csv_.get());
  }
  if (has("xlsx")) {
    render::XlsxOptions o;
    o.tz = zone;
    o.filename = base + ".xlsx";
    out->xlsx_ = std::make_unique<render::XlsxRenderer>(*out->scratch_, o);
    sinks.push_back(out->xlsx_.get());
  }
  if (has("pdf")) {
    render::PdfOptions o;
    o.tz = zone;
    o.filename = base + ".pdf";
    o.title = s.subject.empty() ? s.name : s.subject;
    o.run_time_ms = run_time_ms;
    out->pdf_ = std::make_unique<render::PdfRenderer>(*out->scratch_, o);
    sinks.push_back(out->pdf_.get());
  }
  if (change) {
    out->change_ = std::move(change);
    sinks.push_back(out->change_.get());
  }
  out->tee_ = table::TeeSink(std::move(sinks));
  return out;
}

Status RunOutputs::finish() {
  if (xlsx_) {
    if (Status st = xlsx_->finish(); !st.ok()) return st;
  }
  if (pdf_) return pdf_->finish().with_context("pdf");
  return {};
}

Result<std::vector<deliver::OutputRef>> RunOutputs::refs() {
  std::vector<deliver::OutputRef> out;
  for (const auto& f : scratch_->outputs()) {
    auto bytes = f->view();
    if (!bytes.ok()) return std::move(bytes).status();
    out.push_back({f->filename(), f->content_type(), *bytes});
  }
  return out;
}

}  // namespace reportd::jobs
