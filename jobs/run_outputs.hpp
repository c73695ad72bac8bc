#pragma once
// RunOutputs: the renderers one run feeds, built from the schedule's formats
// into a fresh Scratch: CSV, XLSX and PDF attachments plus the HTML summary that
// becomes the email body ("html" adds a preview of the first rows to it).
// Everything lives in memory (DESIGN.md §4.5). Bounded as data arrives: the
// row past max_rows fails the run, and every byte the renderers write counts
// against the Scratch's caps (both "too-large", kPermanent). One run; not
// thread-safe.

#include <memory>
#include <string>
#include <vector>

#include "jobs/change_hash.hpp"
#include "jobs/deliver/files_delivery.hpp"
#include "jobs/render/csv_renderer.hpp"
#include "jobs/render/html_summary.hpp"
#include "jobs/render/pdf_renderer.hpp"
#include "jobs/render/scratch.hpp"
#include "jobs/render/xlsx_renderer.hpp"
#include "store/records.hpp"
#include "table/table.hpp"

namespace reportd::jobs {

struct OutputOptions {
  render::ScratchOptions scratch;
  std::size_t preview_rows = 20;  // rows shown in the body when "html" is asked for
  std::uint64_t max_rows = 0;     // rows one run may carry, all tables together (0: no cap)
};

// A RowSink that forwards to `next` and fails the row past `max_rows`.
class RowCapSink final : public table::RowSink {
 public:
  RowCapSink(table::RowSink& next, std::uint64_t max_rows) : next_(next), max_rows_(max_rows) {}
  Status begin(const table::TableHeader& header) override { return next_.begin(header); }
  Status row(std::span<const table::Cell> cells) override;
  Status end(const table::TableFooter& footer) override { return next_.end(footer); }
  Status group(const table::GroupStart& start) override { return next_.group(start); }
  Status subtotal(const table::Subtotal& total) override { return next_.subtotal(total); }
  std::uint64_t rows() const { return rows_; }

 private:
  table::RowSink& next_;
  std::uint64_t max_rows_;
  std::uint64_t rows_ = 0;
};

class RunOutputs {
 public:
  // `run_time_ms`: the occurrence (UTC), shown in the PDF's title block.
  // `change`: hashes the rows too (`--when changed`), when not null.
  static Result<std::unique_ptr<RunOutputs>> create(const store::Schedule& schedule,
                                                    const date::time_zone* zone,
                                                    const OutputOptions& options,
                                                    std::int64_t run_time_ms = 0,
                                                    std::unique_ptr<ChangeHash> change = nullptr);

  // Where the source writes: every renderer at once, under the row cap.
  table::RowSink& sink() { return cap_; }
  // Closes the renderers (the XLSX workbook and the PDF's fonts are written here).
  Status finish();

  const render::HtmlSummary& summary() const { return summary_; }
  // The rows' hash, when create() was given one; null otherwise.
  ChangeHash* change_hash() { return change_.get(); }
  render::Scratch& scratch() { return *scratch_; }
  // Views of the finished files, for delivery.
  Result<std::vector<deliver::OutputRef>> refs();
  std::uint64_t bytes() const { return scratch_->used_bytes(); }
  // The most bytes the run's scratch held at once.
  std::uint64_t high_water_bytes() const { return scratch_->high_water_bytes(); }
  // Zeroes and closes every output; idempotent.
  void dispose();

 private:
  RunOutputs(std::unique_ptr<render::Scratch> scratch, std::size_t preview_rows,
             const date::time_zone* zone, std::uint64_t max_rows);

  std::unique_ptr<render::Scratch> scratch_;
  render::HtmlSummary summary_;
  std::unique_ptr<render::CsvRenderer> csv_;
  std::unique_ptr<render::XlsxRenderer> xlsx_;
  std::unique_ptr<render::PdfRenderer> pdf_;
  std::unique_ptr<ChangeHash> change_;
  table::TeeSink tee_{{}};
  RowCapSink cap_;
};

// "Weekly pipeline" -> "weekly-pipeline": a safe base for attachment names.
std::string file_base_name(std::string_view schedule_name);

}  // namespace reportd::jobs
