// The checking backends: CPU kernels on host views of checking-device memory.
#include "CheckBackend.hpp"

#include <atomic>
#include <cstring>

#include "../cpu/CpuBackend.hpp"

namespace cz::check {

namespace {

std::atomic<uint64_t> copies_to_host{0};

cpu::CpuBackend& cpu_kernels() { return static_cast<cpu::CpuBackend&>(backend_for(Device::cpu())); }

/// The same elements, seen as host memory: what the CPU kernels may read.
Tensor host(const Tensor& t) {
  if (!t.defined()) return t;
  const auto& s = t.storage();
  return Tensor(Storage::borrow(s->data(), s->bytes(), Device::cpu()), t.shape(), t.strides(),
                t.offset(), t.dtype());
}

/// For optional operands: null stays null, else a host view kept alive in `keep`.
const Tensor* host(const Tensor* t, Tensor& keep) {
  if (!t) return nullptr;
  keep = host(*t);
  return &keep;
}

/// check:1: the primitives on the CPU, everything else the interface's composites.
class CheckPrimitives : public Backend {
 public:
  explicit CheckPrimitives(int index)
      : Backend(cpu::host_allocate, cpu::host_free), index_(index) {}
  Device device() const override { return Device::check(index_); }

  void memcpy(void* dst, const void* src, size_t bytes, Device dst_device,
              Device src_device) override {
    for (Device d : {dst_device, src_device})
      if (!d.is_cpu() && d.type != DeviceType::check)
        throw DeviceError("check backend: cannot copy between " + src_device.str() + " and " +
                          dst_device.str());
    std::memcpy(dst, src, bytes);
    if (dst_device.is_cpu() && !src_device.is_cpu()) copies_to_host.fetch_add(1, std::memory_order_relaxed);
  }
  void synchronize(const Stream&) override {}

  void copy(const Tensor& src, Tensor& out) override {
    Tensor o = host(out);
    cpu_kernels().copy(host(src), o);
  }
  void fill(Tensor& out, double value) override {
    Tensor o = host(out);
    cpu_kernels().fill(o, value);
  }
  void unary(UnaryOp op, const Tensor& x, Tensor& out) override {
    Tensor o = host(out);
    cpu_kernels().unary(op, host(x), o);
  }
  void binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) override {
    Tensor o = host(out);
    cpu_kernels().binary(op, host(a), host(b), o);
  }
  void where(const Tensor& condition, const Tensor& a, const Tensor& b, Tensor& out) override {
    Tensor o = host(out);
    cpu_kernels().where(host(condition), host(a), host(b), o);
  }
  void reduce(ReduceOp op, const Tensor& x, Tensor& out, Tensor* indices) override {
    Tensor o = host(out), i;
    if (indices) i = host(*indices);
    cpu_kernels().reduce(op, host(x), o, indices ? &i : nullptr);
  }
  void gemm(DType dtype, const GemmBatch& g) override { cpu_kernels().gemm(dtype, g); }
  void unfold(const Tensor& x, int64_t kh, int64_t kw, int64_t stride, int64_t padding,
              Tensor& cols) override {
    Tensor c = host(cols);
    cpu_kernels().unfold(host(x), kh, kw, stride, padding, c);
  }
  void fold(const Tensor& cols, int64_t kh, int64_t kw, int64_t stride, int64_t padding,
            Tensor& out) override {
    Tensor o = host(out);
    cpu_kernels().fold(host(cols), kh, kw, stride, padding, o);
  }
  void max_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding, Tensor& values,
                  Tensor& indices) override {
    Tensor v = host(values), i = host(indices);
    cpu_kernels().max_pool2d(host(x), kernel, stride, padding, v, i);
  }
  void gather(const Tensor& x, int64_t dim, const Tensor& index, Tensor& out) override {
    Tensor o = host(out);
    cpu_kernels().gather(host(x), dim, host(index), o);
  }
  void scatter_add(int64_t dim, const Tensor& index, const Tensor& src, Tensor& out) override {
    Tensor o = host(out);
    cpu_kernels().scatter_add(dim, host(index), host(src), o);
  }
  void random(bool normal, double a, double b, uint64_t seed, uint64_t counter,
              Tensor& out) override {
    Tensor o = host(out);
    cpu_kernels().random(normal, a, b, seed, counter, o);
  }

 private:
  int index_;
};

/// check:0: every kernel on the CPU.
class CheckBackend final : public CheckPrimitives {
 public:
  CheckBackend() : CheckPrimitives(0) {}

