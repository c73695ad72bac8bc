#include "jobs/deliver/zip_writer.hpp"
#include "table/wipe.hpp"

#include <limits>
#include <vector>

#include "table/zlib_zeroing.hpp"

namespace reportd::deliver {
namespace {

constexpr std::uint16_t kVersion = 20;
constexpr std::uint16_t kFlags = 0x0808;  // bit 3: data descriptor; bit 11: UTF-8 names
constexpr std::uint16_t kDeflate = 8;
constexpr std::uint16_t kDosTime = 0;
constexpr std::uint16_t kDosDate = (1 << 5) | 1;  // 1980-01-01: reproducible output

void put16(std::string& s, std::uint32_t v) {
  s += static_cast<char>(v & 0xFF);
  s += static_cast<char>((v >> 8) & 0xFF);
}
void put32(std::string& s, std::uint32_t v) {
  put16(s, v & 0xFFFF);
  put16(s, v >> 16);
}

struct Written {
  std::string name;
  std::uint32_t crc = 0, csize = 0, usize = 0, offset = 0;
};

Status too_big() {
  return Status::error(ErrorKind::kLimit, "zip: an output is over 4 GiB", "zip-size");
}

std::string local_header(const std::string& name) {
  std::string h;
  put32(h, 0x04034b50);
  put16(h, kVersion);
  put16(h, kFlags);
  put16(h, kDeflate);
  put16(h, kDosTime);
  put16(h, kDosDate);
  put32(h, 0);  // crc and sizes follow in the data descriptor
  put32(h, 0);
  put32(h, 0);
  put16(h, static_cast<std::uint32_t>(name.size()));
  put16(h, 0);
  h += name;
  return h;
}

std::string data_descriptor(const Written& w) {
  std::string d;
  put32(d, 0x08074b50);
  put32(d, w.crc);
  put32(d, w.csize);
  put32(d, w.usize);
  return d;
}

// The central directory and its end record, for entries ending at `offset`.
std::string directory(const std::vector<Written>& written, std::uint64_t offset) {
  std::string cd;
  for (const auto& w : written) {
    put32(cd, 0x02014b50);
    put16(cd, kVersion);
    put16(cd, kVersion);
    put16(cd, kFlags);
    put16(cd, kDeflate);
    put16(cd, kDosTime);
    put16(cd, kDosDate);
    put32(cd, w.crc);
    put32(cd, w.csize);
    put32(cd, w.usize);
    put16(cd, static_cast<std::uint32_t>(w.name.size()));
    put16(cd, 0);
    put16(cd, 0);
    put16(cd, 0);
    put16(cd, 0);
    put32(cd, 0);
    put32(cd, w.offset);
    cd += w.name;
  }
  std::string end;
  put32(end, 0x06054b50);
  put16(end, 0);
  put16(end, 0);
  put16(end, static_cast<std::uint32_t>(written.size()));
  put16(end, static_cast<std::uint32_t>(written.size()));
  put32(end, static_cast<std::uint32_t>(cd.size()));
  put32(end, static_cast<std::uint32_t>(offset));
  put16(end, 0);
  return cd + end;
}

// Deflates `bytes` (raw deflate) onto `out` through `chunk`, which is zeroed
// after. Fills in w.crc and w.csize.
Status deflate_entry(render::ScratchFile& out, std::string_view bytes, std::string& chunk, Written& w) {
  z_stream z{};
  use_zeroing_allocator(z);
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Status::error(ErrorKind::kInternal, "zip: deflateInit2 failed");
  }
  uLong crc = crc32(0L, Z_NULL, 0);
  std::string_view rest = bytes;
  int flush = Z_NO_FLUSH;
  Status st;
  do {
    std::size_t take = std::min<std::size_t>(rest.size(), 1 << 20);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(rest.data()));
    z.avail_in = static_cast<uInt>(take);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(rest.data()), static_cast<uInt>(take));
    rest.remove_prefix(take);
    flush = rest.empty() ? Z_FINISH : Z_NO_FLUSH;
    do {
      z.next_out = reinterpret_cast<Bytef*>(chunk.data());
      z.avail_out = static_cast<uInt>(chunk.size());
      deflate(&z, flush);
      std::size_t have = chunk.size() - z.avail_out;
      if (have > 0 && st.ok()) st = out.append(std::string_view(chunk.data(), have));
    } while (z.avail_out == 0);
  } while (flush != Z_FINISH && st.ok());
  std::uint64_t csize = z.total_out;
  deflateEnd(&z);
  wipe_bytes(chunk.data(), chunk.size());
  if (!st.ok()) return st;
  if (csize > std::numeric_limits<std::uint32_t>::max()) return too_big();
  w.crc = static_cast<std::uint32_t>(crc);
  w.csize = static_cast<std::uint32_t>(csize);
  return {};
}

}  // namespace

Result<render::ScratchFile*> zip_outputs(render::Scratch& scratch, std::span<const ZipEntry> entries,
                                         std::string zip_name) {
  auto file = scratch.create(std::move(zip_name), "application/zip");
  if (!file.ok()) return file.status();
  render::ScratchFile* out = *file;
  std::vector<Written> written;
  std::uint64_t offset = 0;
  std::string chunk(64 * 1024, '\0');
  for (const auto& e : entries) {
    if (e.bytes.size() > std::numeric_limits<std::uint32_t>::max() ||
        offset > std::numeric_limits<std::uint32_t>::max()) {
      return too_big();
    }
    Written w{e.filename, 0, 0, static_cast<std::uint32_t>(e.bytes.size()), static_cast<std::uint32_t>(offset)};
    std::string h = local_header(w.name);
    if (Status st = out->append(h); !st.ok()) return st;
    offset += h.size();
    if (Status st = deflate_entry(*out, e.bytes, chunk, w); !st.ok()) return st;
    offset += w.csize;
    std::string d = data_descriptor(w);
    if (Status st = out->append(d); !st.ok()) return st;
    offset += d.size();
    written.push_back(std::move(w));
  }
  if (offset > std::numeric_limits<std::uint32_t>::max()) return too_big();
  if (Status st = out->append(directory(written, offset)); !st.ok()) return st;
  return out;
}

}  // namespace reportd::deliver
