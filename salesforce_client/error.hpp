#pragma once
// salesforce::Error: the one typed error of this library (kind, HTTP status,
// Salesforce errorCode, context) and the pure functions that classify HTTP
// responses into it. Plain values; no executor.

#include <string>
#include <string_view>

#include "table/status.hpp"

namespace reportd::salesforce {

struct Error {
  ErrorKind kind = ErrorKind::kTransient;
  int http_status = 0;     // 0 when no response arrived (network, TLS, timeout)
  std::string error_code;  // Salesforce errorCode / OAuth error, or our own code
  std::string message;     // safe text: never record values, never secrets
  std::string context;     // "salesforce: GET /services/data/v61.0/query"

  // "salesforce: GET /services/data/v61.0/query: 400 MALFORMED_QUERY: <message>"
  std::string to_string() const;
  Status to_status() const { return Status::error(kind, to_string(), error_code); }
};

// What kind of failure (HTTP status, errorCode) is, for REST resources.
ErrorKind classify_rest(int http_status, std::string_view error_code);

// Builds an Error from a REST error response. `body` may be a JSON array of
// {message, errorCode}, a JSON object, HTML or anything else; only
// Salesforce's own message is kept (shortened, on one line) and only when the
// body is JSON.
Error rest_error(int http_status, std::string_view content_type, std::string_view body,
                 std::string context);

// Builds an Error from an OAuth token-endpoint response ({error,
// error_description}). invalid_grant is kAuth with code "invalid_grant".
Error oauth_error(int http_status, std::string_view content_type, std::string_view body,
                  std::string context);

// A network-level failure (no usable HTTP response).
Error transport_error(std::string_view what, std::string context,
                      ErrorKind kind = ErrorKind::kTransient, std::string code = "network");

// Shortens text for an error message: one line, at most `max` bytes, and cut
// on a UTF-8 boundary.
std::string one_line(std::string_view text, std::size_t max = 300);

}  // namespace reportd::salesforce
