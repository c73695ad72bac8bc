#include "jobs/render/igzip.hpp"

#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>

#include <array>
#include <cstdint>
#include <string>

#include "table/wipe.hpp"

namespace reportd::render {
namespace {

// igzip's suggested level buffer per level (ISAL_DEF_LVLx_DEFAULT).
constexpr std::array<std::size_t, 4> kLevelBuf = {ISAL_DEF_LVL0_DEFAULT, ISAL_DEF_LVL1_DEFAULT,
                                                  ISAL_DEF_LVL2_DEFAULT, ISAL_DEF_LVL3_DEFAULT};

Status igzip_error(int code) {
  return Status::error(ErrorKind::kInternal, "deflate: igzip " + std::to_string(code),
                       "xlsx-deflate");
}

}  // namespace

// Cache-line aligned: igzip wants its hash head so.
struct alignas(64) Igzip::State {
  isal_zstream z;
};

Igzip::Igzip(unsigned level) : state_(std::make_unique<State>()) {
  level = std::min<unsigned>(level, ISAL_DEF_MAX_LEVEL);
  level_size_ = kLevelBuf[level];
  if (level_size_ > 0) level_buf_ = std::make_unique_for_overwrite<unsigned char[]>(level_size_);
  isal_zstream& z = state_->z;
  isal_deflate_init(&z);
  z.level = level;
  z.level_buf = level_buf_.get();
  z.level_buf_size = static_cast<std::uint32_t>(level_size_);
  z.gzip_flag = IGZIP_DEFLATE;  // raw deflate: the zip entry has its own CRC
}

Igzip::~Igzip() { wipe(); }

std::uint32_t Igzip::crc32(std::uint32_t crc, std::string_view data) {
  // 1.4x libdeflate's crc32, 4.6x zlib's, on sheet XML in 128 KiB pieces.
  return crc32_gzip_refl(crc, reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

void Igzip::wipe() {
  if (state_) wipe_bytes(&state_->z, sizeof state_->z);
  wipe_bytes(level_buf_.get(), level_size_);
}

std::span<const unsigned char> Igzip::state_bytes() const {
  return {reinterpret_cast<const unsigned char*>(&state_->z), sizeof state_->z};
}

std::span<const unsigned char> Igzip::level_bytes() const {
  return {level_buf_.get(), level_size_};
}

void Igzip::feed(std::string_view in, Flush flush) {
  isal_zstream& z = state_->z;
  z.next_in = reinterpret_cast<std::uint8_t*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<std::uint32_t>(in.size());
  z.flush = static_cast<std::uint16_t>(flush == Flush::kNone ? NO_FLUSH : SYNC_FLUSH);
  z.end_of_stream = static_cast<std::uint16_t>(flush == Flush::kFinal ? 1 : 0);
  flush_ = flush;
}

Status Igzip::step(std::span<unsigned char> block, std::size_t& have, bool& more) {
  isal_zstream& z = state_->z;
  z.next_out = block.data();
  z.avail_out = static_cast<std::uint32_t>(std::min<std::size_t>(block.size(), UINT32_MAX));
  const std::uint32_t room = z.avail_out;
  if (int rc = isal_deflate(&z); rc != COMP_OK) return igzip_error(rc);
  have = room - z.avail_out;
  // isal_deflate stops early only when the block is full: a block with room
  // left means the input is in and, with a flush, out.
  more = z.avail_out == 0;
  if (!more &&
      (z.avail_in != 0 || (flush_ == Flush::kFinal && z.internal_state.state != ZSTATE_END))) {
    return igzip_error(ISAL_INVALID_STATE);
  }
  return {};
}

}  // namespace reportd::render
