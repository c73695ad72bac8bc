#include "report_format.hpp"

#include <cstdlib>

namespace reportd::sim {

std::string money_label(const std::string& decimal) {
  bool neg = !decimal.empty() && decimal[0] == '-';
  std::string d = neg ? decimal.substr(1) : decimal;
  auto dot = d.find('.');
  std::string whole = d.substr(0, dot);
  std::string frac = dot == std::string::npos ? "" : d.substr(dot + 1);
  frac.resize(2, '0');
  std::string grouped;
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped += ',';
    grouped += whole[i];
  }
  return (neg ? "-$" : "$") + grouped + "." + frac;
}

std::string date_label(const std::string& iso) {
  if (iso.size() < 10) return iso;
  int y = std::atoi(iso.substr(0, 4).c_str()), m = std::atoi(iso.substr(5, 2).c_str()),
      d = std::atoi(iso.substr(8, 2).c_str());
  return std::to_string(m) + "/" + std::to_string(d) + "/" + std::to_string(y);
}

std::string datetime_label(const std::string& dt) {
  if (dt.size() < 16) return dt;
  int h = std::atoi(dt.substr(11, 2).c_str());
  std::string mm = dt.substr(14, 2);
  int h12 = h % 12 == 0 ? 12 : h % 12;
  return date_label(dt) + ", " + std::to_string(h12) + ":" + mm + (h < 12 ? " AM" : " PM");
}

std::string datetime_iso_z(const std::string& dt) {
  return dt.size() < 19 ? dt : dt.substr(0, 19) + "Z";
}

}  // namespace reportd::sim
