// Tensor ops: shape and dtype checks, result allocation, dispatch to the backend.
#include "cezanne/tensor/Ops.hpp"

#include <algorithm>
#include <cmath>

#include "cezanne/backend/Backend.hpp"

namespace cz {

namespace {

Backend& backend_of(const char* op, std::initializer_list<const Tensor*> ts) {
  const Tensor* first = nullptr;
  for (const Tensor* t : ts) {
    if (!t->defined()) throw Error(std::string(op) + ": undefined tensor argument");
    if (first && t->device() != first->device())
      throw DeviceError(std::string(op) + ": tensors on " + first->device().str() + " and " + t->device().str());
    if (!first) first = t;
  }
  return backend_for(first->device());
}

void require_floating(const char* op, const Tensor& t) {
  if (!is_floating(t.dtype()))
    throw DTypeError(std::string(op) + ": expected a floating tensor, got " + dtype_name(t.dtype()) + " " +
                     shape_str(t.shape()));
}

void require_same_dtype(const char* op, const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype())
    throw DTypeError(std::string(op) + ": dtypes differ: " + dtype_name(a.dtype()) + " " + shape_str(a.shape()) +
                     " and " + dtype_name(b.dtype()) + " " + shape_str(b.shape()));
}

void require_index(const char* op, const Tensor& index) {
  if (index.dtype() != DType::i64)
    throw DTypeError(std::string(op) + ": index must be i64, got " + dtype_name(index.dtype()) + " " +
                     shape_str(index.shape()));
}

}  // namespace

const char* op_name(UnaryOp op) {
  static const char* names[] = {"neg", "exp", "log", "sqrt", "rsqrt", "abs", "sign", "sigmoid", "tanh", "relu",
                                "reciprocal", "square", "erf"};
  return names[static_cast<int>(op)];
}

const char* op_name(BinaryOp op) {
  static const char* names[] = {"add", "sub", "mul", "div", "pow", "maximum", "minimum", "gt", "ge", "lt", "le", "eq"};
  return names[static_cast<int>(op)];
}

Tensor unary(UnaryOp op, const Tensor& x) {
  Backend& b = backend_of(op_name(op), {&x});
  require_floating(op_name(op), x);
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  b.unary(op, x, out);
  return out;
}

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  Backend& be = backend_of(op_name(op), {&a, &b});
  require_floating(op_name(op), a);
  require_same_dtype(op_name(op), a, b);
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), op_name(op));
  Tensor out = Tensor::empty(shape, a.dtype(), a.device());
  be.binary(op, a.expand(shape), b.expand(shape), out);
  return out;
}

Tensor affine(const Tensor& x, double scale, double shift) {
  Backend& b = backend_of("affine", {&x});
  require_floating("affine", x);
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  b.affine(x, scale, shift, out);
  return out;
}

Tensor pow_scalar(const Tensor& x, double exponent) {
  Backend& b = backend_of("pow", {&x});
  require_floating("pow", x);
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  b.pow_scalar(x, exponent, out);
  return out;
}

Tensor clamp(const Tensor& x, double low, double high) {
  Backend& b = backend_of("clamp", {&x});
  require_floating("clamp", x);
  if (low > high) throw Error("clamp: low " + std::to_string(low) + " > high " + std::to_string(high));
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  b.clamp(x, low, high, out);
  return out;
}

