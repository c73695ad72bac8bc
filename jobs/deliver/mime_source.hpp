#pragma once
// MimeSource: the message build_mime() would return, byte for byte, read as
// a MessageSource. Headers and the text/HTML parts are built up front (they
// are small); each attachment is base64-encoded only as it is read, in
// 57-byte-aligned chunks straight from its bytes (views into scratch), so a
// send holds one chunk buffer whatever the attachment sizes. The attachment
// bytes must outlive the source. Everything it held is zeroed when it is
// destroyed. Not thread-safe: one send.

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "jobs/deliver/message_source.hpp"
#include "jobs/deliver/mime.hpp"
#include "table/status.hpp"

namespace reportd::deliver {

class MimeSource final : public MessageSource {
 public:
  // Validates like build_mime(), with the same errors.
  static Result<std::unique_ptr<MimeSource>> create(const MailMessage& message);
  ~MimeSource() override;
  MimeSource(const MimeSource&) = delete;
  MimeSource& operator=(const MimeSource&) = delete;

  std::uint64_t size() const override { return size_; }
  std::uint64_t stuffed_size() const override { return stuffed_size_; }
  std::string_view next() override;

 private:
  explicit MimeSource(std::vector<MimePiece> pieces);

  std::vector<MimePiece> pieces_;
  std::uint64_t size_ = 0;
  std::uint64_t stuffed_size_ = 0;
  std::size_t piece_ = 0;       // the piece being read
  std::size_t offset_ = 0;      // into its text, then into its attachment bytes
  bool in_attachment_ = false;  // past the piece's text
  ChunkBuffer encoded_;         // the current chunk of base64
};

}  // namespace reportd::deliver
