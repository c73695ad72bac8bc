#include "salesforce_client/inflate.hpp"

#include <cstring>

#include "table/zlib_zeroing.hpp"

namespace reportd::salesforce {

Result<std::string> gunzip(std::string_view in, std::size_t max_out) {
  z_stream zs{};
  use_zeroing_allocator(zs);
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
