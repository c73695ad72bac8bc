#include "jobs/deliver/mime.hpp"

#include <date/date.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>

#include "jobs/render/cell_text.hpp"

namespace reportd::deliver {
namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::size_t kWordBytes = 45;  // 60 base64 chars: encoded-word stays within 75
constexpr std::size_t kParamChunk = 60;

bool is_atext(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x80 || u <= 0x20) return false;
  return std::string_view("()<>[]:;@\\,.\"").find(c) == std::string_view::npos;
}

std::string hex_digest(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xF];
  }
  return out;
}

// Splits valid UTF-8 into chunks of at most `max` bytes, never inside a character.
std::vector<std::string_view> utf8_chunks(std::string_view s, std::size_t max) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    std::size_t n = std::min(max, s.size());
    while (n < s.size() && n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    out.push_back(s.substr(0, n));
    s.remove_prefix(n);
  }
  return out;
}

// RFC 2047 encoded-words for `value`, joined by CRLF SP (folding whitespace,
// which decoders drop between adjacent encoded-words).
std::string encoded_words(std::string_view value) {
  std::string clean = render::sanitize_utf8(value);
  std::string out;
  for (auto chunk : utf8_chunks(clean, kWordBytes)) {
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64_encode(chunk, 0) + "?=";
  }
  if (out.empty()) out = "=?UTF-8?B?" "?=";
  return out;
}

bool plain_phrase(std::string_view s) {
  if (s.empty() || s.size() > 60 || s.front() == ' ' || s.back() == ' ') return false;
  char prev = 'x';
  for (char c : s) {
    if (!(is_atext(c) || c == ' ') || (c == ' ' && prev == ' ')) return false;
    prev = c;
  }
  return s.find("=?") == std::string_view::npos;
}

// Printable ASCII that fits one line and reads back exactly as written.
bool plain_unstructured(std::string_view v, std::size_t prefix) {
  if (v.empty() || v.size() + prefix > 78 || v.front() == ' ' || v.back() == ' ') return false;
  if (v.find("=?") != std::string_view::npos || v.find("  ") != std::string_view::npos) return false;
  return std::all_of(v.begin(), v.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u <= 0x7E;
  });
}

// Display names are cosmetic: controls become spaces, whitespace runs
// collapse, and the result fits one encoded-word (clients disagree on how to
// join several inside an address).
std::string clean_display_name(std::string_view in) {
  std::string s = render::sanitize_utf8(in), out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) c = ' ';
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  // A plain phrase (at most 60 characters) is sent as is; anything else
  // becomes one encoded-word.
  if (!plain_phrase(out) && out.size() > kWordBytes) {
    out = std::string(utf8_chunks(out, kWordBytes).front());
    while (!out.empty() && out.back() == ' ') out.pop_back();
  }
  return out;
}

std::string format_address(const Address& a) {
  std::string name = clean_display_name(a.display_name);
  if (name.empty()) return "<" + a.email + ">";
  if (plain_phrase(name)) return name + " <" + a.email + ">";
  return "=?UTF-8?B?" + base64_encode(name, 0) + "?= <" + a.email + ">";
}

// File names: no controls, none of the characters Windows forbids in file
// names (< > : " / \ | ? *), no surrounding blanks.
std::string clean_filename(std::string_view in) {
  std::string s = render::sanitize_utf8(in);
  for (char& c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F || std::string_view("<>:\"/\\|?*").find(c) != std::string_view::npos) {
      c = '_';
    }
  }
  auto first = s.find_first_not_of(' ');
  if (first == std::string::npos) return "attachment.bin";
  s = s.substr(first, s.find_last_not_of(' ') - first + 1);
  return s;
}

// `; name=...` for a MIME parameter, RFC 2231 when not plain ASCII.
std::string mime_param(std::string_view name, std::string_view value) {
  bool plain = !value.empty() && value.size() <= kParamChunk;
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7E || c == '"' || c == '\\') plain = false;
  }
  if (plain) return ";\r\n " + std::string(name) + "=\"" + std::string(value) + "\"";
  std::string clean = render::sanitize_utf8(value);
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  std::string seg = "UTF-8''";
  int index = 0;
  auto flush = [&] {
    out += ";\r\n " + std::string(name) + "*" + std::to_string(index++) + "*=" + seg;
    seg.clear();
  };
  for (char c : clean) {
    auto u = static_cast<unsigned char>(c);
    bool attr_char = std::isalnum(u) != 0 && u < 0x80;
    attr_char = attr_char || std::string_view("!#$&+-.^_`|~").find(c) != std::string_view::npos;
    if (seg.size() + 3 > kParamChunk) flush();
    if (attr_char) {
      seg += c;
    } else {
      seg += '%';
      seg += kHex[u >> 4];
      seg += kHex[u & 0xF];
    }
  }
  if (!seg.empty() || index == 0) flush();
  return out;
}

