#include "jobs/deliver/files_delivery.hpp"

#include <utility>

namespace reportd::deliver {

namespace asio = boost::asio;

Result<std::vector<OutputRef>> output_refs(render::Scratch& scratch) {
  std::vector<OutputRef> refs;
  for (const auto& f : scratch.outputs()) {
    auto v = f->view();
    if (!v.ok()) return v.status();
    refs.push_back(OutputRef{f->filename(), f->content_type(), *v});
  }
  return refs;
}

asio::awaitable<Result<std::vector<std::string>>> deliver_files(DeliveryLedger& ledger,
                                                                salesforce::Api& api, FilesJob job,
                                                                store::DeliveryChannel channel) {
  std::vector<std::string> ids;
  for (const auto& out : job.outputs) {
    // No ?: with temporaries in coroutine frames: GCC 12 destroys them wrongly.
    std::string key = job.target_record_id;
    if (key.empty()) key = "library";
    key += "/";
    key += out.filename;
    // Named awaitables: GCC 12 destroys temporaries inside co_await twice.
    // The row, marked `sending` (durably) before the upload, in one commit.
    auto ensure = ledger.ensure_sending(job.run_id, channel, key, job.now_ms);
    Result<store::Delivery> row = co_await std::move(ensure);
    if (!row.ok()) co_return Status(row.status()).with_context("files: ledger");
    store::Delivery d = std::move(row).value();
    if (d.state == store::DeliveryState::kSent && !d.content_document_id.empty()) {
      ids.push_back(d.content_document_id);
      continue;  // uploaded by an earlier attempt of this run
    }
    salesforce::FileUpload up{out.filename, out.filename, out.content_type, out.bytes,
                              job.target_record_id};
    auto r = co_await api.upload_file(std::move(up));
    if (r.ok()) {
      d.state = store::DeliveryState::kSent;
      d.content_document_id = r->content_document_id;
      d.error.clear();
    } else {
      d.state = r.status().kind() == ErrorKind::kTransient || r.status().kind() == ErrorKind::kLimit
                    ? store::DeliveryState::kPending
                    : store::DeliveryState::kFailed;
      d.error = r.status().code();
      if (d.error.empty()) d.error = to_string(r.status().kind());
    }
    auto saved = ledger.update(d);
    Status st = co_await std::move(saved);
    if (!r.ok()) co_return Status(r.status()).with_context("files: upload " + out.filename);
    if (!st.ok()) co_return std::move(st).with_context("files: ledger");
    ids.push_back(d.content_document_id);
  }
  co_return ids;
}

}  // namespace reportd::deliver
