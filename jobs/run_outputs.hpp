#pragma once
// RunOutputs: the renderers one run feeds, built from the schedule's formats
// into a fresh Scratch: CSV and XLSX attachments plus the HTML summary that
// becomes the email body ("html" adds a preview of the first rows to it).
// Everything lives in memory (DESIGN.md §4.5). One run; not thread-safe.

#include <memory>
#include <string>
#include <vector>

#include "jobs/deliver/files_delivery.hpp"
#include "jobs/render/csv_renderer.hpp"
#include "jobs/render/html_summary.hpp"
#include "jobs/render/scratch.hpp"
#include "jobs/render/xlsx_renderer.hpp"
#include "store/records.hpp"
#include "table/table.hpp"

namespace reportd::jobs {

struct OutputOptions {
  render::ScratchOptions scratch;
  std::size_t preview_rows = 20;  // rows shown in the body when "html" is asked for
};

class RunOutputs {
 public:
  static Result<std::unique_ptr<RunOutputs>> create(const store::Schedule& schedule,
                                                    const date::time_zone* zone,
                                                    const OutputOptions& options);

  // Where the source writes: every renderer at once.
  table::RowSink& sink() { return tee_; }
  // Closes the renderers (the XLSX workbook is written here).
  Status finish();

  const render::HtmlSummary& summary() const { return summary_; }
  render::Scratch& scratch() { return *scratch_; }
  // Views of the finished files, for delivery.
  Result<std::vector<deliver::OutputRef>> refs();
  std::uint64_t bytes() const { return scratch_->used_bytes(); }
  // Zeroes and closes every output; idempotent.
  void dispose() { scratch_->dispose(); }

 private:
  RunOutputs(std::unique_ptr<render::Scratch> scratch, std::size_t preview_rows,
             const date::time_zone* zone);

  std::unique_ptr<render::Scratch> scratch_;
  render::HtmlSummary summary_;
  std::unique_ptr<render::CsvRenderer> csv_;
  std::unique_ptr<render::XlsxRenderer> xlsx_;
  table::TeeSink tee_{{}};
};

// "Weekly pipeline" -> "weekly-pipeline": a safe base for attachment names.
std::string file_base_name(std::string_view schedule_name);

}  // namespace reportd::jobs
