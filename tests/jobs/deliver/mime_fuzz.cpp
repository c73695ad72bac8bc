// Test driver for the header-injection fuzz: generates N messages whose
// subject, display name, file name and body are built from hostile pieces
// (CR, LF, NUL, LF-dot, fake headers, encoded-word markers, non-ASCII), and
// writes each case as
//   "CASE <len subject> <len name> <len filename> <len text> <len attachment> <len message>\n"
// followed by those byte strings. mime_fuzz_test.py parses every message.
#include <array>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>

#include "jobs/deliver/mime.hpp"

using namespace reportd;

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 10000;
  std::mt19937_64 rng(argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1);
  const std::array<std::string_view, 28> pieces = {
      "a", "Report", " ", "  ", "\r", "\n", "\r\n", std::string_view("\0", 1), "\n.", "\n.\r\n",
      ".", "\xC3\xA9", "\xE6\x97\xA5\xE6\x9C\xAC", "=?", "?=", "=?UTF-8?B?QmNj?=", "\"", "\\", ";",
      ":", "<x@y.z>", "\r\nBcc: victim@example.com", "\nX-Injected: 1", "\t", "%", "'", "*",
      "\xF0\x9F\x93\x8A"};
  auto gen = [&](std::size_t max_pieces) {
    std::string s;
    std::size_t k = rng() % (max_pieces + 1);
    for (std::size_t i = 0; i < k; ++i) {
      if (rng() % 40 == 0) s += std::string(rng() % 300, 'x');
      else s += pieces[rng() % pieces.size()];
    }
    return s;
  };
  for (int i = 0; i < n; ++i) {
    deliver::MailMessage m;
    m.from = {gen(4), "reports@example.com"};
    m.to = {{gen(8), "someone@example.org"}};
    m.subject = gen(20);
    m.message_id = deliver::derive_message_id("occ-" + std::to_string(i), "someone@example.org", "example.com");
    m.date_ms = 1700000000000;
    m.text = gen(30);
    m.html = "<p>" + gen(5) + "</p>";
    std::string filename = gen(10);
    std::string att = gen(30);
    m.attachments.push_back({filename, "text/csv; charset=utf-8", att});
    auto msg = deliver::build_mime(m);
    if (!msg.ok()) {
      std::cerr << "build_mime failed: " << msg.status().message() << "\n";
      return 1;
    }
    std::cout << "CASE " << m.subject.size() << ' ' << m.to[0].display_name.size() << ' '
              << filename.size() << ' ' << m.text.size() << ' ' << att.size() << ' '
              << msg->size() << '\n'
              << m.subject << m.to[0].display_name << filename << m.text << att << *msg;
  }
  return 0;
}
