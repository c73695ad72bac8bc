#include "jobs/render/igzip.hpp"

#include <doctest/doctest.h>
#include <zlib.h>

#include <algorithm>
#include <string>
#include <vector>

#include "jobs/render/xlsx_zip.hpp"

namespace reportd::render {
namespace {

// Inflates a raw deflate stream with zlib (an independent reader); `ended`
// says whether it ended on a final block.
std::string inflate_all(std::string_view in, bool& ended) {
  z_stream z{};
  REQUIRE(inflateInit2(&z, -MAX_WBITS) == Z_OK);
  std::string out;
  std::vector<char> block(1 << 20);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  do {
    z.next_out = reinterpret_cast<Bytef*>(block.data());
    z.avail_out = static_cast<uInt>(block.size());
    rc = inflate(&z, Z_NO_FLUSH);
    REQUIRE((rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR));
    out.append(block.data(), block.size() - z.avail_out);
  } while (rc == Z_OK && (z.avail_in > 0 || z.avail_out == 0));
  ended = rc == Z_STREAM_END;
  CHECK(z.avail_in == 0);
  inflateEnd(&z);
  return out;
}

// Sheet-like rows: markup that repeats, values that do not (a xorshift).
std::string sheet_text(std::size_t size) {
  std::string s;
  std::uint64_t x = 88172645463325252ull;
  for (std::size_t row = 2; s.size() < size; ++row) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s += "<row r=\"" + std::to_string(row) + "\"><c t=\"inlineStr\"><is><t>Opportunity " +
         std::to_string(x % 1000003) + "</t></is></c><c><v>" + std::to_string(x >> 40) +
         "</v></c></row>";
  }
  s.resize(size);
  return s;
}

std::uint32_t crc_of(std::string_view s) {
  return static_cast<std::uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

TEST_CASE("igzip: a streamed entry of many blocks inflates back, from empty to 10 MiB") {
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{65536}, std::size_t{300000},
                           std::size_t{10} << 20}) {
    CAPTURE(size);
    auto s = Scratch::open({});
    REQUIRE(s.ok());
    auto file = (*s)->create("t.bin", "application/octet-stream");
    REQUIRE(file.ok());
    const std::string text = sheet_text(size);
    std::string head;
    auto h = deflate_piece("<sheet>", false, head);
    REQUIRE(h.ok());
    auto body = DeflateTemp::open((*s)->tmpdir());
    REQUIRE(body.ok());
    // Uneven writes, as rows arrive: 1 byte up to 128 KiB at a time.
    std::size_t at = 0;
    for (std::size_t n = 1; at < text.size(); n = n * 3 % (128 * 1024) + 1) {
      const std::size_t take = std::min(n, text.size() - at);
      REQUIRE((*body)->write(std::string_view(text).substr(at, take)).ok());
      at += take;
    }
    REQUIRE((*body)->close().ok());
    REQUIRE((*body)->copy_to(**file).ok());
    std::string tail;
    auto t = deflate_piece("</sheet>", true, tail);
    REQUIRE(t.ok());
    auto v = (*file)->view();
    REQUIRE(v.ok());
    const std::string stream = head + std::string(*v) + tail;
    const std::string whole = "<sheet>" + text + "</sheet>";
    bool ended = false;
    CHECK(inflate_all(stream, ended) == whole);
    CHECK(ended);
    const Deflated all = join(join(*h, (*body)->sums()), *t);
    CHECK(all.in == whole.size());
    CHECK(all.out == stream.size());
    CHECK(all.crc == crc_of(whole));
    if (size == (std::size_t{10} << 20)) CHECK(stream.size() < size / 2);  // it does compress
  }
}

TEST_CASE("igzip: an empty final piece is a valid empty stream; a sync piece is not final") {
  std::string out;
  auto d = deflate_piece("", true, out);
  REQUIRE(d.ok());
  CHECK(d->out == out.size());
  CHECK(d->crc == 0);
  bool ended = false;
  CHECK(inflate_all(out, ended).empty());
  CHECK(ended);
  std::string sync;
  REQUIRE(deflate_piece("<a/>", false, sync).ok());
  CHECK(inflate_all(sync, ended) == "<a/>");
  CHECK_FALSE(ended);
}

TEST_CASE("igzip: output blocks smaller than the data, and a final write of all at once") {
  const std::string text = sheet_text(1 << 20);
  Igzip z;
  std::vector<unsigned char> block(257);  // odd and tiny: many drains per call
  std::string out;
  std::size_t calls = 0;
  auto sink = [&](std::string_view s) {
    CHECK(s.size() <= block.size());
    out += s;
    ++calls;
    return Status();
  };
  REQUIRE(z.write(std::string_view(text).substr(0, 1000), Igzip::Flush::kSync, block, sink).ok());
  REQUIRE(z.write(std::string_view(text).substr(1000), Igzip::Flush::kFinal, block, sink).ok());
  CHECK(calls > 100);
  bool ended = false;
  CHECK(inflate_all(out, ended) == text);
  CHECK(ended);
}

TEST_CASE("igzip: a sink's error stops the write and is returned") {
  Igzip z;
  std::vector<unsigned char> block(1024);
  Status st = z.write(sheet_text(100000), Igzip::Flush::kFinal, block,
                      [](std::string_view) { return Status::error(ErrorKind::kIo, "disk full"); });
  CHECK_FALSE(st.ok());
  CHECK(st.message() == "disk full");
}

TEST_CASE("igzip: wipe() leaves no byte of the state, the window or the level buffer") {
  const std::string secret = "SECRET-ACCOUNT-NAME-0123456789";
  std::string text;
  for (int i = 0; i < 50; ++i)
    text += "<row><c><v>" + secret + std::to_string(i) + "</v></c></row>";
  Igzip z;
  std::vector<unsigned char> block(64 * 1024);
  std::string out;
  REQUIRE(z.write(text, Igzip::Flush::kNone, block, [&](std::string_view s) {
             out += s;
             return Status();
           }).ok());
  auto holds = [&](std::span<const unsigned char> b) {
    return std::search(b.begin(), b.end(), secret.begin(), secret.end()) != b.end();
  };
  // The test means something: the plaintext is there before the wipe.
  CHECK((holds(z.state_bytes()) || holds(z.level_bytes())));
  z.wipe();
  auto zero = [](std::span<const unsigned char> b) {
    return std::all_of(b.begin(), b.end(), [](unsigned char c) { return c == 0; });
  };
  CHECK(zero(z.state_bytes()));
  CHECK(zero(z.level_bytes()));
  CHECK(z.level_bytes().size() > 0);
}

}  // namespace
}  // namespace reportd::render