Tensor in_range_mask(const Tensor& x, double low, double high) {
  Backend& b = backend_of("clamp", {&x});
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  b.in_range_mask(x, low, high, out);
  return out;
}

Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  Backend& be = backend_of("where", {&condition, &a, &b});
  require_same_dtype("where", a, b);
  const Shape shape = broadcast_shapes(broadcast_shapes(condition.shape(), a.shape(), "where"), b.shape(), "where");
  Tensor c = condition.dtype() == a.dtype() ? condition : condition.to(a.dtype());
  Tensor out = Tensor::empty(shape, a.dtype(), a.device());
  be.where(c.expand(shape), a.expand(shape), b.expand(shape), out);
  return out;
}

Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  Backend& b = backend_of("sum", {&x});
  require_floating("sum", x);
  Shape kept = x.shape();
  std::vector<bool> reduced(static_cast<size_t>(x.dim()), dims.empty());
  for (int64_t d : dims) reduced[wrap_dim(d, x.dim(), "sum")] = true;
  for (size_t i = 0; i < kept.size(); ++i)
    if (reduced[i]) kept[i] = 1;
  Tensor out = Tensor::empty(kept, x.dtype(), x.device());
  b.reduce(ReduceOp::sum, x, out, nullptr);
  if (keepdim) return out;
  Shape squeezed;
  for (size_t i = 0; i < kept.size(); ++i)
    if (!reduced[i]) squeezed.push_back(kept[i]);
  return out.view(squeezed);
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  const Shape& xs = x.shape();
  if (shape.size() > xs.size())
    throw ShapeError("sum_to: cannot sum " + shape_str(xs) + " to " + shape_str(shape));
  const size_t lead = xs.size() - shape.size();
  std::vector<int64_t> dims;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (i < lead) {
      dims.push_back(static_cast<int64_t>(i));
    } else if (shape[i - lead] == 1 && xs[i] != 1) {
      dims.push_back(static_cast<int64_t>(i));
    } else if (shape[i - lead] != xs[i]) {
      throw ShapeError("sum_to: cannot sum " + shape_str(xs) + " to " + shape_str(shape));
    }
  }
  if (dims.empty()) return x.reshape(shape);
  return sum(x, dims, true).reshape(shape);
}

Tensor max(const Tensor& x, int64_t dim, bool keepdim, Tensor* indices) {
  Backend& b = backend_of("max", {&x});
  require_floating("max", x);
  dim = wrap_dim(dim, x.dim(), "max");
  if (x.size(dim) == 0) throw ShapeError("max: empty dimension " + std::to_string(dim) + " of " + shape_str(x.shape()));
  Shape kept = x.shape();
  kept[dim] = 1;
  Tensor out = Tensor::empty(kept, x.dtype(), x.device());
  Tensor idx = Tensor::empty(kept, DType::i64, x.device());
  b.reduce(ReduceOp::max, x, out, &idx);
  if (!keepdim) {
    out = out.squeeze(dim);
    idx = idx.squeeze(dim);
  }
  if (indices) *indices = idx;
  return out;
}

Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
  Backend& be = backend_of("matmul", {&a_in, &b_in});
  require_floating("matmul", a_in);
  require_same_dtype("matmul", a_in, b_in);
  if (a_in.dim() == 0 || b_in.dim() == 0)
    throw ShapeError("matmul: 0-d operand " + shape_str(a_in.shape()) + " @ " + shape_str(b_in.shape()));
  const bool vec_a = a_in.dim() == 1, vec_b = b_in.dim() == 1;
  const Tensor a = vec_a ? a_in.unsqueeze(0) : a_in;
  const Tensor b = vec_b ? b_in.unsqueeze(1) : b_in;
  const int64_t m = a.size(-2), k = a.size(-1), n = b.size(-1);
  if (b.size(-2) != k)
    throw ShapeError("matmul: shapes " + shape_str(a_in.shape()) + " and " + shape_str(b_in.shape()) +
                     " do not align (" + std::to_string(k) + " != " + std::to_string(b.size(-2)) + ")");
  const Shape a_batch(a.shape().begin(), a.shape().end() - 2), b_batch(b.shape().begin(), b.shape().end() - 2);
  const Shape batch = broadcast_shapes(a_batch, b_batch, "matmul");
  const int64_t nbatch = shape_numel(batch);

  Shape out_shape = batch;
  out_shape.push_back(m);
  out_shape.push_back(n);
  Tensor out = Tensor::empty(out_shape, a.dtype(), a.device());

  // Bring an operand to [nbatch, rows, cols] with one batch stride and a BLAS-compatible
  // matrix layout (row- or column-major), copying only when the strides do not allow it.
  auto prepare = [&](const Tensor& t, int64_t rows, int64_t cols, bool& trans, int64_t& ld, int64_t& bstride) {
    Shape full = batch;
    full.push_back(rows);
    full.push_back(cols);
    Tensor e = t.expand(full);
    auto layout_ok = [&](const Tensor& x) {
      const int64_t rs = x.strides()[x.dim() - 2], cs = x.strides()[x.dim() - 1];
      if ((cs == 1 || cols == 1) && (rs >= std::max<int64_t>(cols, 1) || rows == 1)) {
        trans = false;
        ld = std::max<int64_t>(rows == 1 ? cols : rs, std::max<int64_t>(cols, 1));
        return true;
      }
      if ((rs == 1 || rows == 1) && (cs >= std::max<int64_t>(rows, 1) || cols == 1)) {
        trans = true;
        ld = std::max<int64_t>(cols == 1 ? rows : cs, std::max<int64_t>(rows, 1));
        return true;
      }
      return false;
    };
    // The batch dims must collapse to a single stride.
    auto batch_ok = [&](const Tensor& x) {
      int64_t stride = 0;
      bool first = true;
      for (int64_t d = static_cast<int64_t>(batch.size()) - 1; d >= 0; --d) {
        if (batch[d] == 1) continue;
        if (first) {
          stride = x.strides()[d];
          bstride = stride;
          first = false;
          continue;
        }
        // dimension d must continue the stride pattern of the dims after it
        int64_t inner = 1;
        for (int64_t e2 = d + 1; e2 < static_cast<int64_t>(batch.size()); ++e2) inner *= batch[e2];
        if (x.strides()[d] != bstride * inner) return false;
      }
      if (first) bstride = 0;
      return true;
    };
    if (!(layout_ok(e) && batch_ok(e))) {
      e = e.contiguous();
      layout_ok(e);
      batch_ok(e);
    }
    return e;
  };

  GemmBatch g;
  g.batch = nbatch;
  g.m = m;
  g.n = n;
  g.k = k;
  const Tensor pa = prepare(a, m, k, g.trans_a, g.lda, g.stride_a);
  const Tensor pb = prepare(b, k, n, g.trans_b, g.ldb, g.stride_b);
  g.a = pa.raw_data();
  g.b = pb.raw_data();
  g.c = out.raw_data();
  g.ldc = std::max<int64_t>(n, 1);
  g.stride_c = m * n;
  if (m > 0 && n > 0 && nbatch > 0) {
    if (k == 0) {
      out.fill_(0.0);
    } else {
      be.gemm(a.dtype(), g);
    }
  }
  if (vec_a) out = out.squeeze(-2);
  if (vec_b) out = out.squeeze(-1);
  return out;
}

