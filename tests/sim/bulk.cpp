#include "sim.hpp"
namespace reportd::sim {
void Sim::install_bulk(httplib::Server&) {}
}  // namespace reportd::sim
