// CUDA reductions: sum and max (with argmax) over the dims where out has size 1, any strides of x.
// The kernels and their plan are CudaReduce.cuh's; this launches them on the stream.
#include <cstdint>

#include "CudaBackend.cuh"
#include "CudaReduce.cuh"

namespace cz::cuda {

using namespace reduce;

void CudaBackend::reduce(ReduceOp op, const Tensor& x, Tensor& out, Tensor* indices) {
  const Layout l = layout(x, out);
  if (l.K == 0 || out.numel() == 0) return;
  const StreamLaunch launch{stream()};
  dispatch_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if (op == ReduceOp::sum) {
      run_plan<SumOp>(launch, device(), l.plan,
                      StridedSource<T, SumOp>{data<T>(x), l.kept, l.reduced},
                      SumSink<T>{data<T>(out)}, l.K, l.R);
    } else {
      run_plan<MaxOp<T>>(
          launch, device(), l.plan, StridedSource<T, MaxOp<T>>{data<T>(x), l.kept, l.reduced},
          MaxSink<T>{data<T>(out), indices ? data<int64_t>(*indices) : nullptr}, l.K, l.R);
    }
  });
}

}  // namespace cz::cuda
