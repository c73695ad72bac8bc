#include "sim.hpp"
namespace reportd::sim {
void Sim::install_reports(httplib::Server&) {}
}  // namespace reportd::sim