Tensor unfold(const Tensor& x, int64_t kh, int64_t kw, int64_t stride, int64_t padding) {
  Backend& b = backend_of("unfold", {&x});
  require_floating("unfold", x);
  if (x.dim() < 4) throw ShapeError("unfold: expected [..., N, C, H, W], got " + shape_str(x.shape()));
  if (kh <= 0 || kw <= 0 || stride <= 0 || padding < 0)
    throw ShapeError("unfold: invalid kernel " + std::to_string(kh) + "x" + std::to_string(kw) + ", stride " +
                     std::to_string(stride) + ", padding " + std::to_string(padding));
  const int64_t N = x.size(-4), C = x.size(-3), H = x.size(-2), W = x.size(-1);
  const int64_t Ho = (H + 2 * padding - kh) / stride + 1, Wo = (W + 2 * padding - kw) / stride + 1;
  if (H + 2 * padding < kh || W + 2 * padding < kw)
    throw ShapeError("unfold: kernel " + std::to_string(kh) + "x" + std::to_string(kw) + " larger than padded input " +
                     shape_str(x.shape()));
  Shape shape(x.shape().begin(), x.shape().end() - 4);
  shape.push_back(C * kh * kw);
  shape.push_back(N * Ho * Wo);
  Tensor cols = Tensor::empty(shape, x.dtype(), x.device());
  b.unfold(x.contiguous(), kh, kw, stride, padding, cols);
  return cols;
}

Tensor fold(const Tensor& cols, const Shape& image_shape, int64_t kh, int64_t kw, int64_t stride, int64_t padding) {
  Backend& b = backend_of("fold", {&cols});
  require_floating("fold", cols);
  if (image_shape.size() < 4 || cols.dim() != static_cast<int64_t>(image_shape.size()) - 2)
    throw ShapeError("fold: columns " + shape_str(cols.shape()) + " do not match image shape " + shape_str(image_shape));
  const size_t r = image_shape.size();
  const int64_t N = image_shape[r - 4], C = image_shape[r - 3], H = image_shape[r - 2], W = image_shape[r - 1];
  const int64_t Ho = (H + 2 * padding - kh) / stride + 1, Wo = (W + 2 * padding - kw) / stride + 1;
  if (cols.size(-2) != C * kh * kw || cols.size(-1) != N * Ho * Wo)
    throw ShapeError("fold: columns " + shape_str(cols.shape()) + " do not match image shape " + shape_str(image_shape));
  Tensor out = Tensor::zeros(image_shape, cols.dtype(), cols.device());
  b.fold(cols.contiguous(), kh, kw, stride, padding, out);
  return out;
}

