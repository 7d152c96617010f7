// Indexing ops; gather <-> scatter_add and index_select <-> index_add are each other's adjoints,
// so every derivative of any order stays inside this family.
#include "cezanne/autograd/ops/Indexing.hpp"

#include "cezanne/autograd/Node.hpp"
#include "cezanne/autograd/ops/Shape.hpp"
#include "cezanne/tensor/Ops.hpp"

namespace cz {

Var gather(const Var& x, int64_t dim, const Tensor& index) {
  return record("gather", cz::gather(x.data(), dim, index), {x}, [dim, index](const Var& g, const SavedContext& c) {
    return std::vector<Var>{scatter_add(c.inputs[0].shape(), dim, index, g)};
  });
}

Var scatter_add(const Shape& shape, int64_t dim, const Tensor& index, const Var& src) {
  return record("scatter_add", cz::scatter_add(shape, dim, index, src.data()), {src},
                [dim, index](const Var& g, const SavedContext&) { return std::vector<Var>{gather(g, dim, index)}; });
}

Var index_select(const Var& x, int64_t dim, const Tensor& index) {
  return record("index_select", cz::index_select(x.data(), dim, index), {x},
                [dim, index](const Var& g, const SavedContext& c) {
                  return std::vector<Var>{index_add(c.inputs[0].shape(), dim, index, g)};
                });
}

Var index_add(const Shape& shape, int64_t dim, const Tensor& index, const Var& src) {
  return record("index_add", cz::index_add(shape, dim, index, src.data()), {src},
                [dim, index](const Var& g, const SavedContext&) {
                  return std::vector<Var>{index_select(g, dim, index)};
                });
}

Var embedding(const Var& weight, const Tensor& ids) {
  if (weight.dim() != 2) throw ShapeError("embedding: weight must be [V, D], got " + shape_str(weight.shape()));
  Shape shape = ids.shape();
  shape.push_back(weight.size(1));
  return reshape(index_select(weight, 0, ids.reshape({-1})), shape);
}

}  // namespace cz
