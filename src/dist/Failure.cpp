// run_guarded and the agreed non-finite decision.
#include "cezanne/dist/Failure.hpp"

#include <cmath>
#include <exception>
#include <string>

#include "cezanne/dist/Log.hpp"

namespace cz::dist {
namespace {

// Messages that already name the rank ("rank R: ...") are not prefixed twice.
std::string strip_own_rank(const Communicator& comm, const std::string& what) {
  const std::string prefix = "rank " + std::to_string(comm.rank()) + ": ";
  return what.rfind(prefix, 0) == 0 ? what.substr(prefix.size()) : what;
}

}  // namespace

int run_guarded(Communicator& comm, const std::function<int()>& body) {
  std::string what;
  try {
    return body();
  } catch (const std::exception& e) {
    what = strip_own_rank(comm, e.what());
  } catch (...) {
    what = "unknown exception";
  }
  if (comm.size() > 1) comm.abort(what);
  error(comm, what);
  return 1;
}

bool all_finite(Communicator& comm, bool local_ok) {
  int32_t flag = local_ok ? 1 : 0;
  comm.allreduce(&flag, 1, DataType::i32, ReduceOp::min);
  return flag == 1;
}

bool is_finite(const float* data, size_t count) {
  for (size_t i = 0; i < count; ++i)
    if (!std::isfinite(data[i])) return false;
  return true;
}

bool is_finite(const double* data, size_t count) {
  for (size_t i = 0; i < count; ++i)
    if (!std::isfinite(data[i])) return false;
  return true;
}

}  // namespace cz::dist