namespace {

// Shapes of a convolution, with or without the task axis; throws ShapeError naming the operands.
struct ConvShapes {
  bool tasks;
  int64_t T, N, C, H, W, F, kh, kw, Ho, Wo;
};

ConvShapes conv_shapes(const char* op, const Shape& x, const Shape& weight, const Shape* bias, int64_t stride,
                       int64_t padding) {
  auto fail = [&](const std::string& why) {
    throw ShapeError(std::string(op) + ": input " + shape_str(x) + ", weight " + shape_str(weight) +
                     (bias ? ", bias " + shape_str(*bias) : "") + ": " + why);
  };
  const bool tasks = x.size() == 5;
  if (!(x.size() == 4 && weight.size() == 4) && !(tasks && weight.size() == 5))
    fail("expected x [N, C, H, W] with weight [F, C, k, k], or x [T, N, C, H, W] with weight [T, F, C, k, k]");
  const size_t r = x.size(), q = weight.size();
  ConvShapes s{tasks,         tasks ? x[0] : 1, x[r - 4],      x[r - 3], x[r - 2], x[r - 1], weight[q - 4],
               weight[q - 2], weight[q - 1],    0,             0};
  if (tasks && weight[0] != s.T) fail("task counts differ");
  if (weight[q - 3] != s.C)
    fail("input has " + std::to_string(s.C) + " channels, weight expects " + std::to_string(weight[q - 3]));
  if (bias && *bias != (tasks ? Shape{s.T, s.F} : Shape{s.F})) fail("bias does not match the filters");
  if (stride <= 0 || padding < 0)
    fail("invalid stride " + std::to_string(stride) + " or padding " + std::to_string(padding));
  if (s.H + 2 * padding < s.kh || s.W + 2 * padding < s.kw) fail("kernel larger than the padded input");
  s.Ho = (s.H + 2 * padding - s.kh) / stride + 1;
  s.Wo = (s.W + 2 * padding - s.kw) / stride + 1;
  return s;
}

Shape conv_out_shape(const ConvShapes& s) {
  return s.tasks ? Shape{s.T, s.N, s.F, s.Ho, s.Wo} : Shape{s.N, s.F, s.Ho, s.Wo};
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride, int64_t padding) {
  Backend& be = bias.defined() ? backend_of("conv2d", {&x, &weight, &bias}) : backend_of("conv2d", {&x, &weight});
  require_floating("conv2d", x);
  require_same_dtype("conv2d", x, weight);
  if (bias.defined()) require_same_dtype("conv2d", x, bias);
  const ConvShapes s =
      conv_shapes("conv2d", x.shape(), weight.shape(), bias.defined() ? &bias.shape() : nullptr, stride, padding);
  Tensor out = Tensor::empty(conv_out_shape(s), x.dtype(), x.device());
  const Tensor b = bias.defined() ? bias.contiguous() : Tensor();
  be.conv2d(x.contiguous(), weight.contiguous(), bias.defined() ? &b : nullptr, stride, padding, out);
  return out;
}

Tensor conv2d_input_grad(const Tensor& grad_out, const Tensor& weight, const Shape& image_shape, int64_t stride,
                         int64_t padding) {
  Backend& be = backend_of("conv2d_input_grad", {&grad_out, &weight});
  require_floating("conv2d_input_grad", grad_out);
  require_same_dtype("conv2d_input_grad", grad_out, weight);
  const ConvShapes s = conv_shapes("conv2d_input_grad", image_shape, weight.shape(), nullptr, stride, padding);
  if (grad_out.shape() != conv_out_shape(s))
    throw ShapeError("conv2d_input_grad: output gradient " + shape_str(grad_out.shape()) + " for input " +
                     shape_str(image_shape) + " and weight " + shape_str(weight.shape()) + ", expected " +
                     shape_str(conv_out_shape(s)));
  Tensor out = Tensor::empty(image_shape, grad_out.dtype(), grad_out.device());
  be.conv2d_input_grad(grad_out.contiguous(), weight.contiguous(), stride, padding, out);
  return out;
}

Tensor conv2d_weight_grad(const Tensor& x, const Tensor& grad_out, int64_t kh, int64_t kw, int64_t stride,
                          int64_t padding) {
  Backend& be = backend_of("conv2d_weight_grad", {&x, &grad_out});
  require_floating("conv2d_weight_grad", x);
  require_same_dtype("conv2d_weight_grad", x, grad_out);
  const bool tasks = x.dim() == 5;
  if (grad_out.dim() != x.dim() || x.dim() < 4 || x.dim() > 5)
    throw ShapeError("conv2d_weight_grad: input " + shape_str(x.shape()) + " and output gradient " +
                     shape_str(grad_out.shape()) + ": expected both [N, ...] or both [T, N, ...]");
  Shape weight_shape = {grad_out.size(-3), x.size(-3), kh, kw};
  if (tasks) weight_shape.insert(weight_shape.begin(), x.size(0));
  const ConvShapes s = conv_shapes("conv2d_weight_grad", x.shape(), weight_shape, nullptr, stride, padding);
  if (grad_out.shape() != conv_out_shape(s))
    throw ShapeError("conv2d_weight_grad: output gradient " + shape_str(grad_out.shape()) + " for input " +
                     shape_str(x.shape()) + " and a " + std::to_string(kh) + "x" + std::to_string(kw) +
                     " kernel, expected " + shape_str(conv_out_shape(s)));
  Tensor out = Tensor::empty(weight_shape, x.dtype(), x.device());
  be.conv2d_weight_grad(x.contiguous(), grad_out.contiguous(), stride, padding, out);
  return out;
}

namespace {

void check_gather_shapes(const char* op, const Shape& x, int64_t dim, const Shape& index) {
  bool ok = x.size() == index.size();
  for (size_t i = 0; ok && i < x.size(); ++i)
    if (static_cast<int64_t>(i) != dim && x[i] != index[i]) ok = false;
  if (!ok)
    throw ShapeError(std::string(op) + ": index " + shape_str(index) + " does not match " + shape_str(x) +
                     " outside dim " + std::to_string(dim));
}

}  // namespace

namespace {

// x as [B, N, C, P] for the batch-norm kernels (B = tasks or 1, P = positions).
Shape norm_view(const Shape& x, bool task_axis) {
  const size_t channel = task_axis ? 2 : 1;
  batch_norm_param_shape(x, task_axis);
  int64_t positions = 1;
  for (size_t d = channel + 1; d < x.size(); ++d) positions *= x[d];
  return {task_axis ? x[0] : 1, x[channel - 1], x[channel], positions};
}

}  // namespace

Shape batch_norm_param_shape(const Shape& x, bool task_axis, const std::vector<Shape>& params) {
  const size_t channel = task_axis ? 2 : 1;
  if (x.size() < channel + 1)
    throw ShapeError(std::string("batch_norm: input ") + shape_str(x) + " has no channel dim" +
                     (task_axis ? " (expected [T, N, C, ...])" : " (expected [N, C, ...])"));
  const Shape param = task_axis ? Shape{x[0], x[channel]} : Shape{x[channel]};
  for (const Shape& p : params)
    if (p != param)
      throw ShapeError("batch_norm: parameter " + shape_str(p) + " for input " + shape_str(x) + ", expected " +
                       shape_str(param));
  return param;
}

BatchNormResult batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, double eps, bool task_axis) {
  Backend& be = backend_of("batch_norm", {&x});
  require_floating("batch_norm", x);
  std::vector<Shape> params;
  for (const Tensor* p : {&gamma, &beta})
    if (p->defined()) {
      require_same_dtype("batch_norm", x, *p);
      params.push_back(p->shape());
    }
  const Shape param = batch_norm_param_shape(x.shape(), task_axis, params);
  const Shape view = norm_view(x.shape(), task_axis);
  BatchNormResult r{Tensor::empty(x.shape(), x.dtype(), x.device()), Tensor::empty(param, x.dtype(), x.device()),
                    Tensor::empty(param, x.dtype(), x.device())};
  const Tensor g = gamma.defined() ? gamma.contiguous() : Tensor(), b = beta.defined() ? beta.contiguous() : Tensor();
  Tensor y = r.y.view(view);
  be.batch_norm(x.contiguous().view(view), gamma.defined() ? &g : nullptr, beta.defined() ? &b : nullptr, eps, y,
                r.mean, r.var);
  return r;
}

