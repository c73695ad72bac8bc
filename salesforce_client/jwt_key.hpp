#pragma once
// What reportd checks about a connected app's JWT bearer key pair before the
// private key is sealed (`connections set --jwt-key-file`), the fingerprints
// an operator compares with what the admin uploaded, and the `aud` claim a
// login URL needs. Pure functions over OpenSSL; no executor.

#include <string>
#include <string_view>

#include "table/status.hpp"

namespace reportd::salesforce {

struct JwtKeyInfo {
  // SHA-256 of the public key (DER SubjectPublicKeyInfo), "AB:CD:..." upper-case.
  std::string key_sha256;
  // SHA-256 of the certificate (DER), as `openssl x509 -noout -fingerprint
  // -sha256` prints it after "=": what Setup shows beside the uploaded
  // certificate. Empty when no certificate was given.
  std::string cert_sha256;
};

// Checks that `private_key_pem` is an unencrypted RSA private key in PEM
// and, when `cert_pem` is not empty, that it is an X.509 certificate in PEM
// of that key's public half. Fails kInvalidArgument naming what is wrong;
// the message never quotes the key.
Result<JwtKeyInfo> check_jwt_key(std::string_view private_key_pem, std::string_view cert_pem);

// The `aud` claim for a connection's login URL: https://test.salesforce.com
// for test.salesforce.com and sandbox My Domains (*.sandbox.my.salesforce.com),
// https://login.salesforce.com for login.salesforce.com and production My
// Domains (*.my.salesforce.com), otherwise the login URL itself without a
// trailing slash (an Experience Cloud site, a simulator). Salesforce refuses
// a My Domain URL as audience ("audience is invalid").
std::string jwt_audience(std::string_view login_url);

}  // namespace reportd::salesforce