  void affine(const Tensor& x, double scale, double shift, Tensor& out) override {
    Tensor o = host(out);
    cpu_kernels().affine(host(x), scale, shift, o);
  }
  void pow_scalar(const Tensor& x, double exponent, Tensor& out) override {
    Tensor o = host(out);
    cpu_kernels().pow_scalar(host(x), exponent, o);
  }
  void clamp(const Tensor& x, double low, double high, Tensor& out) override {
    Tensor o = host(out);
    cpu_kernels().clamp(host(x), low, high, o);
  }
  void in_range_mask(const Tensor& x, double low, double high, Tensor& out) override {
    Tensor o = host(out);
    cpu_kernels().in_range_mask(host(x), low, high, o);
  }
  void conv2d(const Tensor& x, const Tensor& weight, const Tensor* bias, int64_t stride,
              int64_t padding, Tensor& out) override {
    Tensor o = host(out), b;
    cpu_kernels().conv2d(host(x), host(weight), host(bias, b), stride, padding, o);
  }
  void conv2d_input_grad(const Tensor& grad_out, const Tensor& weight, int64_t stride,
                         int64_t padding, Tensor& grad_x) override {
    Tensor gx = host(grad_x);
    cpu_kernels().conv2d_input_grad(host(grad_out), host(weight), stride, padding, gx);
  }
  void conv2d_weight_grad(const Tensor& x, const Tensor& grad_out, int64_t stride, int64_t padding,
                          Tensor& grad_weight) override {
    Tensor gw = host(grad_weight);
    cpu_kernels().conv2d_weight_grad(host(x), host(grad_out), stride, padding, gw);
  }
  void batch_norm(const Tensor& x, const Tensor* gamma, const Tensor* beta, double eps, Tensor& y,
                  Tensor& mean, Tensor& var) override {
    Tensor g, b, hy = host(y), hm = host(mean), hv = host(var);
    cpu_kernels().batch_norm(host(x), host(gamma, g), host(beta, b), eps, hy, hm, hv);
  }
  void batch_norm_backward(const Tensor& grad_y, const Tensor& x, const Tensor* gamma,
                           const Tensor& mean, const Tensor& var, double eps, Tensor& grad_x,
                           Tensor& grad_gamma, Tensor& grad_beta) override {
    Tensor g, gx = host(grad_x), gg = host(grad_gamma), gb = host(grad_beta);
    cpu_kernels().batch_norm_backward(host(grad_y), host(x), host(gamma, g), host(mean), host(var),
                                      eps, gx, gg, gb);
  }
  void batch_norm_max_pool2d(const Tensor& x, const Tensor* gamma, const Tensor* beta, double eps,
                             Tensor& y, Tensor& indices, Tensor& mean, Tensor& var) override {
    Tensor g, b, hy = host(y), hi = host(indices), hm = host(mean), hv = host(var);
    cpu_kernels().batch_norm_max_pool2d(host(x), host(gamma, g), host(beta, b), eps, hy, hi, hm,
                                        hv);
  }
  void batch_norm_max_pool2d_backward(const Tensor& grad_y, const Tensor& indices, const Tensor& x,
                                      const Tensor* gamma, const Tensor& mean, const Tensor& var,
                                      double eps, Tensor& grad_x, Tensor& grad_gamma,
                                      Tensor& grad_beta) override {
    Tensor g, gx = host(grad_x), gg = host(grad_gamma), gb = host(grad_beta);
    cpu_kernels().batch_norm_max_pool2d_backward(host(grad_y), host(indices), host(x),
                                                 host(gamma, g), host(mean), host(var), eps, gx, gg,
                                                 gb);
  }
  void index_select(const Tensor& x, int64_t dim, const Tensor& index, Tensor& out) override {
    Tensor o = host(out);
    cpu_kernels().index_select(host(x), dim, host(index), o);
  }
  void index_add(int64_t dim, const Tensor& index, const Tensor& src, Tensor& out) override {
    Tensor o = host(out);
    cpu_kernels().index_add(dim, host(index), host(src), o);
  }
  void dropout_mask(double p, uint64_t seed, uint64_t counter, Tensor& out) override {
    Tensor o = host(out);
    cpu_kernels().dropout_mask(p, seed, counter, o);
  }
  void adam_update(const AdamStep& s, Tensor& p, const Tensor& g, Tensor& m, Tensor& v) override {
    Tensor hp = host(p), hm = host(m), hv = host(v);
    cpu_kernels().adam_update(s, hp, host(g), hm, hv);
  }
  void sgd_update(const SgdStep& s, Tensor& p, const Tensor& g, Tensor& buffer) override {
    Tensor hp = host(p), hb = host(buffer);
    cpu_kernels().sgd_update(s, hp, host(g), hb);
  }
};

}  // namespace

Backend& backend(int index) {
  static CheckBackend all_kernels;
  static CheckPrimitives primitives(1);
  if (index == 0) return all_kernels;
  if (index == 1) return primitives;
  throw DeviceError("no backend for device " + Device::check(index).str() +
                    " (check:0 and check:1 exist)");
}

uint64_t device_to_host_copies() { return copies_to_host.load(std::memory_order_relaxed); }

}  // namespace cz::check
