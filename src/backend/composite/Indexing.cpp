// Default index_select / index_add: gather / scatter_add with the 1-d index broadcast along
// every other dim.
#include "cezanne/backend/Backend.hpp"

namespace cz {

namespace {

/// index [L] as a contiguous i64 tensor of `shape` (which has L at `dim`).
Tensor spread_index(Backend& b, const Tensor& index, int64_t dim, const Shape& shape) {
  Shape along(shape.size(), 1);
  along[static_cast<size_t>(dim)] = index.numel();
  Tensor full = Tensor::empty(shape, DType::i64, index.device());
  b.copy(index.view(along).expand(shape), full);
  return full;
}

}  // namespace

void Backend::index_select(const Tensor& x, int64_t dim, const Tensor& index, Tensor& out) {
  gather(x, dim, spread_index(*this, index, dim, out.shape()), out);
}

void Backend::index_add(int64_t dim, const Tensor& index, const Tensor& src, Tensor& out) {
  scatter_add(dim, spread_index(*this, index, dim, src.shape()), src, out);
}

}  // namespace cz
