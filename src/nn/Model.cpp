// Model helpers: parameter-list checks and the task-axis expansion of theta.
#include "cezanne/nn/Model.hpp"

#include <stdexcept>
#include <string>

#include "cezanne/autograd/ops/Shape.hpp"

namespace cz::nn {

void Model::check_params(const char* model, const ParamList& p, bool task_axis) const {
  const std::vector<ParamSpec> expected = specs();
  if (p.size() != expected.size())
    throw std::invalid_argument(std::string(model) + ": expected " +
                                std::to_string(expected.size()) + " parameters, got " +
                                std::to_string(p.size()));
  int64_t tasks = -1;
  for (size_t i = 0; i < p.size(); ++i) {
    const ParamSpec& s = expected[i];
    if (!p[i].defined())
      throw std::invalid_argument(std::string(model) + ": parameter '" + s.name + "' is undefined");
    Shape shape = p[i].shape();
    bool ok = true;
    if (task_axis) {
      if (shape.empty()) {
        ok = false;
      } else {
        if (tasks < 0) tasks = shape[0];
        ok = shape[0] == tasks;
        shape.erase(shape.begin());
      }
    }
    if (!ok || shape != s.shape)
      throw std::invalid_argument(std::string(model) + ": parameter '" + s.name + "' has shape " +
                                  shape_str(p[i].shape()) + ", expected " +
                                  (task_axis ? "[T] + " : "") + shape_str(s.shape));
  }
}

ParamList expand_to_tasks(const ParamList& p, int64_t tasks) {
  if (tasks < 1)
    throw std::invalid_argument("expand_to_tasks: tasks must be >= 1, got " +
                                std::to_string(tasks));
  ParamList out;
  out.reserve(p.size());
  for (const Var& v : p) {
    Shape shape = v.shape();
    shape.insert(shape.begin(), tasks);
    out.push_back(cz::expand(cz::unsqueeze(v, 0), shape));
  }
  return out;
}

}  // namespace cz::nn
