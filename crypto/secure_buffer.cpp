#include "crypto/secure_buffer.hpp"
#include "table/wipe.hpp"

#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <utility>

namespace reportd::crypto {

bool init_sodium() { return sodium_init() >= 0; }

SecureBuffer::SecureBuffer(std::size_t size) : size_(size) {
  // sodium_malloc(0) still returns a guarded region; keep one byte so data()
  // is never null for an empty buffer that was asked for.
  data_ = static_cast<std::uint8_t*>(sodium_malloc(size == 0 ? 1 : size));
  if (data_ == nullptr) throw std::bad_alloc();
}

SecureBuffer::~SecureBuffer() {
  if (data_ != nullptr) sodium_free(data_);  // zeroes, unlocks, unmaps
}

SecureBuffer::SecureBuffer(SecureBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

SecureBuffer& SecureBuffer::operator=(SecureBuffer&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) sodium_free(data_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

SecureBuffer SecureBuffer::copy_of(std::span<const std::uint8_t> bytes) {
  SecureBuffer b(bytes.size());
  if (!bytes.empty()) std::memcpy(b.data_, bytes.data(), bytes.size());
  return b;
}

SecureBuffer SecureBuffer::copy_of(std::string_view text) {
  return copy_of(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

void SecureBuffer::truncate(std::size_t size) {
  if (size < size_) {
    wipe_bytes(data_ + size, size_ - size);
    size_ = size;
  }
}

Result<SecureBuffer> read_secure(int fd, std::size_t max_bytes) {
  SecureBuffer buf(max_bytes);
  std::size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = ::read(fd, buf.data() + got, buf.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::error(ErrorKind::kIo, std::strerror(errno));
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  buf.truncate(got);
  return buf;
}

}  // namespace reportd::crypto
