#include "jobs/deliver/mime_source.hpp"

#include "table/wipe.hpp"

namespace reportd::deliver {
namespace {

// 1,024 base64 lines of 57 input bytes: 58,368 bytes in, 79,872 out. Whole
// lines per chunk make the chunks concatenate to base64_encode() of the
// whole attachment.
constexpr std::size_t kLineBytes = 57;
constexpr std::size_t kChunkInput = kLineBytes * 1024;
constexpr std::size_t kTextChunk = 64 * 1024;

}  // namespace

Result<std::unique_ptr<MimeSource>> MimeSource::create(const MailMessage& message) {
  auto pieces = plan_mime(message);
  if (!pieces.ok()) return pieces.status();
  return std::unique_ptr<MimeSource>(new MimeSource(std::move(*pieces)));
}

MimeSource::MimeSource(std::vector<MimePiece> pieces)
    : pieces_(std::move(pieces)), encoded_(base64_encoded_size(kChunkInput, 76)) {
  DotStuffer counter;
  std::uint64_t added = 0;
  for (const auto& p : pieces_) {
    size_ += p.text.size() + base64_encoded_size(p.base64_of.size(), 76);
    added += counter.count(p.text);
    // Base64 never holds a ".", and its last line ends in CRLF: for
    // stuffing, a non-empty block is just a line end.
    if (!p.base64_of.empty()) added += counter.count("\r\n");
  }
  stuffed_size_ = size_ + added + counter.count_finish();
}

MimeSource::~MimeSource() {
  for (auto& p : pieces_) wipe(p.text);
}

std::string_view MimeSource::next() {
  while (piece_ < pieces_.size()) {
    const MimePiece& p = pieces_[piece_];
    if (!in_attachment_) {
      if (offset_ < p.text.size()) {
        std::string_view chunk = std::string_view(p.text).substr(offset_, kTextChunk);
        offset_ += chunk.size();
        return chunk;
      }
      in_attachment_ = true;
      offset_ = 0;
    }
    if (offset_ < p.base64_of.size()) {
      std::string_view in = p.base64_of.substr(offset_, kChunkInput);
      offset_ += in.size();
      encoded_.clear();
      encoded_.grow(base64_encode_into(in, 76, encoded_.data()));
      return encoded_.view();
    }
    ++piece_;
    offset_ = 0;
    in_attachment_ = false;
  }
  return std::string_view();
}

}  // namespace reportd::deliver
