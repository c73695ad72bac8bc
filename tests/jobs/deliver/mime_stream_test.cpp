// MimeSource and the SMTP dot-stuffer against the pre-streaming code: the
// streamed message is byte-identical to build_mime() (golden hashes taken from
// build_mime() before streaming existed), and stuffing it chunk by chunk gives
// exactly what dot_stuff() gives for the whole message.
#include <doctest/doctest.h>

#include <random>

#include "jobs/deliver/mime_source.hpp"
#include "jobs/deliver/smtp_client.hpp"
#include "random_mail.hpp"

namespace reportd::deliver {
namespace {

using testing::fnv1a;
using testing::RandomMail;

constexpr std::uint64_t kSeed = 20240601;

// fnv1a of the message and of its dot-stuffed wire form, from RandomMail(kSeed)
// messages 0..59 through build_mime() and dot_stuff() at commit a07667a.
struct Golden {
  std::uint64_t message;
  std::uint64_t stuffed;
};
constexpr Golden kGolden[] = {
    {0xeb0ffecfa9946efeull, 0x34a407441c4a3c64ull},  // 0: 386250 bytes, 386251 stuffed
    {0xae6d523472c825b8ull, 0xb552770c77169c8aull},  // 1: 299727 bytes, 299730 stuffed
    {0xb17dc282c7b9a5a3ull, 0xb17dc282c7b9a5a3ull},  // 2: 133671 bytes, 133671 stuffed
    {0x727411c16c7f1675ull, 0x2846ac50278c5c5full},  // 3: 2400 bytes, 2404 stuffed
    {0x5ae0be10c84fe8edull, 0xe78811a735dc88f9ull},  // 4: 293401 bytes, 293405 stuffed
    {0x22a87a082775742cull, 0x5790e53cfba64236ull},  // 5: 93158 bytes, 93166 stuffed
    {0xbfad6a6023e20a9dull, 0xa9b2d89df75a6f31ull},  // 6: 332317 bytes, 332318 stuffed
    {0xa23cb276608e0455ull, 0x148858a311fbbbb7ull},  // 7: 270942 bytes, 270948 stuffed
    {0xb23319c7bddde149ull, 0xbd7789e072c2d40bull},  // 8: 137570 bytes, 137575 stuffed
    {0x9cae3e79dddbadf6ull, 0x551fa71b2b4bc168ull},  // 9: 1087 bytes, 1088 stuffed
    {0x7dae71203604d2d6ull, 0xac06df957d8ac9baull},  // 10: 344285 bytes, 344288 stuffed
    {0x27dddb990ab20d3eull, 0x0cfd497487703424ull},  // 11: 299214 bytes, 299217 stuffed
    {0x819599965a0abf51ull, 0x47dd7d128a0062bdull},  // 12: 91209 bytes, 91215 stuffed
    {0xd09a392e033a77cfull, 0x475a4bc0f284d6b3ull},  // 13: 1199 bytes, 1204 stuffed
    {0x2e2eeae4d6adac46ull, 0xb903122f21bedf48ull},  // 14: 182099 bytes, 182103 stuffed
    {0x92895d19fb599501ull, 0x1491cb2b6ecaa97bull},  // 15: 1717 bytes, 1722 stuffed
    {0xea01c177ac03d951ull, 0xf2633e19cd7fd221ull},  // 16: 2038 bytes, 2043 stuffed
    {0x8f06846e1119828dull, 0x9b5bbec80df06041ull},  // 17: 1908 bytes, 1912 stuffed
    {0x42bf2c11f7096a11ull, 0xa398234e97c15815ull},  // 18: 363147 bytes, 363152 stuffed
    {0x6519e49096ff5b43ull, 0x596e52768166432full},  // 19: 1032 bytes, 1037 stuffed
    {0x59c4ab05b2efa37dull, 0x0ff2f51cc700e075ull},  // 20: 11684 bytes, 11689 stuffed
    {0xda34e0de8859e87cull, 0xce020c36e7b0f744ull},  // 21: 69061 bytes, 69066 stuffed
    {0xb66975fdcc9bbe55ull, 0x3355f52f014c4af3ull},  // 22: 1441 bytes, 1445 stuffed
    {0x484f849478ba025dull, 0xd8e7ee289f15c03full},  // 23: 62464 bytes, 62468 stuffed
    {0xe2bcc3da38e223a3ull, 0xbf1600564a552e7full},  // 24: 2865 bytes, 2868 stuffed
    {0xd3de17f3f79930fdull, 0x26c32fde8cb42507ull},  // 25: 986 bytes, 987 stuffed
    {0x67d4dcac24d3e385ull, 0xcc0b14059ac77ab5ull},  // 26: 142942 bytes, 142944 stuffed
    {0xa85a2c43e384915eull, 0x06998cde7894e63eull},  // 27: 1041 bytes, 1043 stuffed
    {0x670474814cf5ed36ull, 0x5676b806ca430f06ull},  // 28: 68951 bytes, 68953 stuffed
    {0xd6fbea6ce72e5624ull, 0xfd4140b3f9cb4734ull},  // 29: 72180 bytes, 72184 stuffed
    {0xca72805cab45a914ull, 0x6b40c5f5e37d90d0ull},  // 30: 1200 bytes, 1201 stuffed
    {0xb148bd6986dfc2e4ull, 0x06e6e4b19fe804a2ull},  // 31: 1673 bytes, 1678 stuffed
    {0xca6c45c14f2f71c0ull, 0x199881e357545a7cull},  // 32: 1561 bytes, 1565 stuffed
    {0xa0e85ba0a05c5be7ull, 0x32ac2a5dbf82bcf3ull},  // 33: 2657 bytes, 2663 stuffed
    {0xe312212dbc03ff3bull, 0x0bcdd4e279109a71ull},  // 34: 278407 bytes, 278409 stuffed
    {0x7917ae2296d59242ull, 0xd48f978bf3281e38ull},  // 35: 1134 bytes, 1136 stuffed
    {0x3e14e7f32e6c7995ull, 0x618b362d0e469121ull},  // 36: 1319 bytes, 1323 stuffed
    {0x0a021c3ca410be22ull, 0x5c90348f917735feull},  // 37: 261449 bytes, 261452 stuffed
    {0xc1040e192bffc125ull, 0xd93ee133f0287c9full},  // 38: 172321 bytes, 172327 stuffed
    {0x4864daee34dc25c6ull, 0x635103cf8947b72aull},  // 39: 1383 bytes, 1388 stuffed
    {0x0a285ef9ac97f2f3ull, 0xf83eef8c0d11f0b1ull},  // 40: 532543 bytes, 532544 stuffed
    {0xdd6f544d711a8f18ull, 0xfe65869d1863c8eaull},  // 41: 297580 bytes, 297584 stuffed
    {0x7334b2bd14f75d49ull, 0xff578ff8dc0ac0cbull},  // 42: 301688 bytes, 301691 stuffed
    {0x3850cd48e2397563ull, 0xe6788529207b7b3bull},  // 43: 361756 bytes, 361760 stuffed
    {0x00c8aac789357b3eull, 0x505e6dabbae6261aull},  // 44: 69058 bytes, 69059 stuffed
    {0xa36333d45e0e02fdull, 0xb2f493ac688d5ddfull},  // 45: 221817 bytes, 221823 stuffed
    {0x3ac2569c51095b00ull, 0x9ff6304ff8f9112aull},  // 46: 381875 bytes, 381877 stuffed
    {0x2154a37a482f7eaaull, 0x969e99ebe15dd146ull},  // 47: 1669 bytes, 1678 stuffed
    {0xe49b4b28bde2f500ull, 0xafc1551ad87f2c22ull},  // 48: 1870 bytes, 1872 stuffed
    {0x91be490f5117548dull, 0xe5797aeb107d5043ull},  // 49: 2055 bytes, 2061 stuffed
    {0x4809f876d9b6784eull, 0x483d5f1f19bd73f4ull},  // 50: 3120 bytes, 3126 stuffed
    {0xb7cb091e82a7d889ull, 0xaa488db69929f2f1ull},  // 51: 253563 bytes, 253568 stuffed
    {0xc524acae2ebc9660ull, 0xa34d743db7840362ull},  // 52: 1658 bytes, 1660 stuffed
    {0x1397eb2efc372d73ull, 0x700ba80511ae3981ull},  // 53: 262805 bytes, 262808 stuffed
    {0x4d26522e1073acbeull, 0x3d4a823e7e6f3c7eull},  // 54: 1837 bytes, 1840 stuffed
    {0x13bc729f11badac8ull, 0x3ac2309897b17b0aull},  // 55: 246735 bytes, 246741 stuffed
    {0x391bf8ca42f4896bull, 0x10160c3a7fd76165ull},  // 56: 76200 bytes, 76201 stuffed
    {0xa33dd46698702b55ull, 0xe97a71ab129ab013ull},  // 57: 271068 bytes, 271072 stuffed
    {0x5407ba4f3bee49b0ull, 0xd520f243a1ae275aull},  // 58: 2323 bytes, 2326 stuffed
    {0x4da68e63cc5210c7ull, 0xac144039055ed49bull},  // 59: 2424 bytes, 2432 stuffed
};

// The pre-streaming dot_stuff(), verbatim: the oracle.
std::string reference_stuff(std::string_view m) {
  std::string out;
  bool line_start = true;
  for (char c : m) {
    if (line_start && c == '.') out += '.';
    out += c;
    line_start = c == '\n';
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out;
}

// Feeds one piece through `stuffer` as smtp_send() does, appending to `out`.
void stuff_into(DotStuffer& stuffer, std::string_view piece, std::string& out) {
  ChunkBuffer buf(2 * piece.size() + 2);
  stuffer.feed(piece, buf);
  out.append(buf.view());
}

void stuff_finish(DotStuffer& stuffer, std::string& out) {
  ChunkBuffer tail(2);
  stuffer.finish(tail);
  out.append(tail.view());
}

// Stuffs `pieces` one by one through one DotStuffer.
std::string stuff_pieces(const std::vector<std::string_view>& pieces) {
  std::string out;
  DotStuffer stuffer;
  for (auto p : pieces) stuff_into(stuffer, p, out);
  stuff_finish(stuffer, out);
  return out;
}

TEST_CASE(
    "mime stream: 60 random messages stream byte-identical to the pre-streaming build_mime()") {
  RandomMail gen(kSeed);
  std::size_t attachments = 0, chunks = 0;
  for (std::size_t i = 0; i < std::size(kGolden); ++i) {
    CAPTURE(i);
    MailMessage m = gen.next(i);
    attachments += m.attachments.size();
    auto src = MimeSource::create(m);
    REQUIRE(src.ok());
    std::string streamed;
    for (std::string_view c = (*src)->next(); !c.empty(); c = (*src)->next()) {
      CHECK(c.size() <= 80 * 1024);
      streamed.append(c);
      ++chunks;
    }
    CHECK((*src)->next().empty());
    CHECK(fnv1a(streamed) == kGolden[i].message);
    CHECK((*src)->size() == streamed.size());
    auto whole = build_mime(m);
    REQUIRE(whole.ok());
    CHECK(*whole == streamed);
  }
  CHECK(attachments > 60);
  CHECK(chunks > 200);  // several attachments span more than one chunk
}

TEST_CASE(
    "mime stream: stuffing the stream in random pieces equals dot_stuff() of the whole, and SIZE "
    "is exact") {
  RandomMail gen(kSeed);
  std::mt19937_64 rng(7);
  for (std::size_t i = 0; i < std::size(kGolden); ++i) {
    CAPTURE(i);
    MailMessage m = gen.next(i);
    auto src = MimeSource::create(m);
    REQUIRE(src.ok());
    std::uint64_t expected_size = (*src)->stuffed_size();
    // Cut each chunk again at random points, and always right before a
    // "." that starts a line, so the CRLF and the dot arrive separately.
    // (A chunk is valid only until the next one is read: stuff as we go.)
    std::string wire;
    DotStuffer stuffer;
    for (std::string_view c = (*src)->next(); !c.empty(); c = (*src)->next()) {
      while (!c.empty()) {
        std::size_t cut = 1 + rng() % std::min<std::size_t>(c.size(), 5000);
        if (auto dot = c.find("\n."); dot != std::string_view::npos && dot + 1 < cut) cut = dot + 1;
        stuff_into(stuffer, c.substr(0, cut), wire);
        c.remove_prefix(cut);
      }
    }
    stuff_finish(stuffer, wire);
    CHECK(fnv1a(wire) == kGolden[i].stuffed);
    CHECK(wire == reference_stuff(*build_mime(m)));
    CHECK(wire.size() == expected_size);
  }
}

TEST_CASE(
    "dot stuffing: every split of short messages into two or three pieces matches the whole") {
  constexpr char kAlphabet[] = {'.', '\r', '\n', 'a'};
  std::size_t checked = 0;
  for (std::size_t len = 0; len <= 6; ++len) {
    std::size_t combos = 1;
    for (std::size_t k = 0; k < len; ++k) combos *= 4;
    for (std::size_t code = 0; code < combos; ++code) {
      std::string s;
      for (std::size_t k = 0, c = code; k < len; ++k, c /= 4) s += kAlphabet[c % 4];
      std::string expected = reference_stuff(s);
      std::string_view v = s;
      for (std::size_t a = 0; a <= len; ++a) {
        for (std::size_t b = a; b <= len; ++b) {
          std::vector<std::string_view> pieces{v.substr(0, a), v.substr(a, b - a), v.substr(b)};
          REQUIRE(stuff_pieces(pieces) == expected);
          DotStuffer counter;
          std::uint64_t added =
              counter.count(pieces[0]) + counter.count(pieces[1]) + counter.count(pieces[2]);
          REQUIRE(s.size() + added + counter.count_finish() == expected.size());
          ++checked;
        }
      }
    }
  }
  CHECK(checked > 50000);
  CHECK(dot_stuff(".a\r\nb\r\n..c\r\n.\r\n") == "..a\r\nb\r\n...c\r\n..\r\n");
}

TEST_CASE("dot stuffing: a line split across chunks right before its dot is still stuffed") {
  CHECK(stuff_pieces({"a\r\n", ".b\r\n"}) == "a\r\n..b\r\n");
  CHECK(stuff_pieces({"a\r", "\n", ".", "\r\n"}) == "a\r\n..\r\n");
  CHECK(stuff_pieces({"a.", "b\r\n"}) == "a.b\r\n");
  CHECK(stuff_pieces({".", ".", "\r\n"}) == "...\r\n");
  CHECK(stuff_pieces({"x\r", "\n"}) == "x\r\n");  // no second CRLF
  CHECK(stuff_pieces({"x\r"}) == "x\r\r\n");
}

TEST_CASE("message source: a string source yields 64 KiB chunks and knows its stuffed size") {
  std::string m;
  for (int i = 0; i < 20000; ++i) m += i % 3 == 0 ? ".line\r\n" : "line\r\n";
  StringSource src(m);
  CHECK(src.size() == m.size());
  CHECK(src.stuffed_size() == reference_stuff(m).size());
  std::string back;
  for (std::string_view c = src.next(); !c.empty(); c = src.next()) {
    CHECK(c.size() <= 64 * 1024);
    back.append(c);
  }
  CHECK(back == m);
  StringSource no_crlf("x");
  CHECK(no_crlf.stuffed_size() == 3);
}

TEST_CASE("mime stream: base64 sizes are exact and chunked encoding matches the whole") {
  std::mt19937_64 rng(3);
  for (std::size_t n = 0; n < 400; ++n) {
    std::string bytes(n, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    for (std::size_t line : {std::size_t(0), std::size_t(76), std::size_t(5)}) {
      REQUIRE(base64_encoded_size(n, line) == base64_encode(bytes, line).size());
    }
    std::string chunked;  // 57-byte-aligned pieces concatenate to the whole
    for (std::size_t off = 0; off < n; off += 114)
      chunked += base64_encode(std::string_view(bytes).substr(off, 114));
    REQUIRE(chunked == base64_encode(bytes));
  }
}

TEST_CASE("mime stream: invalid messages fail as build_mime() does") {
  MailMessage m;
  m.from = {"Reports", "reports@example.com"};
  m.to.push_back({"", "x@example.org\nBcc: y@example.org"});
  m.message_id = derive_message_id("k", "x@example.org", "example.com");
  CHECK(MimeSource::create(m).status().kind() == ErrorKind::kInvalidArgument);
  m.to.clear();
  CHECK(MimeSource::create(m).status().kind() == ErrorKind::kInvalidArgument);
}

}  // namespace
}  // namespace reportd::deliver
