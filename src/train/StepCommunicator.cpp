// --collectives: NCCL from device memory, or the world communicator with staged host copies.
#include "cezanne/train/StepCommunicator.hpp"

#include <stdexcept>

#include "cezanne/dist/Bootstrap.hpp"

namespace cz::train {

std::string resolve_collectives(const std::string& choice, Device device, int ranks) {
  const bool gpu = device.type == DeviceType::cuda;
  if (choice == "auto") return gpu && dist::nccl_built() && ranks > 1 ? "nccl" : "mpi";
  if (choice == "mpi") return choice;
  if (choice != "nccl") throw std::invalid_argument("--collectives: auto, nccl or mpi, got '" + choice + "'");
  if (!gpu)
    throw std::invalid_argument("--collectives: nccl moves GPU memory and needs --device cuda, got --device " +
                                device.str());
  if (!dist::nccl_built())
    throw std::invalid_argument("--collectives: nccl is not in this build (configure with CEZANNE_WITH_NCCL=ON)");
  return choice;
}

std::shared_ptr<dist::Communicator> step_communicator(const std::string& choice, dist::Communicator& world,
                                                      Device device) {
  if (resolve_collectives(choice, device, world.size()) == "mpi") return {std::shared_ptr<void>(), &world};
  return dist::make_nccl_communicator(world, device.index);
}

}  // namespace cz::train