BatchNormGrads batch_norm_backward(const Tensor& grad_y, const Tensor& x, const Tensor& gamma, const Tensor& mean,
                                   const Tensor& var, double eps, bool task_axis) {
  Backend& be = backend_of("batch_norm_backward", {&grad_y, &x, &mean, &var});
  require_same_dtype("batch_norm_backward", grad_y, x);
  if (grad_y.shape() != x.shape())
    throw ShapeError("batch_norm_backward: output gradient " + shape_str(grad_y.shape()) + " for input " +
                     shape_str(x.shape()));
  const Shape view = norm_view(x.shape(), task_axis);
  BatchNormGrads r{Tensor::empty(x.shape(), x.dtype(), x.device()), Tensor::empty(mean.shape(), x.dtype(), x.device()),
                   Tensor::empty(mean.shape(), x.dtype(), x.device())};
  const Tensor g = gamma.defined() ? gamma.contiguous() : Tensor();
  Tensor dx = r.x.view(view);
  be.batch_norm_backward(grad_y.contiguous().view(view), x.contiguous().view(view), gamma.defined() ? &g : nullptr,
                         mean.contiguous(), var.contiguous(), eps, dx, r.gamma, r.beta);
  return r;
}

namespace {

// x as [B, N, C, H, W] for the fused batch norm + max-pool kernels, and its pooled shape.
Shape norm_pool_view(const char* op, const Shape& x, bool task_axis) {
  const size_t rank = task_axis ? 5 : 4;
  if (x.size() != rank || x[rank - 2] < 2 || x[rank - 1] < 2)
    throw ShapeError(std::string(op) + ": x " + shape_str(x) + " must be " +
                     (task_axis ? "[T, N, C, H, W]" : "[N, C, H, W]") + " with H, W >= 2");
  return task_axis ? x : Shape{1, x[0], x[1], x[2], x[3]};
}

Shape pooled_shape(Shape x) {
  x[x.size() - 2] /= 2;
  x[x.size() - 1] /= 2;
  return x;
}

}  // namespace

