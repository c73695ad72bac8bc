#include "jobs/deliver/message_source.hpp"


#include <cassert>
#include <cstring>

#include "table/wipe.hpp"

namespace reportd::deliver {
namespace {

constexpr std::size_t kStringChunk = 64 * 1024;

// Walks `in` line piece by line piece (memchr finds the line ends) and calls
// on_span(dot, span) for each: `dot` when the span starts a line with ".".
// `line_start` carries over from the previous piece and on to the next.
template <class OnSpan>
void scan_lines(std::string_view in, bool& line_start, OnSpan on_span) {
  std::size_t i = 0;
  while (i < in.size()) {
    const void* nl = std::memchr(in.data() + i, '\n', in.size() - i);
    std::size_t end = nl == nullptr
                          ? in.size()
                          : static_cast<std::size_t>(static_cast<const char*>(nl) - in.data()) + 1;
    on_span(line_start && in[i] == '.', in.substr(i, end - i));
    line_start = nl != nullptr;
    i = end;
  }
}

}  // namespace

StringSource::StringSource(std::string message) : message_(std::move(message)) {
  DotStuffer counter;
  stuffed_size_ = message_.size() + counter.count(message_) + counter.count_finish();
}

StringSource::~StringSource() { wipe(message_); }

std::string_view StringSource::next() {
  std::string_view rest = std::string_view(message_).substr(pos_);
  rest = rest.substr(0, kStringChunk);
  pos_ += rest.size();
  return rest;
}

std::string read_all(MessageSource& source) {
  std::string out;
  out.reserve(source.size());
  for (std::string_view c = source.next(); !c.empty(); c = source.next()) out.append(c);
  return out;
}

ChunkBuffer::ChunkBuffer(std::size_t capacity) : bytes_(new char[capacity]), capacity_(capacity) {}

ChunkBuffer::~ChunkBuffer() {
  wipe_bytes(bytes_.get(), capacity_);
}

ChunkBuffer::ChunkBuffer(ChunkBuffer&& other) noexcept
    : bytes_(std::move(other.bytes_)), capacity_(other.capacity_), size_(other.size_) {
  other.capacity_ = 0;
  other.size_ = 0;
}

void ChunkBuffer::append(std::string_view s) {
  assert(s.size() <= room());
  std::memcpy(bytes_.get() + size_, s.data(), s.size());
  size_ += s.size();
}

void DotStuffer::remember_tail(std::string_view in) {
  if (in.size() >= 2)
    before_last_ = in[in.size() - 2];
  else if (in.size() == 1)
    before_last_ = last_;
  if (!in.empty()) last_ = in.back();
}

void DotStuffer::feed(std::string_view in, ChunkBuffer& out) {
  assert(out.room() >= 2 * in.size());
  scan_lines(in, line_start_, [&out](bool dot, std::string_view span) {
    if (dot) out.append(".");
    out.append(span);
  });
  remember_tail(in);
}

void DotStuffer::finish(ChunkBuffer& out) {
  if (!ends_in_crlf()) {
    out.append("\r\n");
    before_last_ = '\r';
    last_ = '\n';
    line_start_ = true;
  }
}

std::uint64_t DotStuffer::count(std::string_view in) {
  std::uint64_t dots = 0;
  scan_lines(in, line_start_, [&dots](bool dot, std::string_view) { dots += dot ? 1 : 0; });
  remember_tail(in);
  return dots;
}

}  // namespace reportd::deliver