Status validate_content_type(std::string_view ct) {
  bool ok = ct.find('/') != std::string_view::npos;
  for (char c : ct) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7E || c == '"') ok = false;
  }
  if (!ok) return Status::error(ErrorKind::kInvalidArgument, "mime: invalid attachment content type");
  return {};
}

std::string rfc5322_date(std::int64_t ms) {
  date::sys_seconds tp{std::chrono::seconds{ms / 1000}};
  return date::format("%a, %d %b %Y %H:%M:%S +0000", tp);
}

}  // namespace

std::uint64_t base64_encoded_size(std::uint64_t n, std::size_t line_length) {
  std::uint64_t chars = (n + 2) / 3 * 4;
  if (line_length == 0) return chars;
  return chars + (chars + line_length - 1) / line_length * 2;
}

std::size_t base64_encode_into(std::string_view in, std::size_t line_length, char* out) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char* const start = out;
  std::size_t col = 0;
  // A CRLF after every line_length characters and after a last, partial line.
  auto put = [&](char c) {
    *out++ = c;
    if (line_length != 0 && ++col == line_length) {
      *out++ = '\r';
      *out++ = '\n';
      col = 0;
    }
  };
  auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])); };
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    put(kAlphabet[(v >> 18) & 63]);
    put(kAlphabet[(v >> 12) & 63]);
    put(kAlphabet[(v >> 6) & 63]);
    put(kAlphabet[v & 63]);
  }
  if (i < in.size()) {
    std::uint32_t v = byte(i) << 16;
    if (i + 1 < in.size()) v |= byte(i + 1) << 8;
    put(kAlphabet[(v >> 18) & 63]);
    put(kAlphabet[(v >> 12) & 63]);
    put(i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=');
    put('=');
  }
  if (line_length != 0 && col != 0) {
    *out++ = '\r';
    *out++ = '\n';
  }
  return static_cast<std::size_t>(out - start);
}

std::string base64_encode(std::string_view in, std::size_t line_length) {
  std::string out(base64_encoded_size(in.size(), line_length), '\0');
  out.resize(base64_encode_into(in, line_length, out.data()));
  return out;
}

std::string quoted_printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  std::size_t col = 0;
  auto emit = [&](std::string_view tok) {
    if (col + tok.size() > 75) {
      out += "=\r\n";
      col = 0;
    }
    out += tok;
    col += tok.size();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r' || c == '\n') {  // any line end becomes CRLF
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out += kCrlf;
      col = 0;
      continue;
    }
    auto u = static_cast<unsigned char>(c);
    bool at_eol = i + 1 == text.size() || text[i + 1] == '\r' || text[i + 1] == '\n';
    bool literal = (u >= 33 && u <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_eol);
    if (literal) {
      emit(std::string_view(&text[i], 1));
    } else {
      char tok[3] = {'=', kHex[u >> 4], kHex[u & 0xF]};
      emit(std::string_view(tok, 3));
    }
  }
  // The CRLF before a boundary belongs to the boundary: end the content
  // with one of our own, so a trailing line end in the text survives.
  out += kCrlf;
  return out;
}

std::string encode_unstructured_header(std::string_view name, std::string_view value) {
  std::string line = std::string(name) + ": ";
  if (plain_unstructured(value, line.size())) return line + std::string(value) + "\r\n";
  return line + encoded_words(value) + "\r\n";
}

Status validate_address(std::string_view email) {
  auto bad = [](std::string_view why) {
    return Status::error(ErrorKind::kInvalidArgument, "mail: invalid address: " + std::string(why),
                         "bad-address");
  };
  if (email.empty() || email.size() > 254) return bad("empty or longer than 254 characters");
  auto at = email.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == email.size()) return bad("expected local@domain");
  std::string_view local = email.substr(0, at), domain = email.substr(at + 1);
  if (local.size() > 64) return bad("local part longer than 64 characters");
  auto dot_atom = [](std::string_view s, bool domain_rules) {
    if (s.empty() || s.front() == '.' || s.back() == '.' || s.find("..") != std::string_view::npos) return false;
    for (char c : s) {
      auto u = static_cast<unsigned char>(c);
      bool ok = domain_rules ? (std::isalnum(u) != 0 && u < 0x80) || c == '-' || c == '.'
                             : is_atext(c) || c == '.';
      if (!ok) return false;
    }
    return true;
  };
  if (!dot_atom(local, false)) return bad("the local part has characters outside the ASCII dot-atom set");
  if (!dot_atom(domain, true) || domain.find('.') == std::string_view::npos) {
    return bad("the domain must be a dotted ASCII host name");
  }
  return {};
}