BatchNormPoolResult batch_norm_max_pool2d(const Tensor& x, const Tensor& gamma, const Tensor& beta, double eps,
                                          bool task_axis) {
  Backend& be = backend_of("batch_norm_max_pool2d", {&x});
  require_floating("batch_norm_max_pool2d", x);
  std::vector<Shape> params;
  for (const Tensor* p : {&gamma, &beta})
    if (p->defined()) {
      require_same_dtype("batch_norm_max_pool2d", x, *p);
      params.push_back(p->shape());
    }
  const Shape view = norm_pool_view("batch_norm_max_pool2d", x.shape(), task_axis);
  const Shape param = batch_norm_param_shape(x.shape(), task_axis, params);
  const Shape pooled = pooled_shape(x.shape());
  BatchNormPoolResult r{Tensor::empty(pooled, x.dtype(), x.device()), Tensor::empty(pooled, DType::i64, x.device()),
                        Tensor::empty(param, x.dtype(), x.device()), Tensor::empty(param, x.dtype(), x.device())};
  const Tensor g = gamma.defined() ? gamma.contiguous() : Tensor(), b = beta.defined() ? beta.contiguous() : Tensor();
  Tensor y = r.y.view(pooled_shape(view)), indices = r.indices.view(pooled_shape(view));
  be.batch_norm_max_pool2d(x.contiguous().view(view), gamma.defined() ? &g : nullptr,
                           beta.defined() ? &b : nullptr, eps, y, indices, r.mean, r.var);
  return r;
}

