#include "jobs/render/xlsx_zip.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "jobs/render/scratch.hpp"
#include "table/wipe.hpp"

namespace reportd::render {
namespace {

constexpr std::uint32_t kMax32 = 0xFFFFFFFFu;
constexpr std::uint16_t kDosDate = (0 << 9) | (1 << 5) | 1;  // 1980-01-01
constexpr std::size_t kCopyBlock = 1 << 20;

Status zip_error(std::string_view what, int err) {
  return Status::error(ErrorKind::kIo, "xlsx: " + std::string(what) + ": " + std::strerror(err),
                       "xlsx-io");
}

void put16(std::string& s, std::uint64_t v) {
  s += static_cast<char>(v & 0xFF);
  s += static_cast<char>((v >> 8) & 0xFF);
}
void put32(std::string& s, std::uint64_t v) {
  put16(s, v & 0xFFFF);
  put16(s, (v >> 16) & 0xFFFF);
}
void put64(std::string& s, std::uint64_t v) {
  put32(s, v & kMax32);
  put32(s, v >> 32);
}

}  // namespace

Deflated join(const Deflated& a, const Deflated& b) {
  Deflated r;
  r.crc = static_cast<std::uint32_t>(crc32_combine(a.crc, b.crc, static_cast<z_off_t>(b.in)));
  r.in = a.in + b.in;
  r.out = a.out + b.out;
  return r;
}

Result<Deflated> deflate_piece(std::string_view text, bool final, std::string& out) {
  Deflated d;
  d.crc = Igzip::crc32(0, text);
  d.in = text.size();
  Igzip z;
  std::array<unsigned char, 16 * 1024> block;
  Status st = z.write(text, final ? Igzip::Flush::kFinal : Igzip::Flush::kSync, block,
                      [&](std::string_view s) {
                        out += s;
                        d.out += s.size();
                        return Status();
                      });
  wipe_bytes(block.data(), block.size());
  if (!st.ok()) return st;
  return d;
}

Result<std::unique_ptr<DeflateTemp>> DeflateTemp::open(const std::string& dir) {
  std::unique_ptr<DeflateTemp> t(new DeflateTemp());
  t->fd_ = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (t->fd_ < 0) return zip_error("temp file", errno);
  t->z_ = std::make_unique<Igzip>();
  t->out_.resize(kOutBlock);
  return t;
}

DeflateTemp::~DeflateTemp() {
  z_.reset();  // wipes its state and window
  wipe_bytes(out_.data(), out_.capacity());
  if (fd_ >= 0) {
    zero_file(fd_, sums_.out);  // compressed rows: wiped like any scratch
    ::close(fd_);
  }
}

Status DeflateTemp::append_file(std::string_view bytes) {
  for (std::size_t done = 0; done < bytes.size();) {
    ssize_t n =
        ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(sums_.out));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return zip_error("write temp file", errno);
    done += static_cast<std::size_t>(n);
    sums_.out += static_cast<std::uint64_t>(n);
  }
  return {};
}

Status DeflateTemp::write(std::string_view text) {
  if (!z_) return Status::error(ErrorKind::kInternal, "xlsx: write after close");
  sums_.crc = Igzip::crc32(sums_.crc, text);
  sums_.in += text.size();
  return z_->write(text, Igzip::Flush::kNone, out_,
                   [this](std::string_view s) { return append_file(s); });
}

Status DeflateTemp::close() {
  if (!z_) return {};
  Status st = z_->write({}, Igzip::Flush::kSync, out_,
                        [this](std::string_view s) { return append_file(s); });
  z_.reset();
  wipe_bytes(out_.data(), out_.capacity());
  out_.clear();
  out_.shrink_to_fit();
  return st;
}

Status DeflateTemp::copy_to(ScratchFile& out) const {
  std::string block;
  Status st;
  for (std::uint64_t at = 0; at < sums_.out && st.ok();) {
    block.resize(static_cast<std::size_t>(std::min<std::uint64_t>(kCopyBlock, sums_.out - at)));
    ssize_t n = ::pread(fd_, block.data(), block.size(), static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      st = zip_error("read temp file", n < 0 ? errno : EIO);
      break;
    }
    block.resize(static_cast<std::size_t>(n));
    st = out.append(block);
    at += static_cast<std::uint64_t>(n);
  }
  wipe_and_free(block);
  return st;
}

