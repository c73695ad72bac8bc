#pragma once
// A byte buffer in libsodium secure memory: locked (never swapped), guarded
// by canary pages, and zeroed when freed. Holds master keys and decrypted
// tokens. Move-only; not thread-safe.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "table/status.hpp"

namespace reportd::crypto {

// Must run once before any other crypto call (main does it).
// Returns false when libsodium cannot initialise.
bool init_sodium();

class SecureBuffer {
 public:
  SecureBuffer() = default;
  explicit SecureBuffer(std::size_t size);  // throws std::bad_alloc
  ~SecureBuffer();
  SecureBuffer(SecureBuffer&& other) noexcept;
  SecureBuffer& operator=(SecureBuffer&& other) noexcept;
  SecureBuffer(const SecureBuffer&) = delete;
  SecureBuffer& operator=(const SecureBuffer&) = delete;

  static SecureBuffer copy_of(std::span<const std::uint8_t> bytes);
  static SecureBuffer copy_of(std::string_view text);

  std::uint8_t* data() { return data_; }
  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<const std::uint8_t> bytes() const { return {data_, size_}; }
  // A view for APIs that want text (an HTTP form body); do not copy it out.
  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }
  // Shrinks the visible size (e.g. after decoding into an oversized buffer).
  void truncate(std::size_t size);

 private:
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

// Reads from `fd` until end of file or `max_bytes`, straight into secure
// memory (no stream buffer or string ever holds the bytes). The result's
// size is what was read; a read error gives kIo with errno's text.
Result<SecureBuffer> read_secure(int fd, std::size_t max_bytes);

}  // namespace reportd::crypto