BatchNormGrads batch_norm_max_pool2d_backward(const Tensor& grad_y, const Tensor& indices, const Tensor& x,
                                              const Tensor& gamma, const Tensor& mean, const Tensor& var, double eps,
                                              bool task_axis) {
  Backend& be = backend_of("batch_norm_max_pool2d_backward", {&grad_y, &indices, &x, &mean, &var});
  require_same_dtype("batch_norm_max_pool2d_backward", grad_y, x);
  const Shape view = norm_pool_view("batch_norm_max_pool2d_backward", x.shape(), task_axis);
  const Shape pooled = pooled_shape(x.shape());
  if (grad_y.shape() != pooled || indices.shape() != pooled || indices.dtype() != DType::i64)
    throw ShapeError("batch_norm_max_pool2d_backward: output gradient " + shape_str(grad_y.shape()) + ", indices " +
                     shape_str(indices.shape()) + " for input " + shape_str(x.shape()) + ", expected " +
                     shape_str(pooled) + " (indices i64)");
  BatchNormGrads r{Tensor::empty(x.shape(), x.dtype(), x.device()), Tensor::empty(mean.shape(), x.dtype(), x.device()),
                   Tensor::empty(mean.shape(), x.dtype(), x.device())};
  const Tensor g = gamma.defined() ? gamma.contiguous() : Tensor();
  Tensor dx = r.x.view(view);
  be.batch_norm_max_pool2d_backward(grad_y.contiguous().view(pooled_shape(view)),
                                    indices.contiguous().view(pooled_shape(view)), x.contiguous().view(view),
                                    gamma.defined() ? &g : nullptr, mean.contiguous(), var.contiguous(), eps, dx,
                                    r.gamma, r.beta);
  return r;
}

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  Backend& b = backend_of("gather", {&x, &index});
  require_index("gather", index);
  dim = wrap_dim(dim, x.dim(), "gather");
  check_gather_shapes("gather", x.shape(), dim, index.shape());
  Tensor out = Tensor::empty(index.shape(), x.dtype(), x.device());
  b.gather(x.contiguous(), dim, index.contiguous(), out);
  return out;
}

Tensor scatter_add(const Shape& shape, int64_t dim, const Tensor& index, const Tensor& src) {
  Backend& b = backend_of("scatter_add", {&index, &src});
  require_index("scatter_add", index);
  dim = wrap_dim(dim, static_cast<int64_t>(shape.size()), "scatter_add");
  check_gather_shapes("scatter_add", shape, dim, index.shape());
  if (src.shape() != index.shape())
    throw ShapeError("scatter_add: src " + shape_str(src.shape()) + " must match index " + shape_str(index.shape()));
  Tensor out = Tensor::zeros(shape, src.dtype(), src.device());
  b.scatter_add(dim, index.contiguous(), src.contiguous(), out);
  return out;
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  Backend& b = backend_of("index_select", {&x, &index});
  require_index("index_select", index);
  if (index.dim() != 1) throw ShapeError("index_select: index must be 1-d, got " + shape_str(index.shape()));
  dim = wrap_dim(dim, x.dim(), "index_select");
  Shape shape = x.shape();
  shape[dim] = index.numel();
  Tensor out = Tensor::empty(shape, x.dtype(), x.device());
  b.index_select(x.contiguous(), dim, index.contiguous(), out);
  return out;
}

Tensor index_add(const Shape& shape, int64_t dim, const Tensor& index, const Tensor& src) {
  Backend& b = backend_of("index_add", {&index, &src});
  require_index("index_add", index);
  dim = wrap_dim(dim, static_cast<int64_t>(shape.size()), "index_add");
  Shape expected = shape;
  expected[dim] = index.numel();
  if (index.dim() != 1 || src.shape() != expected)
    throw ShapeError("index_add: src " + shape_str(src.shape()) + " and index " + shape_str(index.shape()) +
                     " do not match " + shape_str(shape) + " along dim " + std::to_string(dim));
  Tensor out = Tensor::zeros(shape, src.dtype(), src.device());
  b.index_add(dim, index.contiguous(), src.contiguous(), out);
  return out;
}

