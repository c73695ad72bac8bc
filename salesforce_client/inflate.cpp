#include "salesforce_client/inflate.hpp"

#include <zlib.h>

#include <cstdlib>
#include <cstring>

#include "table/wipe.hpp"

namespace reportd::salesforce {
namespace {

// zlib's window holds recent plaintext: these zero it before it is freed.
// Each block records its size in front of the memory zlib sees.
constexpr std::size_t kHeader = alignof(std::max_align_t);

voidpf zeroing_alloc(voidpf, uInt items, uInt size) {
  const std::size_t n = static_cast<std::size_t>(items) * size;
  auto* block = static_cast<unsigned char*>(std::malloc(n + kHeader));
  if (block == nullptr) return Z_NULL;
  std::memcpy(block, &n, sizeof n);
  return block + kHeader;
}

void zeroing_free(voidpf, voidpf address) {
  auto* block = static_cast<unsigned char*>(address) - kHeader;
  std::size_t n = 0;
  std::memcpy(&n, block, sizeof n);
  explicit_bzero(address, n);
  std::free(block);
}

}  // namespace

Result<std::string> gunzip(std::string_view in, std::size_t max_out) {
  z_stream zs{};
  zs.zalloc = zeroing_alloc;
  zs.zfree = zeroing_free;
  // 32 + MAX_WBITS: detect gzip or zlib headers automatically.
  if (inflateInit2(&zs, 32 + MAX_WBITS) != Z_OK)
    return Status::error(ErrorKind::kInternal, "inflateInit2 failed", "inflate");
  std::string out;
  out.resize(std::min<std::size_t>(std::max<std::size_t>(in.size() * 4, 4096), max_out + 1));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::size_t produced = 0;
  int rc = Z_OK;
  while (true) {
    if (produced == out.size()) {
      if (out.size() > max_out) break;
      // Grown by hand so that the smaller block is zeroed before it is freed.
      std::string bigger(std::min(out.size() * 2, max_out + 1), '\0');
      std::memcpy(bigger.data(), out.data(), produced);
      wipe(out);
      out.swap(bigger);
    }
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(out.size() - produced);
    rc = inflate(&zs, Z_NO_FLUSH);
    produced = out.size() - zs.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) break;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;  // truncated input
  }
  inflateEnd(&zs);
  if (produced > max_out) {
    wipe(out);
    return Status::error(ErrorKind::kLimit, "response body exceeds the size limit", "too-large");
  }
  if (rc != Z_STREAM_END) {
    wipe(out);
    return Status::error(ErrorKind::kTransient, "truncated or corrupt gzip body", "bad-gzip");
  }
  out.resize(produced);
  return out;
}

}  // namespace reportd::salesforce
