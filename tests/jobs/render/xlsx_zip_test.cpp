#include "jobs/render/xlsx_zip.hpp"

#include <doctest/doctest.h>
#include <zlib.h>

#include "jobs/render/xlsx_parts.hpp"

namespace reportd::render {
namespace {

std::string inflate_raw(std::string_view in) {
  z_stream z{};
  REQUIRE(inflateInit2(&z, -MAX_WBITS) == Z_OK);
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&z, Z_FINISH);
  CHECK(rc == Z_STREAM_END);
  CHECK(z.avail_in == 0);
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

TEST_CASE("xlsx zip: pieces deflated apart join into one stream with the whole's CRC") {
  auto s = Scratch::open({});
  REQUIRE(s.ok());
  auto file = (*s)->create("t.bin", "application/octet-stream");
  REQUIRE(file.ok());
  std::string head_text = "<head>", tail_text = "</tail>", body_text;
  std::string joined;
  auto head = deflate_piece(head_text, false, joined);
  REQUIRE(head.ok());
  auto body = DeflateTemp::open((*s)->tmpdir());
  REQUIRE(body.ok());
  for (int i = 0; i < 20000; ++i) {
    std::string row = "<row r=\"" + std::to_string(i) + "\"><c><v>" + std::to_string(i * 7919 % 1000) + "</v></c></row>";
    body_text += row;
    REQUIRE((*body)->write(row).ok());
  }
  REQUIRE((*body)->close().ok());
  CHECK((*s)->tmpdir_bytes() == (*body)->file_bytes());
  REQUIRE((*body)->copy_to(**file).ok());
  auto tail = deflate_piece(tail_text, true, joined);  // appended after head: rebuild in order
  REQUIRE(tail.ok());
  auto v = (*file)->view();
  REQUIRE(v.ok());
  std::string stream = joined.substr(0, head->out) + std::string(*v) + joined.substr(head->out);
  const std::string whole = head_text + body_text + tail_text;
  CHECK(inflate_raw(stream) == whole);
  Deflated all = join(join(*head, (*body)->sums()), *tail);
  CHECK(all.in == whole.size());
  CHECK(all.out == stream.size());
  CHECK(all.crc == crc32(0, reinterpret_cast<const Bytef*>(whole.data()), static_cast<uInt>(whole.size())));
  body->reset();
  CHECK((*s)->tmpdir_bytes() == 0);  // the temp file went with it
}

TEST_CASE("xlsx parts: escaping and column names") {
  std::string out;
  xlsx::append_escaped(out, "a&b<c>d\te\nf\rg\x01h");
  CHECK(out == "a&amp;b&lt;c&gt;d\te\nf_x000D_g_x0001_h");
  CHECK(xlsx::column_name(0) == "A");
  CHECK(xlsx::column_name(25) == "Z");
  CHECK(xlsx::column_name(26) == "AA");
  CHECK(xlsx::column_name(16383) == "XFD");
}

}  // namespace
}  // namespace reportd::render
