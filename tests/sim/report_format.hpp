// Display labels of Reports API cells: "$1,234.56", "10/22/2013", "50%".
#pragma once

#include <string>

namespace reportd::sim {

std::string money_label(const std::string& decimal);           // "1234.5" -> "$1,234.50"
std::string date_label(const std::string& iso);                // "2013-10-22" -> "10/22/2013"
std::string datetime_label(const std::string& rest_datetime);  // -> "10/22/2013, 2:05 PM"
std::string datetime_iso_z(const std::string& rest_datetime);  // -> "2013-10-22T14:05:00Z"

}  // namespace reportd::sim
