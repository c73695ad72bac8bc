// Response helpers shared by all routes: JSON bodies with optional gzip,
// Salesforce REST error arrays and OAuth error objects.
#pragma once

#include <httplib.h>

#include <string>
#include <vector>

namespace reportd::sim {

constexpr const char* kJsonType = "application/json;charset=UTF-8";

bool accepts_gzip(const httplib::Request& req);
std::string gzip(const std::string& data);

/// Sets status and a JSON body; gzips it when the client accepts gzip.
void send_json(const httplib::Request& req, httplib::Response& res, int status, std::string body);

/// REST error: a JSON array with one {message, errorCode[, fields]}.
void send_error(const httplib::Request& req, httplib::Response& res, int status,
                const std::string& code, const std::string& message,
                const std::vector<std::string>* fields = nullptr);

/// OAuth error: a JSON object {error, error_description}.
void send_oauth_error(const httplib::Request& req, httplib::Response& res, int status,
                      const std::string& error, const std::string& description);

/// JSON string literal of s.
std::string jstr(const std::string& s);

/// Base64 (standard alphabet, padded) and base64url (no padding) codecs.
std::string base64_encode(const std::string& in, bool url = false);
bool base64_decode(const std::string& in, std::string& out);

}  // namespace reportd::sim
