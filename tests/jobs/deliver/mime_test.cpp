#include "jobs/deliver/mime.hpp"

#include <doctest/doctest.h>

namespace reportd::deliver {
namespace {

MailMessage sample() {
  MailMessage m;
  m.from = {"Reports", "reports@example.com"};
  m.to = {{"", "a@example.org"}};
  m.subject = "Weekly pipeline";
  m.message_id = derive_message_id("7:1700000000", "a@example.org", "example.com");
  m.date_ms = 1700000000000;
  m.text = "hello\n.dot line\n";
  m.html = "<p>hello</p>";
  return m;
}

TEST_CASE("mime: Message-ID is stable per occurrence and recipient, case-insensitive") {
  auto a = derive_message_id("7:1700000000", "A@Example.org", "example.com");
  CHECK(a == derive_message_id("7:1700000000", "a@example.org", "example.com"));
  CHECK(a != derive_message_id("7:1700000001", "a@example.org", "example.com"));
  CHECK(a != derive_message_id("7:1700000000", "b@example.org", "example.com"));
  CHECK(a.size() == 1 + 32 + 1 + 11 + 1);
}

TEST_CASE("mime: plain ASCII subjects stay readable, others are RFC 2047 encoded") {
  CHECK(encode_unstructured_header("Subject", "Weekly pipeline") == "Subject: Weekly pipeline\r\n");
  CHECK(encode_unstructured_header("Subject", "Caf\xC3\xA9") == "Subject: =?UTF-8?B?Q2Fmw6k=?=\r\n");
  auto injected = encode_unstructured_header("Subject", "x\r\nBcc: evil@example.com");
  CHECK(injected.find("Bcc") == std::string::npos);
  CHECK(injected.find('\n') == injected.size() - 1);
}

TEST_CASE("mime: addresses must be plain dot-atoms") {
  CHECK(validate_address("a.b+c@example.org").ok());
  CHECK(!validate_address("a@example.org\r\nRCPT TO:<x@y.z>").ok());
  CHECK(!validate_address("a b@example.org").ok());
  CHECK(!validate_address("<a@example.org>").ok());
  CHECK(!validate_address("a@localhost").ok());
  CHECK(!validate_address(std::string("a\0@example.org", 15)).ok());
  auto m = sample();
  m.to[0].email = "x@example.org\nBcc: y@example.org";
  CHECK(build_mime(m).status().kind() == ErrorKind::kInvalidArgument);
}

TEST_CASE("mime: quoted-printable keeps lines short and CRLF") {
  std::string long_line(2000, 'y');
  std::string qp = quoted_printable(long_line + "\nend \n");
  for (std::size_t pos = 0, next; (next = qp.find("\r\n", pos)) != std::string::npos; pos = next + 2) {
    CHECK(next - pos <= 76);
  }
  CHECK(qp.find("end=20\r\n") != std::string::npos);
}

TEST_CASE("mime: base64 matches RFC 4648 vectors") {
  CHECK(base64_encode("", 0).empty());
  CHECK(base64_encode("f", 0) == "Zg==");
  CHECK(base64_encode("fo", 0) == "Zm8=");
  CHECK(base64_encode("foobar", 0) == "Zm9vYmFy");
}

TEST_CASE("mime: structure, RFC 2231 file names, no bare LF") {
  auto m = sample();
  std::string bytes = "a,b\r\n1,2\r\n";
  m.attachments.push_back({"r\xC3\xA9sum\xC3\xA9 \"Q3\".csv", "text/csv; charset=utf-8", bytes});
  auto out = build_mime(m);
  REQUIRE(out.ok());
  CHECK(out->find("multipart/mixed") != std::string::npos);
  CHECK(out->find("multipart/alternative") != std::string::npos);
  CHECK(out->find("filename*0*=UTF-8''r%C3%A9sum%C3%A9%20_Q3_.csv") != std::string::npos);
  for (std::size_t i = 0; i < out->size(); ++i) {
    if ((*out)[i] == '\n') REQUIRE((i > 0 && (*out)[i - 1] == '\r'));
  }
}

}  // namespace
}  // namespace reportd::deliver