Status ZipWriter::begin_entry(std::string_view name, const Deflated& sums) {
  Entry e{std::string(name), sums, out_.size()};
  const bool big = sums.in >= kMax32 || sums.out >= kMax32;
  std::string h;
  put32(h, 0x04034b50);
  put16(h, big ? 45 : 20);  // version needed: zip64 or deflate
  put16(h, 0);              // flags
  put16(h, 8);              // deflate
  put16(h, 0);              // time
  put16(h, kDosDate);
  put32(h, sums.crc);
  put32(h, big ? kMax32 : sums.out);
  put32(h, big ? kMax32 : sums.in);
  put16(h, name.size());
  put16(h, big ? 20 : 0);
  h += name;
  if (big) {
    put16(h, 1);
    put16(h, 16);
    put64(h, sums.in);
    put64(h, sums.out);
  }
  entries_.push_back(std::move(e));
  return out_.append(h);
}

Status ZipWriter::add_text(std::string_view name, std::string_view text) {
  std::string data;
  auto d = deflate_piece(text, true, data);
  if (!d.ok()) return d.status();
  return add(name, *d, [&](ScratchFile& f) { return f.append(data); });
}

Status ZipWriter::finish() {
  const std::uint64_t cd_offset = out_.size();
  std::string cd;
  for (const Entry& e : entries_) {
    const bool big_in = e.sums.in >= kMax32, big_out = e.sums.out >= kMax32,
               far = e.offset >= kMax32;
    const std::size_t extra = (big_in ? 8 : 0) + (big_out ? 8 : 0) + (far ? 8 : 0);
    put32(cd, 0x02014b50);
    put16(cd, 45);  // made by: zip 4.5, MS-DOS attributes
    put16(cd, extra > 0 ? 45 : 20);
    put16(cd, 0);
    put16(cd, 8);
    put16(cd, 0);
    put16(cd, kDosDate);
    put32(cd, e.sums.crc);
    put32(cd, big_out ? kMax32 : e.sums.out);
    put32(cd, big_in ? kMax32 : e.sums.in);
    put16(cd, e.name.size());
    put16(cd, extra > 0 ? extra + 4 : 0);
    put16(cd, 0);  // comment
    put16(cd, 0);  // disk
    put16(cd, 0);  // internal attributes
    put32(cd, 0);  // external attributes
    put32(cd, far ? kMax32 : e.offset);
    cd += e.name;
    if (extra > 0) {
      put16(cd, 1);
      put16(cd, extra);
      if (big_in) put64(cd, e.sums.in);
      if (big_out) put64(cd, e.sums.out);
      if (far) put64(cd, e.offset);
    }
  }
  const std::uint64_t count = entries_.size(), cd_size = cd.size();
  if (count >= 0xFFFF || cd_offset >= kMax32 || cd_size >= kMax32) {
    const std::uint64_t z64 = cd_offset + cd_size;
    put32(cd, 0x06064b50);
    put64(cd, 44);
    put16(cd, 45);
    put16(cd, 45);
    put32(cd, 0);
    put32(cd, 0);
    put64(cd, count);
    put64(cd, count);
    put64(cd, cd_size);
    put64(cd, cd_offset);
    put32(cd, 0x07064b50);
    put32(cd, 0);
    put64(cd, z64);
    put32(cd, 1);
  }
  put32(cd, 0x06054b50);
  put16(cd, 0);
  put16(cd, 0);
  put16(cd, std::min<std::uint64_t>(count, 0xFFFF));
  put16(cd, std::min<std::uint64_t>(count, 0xFFFF));
  put32(cd, std::min<std::uint64_t>(cd_size, kMax32));
  put32(cd, std::min<std::uint64_t>(cd_offset, kMax32));
  put16(cd, 0);
  return out_.append(cd);
}

}  // namespace reportd::render
