#include "http_util.hpp"

#include <zlib.h>

#include <stdexcept>

#include "value.hpp"

namespace reportd::sim {

bool accepts_gzip(const httplib::Request& req) {
  return req.get_header_value("Accept-Encoding").find("gzip") != std::string::npos;
}

std::string gzip(const std::string& data) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2");
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate");
  return out;
}

void send_json(const httplib::Request& req, httplib::Response& res, int status, std::string body) {
  res.status = status;
  if (accepts_gzip(req) && body.size() > 64) {
    res.set_header("Content-Encoding", "gzip");
    res.set_header("Vary", "Accept-Encoding");
    res.set_content(gzip(body), kJsonType);
  } else {
    res.set_content(std::move(body), kJsonType);
  }
}

std::string jstr(const std::string& s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

void send_error(const httplib::Request& req, httplib::Response& res, int status,
                const std::string& code, const std::string& message,
                const std::vector<std::string>* fields) {
  std::string body = "[{\"message\":" + jstr(message) + ",\"errorCode\":" + jstr(code);
  if (fields != nullptr) {
    body += ",\"fields\":[";
    for (size_t i = 0; i < fields->size(); ++i) body += (i ? "," : "") + jstr((*fields)[i]);
    body += "]";
  }
  body += "}]";
  send_json(req, res, status, std::move(body));
}

void send_oauth_error(const httplib::Request& req, httplib::Response& res, int status,
                      const std::string& error, const std::string& description) {
  send_json(req, res, status,
            "{\"error\":" + jstr(error) + ",\"error_description\":" + jstr(description) + "}");
}

std::string base64_encode(const std::string& in, bool url) {
  static const char* std_chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  static const char* url_chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const char* chars = url ? url_chars : std_chars;
  std::string out;
  size_t i = 0;
  while (i + 2 < in.size()) {
    unsigned n = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) | static_cast<unsigned char>(in[i + 2]);
    out += chars[(n >> 18) & 63];
    out += chars[(n >> 12) & 63];
    out += chars[(n >> 6) & 63];
    out += chars[n & 63];
    i += 3;
  }
  size_t rest = in.size() - i;
  if (rest > 0) {
    unsigned n = static_cast<unsigned char>(in[i]) << 16;
    if (rest == 2) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += chars[(n >> 18) & 63];
    out += chars[(n >> 12) & 63];
    if (rest == 2) out += chars[(n >> 6) & 63];
    if (!url) out.append(3 - rest, '=');
  }
  return out;
}

bool base64_decode(const std::string& in, std::string& out) {
  out.clear();
  unsigned buf = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+' || c == '-') v = 62;
    else if (c == '/' || c == '_') v = 63;
    else if (c == '=' || c == '\n' || c == '\r' || c == ' ') continue;
    else return false;
    buf = (buf << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buf >> bits) & 0xff);
    }
  }
  return true;
}

}  // namespace reportd::sim
