#pragma once
// MessageSource: an RFC 5322 message read chunk by chunk, so that a message
// with large attachments never sits in memory whole (DESIGN.md §1: memory
// must not grow with the report). Its exact size is known before the first
// chunk, for SMTP SIZE and the mail size limit. Also here: the SMTP
// dot-stuffing state machine that works across chunk boundaries, and the
// zero-on-destruction buffer the chunks travel in. Not thread-safe: one send.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace reportd::deliver {

class MessageSource {
 public:
  virtual ~MessageSource() = default;
  // Bytes next() yields in total.
  virtual std::uint64_t size() const = 0;
  // Bytes on the wire in SMTP DATA: every line-initial "." doubled and a
  // final CRLF added when missing, without the terminating ".CRLF". This is
  // what MAIL FROM's SIZE= declares.
  virtual std::uint64_t stuffed_size() const = 0;
  // The next chunk, at most a few hundred KiB; empty at the end. Valid until
  // the next call or the source's destruction.
  virtual std::string_view next() = 0;
};

// A message held whole in memory (notices, tests). Owns the string and
// zeroes it when destroyed.
class StringSource final : public MessageSource {
 public:
  explicit StringSource(std::string message);
  ~StringSource() override;
  StringSource(const StringSource&) = delete;
  StringSource& operator=(const StringSource&) = delete;

  std::uint64_t size() const override { return message_.size(); }
  std::uint64_t stuffed_size() const override { return stuffed_size_; }
  std::string_view next() override;

 private:
  std::string message_;
  std::uint64_t stuffed_size_ = 0;
  std::size_t pos_ = 0;
};

// Reads the rest of `source` into one string: for tests and fakes only,
// since it undoes the point of streaming.
std::string read_all(MessageSource& source);

// A fixed-capacity byte buffer for chunks that may hold report data:
// allocated once, reused, and zeroed (all of its capacity) when destroyed.
class ChunkBuffer {
 public:
  explicit ChunkBuffer(std::size_t capacity);
  ~ChunkBuffer();
  ChunkBuffer(ChunkBuffer&& other) noexcept;
  ChunkBuffer& operator=(ChunkBuffer&&) = delete;
  ChunkBuffer(const ChunkBuffer&) = delete;
  ChunkBuffer& operator=(const ChunkBuffer&) = delete;

  char* data() { return bytes_.get(); }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  std::size_t room() const { return capacity_ - size_; }
  std::string_view view() const { return std::string_view(bytes_.get(), size_); }
  // Marks `n` more bytes, written at data() + size(), as used; n <= room().
  void grow(std::size_t n) { size_ += n; }
  // REQUIRES: s.size() <= room().
  void append(std::string_view s);
  void clear() { size_ = 0; }

 private:
  std::unique_ptr<char[]> bytes_;
  std::size_t capacity_;
  std::size_t size_ = 0;
};

// SMTP transparency (RFC 5321 §4.5.2) applied to a message fed in pieces:
// a "." that starts a line is doubled even when the line starts in a later
// piece than the CRLF before it.
class DotStuffer {
 public:
  // Appends `in`, stuffed, to `out`. REQUIRES: out.room() >= 2 * in.size().
  void feed(std::string_view in, ChunkBuffer& out);
  // Appends CRLF when the message so far does not end in one (room() >= 2).
  void finish(ChunkBuffer& out);
  // The same state changes as feed()/finish(), counting instead of copying:
  // how many bytes stuffing adds.
  std::uint64_t count(std::string_view in);
  std::uint64_t count_finish() const { return ends_in_crlf() ? 0 : 2; }

 private:
  bool ends_in_crlf() const { return last_ == '\n' && before_last_ == '\r'; }
  void remember_tail(std::string_view in);

  bool line_start_ = true;
  char before_last_ = '\0';
  char last_ = '\0';
};

}  // namespace reportd::deliver
