#pragma once
// Plain request/response values exchanged with HttpsPool, and the origin
// (scheme https, host, port) a URL names. No executor, no I/O.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "table/status.hpp"
#include "table/wipe.hpp"

namespace reportd::salesforce {

// "https://host[:port]" split into parts. Only https is accepted.
struct Origin {
  std::string host;
  std::string port = "443";
  std::string to_string() const;  // "https://host[:port]"
  bool operator==(const Origin&) const = default;
};

// Splits an absolute https URL into its origin and target ("/path?query").
struct ParsedUrl {
  Origin origin;
  std::string target;
};
Result<ParsedUrl> parse_https_url(std::string_view url);

// The authorization header, the body (an upload's record values) and
// inflate_into (the previous page) are zeroed when the request is destroyed.
struct HttpRequest {
  HttpRequest() = default;
  HttpRequest(const HttpRequest&) = default;
  HttpRequest(HttpRequest&&) = default;
  HttpRequest& operator=(const HttpRequest&) = default;
  HttpRequest& operator=(HttpRequest&&) = default;
  ~HttpRequest() {
    wipe(authorization);
    wipe(body);
    wipe(inflate_into);
  }

  std::string method = "GET";  // GET, POST, PATCH, DELETE
  Origin origin;
  std::string target;        // "/services/data/v61.0/query?q=..."
  std::string content_type;  // of `body`, when there is one
  std::string accept = "application/json";
  std::string authorization;  // full header value ("Bearer ...") or empty
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  bool secret = false;  // body/response hold credentials: zeroed after use
  // A block a gzip response is inflated over, in place of a new one: the
  // previous page's, when paging. gunzip() zeroes it wherever it drops it.
  std::string inflate_into;
  // false: a gzip body of a 2xx response is returned as it came
  // (HttpResponse::compressed), for a caller that inflates it piece by
  // piece (gunzip_each); error bodies are inflated all the same.
  bool inflate = true;
};

// The body holds record values: it is zeroed when the response is destroyed
// (DESIGN.md §4.5), and callers that keep the response release a page early
// with wipe_and_free(body).
struct HttpResponse {
  HttpResponse() = default;
  HttpResponse(HttpResponse&&) = default;
  HttpResponse& operator=(HttpResponse&&) = default;
  HttpResponse(const HttpResponse&) = default;
  HttpResponse& operator=(const HttpResponse&) = default;
  ~HttpResponse() { wipe(body); }

  int status = 0;
  std::string content_type;
  std::string body;         // inflated when the server sent gzip, unless the request said not to
  bool compressed = false;  // `body` is still gzip (HttpRequest::inflate was false)
  std::vector<std::pair<std::string, std::string>> headers;

  // First header named `name` (case-insensitive), or empty.
  std::string_view header(std::string_view name) const;
};

// The path part of a target, without the query string: used in error context
// so that literal values in a query string never reach a message.
std::string_view path_of(std::string_view target);

// application/x-www-form-urlencoded / query-string escaping.
std::string url_encode(std::string_view s);
std::string form_encode(const std::vector<std::pair<std::string_view, std::string_view>>& kv);

}  // namespace reportd::salesforce