Tensor cat(const std::vector<Tensor>& xs, int64_t dim) {
  if (xs.empty()) throw ShapeError("cat: no tensors");
  const Tensor& first = xs[0];
  dim = wrap_dim(dim, first.dim(), "cat");
  Shape shape = first.shape();
  int64_t total = 0;
  for (const Tensor& x : xs) {
    bool ok = x.dim() == first.dim() && x.dtype() == first.dtype();
    for (int64_t i = 0; ok && i < x.dim(); ++i)
      if (i != dim && x.size(i) != first.size(i)) ok = false;
    if (!ok)
      throw ShapeError(std::string("cat: ") + dtype_name(x.dtype()) + " " + shape_str(x.shape()) + " does not match " +
                       dtype_name(first.dtype()) + " " + shape_str(first.shape()) + " along dim " + std::to_string(dim));
    total += x.size(dim);
  }
  shape[dim] = total;
  Tensor out = Tensor::empty(shape, first.dtype(), first.device());
  int64_t at = 0;
  for (const Tensor& x : xs) {
    Tensor dst = out.slice(dim, at, at + x.size(dim));
    backend_for(x.device()).copy(x, dst);
    at += x.size(dim);
  }
  return out;
}

MaxPoolResult max_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding) {
  Backend& b = backend_of("max_pool2d", {&x});
  require_floating("max_pool2d", x);
  if (x.dim() < 2) throw ShapeError("max_pool2d: expected [..., H, W], got " + shape_str(x.shape()));
  const int64_t H = x.size(-2), W = x.size(-1);
  if (kernel <= 0 || stride <= 0 || padding < 0 || 2 * padding > kernel || H + 2 * padding < kernel ||
      W + 2 * padding < kernel)
    throw ShapeError("max_pool2d: kernel " + std::to_string(kernel) + ", stride " + std::to_string(stride) +
                     ", padding " + std::to_string(padding) + " do not fit input " + shape_str(x.shape()));
  Shape shape(x.shape().begin(), x.shape().end() - 2);
  shape.push_back((H + 2 * padding - kernel) / stride + 1);
  shape.push_back((W + 2 * padding - kernel) / stride + 1);
  MaxPoolResult r{Tensor::empty(shape, x.dtype(), x.device()), Tensor::empty(shape, DType::i64, x.device())};
  b.max_pool2d(x.contiguous(), kernel, stride, padding, r.values, r.indices);
  return r;
}

Tensor dropout_mask(const Shape& shape, double p, uint64_t seed, uint64_t counter, DType dtype, Device device) {
  if (!(p >= 0.0 && p < 1.0)) throw Error("dropout: probability must be in [0, 1), got " + std::to_string(p));
  Tensor out = Tensor::empty(shape, dtype, device);
  backend_for(out.device()).dropout_mask(p, seed, counter, out);
  return out;
}

namespace {

void require_update_operands(const char* op, std::initializer_list<const Tensor*> ts) {
  const Tensor& p = **ts.begin();
  require_floating(op, p);
  for (const Tensor* t : ts) {
    if (t->shape() != p.shape() || !t->is_contiguous())
      throw ShapeError(std::string(op) + ": operands must be contiguous and of one shape, got " +
                       shape_str(t->shape()) + " and " + shape_str(p.shape()));
    require_same_dtype(op, p, *t);
  }
}

}  // namespace

void adam_update_(const AdamStep& s, Tensor& p, const Tensor& g, Tensor& m, Tensor& v) {
  Backend& b = backend_of("adam_update", {&p, &g, &m, &v});
  require_update_operands("adam_update", {&p, &g, &m, &v});
  b.adam_update(s, p, g, m, v);
}

void sgd_update_(const SgdStep& s, Tensor& p, const Tensor& g, Tensor& buffer) {
  Backend& b = backend_of("sgd_update", {&p, &g, &buffer});
  require_update_operands("sgd_update", {&p, &g, &buffer});
  b.sgd_update(s, p, g, buffer);
}

bool all_finite(const Tensor& x) {
  if (x.numel() == 0) return true;
  // x - x is 0 for a finite element and NaN for an infinite or NaN one.
  return sum(binary(BinaryOp::sub, x, x), {}).item() == 0.0;
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape())
    throw ShapeError("max_abs_diff: shapes " + shape_str(a.shape()) + " and " + shape_str(b.shape()));
  const std::vector<double> va = a.to_vector(), vb = b.to_vector();
  double m = 0;
  for (size_t i = 0; i < va.size(); ++i) m = std::max(m, std::abs(va[i] - vb[i]));
  return m;
}

}  // namespace cz
