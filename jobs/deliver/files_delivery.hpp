#pragma once
// Salesforce Files delivery: each output becomes a ContentVersion linked to
// the schedule's target record, once per run. The ledger row (channel
// "files", recipient "<record id>/<file name>") is committed before and after
// each upload and keeps the ContentDocumentId. Event-loop coroutines; store
// calls go through the BlockingRunner.

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/deliver/blocking_runner.hpp"
#include "jobs/render/scratch.hpp"
#include "salesforce_client/api.hpp"
#include "store/store.hpp"

namespace reportd::deliver {

// One rendered output: a view into scratch, valid for the delivery's duration.
struct OutputRef {
  std::string filename;
  std::string content_type;
  std::string_view bytes;
};

// Views of every output in `scratch`, for EmailJob/FilesJob. Valid until the
// scratch is disposed or written again.
Result<std::vector<OutputRef>> output_refs(render::Scratch& scratch);

struct FilesJob {
  std::int64_t run_id = 0;
  std::string target_record_id;  // FirstPublishLocationId; empty: the user's library
  std::vector<OutputRef> outputs;
  std::int64_t now_ms = 0;
};

// Uploads what the ledger does not show as sent. Returns the ContentDocumentIds
// in output order. Errors keep Api's kind (kTransient: retry the run).
// `channel` is "files" for the Files format, "files-link" for the mail fallback.
boost::asio::awaitable<Result<std::vector<std::string>>> deliver_files(store::Store& store, BlockingRunner& runner,
                                                                       salesforce::Api& api, FilesJob job,
                                                                       std::string channel);

}  // namespace reportd::deliver
