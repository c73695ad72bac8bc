#pragma once
// Salesforce Files delivery: each output becomes a ContentVersion linked to
// the schedule's target record, once per run. The ledger row (channel
// kFiles, or kFilesLink for the mail's size fallback; recipient "<record
// id>/<file name>", "library/<file name>" without a target) is committed
// before and after each upload and keeps the ContentDocumentId. Event-loop
// coroutines; the ledger's rows go through the store thread.

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/deliver/delivery_ledger.hpp"
#include "jobs/render/scratch.hpp"
#include "salesforce_client/api.hpp"

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
// `channel`: kFiles for the Files format, kFilesLink for the mail fallback.
boost::asio::awaitable<Result<std::vector<std::string>>> deliver_files(DeliveryLedger& ledger, salesforce::Api& api,
                                                                       FilesJob job, store::DeliveryChannel channel);

}  // namespace reportd::deliver