std::string derive_message_id(std::string_view occurrence_key, std::string_view recipient,
                              std::string_view domain) {
  std::string r(recipient);
  std::transform(r.begin(), r.end(), r.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string key = "reportd-message-id\n";
  key.append(occurrence_key).append("\n").append(r);
  std::string id = "<";
  id.append(hex_digest(key).substr(0, 32)).append("@").append(domain).append(">");
  return id;
}

Result<std::vector<MimePiece>> plan_mime(const MailMessage& m) {
  if (Status st = validate_address(m.from.email); !st.ok()) return std::move(st).with_context("from");
  if (m.to.empty()) return Status::error(ErrorKind::kInvalidArgument, "mime: no recipient");
  for (const auto& a : m.to) {
    if (Status st = validate_address(a.email); !st.ok()) return std::move(st).with_context("to");
  }
  std::string_view id = m.message_id;
  if (id.size() < 5 || id.front() != '<' || id.back() != '>' ||
      !std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7F; })) {
    return Status::error(ErrorKind::kInvalidArgument, "mime: invalid Message-ID");
  }
  for (const auto& a : m.attachments) {
    if (Status st = validate_content_type(a.content_type); !st.ok()) return st;
  }
  // Boundaries hold "=_", which neither base64 nor quoted-printable can produce.
  std::string seed = hex_digest(m.message_id).substr(0, 24);
  std::string mixed = "=_reportd_mixed_" + seed, alt = "=_reportd_alt_" + seed;

  std::vector<MimePiece> pieces;
  std::string o;
  o += "From: " + format_address(m.from) + "\r\n";
  o += "To: ";
  for (std::size_t i = 0; i < m.to.size(); ++i) o += (i ? ",\r\n " : "") + format_address(m.to[i]);
  o += "\r\n";
  o += encode_unstructured_header("Subject", m.subject);
  o += "Date: " + rfc5322_date(m.date_ms) + "\r\n";
  o += "Message-ID: " + m.message_id + "\r\n";
  o += "Auto-Submitted: auto-generated\r\n";
  o += "MIME-Version: 1.0\r\n";
  o += "Content-Type: multipart/mixed;\r\n boundary=\"" + mixed + "\"\r\n\r\n";
  o += "This is a multi-part message in MIME format.\r\n";
  o += "--" + mixed + "\r\nContent-Type: multipart/alternative;\r\n boundary=\"" + alt + "\"\r\n\r\n";
  o += "--" + alt + "\r\nContent-Type: text/plain; charset=utf-8\r\n";
  o += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
  o += quoted_printable(render::sanitize_utf8(m.text));
  if (!m.html.empty()) {
    o += "--" + alt + "\r\nContent-Type: text/html; charset=utf-8\r\n";
    o += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
    o += quoted_printable(render::sanitize_utf8(m.html));
  }
  o += "--" + alt + "--\r\n";
  for (const auto& a : m.attachments) {
    std::string filename = clean_filename(a.filename);
    o += "--" + mixed + "\r\nContent-Type: " + a.content_type + mime_param("name", filename) + "\r\n";
    o += "Content-Disposition: attachment" + mime_param("filename", filename) + "\r\n";
    o += "Content-Transfer-Encoding: base64\r\n\r\n";
    pieces.push_back(MimePiece{std::move(o), a.bytes});
    o.clear();
  }
  o += "--" + mixed + "--\r\n";
  pieces.push_back(MimePiece{std::move(o), std::string_view()});
  return pieces;
}

Result<std::string> build_mime(const MailMessage& m) {
  auto pieces = plan_mime(m);
  if (!pieces.ok()) return pieces.status();
  std::string out;
  for (const auto& p : *pieces) {
    out += p.text;
    out += base64_encode(p.base64_of);
  }
  return out;
}

}  // namespace reportd::deliver
