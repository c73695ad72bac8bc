#pragma once
// One way to open the store, whichever engine: a postgresql:// (or
// postgres://) URL opens PgStore, anything else is the path of a SQLite file
// (":memory:" for a private in-memory store).
//
// The URL is libpq's: postgresql://USER@HOST:PORT/DB?sslmode=verify-full&
// sslrootcert=/etc/reportd/pg-ca.pem (host=/run/postgresql for a unix
// socket). It must not hold a password: that comes from a credential file
// (daemon/config.hpp's store_password_file) and is passed here.

#include <memory>
#include <string>
#include <string_view>

#include "store/store.hpp"

namespace reportd::store {

bool is_postgres_url(std::string_view url_or_path);

// Checks a postgresql:// URL before anything connects: that libpq can parse
// it, that it names a database, holds no password, and has a known sslmode
// (with an sslrootcert file that exists, when given). The error says what is
// wrong and how to fix it (without the key's name); it never repeats the URL.
Status check_url(const std::string& url);

// "HOST:PORT/DB" for messages; never a password (check_url refuses one).
std::string describe_url(const std::string& url);

// Opens and migrates the store at `url_or_path`; `password` is used only
// for PostgreSQL (empty: none, or what libpq finds by itself such as a
// client certificate).
Result<std::unique_ptr<Store>> open(const std::string& url_or_path, std::string_view password = {});

}  // namespace reportd::store
