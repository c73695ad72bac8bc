// Classification follows DESIGN.md §4.4: network errors, timeouts, 5xx and
// SERVER_UNAVAILABLE are transient; REQUEST_LIMIT_EXCEEDED is a limit;
// invalid_grant and rejected sessions need a person; the rest is permanent.
#include "salesforce_client/error.hpp"

#include <boost/json.hpp>

namespace reportd::salesforce {
namespace json = boost::json;

namespace {

bool is_json(std::string_view content_type, std::string_view body) {
  if (content_type.find("json") != std::string_view::npos) return true;
  auto p = body.find_first_not_of(" \t\r\n");
  return p != std::string_view::npos && (body[p] == '[' || body[p] == '{');
}

std::string media_type(std::string_view content_type) {
  auto semi = content_type.find(';');
  std::string out(content_type.substr(0, semi));
  if (out.empty()) out = "no content type";
  return one_line(out, 60);
}

std::string string_field(const json::object& o, std::string_view key) {
  if (auto* v = o.if_contains(key); v && v->is_string()) return std::string(v->get_string());
  return {};
}

}  // namespace

std::string one_line(std::string_view text, std::size_t max) {
  std::string out;
  out.reserve(std::min(text.size(), max));
  bool space = false;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space && c != ' ') out.push_back(' ');
    space = false;
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out.push_back(c);
    if (out.size() >= max) {
      // Do not leave half a UTF-8 sequence behind.
      while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80)
        out.pop_back();
      if (!out.empty() && (static_cast<unsigned char>(out.back()) & 0x80)) out.pop_back();
      out += "...";
      break;
    }
  }
  return out;
}

std::string Error::to_string() const {
  std::string s = context.empty() ? std::string("salesforce") : context;
  s += ": ";
  if (http_status != 0) {
    s += std::to_string(http_status);
    if (!error_code.empty()) s += " " + error_code;
    if (!message.empty()) s += ": " + message;
  } else {
    s += message.empty() ? error_code : message;
  }
  return s;
}

ErrorKind classify_rest(int http_status, std::string_view code) {
  if (code == "REQUEST_LIMIT_EXCEEDED" || code == "TXN_SECURITY_NO_ACCESS_LIMIT" ||
      code == "API_CURRENTLY_DISABLED_LIMIT")
    return ErrorKind::kLimit;
  if (code == "SERVER_UNAVAILABLE" || code == "QUERY_TIMEOUT" || code == "UNABLE_TO_LOCK_ROW" ||
      code == "INVALID_QUERY_LOCATOR")
    return ErrorKind::kTransient;
  if (http_status == 401 || code == "INVALID_SESSION_ID" || code == "INVALID_AUTH_HEADER")
    return ErrorKind::kAuth;
  if (http_status >= 500 || http_status == 408 || http_status == 420 || http_status == 429)
    return ErrorKind::kTransient;
  if (http_status == 403 && code.empty()) return ErrorKind::kLimit;
  return ErrorKind::kPermanent;
}

Error rest_error(int http_status, std::string_view content_type, std::string_view body,
                 std::string context) {
  Error e;
  e.http_status = http_status;
  e.context = std::move(context);
  if (is_json(content_type, body)) {
    json::error_code ec;
    json::value v = json::parse(body, ec);
    const json::object* first = nullptr;
    if (!ec && v.is_array() && !v.get_array().empty() && v.get_array()[0].is_object())
      first = &v.get_array()[0].get_object();
    else if (!ec && v.is_object())
      first = &v.get_object();
    if (first) {
      e.error_code = string_field(*first, "errorCode");
      if (e.error_code.empty()) e.error_code = string_field(*first, "error");
      std::string msg = string_field(*first, "message");
      if (msg.empty()) msg = string_field(*first, "error_description");
      e.message = one_line(msg);
    } else {
      e.message = "unparsable JSON error body";
    }
  } else if (http_status >= 400) {
    // An HTML maintenance page or similar: never quote it.
    e.message = "non-JSON body (" + media_type(content_type) + ")";
  }
  if (e.error_code.empty() && http_status == 503) e.error_code = "SERVER_UNAVAILABLE";
  e.kind = classify_rest(http_status, e.error_code);
  return e;
}

Error oauth_error(int http_status, std::string_view content_type, std::string_view body,
                  std::string context) {
  Error e;
  e.http_status = http_status;
  e.context = std::move(context);
  if (is_json(content_type, body)) {
    json::error_code ec;
    json::value v = json::parse(body, ec);
    if (!ec && v.is_object()) {
      e.error_code = string_field(v.get_object(), "error");
      e.message = one_line(string_field(v.get_object(), "error_description"), 200);
    }
  } else if (http_status >= 400) {
    e.message = "non-JSON body (" + media_type(content_type) + ")";
  }
  if (http_status >= 500 || http_status == 0) {
    e.kind = ErrorKind::kTransient;
  } else if (e.error_code == "invalid_grant" || e.error_code == "invalid_client_id" ||
             e.error_code == "invalid_client" || e.error_code == "unauthorized_client" ||
             e.error_code == "inactive_user" || e.error_code == "inactive_org") {
    e.kind = ErrorKind::kAuth;
  } else if (http_status == 403 && e.error_code.empty()) {
    e.kind = ErrorKind::kLimit;
  } else {
    e.kind = ErrorKind::kPermanent;
  }
  if (e.error_code.empty()) e.error_code = "oauth-" + std::to_string(http_status);
  return e;
}

Error transport_error(std::string_view what, std::string context, ErrorKind kind,
                      std::string code) {
  Error e;
  e.kind = kind;
  e.error_code = std::move(code);
  e.message = one_line(what, 200);
  e.context = std::move(context);
  return e;
}

}  // namespace reportd::salesforce
