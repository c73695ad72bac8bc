#include "salesforce_client/inflate.hpp"

#include <libdeflate.h>

#include <cstring>
#include <optional>

#include "table/zlib_zeroing.hpp"

namespace reportd::salesforce {
namespace {

// A gzip member ends with its uncompressed size modulo 2^32 (RFC 1952
// ISIZE): one byte more than that is enough room for a body that tells the
// truth, so the output block is allocated (and zeroed when freed) once.
// A zlib stream or a size that does not fit falls back to a guess, and the
// loop below grows the block as needed either way.
std::size_t initial_size(std::string_view in) {
  const std::size_t guess = std::max<std::size_t>(in.size() * 4, 4096);
  if (in.size() < 18 || static_cast<unsigned char>(in[0]) != 0x1f ||
      static_cast<unsigned char>(in[1]) != 0x8b)
    return guess;
  std::uint32_t isize = 0;
  const std::string_view trailer = in.substr(in.size() - 4);  // little-endian
  for (int i = 3; i >= 0; --i)
    isize = (isize << 8) | static_cast<unsigned char>(trailer[static_cast<std::size_t>(i)]);
  return isize == 0 ? guess : static_cast<std::size_t>(isize) + 1;
}

// libdeflate inflates a whole gzip member in one call, two to three times as
// fast as zlib's streaming inflate. Used when the member's ISIZE names a size
// within `max_out` and the member is the whole input; nullopt otherwise (or
// when libdeflate refuses the data), and zlib decides. The decompressor
// holds Huffman tables only; the output block is ours and zeroed on failure.
std::optional<std::string> gunzip_whole(std::string_view in, std::size_t max_out,
                                        std::string& block) {
  const std::size_t size = initial_size(in);
  if (size < 2 || size - 1 > max_out) return std::nullopt;
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  if (d == nullptr) return std::nullopt;
  std::string out = std::move(block);
  out.resize(size - 1);  // fills only what lies past the block's size
  std::size_t in_used = 0, produced = 0;
  const libdeflate_result r = libdeflate_gzip_decompress_ex(d, in.data(), in.size(), out.data(),
                                                            out.size(), &in_used, &produced);
  libdeflate_free_decompressor(d);
  if (r != LIBDEFLATE_SUCCESS || in_used != in.size() || produced != out.size()) {
    wipe(out);
    return std::nullopt;
  }
  return out;
}

}  // namespace

Result<std::string> gunzip(std::string_view in, std::size_t max_out, std::string block) {
  if (auto whole = gunzip_whole(in, max_out, block)) return std::move(*whole);
  z_stream zs{};
  use_zeroing_allocator(zs);
  // 32 + MAX_WBITS: detect gzip or zlib headers automatically.
  if (inflateInit2(&zs, 32 + MAX_WBITS) != Z_OK)
    return Status::error(ErrorKind::kInternal, "inflateInit2 failed", "inflate");
  std::string out;
  out.resize(std::min(initial_size(in), max_out + 1));
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

Status gunzip_each(std::string_view in, std::size_t max_out,
                   const std::function<Status(std::string_view)>& on_piece) {
  constexpr std::size_t kPiece = 256 * 1024;
  z_stream zs{};
  use_zeroing_allocator(zs);
  if (inflateInit2(&zs, 32 + MAX_WBITS) != Z_OK)
    return Status::error(ErrorKind::kInternal, "inflateInit2 failed", "inflate");
  std::string piece(kPiece, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::size_t total = 0;
  int rc = Z_OK;
  Status status;
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(piece.data());
    zs.avail_out = static_cast<uInt>(piece.size());
    rc = inflate(&zs, Z_NO_FLUSH);
    const std::size_t produced = piece.size() - zs.avail_out;
    total += produced;
    if (total > max_out) {
      status =
          Status::error(ErrorKind::kLimit, "response body exceeds the size limit", "too-large");
      break;
    }
    if (produced > 0) {
      status = on_piece(std::string_view(piece.data(), produced));
      if (!status.ok()) break;
    }
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) break;
    if (rc == Z_BUF_ERROR && (zs.avail_in == 0 || produced == 0)) break;  // truncated input
  }
  inflateEnd(&zs);
  wipe(piece);
  if (!status.ok()) return status;
  if (rc != Z_STREAM_END)
    return Status::error(ErrorKind::kTransient, "truncated or corrupt gzip body", "bad-gzip");
  return status;
}

}  // namespace reportd::salesforce
