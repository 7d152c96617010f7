// Names of element types.
#include "cezanne/tensor/DType.hpp"

namespace cz {

const char* dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "f32";
    case DType::f64: return "f64";
    case DType::i64: return "i64";
  }
  return "?";
}

}  // namespace cz
